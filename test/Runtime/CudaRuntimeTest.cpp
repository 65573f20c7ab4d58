//===- CudaRuntimeTest.cpp - The mgpu* runtime with and without a GPU -----===//
//
// Without a usable CUDA device every entry point must return null or do
// nothing and record an error that says why; with one, memory must round-trip
// through device allocations, memset and copies.
//
//===----------------------------------------------------------------------===//

#include "retnet/Runtime/CudaRuntime.h"

#include <cstdio>
#include <cstdlib>
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
  report(memory == nullptr && !takeError().empty(),
         "mgpuMemAlloc returns null", "");
  void *module = mgpuModuleLoad(nullptr, 0);
  void *function = mgpuModuleGetFunction(module, "kernel");
  mgpuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr,
                   0);
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
} // namespace

int main() {
  char *reason = nullptr;
  if (retnet_cuda_init(&reason) == 0) {
    std::printf("a CUDA device is available\n");
    checkWithDevice();
  } else {
    std::printf("no CUDA device: %s\n", reason ? reason : "(no reason)");
    checkWithoutDevice(reason ? reason : "");
  }
  std::free(reason);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
