//===- CudaRuntimeTest.cpp - The mgpu* runtime with and without a GPU -----===//
//
// Without a usable CUDA device every entry point must return null or do
// nothing and record an error that says why; with one (or with the fake
// driver of test/Runtime/FakeCuda on LD_LIBRARY_PATH), memory must
// round-trip through device allocations, memset and copies, the memory cache
// must reuse blocks only when that is safe, and launch and module-load
// failures must be reported.
//
//===----------------------------------------------------------------------===//

#include "retnet/Runtime/CudaRuntime.h"

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <string>
#include <vector>

namespace {
int passed = 0, failed = 0;

void report(bool ok, const std::string &name, const std::string &detail) {
  ++(ok ? passed : failed);
  std::printf("%s  %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(),
              detail.empty() ? "" : ": ", detail.c_str());
}

std::string takeError() {
  char *error = retnet_cuda_take_error();
  std::string text = error ? error : "";
  std::free(error);
  return text;
}

void checkWithoutDevice(const std::string &reason) {
  report(!reason.empty(), "retnet_cuda_init explains why there is no device",
         reason);
  void *stream = mgpuStreamCreate();
  std::string error = takeError();
  report(stream == nullptr && error == reason,
         "mgpuStreamCreate returns null and records the reason", error);
  void *memory = mgpuMemAlloc(1024, nullptr, false);
  report(memory == nullptr && !takeError().empty(), "mgpuMemAlloc returns null",
         "");
  void *module = mgpuModuleLoad(nullptr, 0);
  void *function = mgpuModuleGetFunction(module, "kernel");
  mgpuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  mgpuStreamSynchronize(stream);
  mgpuModuleUnload(module);
  error = takeError();
  report(module == nullptr && function == nullptr && error == reason,
         "module load, launch and synchronize do nothing; the first error "
         "is kept",
         error);
  report(takeError().empty(), "taking the error clears it", "");
}

void checkWithDevice() {
  const size_t count = 1000;
  void *stream = mgpuStreamCreate();
  void *device = mgpuMemAlloc(count * 4, stream, false);
  report(stream && device, "stream and allocation", takeError());
  if (!stream || !device)
    return;
  mgpuMemset32(device, 0x40490fdbu, count, stream); // 3.14159274f
  std::vector<float> host(count, 0.0f);
  mgpuMemcpy(host.data(), device, count * 4, stream);
  mgpuStreamSynchronize(stream);
  bool equal = true;
  for (float value : host)
    equal = equal && value == 3.14159274f;
  report(equal, "memset on the device, copy back", takeError());
  void *event = mgpuEventCreate();
  mgpuEventRecord(event, stream);
  mgpuEventSynchronize(event);
  mgpuEventDestroy(event);
  mgpuMemFree(device, stream);
  mgpuStreamDestroy(stream);
  std::string error = takeError();
  report(error.empty(), "events, free and stream destruction", error);
}

/// The fake driver's counters (allocations at index 2), if it is the driver.
bool fakeDriverCounters(long *values) {
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  auto *counters = driver ? reinterpret_cast<void (*)(long *)>(
                                dlsym(driver, "fake_cuda_counters"))
                          : nullptr;
  if (counters)
    counters(values);
  return counters != nullptr;
}

void checkMemoryCache() {
  long before[6] = {}, after[6] = {};
  bool fake = fakeDriverCounters(before);
  void *first = mgpuStreamCreate(), *second = mgpuStreamCreate(),
       *third = mgpuStreamCreate();
  void *a = mgpuMemAlloc(1000, first, false);
  mgpuMemFree(a, first);
  // a may still be in use by work on `first`: not for another stream ...
  void *b = mgpuMemAlloc(1000, second, false);
  // ... but at once for `first` itself (same size class, 1024 bytes).
  void *c = mgpuMemAlloc(900, first, false);
  report(a && b != a && c == a,
         "a block freed on a stream is reused by that stream only", "");
  mgpuMemFree(b, second);
  mgpuMemFree(c, first);
  mgpuStreamSynchronize(first);
  void *d = mgpuMemAlloc(600, third, false);
  report(d == a, "after the stream's synchronisation, by any stream", "");
  mgpuMemFree(d, nullptr);
  void *e = mgpuMemAlloc(20000, third, false);
  report(e != a && e != b, "another size class gets another block", "");
  mgpuMemFree(e, third);
  for (void *stream : {first, second, third})
    mgpuStreamDestroy(stream);
  if (fake && fakeDriverCounters(after))
    report(after[2] - before[2] == 3,
           "three driver allocations for five requests",
           std::to_string(after[2] - before[2]));
  report(takeError().empty(), "no errors", "");
}

void checkFailures() {
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  std::string error = takeError();
  report(error.find("its module was not loaded") != std::string::npos,
         "launching an unloaded kernel is an error", error);
  // A module that fails to load (here: no image) makes every later
  // initialisation report it, from any thread.
  void *module = mgpuModuleLoad(nullptr, 0);
  takeError();
  char *reason = nullptr;
  bool failed = retnet_cuda_init(&reason) != 0;
  std::string text = reason ? reason : "";
  std::free(reason);
  report(!module && failed &&
             text.find("the GPU kernels of this library could not be "
                       "loaded") != std::string::npos,
         "a failed module load is reported by retnet_cuda_init", text);
}
} // namespace

int main() {
  char *reason = nullptr;
  if (retnet_cuda_init(&reason) == 0) {
    std::printf("a CUDA device is available\n");
    checkWithDevice();
    checkMemoryCache();
    checkFailures();
  } else {
    std::printf("no CUDA device: %s\n", reason ? reason : "(no reason)");
    checkWithoutDevice(reason ? reason : "");
  }
  std::free(reason);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
