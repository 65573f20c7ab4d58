//===- CudaRuntime.cpp - mgpu* entry points on the CUDA driver API --------===//

#include "retnet/Runtime/CudaRuntime.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {
// The few driver types used, as the driver ABI defines them.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using Handle = void *;
constexpr CUresult kSuccess = 0;
constexpr unsigned kAttachGlobal = 1;

/// Driver entry points, resolved once.
struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetCount)(int *);
  CUresult (*primaryContextRetain)(Handle *, CUdevice);
  CUresult (*contextSetCurrent)(Handle);
  CUresult (*getErrorString)(CUresult, const char **);
  CUresult (*moduleLoadData)(Handle *, const void *);
  CUresult (*moduleUnload)(Handle);
  CUresult (*moduleGetFunction)(Handle *, Handle, const char *);
  CUresult (*launchKernel)(Handle, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, Handle, void **,
                           void **);
  CUresult (*streamCreate)(Handle *, unsigned);
  CUresult (*streamDestroy)(Handle);
  CUresult (*streamSynchronize)(Handle);
  CUresult (*streamWaitEvent)(Handle, Handle, unsigned);
  CUresult (*eventCreate)(Handle *, unsigned);
  CUresult (*eventDestroy)(Handle);
  CUresult (*eventSynchronize)(Handle);
  CUresult (*eventRecord)(Handle, Handle);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, Handle);
  CUresult (*memsetD32Async)(CUdeviceptr, unsigned, size_t, Handle);
  CUresult (*memsetD16Async)(CUdeviceptr, unsigned short, size_t, Handle);

  Handle context = nullptr;
  std::string failure; // why the driver is unusable, empty when it is usable
};

thread_local std::string lastError;

/// Why a kernel module failed to load (in a library's constructor, maybe on
/// another thread): every later use reports it. A function-local static: the
/// constructors that load modules run before this file's globals are
/// initialised.
std::mutex moduleFailureMutex;
std::string &moduleFailure() {
  static std::string failure;
  return failure;
}

void record(const std::string &message) {
  if (lastError.empty())
    lastError = message;
}

/// Loads the driver and makes device 0's primary context current.
Driver *loadDriver() {
  static Driver driver;
  static std::once_flag once;
  std::call_once(once, [] {
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      driver.failure = "the CUDA driver (libcuda.so.1) is not installed: " +
                       std::string(dlerror());
      return;
    }
    bool complete = true;
    auto find = [&](auto &slot, const char *name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
          dlsym(library, name));
      if (!slot && complete) {
        complete = false;
        driver.failure = std::string("the CUDA driver lacks ") + name;
      }
    };
    find(driver.init, "cuInit");
    find(driver.deviceGet, "cuDeviceGet");
    find(driver.deviceGetCount, "cuDeviceGetCount");
    find(driver.primaryContextRetain, "cuDevicePrimaryCtxRetain");
    find(driver.contextSetCurrent, "cuCtxSetCurrent");
    find(driver.getErrorString, "cuGetErrorString");
    find(driver.moduleLoadData, "cuModuleLoadData");
    find(driver.moduleUnload, "cuModuleUnload");
    find(driver.moduleGetFunction, "cuModuleGetFunction");
    find(driver.launchKernel, "cuLaunchKernel");
    find(driver.streamCreate, "cuStreamCreate");
    find(driver.streamDestroy, "cuStreamDestroy_v2");
    find(driver.streamSynchronize, "cuStreamSynchronize");
    find(driver.streamWaitEvent, "cuStreamWaitEvent");
    find(driver.eventCreate, "cuEventCreate");
    find(driver.eventDestroy, "cuEventDestroy_v2");
    find(driver.eventSynchronize, "cuEventSynchronize");
    find(driver.eventRecord, "cuEventRecord");
    find(driver.memAlloc, "cuMemAlloc_v2");
    find(driver.memAllocManaged, "cuMemAllocManaged");
    find(driver.memFree, "cuMemFree_v2");
    find(driver.memcpyAsync, "cuMemcpyAsync");
    find(driver.memsetD32Async, "cuMemsetD32Async");
    find(driver.memsetD16Async, "cuMemsetD16Async");
    if (!complete)
      return;
    int count = 0;
    CUdevice device = 0;
    if (driver.init(0) != kSuccess ||
        driver.deviceGetCount(&count) != kSuccess || count == 0) {
      driver.failure = "no CUDA device is available";
      return;
    }
    if (driver.deviceGet(&device, 0) != kSuccess ||
        driver.primaryContextRetain(&driver.context, device) != kSuccess)
      driver.failure = "cannot create a context on CUDA device 0";
  });
  if (!driver.failure.empty()) {
    record(driver.failure);
    return nullptr;
  }
  // Every host thread that launches work needs the context current.
  driver.contextSetCurrent(driver.context);
  return &driver;
}

/// Records a failed driver call; true when `result` is a success.
bool check(Driver *driver, CUresult result, const char *what) {
  if (result == kSuccess)
    return true;
  const char *text = nullptr;
  driver->getErrorString(result, &text);
  record(std::string(what) + " failed: " + (text ? text : "unknown error") +
         " (CUDA error " + std::to_string(result) + ")");
  return false;
}

CUdeviceptr devicePointer(void *pointer) {
  return reinterpret_cast<CUdeviceptr>(pointer);
}

/// Device memory, cached. Generated code allocates and frees its temporary
/// buffers on every call; cuMemAlloc and cuMemFree (which waits for the
/// device) would dominate a decoding step. Freed blocks are kept by size
/// class for reuse; a block freed on a stream may still be read by kernels
/// launched there before, so it becomes reusable by other streams only once
/// that stream is synchronised or destroyed (by the same stream at once).
class MemoryCache {
public:
  CUdeviceptr allocate(Driver *driver, uint64_t bytes, Handle stream) {
    uint64_t size = sizeClass(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex);
      // A block freed on the same stream is safe to reuse at once: the
      // stream runs the new user after the old ones.
      if (stream) {
        auto blocks = pending.find(stream);
        if (blocks != pending.end()) {
          auto &list = blocks->second;
          for (size_t i = 0; i < list.size(); ++i) {
            if (list[i].second != size)
              continue;
            CUdeviceptr pointer = list[i].first;
            list.erase(list.begin() + i);
            live[pointer] = size;
            return pointer;
          }
        }
      }
      auto reusable = available.find(size);
      if (reusable != available.end()) {
        CUdeviceptr pointer = reusable->second;
        available.erase(reusable);
        live[pointer] = size;
        return pointer;
      }
    }
    CUdeviceptr pointer = 0;
    if (driver->memAlloc(&pointer, size) != kSuccess) {
      // Out of memory, perhaps only because of cached blocks: give them back
      // and try once more.
      trim(driver);
      if (!check(driver, driver->memAlloc(&pointer, size), "cuMemAlloc"))
        return 0;
    }
    std::lock_guard<std::mutex> lock(mutex);
    live[pointer] = size;
    return pointer;
  }

  /// Takes back a block of this cache (false if `pointer` is not one).
  bool release(CUdeviceptr pointer, Handle stream) {
    std::lock_guard<std::mutex> lock(mutex);
    auto block = live.find(pointer);
    if (block == live.end())
      return false;
    if (stream)
      pending[stream].push_back({pointer, block->second});
    else
      available.emplace(block->second, pointer);
    live.erase(block);
    return true;
  }

  /// The work of `stream` is over: its freed blocks become reusable if it
  /// completed, and are dropped (never reused) if its synchronisation
  /// failed, since kernels may still use them.
  void streamFinished(Handle stream, bool completed) {
    std::lock_guard<std::mutex> lock(mutex);
    auto blocks = pending.find(stream);
    if (blocks == pending.end())
      return;
    if (completed)
      for (auto [pointer, size] : blocks->second)
        available.emplace(size, pointer);
    pending.erase(blocks);
  }

private:
  /// Powers of two up to 64 MiB (at least 512 bytes), multiples of 64 MiB
  /// above: a bounded waste for good reuse across calls of varying lengths.
  static uint64_t sizeClass(uint64_t bytes) {
    constexpr uint64_t large = uint64_t(64) << 20;
    if (bytes > large)
      return (bytes + large - 1) / large * large;
    uint64_t size = 512;
    while (size < bytes)
      size <<= 1;
    return size;
  }

  void trim(Driver *driver) {
    std::vector<CUdeviceptr> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto [size, pointer] : available)
        blocks.push_back(pointer);
      available.clear();
    }
    for (CUdeviceptr pointer : blocks)
      driver->memFree(pointer);
  }

  std::mutex mutex;
  std::unordered_multimap<uint64_t, CUdeviceptr> available; // size -> block
  std::unordered_map<CUdeviceptr, uint64_t> live;           // block -> size
  std::unordered_map<Handle, std::vector<std::pair<CUdeviceptr, uint64_t>>>
      pending; // stream -> blocks freed on it
};

MemoryCache &memoryCache() {
  static MemoryCache *cache = new MemoryCache; // outlives library teardown
  return *cache;
}
} // namespace

extern "C" {

int retnet_cuda_init(char **error) {
  if (loadDriver()) {
    std::lock_guard<std::mutex> lock(moduleFailureMutex);
    if (moduleFailure().empty())
      return 0;
    lastError = "the GPU kernels of this library could not be loaded: " +
                moduleFailure();
  }
  char *message = retnet_cuda_take_error();
  if (error)
    *error = message;
  else
    std::free(message);
  return 1;
}

char *retnet_cuda_take_error(void) {
  if (lastError.empty())
    return nullptr;
  char *message = strdup(lastError.c_str());
  lastError.clear();
  return message;
}

void *mgpuModuleLoad(void *data, size_t) {
  Driver *driver = loadDriver();
  Handle module = nullptr;
  if (driver && !check(driver, driver->moduleLoadData(&module, data),
                       "cuModuleLoadData")) {
    std::lock_guard<std::mutex> lock(moduleFailureMutex);
    if (moduleFailure().empty())
      moduleFailure() = lastError;
  }
  return module;
}

void mgpuModuleUnload(void *module) {
  if (Driver *driver = loadDriver(); driver && module)
    check(driver, driver->moduleUnload(module), "cuModuleUnload");
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  Driver *driver = loadDriver();
  Handle function = nullptr;
  if (driver && module)
    check(driver, driver->moduleGetFunction(&function, module, name),
          "cuModuleGetFunction");
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemoryBytes, void *stream,
                      void **params, void **extra, size_t) {
  Driver *driver = loadDriver();
  if (!driver)
    return;
  if (!function) {
    record("cannot launch a kernel: its module was not loaded");
    return;
  }
  check(driver,
        driver->launchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                             blockZ, sharedMemoryBytes, stream, params, extra),
        "cuLaunchKernel");
}

void *mgpuStreamCreate(void) {
  Driver *driver = loadDriver();
  Handle stream = nullptr;
  if (driver)
    check(driver, driver->streamCreate(&stream, /*flags=*/1), "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  Driver *driver = loadDriver();
  if (!driver || !stream)
    return;
  // Blocks freed on the stream are reusable once its work is done; the
  // handle may be given to a later stream, which must not inherit them.
  bool completed =
      check(driver, driver->streamSynchronize(stream), "cuStreamSynchronize");
  memoryCache().streamFinished(stream, completed);
  check(driver, driver->streamDestroy(stream), "cuStreamDestroy");
}

void mgpuStreamSynchronize(void *stream) {
  Driver *driver = loadDriver();
  if (driver &&
      check(driver, driver->streamSynchronize(stream), "cuStreamSynchronize"))
    memoryCache().streamFinished(stream, /*completed=*/true);
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (Driver *driver = loadDriver(); driver && event)
    check(driver, driver->streamWaitEvent(stream, event, 0),
          "cuStreamWaitEvent");
}

void *mgpuEventCreate(void) {
  Driver *driver = loadDriver();
  Handle event = nullptr;
  // No timing: cheaper events.
  if (driver)
    check(driver, driver->eventCreate(&event, /*flags=*/2), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(void *event) {
  if (Driver *driver = loadDriver(); driver && event)
    check(driver, driver->eventDestroy(event), "cuEventDestroy");
}

void mgpuEventSynchronize(void *event) {
  if (Driver *driver = loadDriver(); driver && event)
    check(driver, driver->eventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *stream) {
  if (Driver *driver = loadDriver(); driver && event)
    check(driver, driver->eventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool isHostShared) {
  Driver *driver = loadDriver();
  CUdeviceptr pointer = 0;
  if (!driver || bytes == 0)
    return nullptr;
  if (isHostShared) {
    check(driver, driver->memAllocManaged(&pointer, bytes, kAttachGlobal),
          "cuMemAllocManaged");
    return reinterpret_cast<void *>(pointer);
  }
  return reinterpret_cast<void *>(
      memoryCache().allocate(driver, bytes, stream));
}

void mgpuMemFree(void *pointer, void *stream) {
  Driver *driver = loadDriver();
  if (!driver || !pointer)
    return;
  if (memoryCache().release(devicePointer(pointer), stream))
    return;
  // Managed memory: freed now, once the kernels using it are done.
  if (stream)
    check(driver, driver->streamSynchronize(stream), "cuStreamSynchronize");
  check(driver, driver->memFree(devicePointer(pointer)), "cuMemFree");
}

void mgpuMemcpy(void *destination, void *source, size_t bytes, void *stream) {
  if (Driver *driver = loadDriver())
    check(driver,
          driver->memcpyAsync(devicePointer(destination), devicePointer(source),
                              bytes, stream),
          "cuMemcpyAsync");
}

void mgpuMemset32(void *destination, unsigned int value, size_t count,
                  void *stream) {
  if (Driver *driver = loadDriver())
    check(driver,
          driver->memsetD32Async(devicePointer(destination), value, count,
                                 stream),
          "cuMemsetD32Async");
}

void mgpuMemset16(void *destination, unsigned short value, size_t count,
                  void *stream) {
  if (Driver *driver = loadDriver())
    check(driver,
          driver->memsetD16Async(devicePointer(destination), value, count,
                                 stream),
          "cuMemsetD16Async");
}

} // extern "C"
