//===- ModelState.cpp - C API of compiled models: states ------------------===//

#include "ModelObjects.h"

#include <new>
#include <string>

using namespace retnet_runtime;

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

} // extern "C"

bool retnet_runtime::checkRow(const retnet_model *model,
                              const retnet_state *state, int64_t row,
                              char **error) {
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
