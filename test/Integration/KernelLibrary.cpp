//===- KernelLibrary.cpp - Compile, load and call retention kernels -------===//

#include "KernelLibrary.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <dlfcn.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace retnet::kernel {

namespace {
/// Runs `argv` with stdout and stderr sent to `logPath`; true on exit 0.
bool runProcess(const std::vector<std::string> &argv,
                const std::string &logPath) {
  std::vector<char *> arguments;
  for (const std::string &argument : argv)
    arguments.push_back(const_cast<char *>(argument.c_str()));
  arguments.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid;
  int spawned = posix_spawn(&pid, arguments[0], &actions, nullptr,
                            arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::ofstream(logPath) << "cannot run " << argv[0] << "\n";
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
} // namespace

std::vector<bool> compileKernels(const std::string &compiler,
                                 const std::vector<CompileRequest> &requests,
                                 const std::vector<std::string> &extraArgs,
                                 unsigned jobs) {
  std::vector<char> succeeded(requests.size(), 0);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < requests.size(); i = next++) {
      const CompileRequest &request = requests[i];
      {
        std::ofstream source(request.sourcePath);
        source << (request.source.empty() ? kernelSource(request.config)
                                          : request.source);
        if (!source) {
          std::ofstream(request.logPath)
              << "cannot write " << request.sourcePath << "\n";
          continue;
        }
      }
      std::vector<std::string> argv = {compiler,     request.sourcePath,
                                       "--emit=lib", "--form=keep",
                                       "-o",         request.libraryPath};
      argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
      succeeded[i] = runProcess(argv, request.logPath);
    }
  };
  std::vector<std::thread> workers;
  for (unsigned j = 1; j < std::max(jobs, 1u); ++j)
    workers.emplace_back(worker);
  worker();
  for (std::thread &thread : workers)
    thread.join();
  return std::vector<bool>(succeeded.begin(), succeeded.end());
}

std::string makeTemporaryDirectory(const std::string &prefix) {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data()))
    return "";
  return buffer.data();
}

const char *optionValue(const char *argument, const char *prefix) {
  size_t size = std::strlen(prefix);
  return std::strncmp(argument, prefix, size) == 0 ? argument + size : nullptr;
}

bool parseSupplyOption(const std::string &argument, std::string &workDirectory,
                       KernelSupply &supply) {
  const std::string workPrefix = "--work-dir=";
  if (argument.compare(0, workPrefix.size(), workPrefix) == 0)
    workDirectory = argument.substr(workPrefix.size());
  else if (argument == "--compile-only")
    supply = KernelSupply::CompileOnly;
  else if (argument == "--precompiled")
    supply = KernelSupply::Precompiled;
  else
    return false;
  return true;
}

std::string kernelDirectory(const std::string &workDirectory,
                            const std::string &prefix) {
  if (workDirectory.empty())
    return makeTemporaryDirectory(prefix);
  std::error_code error;
  std::filesystem::create_directories(workDirectory, error);
  return error ? "" : workDirectory;
}

std::vector<bool> supplyKernels(KernelSupply supply,
                                const std::string &compiler,
                                const std::vector<CompileRequest> &requests,
                                const std::vector<std::string> &extraArgs,
                                unsigned jobs) {
  if (supply != KernelSupply::Precompiled)
    return compileKernels(compiler, requests, extraArgs, jobs);
  std::vector<bool> present;
  for (const CompileRequest &request : requests)
    present.push_back(std::filesystem::exists(request.libraryPath));
  return present;
}

std::string readTextFile(const std::string &path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::unique_ptr<KernelLibrary> KernelLibrary::load(const std::string &path,
                                                   const KernelConfig &config,
                                                   bool onDevice,
                                                   std::string &error) {
  // RTLD_NODELETE: closing a kernel must not unload the OpenMP runtime it
  // brought in while that runtime's worker threads still exist.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    error = dlerror();
    return nullptr;
  }
  void *entry = dlsym(handle, "_mlir_ciface_retention");
  if (!entry) {
    error = path + ": no symbol _mlir_ciface_retention";
    dlclose(handle);
    return nullptr;
  }
  std::unique_ptr<KernelLibrary> library(
      new KernelLibrary(handle, entry, config));
  if (onDevice) {
    library->onDevice = true;
    DeviceMemory &device = library->device;
    auto find = [&](auto &slot, const char *name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
          dlsym(handle, name));
      return slot != nullptr;
    };
    int (*initialize)(char **) = nullptr;
    if (!find(device.alloc, "mgpuMemAlloc") ||
        !find(device.free, "mgpuMemFree") || !find(device.copy, "mgpuMemcpy") ||
        !find(device.synchronize, "mgpuStreamSynchronize") ||
        !find(device.takeError, "retnet_cuda_take_error") ||
        !find(initialize, "retnet_cuda_init")) {
      error = path + ": not a CUDA kernel library (no mgpu* functions)";
      return nullptr;
    }
    char *message = nullptr;
    if (initialize(&message) != 0) {
      error =
          path + ": CUDA is unusable: " + (message ? message : "unknown error");
      std::free(message);
      return nullptr;
    }
  }
  return library;
}

KernelLibrary::~KernelLibrary() { dlclose(handle); }

std::string KernelLibrary::takeDeviceError() const {
  if (!onDevice)
    return "";
  char *message = device.takeError();
  std::string text = message ? message : "";
  std::free(message);
  return text;
}

/// The per-head shape [rows, columns] of the kernel ABI's arrays q, k, v,
/// s0, o, sT.
static std::array<std::array<int64_t, 2>, 6> arrayShapes(const KernelConfig &c,
                                                         int64_t length) {
  return {{{length, c.keyDim},
           {length, c.keyDim},
           {length, c.valueDim},
           {c.keyDim, c.valueDim},
           {length, c.valueDim},
           {c.keyDim, c.valueDim}}};
}

void KernelLibrary::runArrays(int64_t batch, int64_t length,
                              void *const arrays[6],
                              const size_t elementBytes[6],
                              int64_t offset) const {
  // Descriptors count strides in elements, so one type serves all arrays.
  using Memref = StridedMemRefType<char, 4>;
  using Entry = void (*)(Memref *, Memref *, Memref *, Memref *, int64_t,
                         Memref *, Memref *);
  const KernelConfig &c = kernelConfig;
  const auto shapes = arrayShapes(c, length);
  const bool isOutput[6] = {false, false, false, false, true, true};
  Memref memrefs[6];
  size_t bytes[6];
  for (int i = 0; i < 6; ++i) {
    auto *data = static_cast<char *>(arrays[i]);
    bytes[i] = elementBytes[i] * batch * c.heads * shapes[i][0] * shapes[i][1];
    if (onDevice) {
      // Through device memory; outputs copied back after the kernel (which
      // waits for its own work before returning).
      auto *deviceData = static_cast<char *>(device.alloc(
          bytes[i] ? bytes[i] : 1, nullptr, /*isHostShared=*/false));
      if (bytes[i] && !isOutput[i])
        device.copy(deviceData, data, bytes[i], nullptr);
      data = deviceData;
    }
    memrefs[i] = denseMemref(data, batch, c.heads, shapes[i][0], shapes[i][1]);
  }
  if (onDevice)
    device.synchronize(nullptr);
  reinterpret_cast<Entry>(entry)(&memrefs[0], &memrefs[1], &memrefs[2],
                                 &memrefs[3], offset, &memrefs[4], &memrefs[5]);
  if (!onDevice)
    return;
  for (int i = 0; i < 6; ++i)
    if (bytes[i] && isOutput[i])
      device.copy(arrays[i], memrefs[i].data, bytes[i], nullptr);
  device.synchronize(nullptr);
  for (Memref &memref : memrefs)
    device.free(memref.data, nullptr);
}

/// The upper halves of floats that are bf16 values.
static std::vector<uint16_t> toBF16(const float *values, size_t count) {
  std::vector<uint16_t> halves(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, values + i, sizeof(bits));
    halves[i] = static_cast<uint16_t>(bits >> 16);
  }
  return halves;
}

void KernelLibrary::runBF16(int64_t batch, int64_t length, const float *q,
                            const float *k, const float *v,
                            const float *initialState, int64_t offset,
                            float *output, float *finalState) const {
  const KernelConfig &c = kernelConfig;
  size_t keys = batch * c.heads * length * c.keyDim;
  size_t values = batch * c.heads * length * c.valueDim;
  std::vector<uint16_t> q16 = toBF16(q, keys), k16 = toBF16(k, keys),
                        v16 = toBF16(v, values), out16(values);
  void *arrays[6] = {q16.data(),   k16.data(),
                     v16.data(),   const_cast<float *>(initialState),
                     out16.data(), finalState};
  const size_t bytes[6] = {2, 2, 2, sizeof(float), 2, sizeof(float)};
  runArrays(batch, length, arrays, bytes, offset);
  for (size_t i = 0; i < values; ++i) {
    uint32_t bits = uint32_t(out16[i]) << 16;
    std::memcpy(output + i, &bits, sizeof(bits));
  }
}

std::function<void()>
KernelLibrary::residentRunner(int64_t batch, int64_t length, const float *q,
                              const float *k, const float *v,
                              const float *initialState, int64_t offset,
                              bool carryState) const {
  using Memref = StridedMemRefType<float, 4>;
  using Entry = void (*)(Memref *, Memref *, Memref *, Memref *, int64_t,
                         Memref *, Memref *);
  const KernelConfig &c = kernelConfig;
  struct Arrays {
    Memref memrefs[6];
    DeviceMemory device;
    ~Arrays() {
      for (Memref &memref : memrefs)
        device.free(memref.data, nullptr);
    }
  };
  auto arrays = std::make_shared<Arrays>();
  arrays->device = device;
  const float *sources[6] = {q, k, v, initialState, nullptr, nullptr};
  // bf16 kernels take q, k, v and the output as bf16 (the upper halves of
  // the floats), the states as f32.
  bool bf16 = c.elementType == ElementType::BF16;
  std::vector<uint16_t> halves;
  const auto widths = arrayShapes(c, length);
  for (int i = 0; i < 6; ++i) {
    size_t count = batch * c.heads * widths[i][0] * widths[i][1];
    bool halfWidth = bf16 && i != 3 && i != 5;
    size_t bytes = count * (halfWidth ? 2 : sizeof(float));
    auto *data = static_cast<float *>(
        device.alloc(bytes ? bytes : 1, nullptr, /*isHostShared=*/false));
    const void *source = sources[i];
    if (source && halfWidth) {
      halves = toBF16(sources[i], count);
      source = halves.data();
    }
    if (source && bytes) {
      device.copy(data, const_cast<void *>(source), bytes, nullptr);
      device.synchronize(nullptr);
    }
    arrays->memrefs[i] =
        denseMemref(data, batch, c.heads, widths[i][0], widths[i][1]);
  }
  device.synchronize(nullptr);
  Entry function = reinterpret_cast<Entry>(entry);
  return [arrays, function, offset, carryState] {
    Memref *m = arrays->memrefs;
    function(&m[0], &m[1], &m[2], &m[3], offset, &m[4], &m[5]);
    if (carryState)
      std::swap(m[3], m[5]);
  };
}

} // namespace retnet::kernel
