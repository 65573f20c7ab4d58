//===- Model.cpp - C API of compiled models: weights, states, calls -------===//

#include "retnet/retnet.h"

#include "retnet/CpuFeatures.h"
#include "retnet/FloatFormats.h"
#include "retnet/ModelABI.h"
#include "retnet/Quantization.h"
#include "retnet/Runtime/CheckpointCheck.h"
#include "retnet/Runtime/CudaRuntime.h"
#include "retnet/Runtime/ModelLayout.h"
#include "retnet/Runtime/Safetensors.h"
#include "retnet/Runtime/WeightPacking.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <sys/mman.h>
#include <vector>

using namespace retnet_runtime;

using retnet_abi::MemRef;

namespace {

template <typename T, int Rank>
MemRef<T, Rank> contiguous(T *data, const int64_t (&sizes)[Rank]) {
  MemRef<T, Rank> ref{data, data, 0, {}, {}};
  int64_t stride = 1;
  for (int dim = Rank - 1; dim >= 0; --dim) {
    ref.sizes[dim] = sizes[dim];
    ref.strides[dim] = stride;
    stride *= sizes[dim];
  }
  return ref;
}

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
bool copyAndWait(void *destination, const void *source, size_t bytes,
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

char *copyMessage(const std::string &message) {
  char *copy = static_cast<char *>(std::malloc(message.size() + 1));
  if (copy)
    std::memcpy(copy, message.c_str(), message.size() + 1);
  return copy;
}

void setError(char **error, const std::string &message) {
  if (error)
    *error = copyMessage(message);
}

} // namespace

// Emitted by retnet-compile into the same library (names from ModelABI.h).
extern "C" {
extern const int64_t
    modelShapeGlobal[kEncodedShapeSize] __asm__(RETNET_ABI_MODEL_SHAPE);
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

/// Every flag retnet_model_load_with_flags knows.
static constexpr uint32_t kKnownLoadFlags =
    RETNET_LOAD_ALLOW_EXTRA_TENSORS | RETNET_LOAD_QUIET;

/// Whether this library's entry points run on a CUDA device.
static bool onDevice() {
  return buffersGlobal == retnet_abi::BufferKind::CudaDevice;
}

struct retnet_model {
  ModelShape shape;
  WeightLayout layout;
  AlignedFloats weights;      // host models
  DeviceBuffer deviceWeights; // CUDA models: uploaded once at load
  /// The decay of each head: this model's, from its checkpoint or the
  /// formula of the description (never a library global, so models with
  /// different decays can share one library).
  std::vector<double> decays;
  DeviceBuffer deviceDecays; // CUDA models: uploaded once at load

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
  AlignedFloats states; // host models
  // CUDA models: the states, and the tokens, positions and logits of the
  // current call, in device memory.
  DeviceBuffer deviceStates, deviceTokens, devicePositions, deviceLogits;

  float *stateData() const {
    return onDevice() ? static_cast<float *>(deviceStates.data) : states.data;
  }
};

extern "C" {

void retnet_error_free(char *error) { std::free(error); }

const char *retnet_compiled_config(void) { return configJsonGlobal; }

retnet_model *retnet_model_load(const char *weights_path, char **error) {
  return retnet_model_load_with_flags(weights_path, 0, error);
}

/// False with `error` set when this CPU lacks a feature the generated code
/// was compiled for: running it would fault.
static bool checkCpu(char **error) {
  std::string recorded = cpuFeaturesGlobal;
  size_t split = recorded.find(';');
  std::string cpu = recorded.substr(0, split),
              features =
                  split == std::string::npos ? "" : recorded.substr(split + 1);
  std::string missing = firstMissingCpuFeature(features);
  if (missing.empty())
    return true;
  setError(error, "this library was compiled for the CPU '" + cpu +
                      "', whose feature '" + missing +
                      "' this CPU lacks; compile it with retnet-compile "
                      "--cpu=host on this machine, or with --cpu for the "
                      "oldest CPU it must run on (x86-64-v2, x86-64-v3, ...)");
  return false;
}

retnet_model *retnet_model_load_with_flags(const char *weights_path,
                                           uint32_t flags, char **error) {
  if (!checkCpu(error))
    return nullptr;
  if (flags & ~kKnownLoadFlags) {
    setError(error,
             "unknown load flags " + std::to_string(flags & ~kKnownLoadFlags));
    return nullptr;
  }
  if (!weights_path) {
    setError(error, "no weights file given");
    return nullptr;
  }
  SafetensorsFile file;
  std::string message;
  if (!file.open(weights_path, message)) {
    setError(error, message);
    return nullptr;
  }
  auto *model = new (std::nothrow) retnet_model;
  if (!model) {
    setError(error, "out of memory");
    return nullptr;
  }
  model->shape = decodeModelShape(modelShapeGlobal);
  model->layout = computeWeightLayout(model->shape);
  auto fail = [&](const std::string &what) {
    setError(error, std::string("'") + weights_path + "': " + what);
    delete model;
    return nullptr;
  };

  // Check everything before converting anything.
  if (!checkCheckpoint(file, model->shape, model->layout,
                       flags & RETNET_LOAD_ALLOW_EXTRA_TENSORS, model->decays,
                       message))
    return fail(message);
  char *cudaError = nullptr;
  if (onDevice() && retnet_cuda_init(&cudaError) != 0) {
    std::string reason = cudaError ? cudaError : "unknown error";
    std::free(cudaError);
    return fail("this model library was compiled for CUDA, but CUDA is "
                "unusable here: " +
                reason);
  }

  int64_t weightBytes = model->layout.totalBytes;
  if (!model->weights.allocate(weightBytes /
                               static_cast<int64_t>(sizeof(float))))
    return fail("out of memory for " + std::to_string(weightBytes) +
                " bytes of weights");
  std::memset(model->weights.data, 0, static_cast<size_t>(weightBytes));
  // Weights that are not finite make every logit NaN or infinite: an error
  // at load, naming the tensor. Each tensor's file pages are given back
  // once it is packed, so that the file and the packed weights are not
  // resident at once.
  std::map<std::string, int64_t> convertedFrom;
  for (const PackedWeight &weight : model->layout.weights)
    for (const PackedSource &source : weight.sources) {
      const TensorView &view = *file.find(source.name);
      int64_t group = model->shape.weightGroup;
      if (weight.shape.size() == 2 && !isOfType(view, weight.type, group))
        ++convertedFrom[storageName(view)];
      const PackedWeight *scales =
          weight.type == WeightType::Int8
              ? model->layout.find(scaleLabel(weight.label))
              : nullptr;
      int64_t bad = packSource(view, source, weight, scales, group,
                               reinterpret_cast<char *>(model->weights.data));
      file.releasePages(view);
      if (bad >= 0)
        return fail("tensor '" + source.name + "' holds a value that is not " +
                    (weight.type == WeightType::F16
                         ? "finite or beyond f16's range (65504), the "
                           "library's weight type"
                         : "finite") +
                    " (element " + std::to_string(bad) + ")");
    }
  if (!convertedFrom.empty() && !(flags & RETNET_LOAD_QUIET))
    noteConversion(weights_path, convertedFrom, model->shape.weightType,
                   model->shape.weightGroup);
  if (onDevice()) {
    size_t bytes = static_cast<size_t>(weightBytes);
    size_t decayBytes = model->decays.size() * sizeof(double);
    if (!model->deviceWeights.reserve(bytes, message) ||
        !copyAndWait(model->deviceWeights.data, model->weights.data, bytes,
                     message) ||
        !model->deviceDecays.reserve(decayBytes, message) ||
        !copyAndWait(model->deviceDecays.data, model->decays.data(), decayBytes,
                     message))
      return fail(message);
    model->weights.release();
  }
  return model;
}

void retnet_model_free(retnet_model *model) { delete model; }

int64_t retnet_model_vocab_size(const retnet_model *model) {
  return model ? model->shape.vocabSize : 0;
}
int64_t retnet_model_embed_dim(const retnet_model *model) {
  return model ? model->shape.embedDim : 0;
}
int64_t retnet_model_value_embed_dim(const retnet_model *model) {
  return model ? model->shape.valueEmbedDim : 0;
}
int64_t retnet_model_num_layers(const retnet_model *model) {
  return model ? model->shape.layers : 0;
}
int64_t retnet_model_num_heads(const retnet_model *model) {
  return model ? model->shape.heads : 0;
}
int64_t retnet_model_ffn_dim(const retnet_model *model) {
  return model ? model->shape.ffnDim : 0;
}
int64_t retnet_model_output_dim(const retnet_model *model) {
  return model ? model->shape.outputWidth() : 0;
}
int retnet_model_has_output_layer(const retnet_model *model) {
  return model && model->shape.outputLayer;
}

} // extern "C"

/// Zeroes the states of `state` and its position; false with `error` set if
/// the device failed.
static bool resetState(retnet_state *state, std::string &error) {
  state->positions.assign(state->batch, 0);
  if (!onDevice()) {
    std::memset(state->states.data, 0,
                static_cast<size_t>(state->states.count) * sizeof(float));
    return true;
  }
  mgpuMemset32(state->deviceStates.data, 0,
               state->deviceStates.bytes / sizeof(float), /*stream=*/nullptr);
  mgpuStreamSynchronize(/*stream=*/nullptr);
  if (char *failure = retnet_cuda_take_error()) {
    error = std::string("clearing the state on the GPU failed: ") + failure;
    std::free(failure);
    return false;
  }
  return true;
}

extern "C" {

retnet_state *retnet_state_new(const retnet_model *model, int64_t batch,
                               char **error) {
  if (!model) {
    setError(error, "no model");
    return nullptr;
  }
  if (batch <= 0) {
    setError(error, "batch must be positive, got " + std::to_string(batch));
    return nullptr;
  }
  // The states of `batch` sequences must be addressable in bytes.
  int64_t floats = 0, bytes = 0;
  if (__builtin_mul_overflow(batch, model->shape.stateFloatsPerSequence(),
                             &floats) ||
      __builtin_mul_overflow(floats, int64_t(sizeof(float)), &bytes)) {
    setError(error, "batch " + std::to_string(batch) +
                        ": the states would take more bytes than can be "
                        "addressed");
    return nullptr;
  }
  auto *state = new (std::nothrow) retnet_state;
  std::string message = "out of memory for the state of batch " +
                        std::to_string(batch) + " (" + std::to_string(bytes) +
                        " bytes)";
  bool allocated =
      state &&
      (onDevice() ? state->deviceStates.reserve(
                        static_cast<size_t>(floats) * sizeof(float), message)
                  : state->states.allocate(floats));
  if (!allocated) {
    delete state;
    setError(error, message);
    return nullptr;
  }
  state->model = model;
  state->batch = batch;
  if (!resetState(state, message)) {
    delete state;
    setError(error, message);
    return nullptr;
  }
  return state;
}

int retnet_state_reset(retnet_state *state, char **error) {
  if (!state) {
    setError(error, "null state");
    return 1;
  }
  std::string message;
  if (!resetState(state, message)) {
    setError(error, message);
    return 1;
  }
  return 0;
}

void retnet_state_free(retnet_state *state) { delete state; }

int64_t retnet_state_batch(const retnet_state *state) {
  return state ? state->batch : 0;
}

int64_t retnet_state_position(const retnet_state *state) {
  return state ? state->positions.front() : 0;
}

int64_t retnet_state_row_position(const retnet_state *state, int64_t row) {
  return state && row >= 0 && row < state->batch ? state->positions[row] : -1;
}

/// The rows of a state that a call feeds: [first, first + count).
struct RowRange {
  int64_t first, count;
};

/// Checks the arguments of a call that feeds `length` tokens to each row of
/// `range` and writes `rows` logit vectors per row into `logits` of
/// `capacity` floats; sets `count` to the floats written. False with
/// `error` set.
static bool checkCall(const retnet_model *model, const retnet_state *state,
                      RowRange range, const int32_t *tokens, int64_t length,
                      const float *logits, int64_t capacity, int64_t rows,
                      int64_t &count, char **error) {
  if (!model || !state || !tokens || !logits) {
    setError(error, "null model, state, tokens or logits");
    return false;
  }
  if (state->model != model) {
    setError(error, "the state was created for another model");
    return false;
  }
  if (length <= 0) {
    setError(error, "length must be positive, got " + std::to_string(length));
    return false;
  }
  int64_t batch = range.count;
  int64_t vocab = model->shape.vocabSize, width = model->shape.outputWidth(),
          tokenCount = 0, rowCount = 0;
  if (__builtin_mul_overflow(batch, length, &tokenCount) ||
      __builtin_mul_overflow(batch, rows, &rowCount) ||
      __builtin_mul_overflow(rowCount, width, &count)) {
    setError(error, "length " + std::to_string(length) +
                        ": the call's tokens or logits cannot be addressed");
    return false;
  }
  if (capacity < count) {
    setError(error,
             "the logits buffer holds " + std::to_string(capacity) +
                 " floats but the call writes " + std::to_string(count) +
                 " (batch " + std::to_string(batch) + " x " +
                 std::to_string(rows) + " x " +
                 (model->shape.outputLayer ? "vocabulary " : "hidden width ") +
                 std::to_string(width) + ")");
    return false;
  }
  for (int64_t i = 0; i < tokenCount; ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      setError(error, "token " + std::to_string(tokens[i]) + " (batch row " +
                          std::to_string(range.first + i / length) +
                          ", position " + std::to_string(i % length) +
                          ") is outside the vocabulary [0, " +
                          std::to_string(vocab) + ")");
      return false;
    }
  }
  return true;
}

/// The states of the rows `range` of `state`: a strided view of the
/// [L, batch, H, dk, dv] buffer.
static MemRef<float, 5> stateRef(retnet_state *state, RowRange range) {
  const ModelShape &shape = state->model->shape;
  MemRef<float, 5> ref = contiguous<float, 5>(
      state->stateData(), {shape.layers, state->batch, shape.heads,
                           shape.keyDim(), shape.valueDim()});
  ref.offset = range.first * ref.strides[1];
  ref.sizes[1] = range.count;
  return ref;
}

} // extern "C"

/// Runs one entry point on `tokens` [rows, length] of the rows `range` into
/// `logits` (`logitCount` floats), staging both through device memory for
/// CUDA models; returns non-zero with `error` set on failure.
template <typename Entry, typename LogitsRef>
static int callEntry(const retnet_model *model, retnet_state *state,
                     RowRange range, const int32_t *tokens, int64_t length,
                     float *logits, int64_t logitCount, LogitsRef logitsRef,
                     Entry entry, char **error) {
  const int32_t *tokenData = tokens;
  float *logitData = logits;
  std::string message;
  size_t tokenBytes =
      static_cast<size_t>(range.count * length) * sizeof(int32_t);
  size_t logitBytes = static_cast<size_t>(logitCount) * sizeof(float);
  int64_t *positionData = state->positions.data() + range.first;
  size_t positionBytes = static_cast<size_t>(range.count) * sizeof(int64_t);
  if (onDevice()) {
    if (!state->deviceTokens.reserve(tokenBytes, message) ||
        !state->devicePositions.reserve(positionBytes, message) ||
        !state->deviceLogits.reserve(logitBytes, message) ||
        !copyAndWait(state->deviceTokens.data, tokens, tokenBytes, message) ||
        !copyAndWait(state->devicePositions.data, positionData, positionBytes,
                     message)) {
      setError(error, message);
      return 1;
    }
    tokenData = static_cast<const int32_t *>(state->deviceTokens.data);
    positionData = static_cast<int64_t *>(state->devicePositions.data);
    logitData = static_cast<float *>(state->deviceLogits.data);
  }
  auto weights =
      contiguous<uint8_t, 1>(model->weightData(), {model->layout.totalBytes});
  auto decays = contiguous<double, 1>(model->decayData(), {model->shape.heads});
  auto tokenRef = contiguous<int32_t, 2>(const_cast<int32_t *>(tokenData),
                                         {range.count, length});
  auto states = stateRef(state, range);
  auto positions = contiguous<int64_t, 1>(positionData, {range.count});
  auto out = logitsRef(logitData);
  entry(&weights, &decays, &tokenRef, &states, &positions, &out);
  if (onDevice()) {
    if (char *failure = retnet_cuda_take_error()) {
      setError(error,
               std::string("running the model on the GPU failed: ") + failure);
      std::free(failure);
      return 1;
    }
    if (!copyAndWait(logits, logitData, logitBytes, message)) {
      setError(error, message);
      return 1;
    }
  }
  for (int64_t row = range.first; row < range.first + range.count; ++row)
    state->positions[row] += length;
  // Non-finite logits are an error, not a silent result (finite weights and
  // inputs can still overflow, e.g. through a state grown without bound).
  if (int64_t bad = firstOutOfRange(logits, logitCount); bad >= 0) {
    setError(error, "the step produced a logit that is not finite (logit " +
                        std::to_string(bad) +
                        "); the state has been advanced and should be reset");
    return 1;
  }
  return 0;
}

/// Prefill of `length` tokens per row of `range`.
static int prefillRows(const retnet_model *model, retnet_state *state,
                       RowRange range, const int32_t *tokens, int64_t length,
                       float *logits, int64_t capacity, int allPositions,
                       char **error) {
  int64_t count = 0;
  if (!checkCall(model, state, range, tokens, length, logits, capacity,
                 allPositions ? length : 1, count, error))
    return 1;
  int64_t batch = range.count, width = model->shape.outputWidth();
  if (allPositions)
    return callEntry(
        model, state, range, tokens, length, logits, count,
        [&](float *data) {
          return contiguous<float, 3>(data, {batch, length, width});
        },
        prefillAllEntry, error);
  return callEntry(
      model, state, range, tokens, length, logits, count,
      [&](float *data) {
        return contiguous<float, 2>(data, {batch, width});
      },
      prefillLastEntry, error);
}

/// One decode step of the rows `range`.
static int decodeRows(const retnet_model *model, retnet_state *state,
                      RowRange range, const int32_t *tokens, float *logits,
                      int64_t capacity, char **error) {
  int64_t count = 0;
  if (!checkCall(model, state, range, tokens, 1, logits, capacity, 1, count,
                 error))
    return 1;
  int64_t batch = range.count, width = model->shape.outputWidth();
  return callEntry(
      model, state, range, tokens, 1, logits, count,
      [&](float *data) {
        return contiguous<float, 2>(data, {batch, width});
      },
      decodeEntry, error);
}

/// Checks that `row` is a batch row of `state`, made for `model`.
static bool checkRow(const retnet_model *model, const retnet_state *state,
                     int64_t row, char **error) {
  if (!model || !state) {
    setError(error, "null model or state");
    return false;
  }
  if (state->model != model) {
    setError(error, "the state was created for another model");
    return false;
  }
  if (row < 0 || row >= state->batch) {
    setError(error, "row " + std::to_string(row) +
                        " is not a row of the state (batch " +
                        std::to_string(state->batch) + ")");
    return false;
  }
  return true;
}

extern "C" {

int retnet_prefill(const retnet_model *model, retnet_state *state,
                   const int32_t *tokens, int64_t length, float *logits,
                   int64_t logits_capacity, int all_positions, char **error) {
  return prefillRows(model, state, {0, state ? state->batch : 0}, tokens,
                     length, logits, logits_capacity, all_positions, error);
}

int retnet_decode(const retnet_model *model, retnet_state *state,
                  const int32_t *tokens, float *logits, int64_t logits_capacity,
                  char **error) {
  return decodeRows(model, state, {0, state ? state->batch : 0}, tokens, logits,
                    logits_capacity, error);
}

int retnet_prefill_rows(const retnet_model *model, retnet_state *state,
                        int64_t first_row, int64_t rows, const int32_t *tokens,
                        int64_t length, float *logits, int64_t logits_capacity,
                        int all_positions, char **error) {
  if (!checkRow(model, state, first_row, error))
    return 1;
  if (rows < 1 || rows > state->batch - first_row) {
    setError(error, "rows must be from 1 to " +
                        std::to_string(state->batch - first_row) +
                        " (the state's batch " + std::to_string(state->batch) +
                        " from row " + std::to_string(first_row) + "), got " +
                        std::to_string(rows));
    return 1;
  }
  return prefillRows(model, state, {first_row, rows}, tokens, length, logits,
                     logits_capacity, all_positions, error);
}

int retnet_decode_rows(const retnet_model *model, retnet_state *state,
                       int64_t rows, const int32_t *tokens, float *logits,
                       int64_t logits_capacity, char **error) {
  if (state && (rows < 1 || rows > state->batch)) {
    setError(error, "rows must be from 1 to the state's batch " +
                        std::to_string(state->batch) + ", got " +
                        std::to_string(rows));
    return 1;
  }
  return decodeRows(model, state, {0, rows}, tokens, logits, logits_capacity,
                    error);
}

} // extern "C"

/// Applies `apply(rowStates, perLayer)` to the states of `row` in each
/// layer.
template <typename Fn>
static void forRowStates(retnet_state *state, int64_t row, Fn apply) {
  const ModelShape &shape = state->model->shape;
  int64_t perLayer = shape.stateFloatsPerSequence() / shape.layers;
  for (int64_t layer = 0; layer < shape.layers; ++layer)
    apply(state->stateData() + (layer * state->batch + row) * perLayer,
          perLayer);
}

/// Waits for the device and reports its failure as `what`.
static int deviceStatus(const char *what, char **error) {
  if (!onDevice())
    return 0;
  mgpuStreamSynchronize(/*stream=*/nullptr);
  if (char *failure = retnet_cuda_take_error()) {
    setError(error, std::string(what) + " on the GPU failed: " + failure);
    std::free(failure);
    return 1;
  }
  return 0;
}

extern "C" {

int retnet_state_reset_row(retnet_state *state, int64_t row, char **error) {
  if (!state) {
    setError(error, "null state");
    return 1;
  }
  if (!checkRow(state->model, state, row, error))
    return 1;
  forRowStates(state, row, [&](float *rowStates, int64_t count) {
    if (!onDevice())
      std::memset(rowStates, 0, static_cast<size_t>(count) * sizeof(float));
    else
      mgpuMemset32(rowStates, 0, count, /*stream=*/nullptr);
  });
  state->positions[row] = 0;
  return deviceStatus("clearing a row of the state", error);
}

int retnet_state_copy_row(retnet_state *state, int64_t from, int64_t to,
                          char **error) {
  if (!state) {
    setError(error, "null state");
    return 1;
  }
  if (!checkRow(state->model, state, from, error) ||
      !checkRow(state->model, state, to, error))
    return 1;
  if (from == to)
    return 0;
  forRowStates(state, to, [&](float *toStates, int64_t count) {
    const float *fromStates = toStates + (from - to) * count;
    if (!onDevice())
      std::memcpy(toStates, fromStates,
                  static_cast<size_t>(count) * sizeof(float));
    else
      mgpuMemcpy(toStates, const_cast<float *>(fromStates),
                 static_cast<size_t>(count) * sizeof(float),
                 /*stream=*/nullptr);
  });
  state->positions[to] = state->positions[from];
  return deviceStatus("copying a row of the state", error);
}

} // extern "C"
