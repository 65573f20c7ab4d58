//===- Model.cpp - C API of compiled models: loading, queries, calls -----===//

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

#include "ModelObjects.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
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

} // namespace

/// Every flag retnet_model_load_with_flags knows.
static constexpr uint32_t kKnownLoadFlags =
    RETNET_LOAD_ALLOW_EXTRA_TENSORS | RETNET_LOAD_QUIET;

/// Packs the checkpoint's tensors in `file` into `model`'s weights (of
/// model.layout), counting in `convertedFrom` the matrices of each storage
/// type that are converted to the library's weight type. Weights that are
/// not finite make every logit NaN or infinite: an error at load, naming
/// the tensor. Each tensor's file pages are given back once it is packed,
/// so that the file and the packed weights are not resident at once. False
/// with `error` set.
static bool packWeights(const SafetensorsFile &file, retnet_model &model,
                        std::map<std::string, int64_t> &convertedFrom,
                        std::string &error) {
  int64_t weightBytes = model.layout.totalBytes;
  if (!model.weights.allocate(weightBytes /
                              static_cast<int64_t>(sizeof(float)))) {
    error = "out of memory for " + std::to_string(weightBytes) +
            " bytes of weights";
    return false;
  }
  std::memset(model.weights.data, 0, static_cast<size_t>(weightBytes));
  for (const PackedWeight &weight : model.layout.weights)
    for (const PackedSource &source : weight.sources) {
      const TensorView &view = *file.find(source.name);
      int64_t group = model.shape.weightGroup;
      if (weight.shape.size() == 2 && !isOfType(view, weight.type, group))
        ++convertedFrom[storageName(view)];
      const PackedWeight *scales =
          weight.type == WeightType::Int8
              ? model.layout.find(scaleLabel(weight.label))
              : nullptr;
      int64_t bad = packSource(view, source, weight, scales, group,
                               reinterpret_cast<char *>(model.weights.data));
      file.releasePages(view);
      if (bad >= 0) {
        error = "tensor '" + source.name + "' holds a value that is not " +
                (weight.type == WeightType::F16
                     ? "finite or beyond f16's range (65504), the "
                       "library's weight type"
                     : "finite") +
                " (element " + std::to_string(bad) + ")";
        return false;
      }
    }
  return true;
}

/// Copies `model`'s packed weights and decays to the device, then frees
/// the weights' host copy. False with `error` set.
static bool uploadWeights(retnet_model &model, std::string &error) {
  size_t bytes = static_cast<size_t>(model.layout.totalBytes);
  size_t decayBytes = model.decays.size() * sizeof(double);
  if (!model.deviceWeights.reserve(bytes, error) ||
      !copyAndWait(model.deviceWeights.data, model.weights.data, bytes,
                   error) ||
      !model.deviceDecays.reserve(decayBytes, error) ||
      !copyAndWait(model.deviceDecays.data, model.decays.data(), decayBytes,
                   error))
    return false;
  model.weights.release();
  return true;
}

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

  std::map<std::string, int64_t> convertedFrom;
  if (!packWeights(file, *model, convertedFrom, message))
    return fail(message);
  if (!convertedFrom.empty() && !(flags & RETNET_LOAD_QUIET))
    noteConversion(weights_path, convertedFrom, model->shape.weightType,
                   model->shape.weightGroup);
  if (onDevice() && !uploadWeights(*model, message))
    return fail(message);
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

extern "C" {

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
