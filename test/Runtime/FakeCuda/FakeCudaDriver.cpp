//===- FakeCudaDriver.cpp - A CUDA driver stand-in in host memory ---------===//
//
// Built as `libcuda.so.1` in its own directory: with that directory on
// LD_LIBRARY_PATH, the runtime's dlopen finds this instead of a driver, so
// the host side of CUDA libraries (module loading, launches, streams, the
// memory cache, device buffers of models) runs on machines without a GPU.
// "Device" memory is host memory; kernels do nothing; every call is counted
// (fake_cuda_counters) and FAKE_CUDA_STATS=1 prints the counts at exit.
// FAKE_CUDA_FAIL_MODULE_LOAD=1 makes module loading fail.
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

namespace {
using CUresult = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2,
                   kInvalidImage = 200;

/// What the driver was asked to do.
struct Counters {
  std::atomic<long> launches{0}, allocations{0}, frees{0}, copies{0},
      synchronizations{0}, moduleLoads{0};
};
Counters counters;
std::mutex mutex;
std::set<CUdeviceptr> live;
int handleStorage;

struct Report {
  ~Report() {
    const char *stats = std::getenv("FAKE_CUDA_STATS");
    if (stats && *stats == '1')
      std::fprintf(stderr,
                   "fake-cuda: module_loads=%ld launches=%ld allocations=%ld "
                   "frees=%ld copies=%ld synchronizations=%ld\n",
                   counters.moduleLoads.load(), counters.launches.load(),
                   counters.allocations.load(), counters.frees.load(),
                   counters.copies.load(), counters.synchronizations.load());
  }
} report;

CUresult allocate(CUdeviceptr *pointer, size_t bytes) {
  void *memory = std::calloc(1, bytes ? bytes : 1);
  if (!memory)
    return kOutOfMemory;
  *pointer = reinterpret_cast<CUdeviceptr>(memory);
  std::lock_guard<std::mutex> lock(mutex);
  live.insert(*pointer);
  ++counters.allocations;
  return kSuccess;
}
} // namespace

extern "C" {
/// The counters, for tests that load this library themselves:
/// {module loads, launches, allocations, frees, copies, synchronizations}.
void fake_cuda_counters(long *values) {
  values[0] = counters.moduleLoads;
  values[1] = counters.launches;
  values[2] = counters.allocations;
  values[3] = counters.frees;
  values[4] = counters.copies;
  values[5] = counters.synchronizations;
}

CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDeviceGet(int *device, int) {
  *device = 0;
  return kSuccess;
}
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
  *context = &handleStorage;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *) { return kSuccess; }
CUresult cuGetErrorString(CUresult result, const char **text) {
  *text = result == kOutOfMemory    ? "out of memory (fake driver)"
          : result == kInvalidImage ? "invalid image (fake driver)"
                                    : "invalid value (fake driver)";
  return kSuccess;
}
CUresult cuModuleLoadData(void **module, const void *image) {
  const char *fail = std::getenv("FAKE_CUDA_FAIL_MODULE_LOAD");
  if (!image || (fail && *fail == '1'))
    return kInvalidImage;
  ++counters.moduleLoads;
  *module = &handleStorage;
  return kSuccess;
}
CUresult cuModuleUnload(void *) { return kSuccess; }
CUresult cuModuleGetFunction(void **function, void *module, const char *) {
  if (!module)
    return kInvalidValue;
  *function = &handleStorage;
  return kSuccess;
}
CUresult cuLaunchKernel(void *function, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned, void *, void **, void **) {
  if (!function || !gridX || !gridY || !gridZ || !blockX || !blockY ||
      !blockZ || blockX * blockY * blockZ > 1024)
    return kInvalidValue;
  ++counters.launches;
  return kSuccess;
}
CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = new int;
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *stream) {
  delete static_cast<int *>(stream);
  return kSuccess;
}
CUresult cuStreamSynchronize(void *) {
  ++counters.synchronizations;
  return kSuccess;
}
CUresult cuStreamWaitEvent(void *, void *, unsigned) { return kSuccess; }
CUresult cuEventCreate(void **event, unsigned) {
  *event = new int;
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *event) {
  delete static_cast<int *>(event);
  return kSuccess;
}
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventRecord(void *, void *) { return kSuccess; }
CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  return allocate(pointer, bytes);
}
CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes, unsigned) {
  return allocate(pointer, bytes);
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!live.erase(pointer))
    return kInvalidValue;
  ++counters.frees;
  std::free(reinterpret_cast<void *>(pointer));
  return kSuccess;
}
CUresult cuMemcpyAsync(CUdeviceptr destination, CUdeviceptr source,
                       size_t bytes, void *) {
  ++counters.copies;
  std::memmove(reinterpret_cast<void *>(destination),
               reinterpret_cast<const void *>(source), bytes);
  return kSuccess;
}
CUresult cuMemsetD32Async(CUdeviceptr destination, unsigned value, size_t count,
                          void *) {
  auto *words = reinterpret_cast<uint32_t *>(destination);
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  return kSuccess;
}
CUresult cuMemsetD16Async(CUdeviceptr destination, unsigned short value,
                          size_t count, void *) {
  auto *halves = reinterpret_cast<uint16_t *>(destination);
  for (size_t i = 0; i < count; ++i)
    halves[i] = value;
  return kSuccess;
}
} // extern "C"
