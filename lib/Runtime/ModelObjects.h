//===- ModelObjects.h - The model and state behind the C API ----*- C++ -*-===//
//
// What the C API's calls share: the library's generated globals and entry
// points, host and device buffers, and the retnet_model and retnet_state
// objects. Internal to the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_MODELOBJECTS_H
#define RETNET_RUNTIME_MODELOBJECTS_H

#include "retnet/retnet.h"

#include "retnet/ModelABI.h"
#include "retnet/Runtime/CudaRuntime.h"
#include "retnet/Runtime/ModelLayout.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <vector>

namespace retnet_runtime {

/// Buffers of floats on 2 MiB boundaries, backed by huge pages where the
/// kernel allows: the generated code walks weight matrices column block by
/// column block, touching a new row every step, which small pages turn
/// into TLB misses.
struct AlignedFloats {
  float *data = nullptr;
  int64_t count = 0;

  bool allocate(int64_t n) {
    constexpr size_t hugePage = size_t(2) << 20;
    size_t bytes = static_cast<size_t>(n) * sizeof(float);
    bytes = (bytes + hugePage - 1) / hugePage * hugePage;
    data = static_cast<float *>(
        std::aligned_alloc(hugePage, bytes ? bytes : hugePage));
    if (data)
      (void)madvise(data, bytes, MADV_HUGEPAGE);
    count = n;
    return data != nullptr;
  }
  void release() {
    std::free(data);
    data = nullptr;
    count = 0;
  }
  ~AlignedFloats() { release(); }
};

/// A buffer in the memory of the CUDA device (models compiled with
/// --target=cuda), allocated through the mgpu* entry points that the
/// generated host code uses too.
struct DeviceBuffer {
  void *data = nullptr;
  size_t bytes = 0;

  /// Makes the buffer at least `size` bytes; false with `error` set on
  /// failure.
  bool reserve(size_t size, std::string &error) {
    if (size <= bytes)
      return true;
    release();
    data = mgpuMemAlloc(size, /*stream=*/nullptr, /*isHostShared=*/false);
    if (!data)
      return takeCudaError(error, "out of GPU memory for " +
                                      std::to_string(size) + " bytes");
    bytes = size;
    return true;
  }
  void release() {
    if (data)
      mgpuMemFree(data, /*stream=*/nullptr);
    data = nullptr;
    bytes = 0;
  }
  ~DeviceBuffer() { release(); }

  /// The CUDA error recorded on this thread, else `fallback`; returns false.
  static bool takeCudaError(std::string &error, const std::string &fallback) {
    char *message = retnet_cuda_take_error();
    error = message ? message : fallback;
    std::free(message);
    return false;
  }
};

/// Copies `bytes` between host and device memory and waits for the copy;
/// false with `error` set on failure.
inline bool copyAndWait(void *destination, const void *source, size_t bytes,
                        std::string &error) {
  mgpuMemcpy(destination, const_cast<void *>(source), bytes,
             /*stream=*/nullptr);
  mgpuStreamSynchronize(/*stream=*/nullptr);
  char *message = retnet_cuda_take_error();
  if (!message)
    return true;
  error = message;
  std::free(message);
  return false;
}

inline char *copyMessage(const std::string &message) {
  char *copy = static_cast<char *>(std::malloc(message.size() + 1));
  if (copy)
    std::memcpy(copy, message.c_str(), message.size() + 1);
  return copy;
}

inline void setError(char **error, const std::string &message) {
  if (error)
    *error = copyMessage(message);
}

} // namespace retnet_runtime

// Emitted by retnet-compile into the same library (names from ModelABI.h).
extern "C" {
extern const int64_t
    modelShapeGlobal[retnet_runtime::kEncodedShapeSize] __asm__(
        RETNET_ABI_MODEL_SHAPE);
extern const char configJsonGlobal[] __asm__(RETNET_ABI_CONFIG_JSON);
extern const retnet_abi::BufferKind buffersGlobal __asm__(RETNET_ABI_BUFFERS);
extern const char cpuFeaturesGlobal[] __asm__(RETNET_ABI_CPU_FEATURES);
retnet_abi::PrefillAllFunction
    prefillAllEntry __asm__(RETNET_ABI_C_INTERFACE(RETNET_ABI_PREFILL_ALL));
retnet_abi::PrefillLastFunction
    prefillLastEntry __asm__(RETNET_ABI_C_INTERFACE(RETNET_ABI_PREFILL_LAST));
retnet_abi::DecodeFunction
    decodeEntry __asm__(RETNET_ABI_C_INTERFACE(RETNET_ABI_DECODE));
}

/// Whether this library's entry points run on a CUDA device.
inline bool onDevice() {
  return buffersGlobal == retnet_abi::BufferKind::CudaDevice;
}

struct retnet_model {
  retnet_runtime::ModelShape shape;
  retnet_runtime::WeightLayout layout;
  retnet_runtime::AlignedFloats weights; // host models
  retnet_runtime::DeviceBuffer
      deviceWeights; // CUDA models: uploaded once at load
  /// The decay of each head: this model's, from its checkpoint or the
  /// formula of the description (never a library global, so models with
  /// different decays can share one library).
  std::vector<double> decays;
  retnet_runtime::DeviceBuffer
      deviceDecays; // CUDA models: uploaded once at load

  uint8_t *weightData() const {
    return onDevice() ? static_cast<uint8_t *>(deviceWeights.data)
                      : reinterpret_cast<uint8_t *>(weights.data);
  }
  double *decayData() const {
    return onDevice() ? static_cast<double *>(deviceDecays.data)
                      : const_cast<double *>(decays.data());
  }
};

struct retnet_state {
  const retnet_model *model = nullptr;
  int64_t batch = 0;
  /// The tokens each row (an independent sequence) has consumed.
  std::vector<int64_t> positions;
  retnet_runtime::AlignedFloats states; // host models
  // CUDA models: the states, and the tokens, positions and logits of the
  // current call, in device memory.
  retnet_runtime::DeviceBuffer deviceStates, deviceTokens, devicePositions,
      deviceLogits;

  float *stateData() const {
    return onDevice() ? static_cast<float *>(deviceStates.data) : states.data;
  }
};

namespace retnet_runtime {

/// Checks that `row` is a batch row of `state`, made for `model`; false
/// with `error` set otherwise.
bool checkRow(const retnet_model *model, const retnet_state *state, int64_t row,
              char **error);

} // namespace retnet_runtime

#endif // RETNET_RUNTIME_MODELOBJECTS_H
