//===- model-test.cpp - Compiled models against the reference -------------===//
//
//   model-test RETNET_COMPILE RETNET_WEIGHTS [--keep-temps] [--filter=TEXT]
//              [--forms=auto,parallel,recurrent,chunkwise] [--shard=I/N]
//              [--compiler-arg=ARG]...
//
// --shard=I/N runs the models whose index is I modulo N (0 <= I < N), so that
// ctest runs the suite as N tests side by side, each under its own timeout.
//
// --compiler-arg passes ARG to every retnet-compile run: --target=cuda tests
// the CUDA libraries (on a machine with a GPU), --gpu-emulation the CUDA
// target's kernels run as CPU loops.
//
// For a set of tiny model descriptions and every retention form, compiles the
// model with retnet-compile, makes seeded weights with retnet-weights, loads
// the library with dlopen and checks through the C API (retnet.h):
//   - prefill logits of random prompts against ModelReference (float64);
//   - prefill of a whole prompt against prefill of a part followed by decode
//     steps, and against prefill with only the last position's logits;
//   - retnet_state_reset (back to position 0, same logits again);
//   - retnet_model_load's errors on broken weight files.
// Each library is loaded and run in a child process, so that a crash or a
// hang fails only the cases of that library.
// Prints one line per case, then "N passed, N failed"; exits non-zero on any
// failure.
//
//===----------------------------------------------------------------------===//

#include "ModelReference.h"
#include "retnet/Import/ModelConfig.h"
#include "retnet/retnet.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using retnet_reference::ModelReference;

namespace {

//===----------------------------------------------------------------------===//
// Tolerances
//===----------------------------------------------------------------------===//

// Compiled model against the float64 reference, as max |got - ref| divided by
// max |ref| over the case. The compiled code computes in fp32 (unit roundoff
// u = 2^-24 ~ 6e-8) from the same weight values the reference reads. Every
// dot product sums at most max(d, value_dim, ffn, T) = 128 terms, so its
// rounding error is below 128 u ~ 8e-6 of the sum of |terms| in the worst
// case and ~sqrt(128) u ~ 7e-7 typically. RMS normalisation before every
// projection keeps activations O(1), so errors do not grow with magnitude;
// they add up over the ~8 chained products per layer, 2-3 layers and the
// final projection (~20 stages): ~1.5e-4 in the worst case, ~1e-5 typically.
// Rotation angles p * theta in fp32 (p < 40) are off by < 40 u ~ 2.4e-6 rad.
// Measured: the same formulas evaluated naively in fp32 are off by 1e-7 to
// 5e-7. 1e-4 leaves room for other summation orders and for polynomial
// approximations of exp/erf, while real bugs are far larger (measured on the
// tiny model: ignoring one layer-norm weight 1.8e-2, the paper's decays
// instead of torchscale's 2.7e-3).
constexpr double kReferenceTolerance = 1e-4;

// A library of a narrower weight type (--weight-type) loading an f32
// checkpoint rounds each matrix weight to nearest, off by at most 2^-9
// (bf16, 8-bit significand) or 2^-12 (f16, 11 bits) of itself, while the
// reference reads the f32 values. A dot product of n random-signed terms
// then moves by about u sqrt(n) of its sum of |terms|, and the ~20 chained
// stages add up: ~20 u in the worst case, 2e-3 (f16) and 4e-2 (bf16).
// Measured on the tiny models: 2.3e-3 (bf16) and 2.2e-4 (f16). Errors of the
// narrow path itself (a wrong panel, a weight read as the wrong type) are
// O(1); the exactness of the widening is checked by models whose
// checkpoint is already of the library's type, against the f32 tolerance.
constexpr double kBF16WeightTolerance = 4e-2;
constexpr double kF16WeightTolerance = 2e-3;

// A library of int8 weights loading an f32 checkpoint quantizes each group of
// 32 values of an output channel (or each channel) symmetrically: every
// weight moves by at most scale / 2 = max |w of its group| / 254, uniformly
// distributed, so by max/(254 sqrt 3) in RMS: for a group of 32 Gaussian
// weights (max ~2.5 sigma) 5.7e-3 of the weights' RMS, for the 64-144 of a
// tiny model's channel (max ~3 sigma) 6.8e-3. Each of the ~20 chained products then moves
// by about that much of its RMS output, and independent stages add in
// quadrature: ~3e-2 of the RMS logits, and the largest deviation over ~10^4
// logits is ~4 times the RMS one. Relative to max |logit| (itself a few RMS),
// 1e-1 bounds it. Measured on the tiny model, every form: 1.2e-2 to 2.0e-2
// in groups of 32, 1.0e-2 to 1.8e-2 with a scale per channel (the tiny
// channels are barely longer than a group); a wrong scale or a misplaced
// channel is O(1).
constexpr double kInt8WeightTolerance = 1e-1;
// Teacher-forced top-1 agreement of that library with the float64 reference
// (both fed the same 256 tokens, the argmax of each position compared). A
// random tiny model's logits are nearly tied at some positions, where an
// error of a few percent swaps the top two; a wrong quantization (a wrong
// scale, a channel misplaced) leaves agreement near chance, 1 / vocab.
// Measured, every form: 253 of 256 (0.988) in groups of 32, 254 (0.992)
// with a scale per channel.
constexpr double kInt8MinTopAgreement = 0.9;
constexpr int64_t kTopAgreementPositions = 256;

// Two runs of the compiled model that only group the same fp32 arithmetic
// differently (prefill of the whole prompt against a prefill of a part
// followed by decode steps, or prefill with all positions' logits against the
// separately compiled last-position-only prefill): the retention state
// carried across the split is itself an fp32 sum, so the difference is a few
// u per stage, well under 1e-5 of max |logit| (measured: up to 7e-7).
constexpr double kSplitTolerance = 1e-5;

// Two runs of the same calls, the second on a reset state: the arithmetic is
// identical (measured: bit for bit); a state not cleared by the reset would
// change the logits by far more than 1e-6.
constexpr double kResetTolerance = 1e-6;

//===----------------------------------------------------------------------===//
// Results
//===----------------------------------------------------------------------===//

struct Tally {
  int passed = 0;
  int failed = 0;
  /// In a child process (runIsolated): where each result is sent, one byte.
  int resultPipe = -1;

  void report(bool ok, const std::string &name, const std::string &detail) {
    (ok ? passed : failed) += 1;
    std::printf("%s  %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(),
                detail.empty() ? "" : ": ", detail.c_str());
    std::fflush(stdout);
    if (resultPipe >= 0) {
      char result = ok ? 'P' : 'F';
      (void)!write(resultPipe, &result, 1);
    }
  }
};

/// Seconds a child process may take before it is killed as hung.
constexpr unsigned kChildTimeLimit = 240;

/// Runs `body` in a child process, so that a crash or a hang inside a
/// compiled library fails its own cases and the run goes on. The results the
/// child reported before it ended are counted.
void runIsolated(Tally &tally, const std::string &name,
                 const std::function<void(Tally &)> &body) {
  int fds[2];
  if (pipe(fds) != 0) {
    tally.report(false, name, "pipe: " + std::string(std::strerror(errno)));
    return;
  }
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    tally.report(false, name, "fork: " + std::string(std::strerror(errno)));
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(kChildTimeLimit);
    Tally child;
    child.resultPipe = fds[1];
    body(child);
    std::fflush(stdout);
    _exit(0); // no destructors or atexit handlers of loaded libraries
  }
  close(fds[1]);
  char buffer[256];
  ssize_t count;
  while ((count = read(fds[0], buffer, sizeof(buffer))) != 0) {
    if (count < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (ssize_t i = 0; i < count; ++i)
      (buffer[i] == 'P' ? tally.passed : tally.failed) += 1;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(status))
    tally.report(false, name,
                 "crashed: signal " + std::to_string(WTERMSIG(status)) + " (" +
                     strsignal(WTERMSIG(status)) + ")" +
                     (WTERMSIG(status) == SIGALRM
                          ? ", after " + std::to_string(kChildTimeLimit) + " s"
                          : ""));
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    tally.report(false, name,
                 "exited with status " + std::to_string(WEXITSTATUS(status)));
}

std::string formatDouble(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2e", value);
  return buffer;
}

/// max |got - ref| / max |ref|; infinity if anything is not finite or the
/// sizes differ.
double relativeError(const float *got, const double *ref, size_t count) {
  double maxDiff = 0.0, maxRef = 0.0;
  for (size_t i = 0; i < count; ++i) {
    if (!std::isfinite(got[i]))
      return INFINITY;
    maxDiff =
        std::max(maxDiff, std::fabs(static_cast<double>(got[i]) - ref[i]));
    maxRef = std::max(maxRef, std::fabs(ref[i]));
  }
  return maxRef > 0.0 ? maxDiff / maxRef : maxDiff;
}

double relativeError(const std::vector<float> &got,
                     const std::vector<float> &ref) {
  if (got.size() != ref.size())
    return INFINITY;
  std::vector<double> wide(ref.begin(), ref.end());
  return relativeError(got.data(), wide.data(), got.size());
}

std::string checkTolerance(double error, double tolerance, bool &ok) {
  ok = error <= tolerance;
  return "rel err " + formatDouble(error) + " (tol " + formatDouble(tolerance) +
         ")";
}

//===----------------------------------------------------------------------===//
// Running the tools
//===----------------------------------------------------------------------===//

/// Runs a program with stdout and stderr sent to `logPath`. Returns true on
/// exit status 0; otherwise sets `error` to the command and its output.
bool runTool(const std::string &program, const std::vector<std::string> &args,
             const std::string &logPath, std::string &error) {
  std::vector<llvm::StringRef> argv = {program};
  for (const std::string &arg : args)
    argv.push_back(arg);
  std::optional<llvm::StringRef> redirects[] = {
      llvm::StringRef(""), llvm::StringRef(logPath), llvm::StringRef(logPath)};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects,
                                         /*SecondsToWait=*/300,
                                         /*MemoryLimit=*/0, &message);
  if (status == 0)
    return true;
  std::ostringstream os;
  for (llvm::StringRef arg : argv)
    os << arg.str() << " ";
  os << "-> status " << status;
  if (!message.empty())
    os << " (" << message << ")";
  std::ifstream log(logPath);
  std::string line;
  while (std::getline(log, line))
    os << "\n      | " << line;
  error = os.str();
  return false;
}

bool writeFile(const std::string &path, const std::string &contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return static_cast<bool>(out);
}

//===----------------------------------------------------------------------===//
// The C API of one compiled library, resolved with dlsym
//===----------------------------------------------------------------------===//

struct ModelApi {
  decltype(&retnet_error_free) errorFree = nullptr;
  decltype(&retnet_compiled_config) compiledConfig = nullptr;
  decltype(&retnet_model_load) modelLoad = nullptr;
  decltype(&retnet_model_load_with_flags) modelLoadWithFlags = nullptr;
  decltype(&retnet_model_free) modelFree = nullptr;
  decltype(&retnet_model_vocab_size) vocabSize = nullptr;
  decltype(&retnet_model_output_dim) outputDim = nullptr;
  decltype(&retnet_model_has_output_layer) hasOutputLayer = nullptr;
  decltype(&retnet_model_embed_dim) embedDim = nullptr;
  decltype(&retnet_model_value_embed_dim) valueEmbedDim = nullptr;
  decltype(&retnet_model_num_layers) numLayers = nullptr;
  decltype(&retnet_model_num_heads) numHeads = nullptr;
  decltype(&retnet_model_ffn_dim) ffnDim = nullptr;
  decltype(&retnet_state_new) stateNew = nullptr;
  decltype(&retnet_state_reset) stateReset = nullptr;
  decltype(&retnet_state_free) stateFree = nullptr;
  decltype(&retnet_state_batch) stateBatch = nullptr;
  decltype(&retnet_state_position) statePosition = nullptr;
  decltype(&retnet_prefill) prefill = nullptr;
  decltype(&retnet_decode) decode = nullptr;
  decltype(&retnet_state_row_position) stateRowPosition = nullptr;
  decltype(&retnet_state_reset_row) stateResetRow = nullptr;
  decltype(&retnet_state_copy_row) stateCopyRow = nullptr;
  decltype(&retnet_prefill_rows) prefillRows = nullptr;
  decltype(&retnet_decode_rows) decodeRows = nullptr;

  /// Opens a library (never closed: its OpenMP worker threads may outlive
  /// the calls) and resolves every entry point.
  bool open(const std::string &path, std::string &error) {
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *message = dlerror();
      error = "dlopen: " + std::string(message ? message : "unknown error");
      return false;
    }
    bool ok = true;
    auto resolve = [&](auto &function, const char *name) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(
          dlsym(handle, name));
      if (!function) {
        error +=
            std::string(error.empty() ? "" : ", ") + "missing symbol " + name;
        ok = false;
      }
    };
    resolve(errorFree, "retnet_error_free");
    resolve(compiledConfig, "retnet_compiled_config");
    resolve(modelLoad, "retnet_model_load");
    resolve(modelLoadWithFlags, "retnet_model_load_with_flags");
    resolve(modelFree, "retnet_model_free");
    resolve(vocabSize, "retnet_model_vocab_size");
    resolve(outputDim, "retnet_model_output_dim");
    resolve(hasOutputLayer, "retnet_model_has_output_layer");
    resolve(embedDim, "retnet_model_embed_dim");
    resolve(valueEmbedDim, "retnet_model_value_embed_dim");
    resolve(numLayers, "retnet_model_num_layers");
    resolve(numHeads, "retnet_model_num_heads");
    resolve(ffnDim, "retnet_model_ffn_dim");
    resolve(stateNew, "retnet_state_new");
    resolve(stateReset, "retnet_state_reset");
    resolve(stateFree, "retnet_state_free");
    resolve(stateBatch, "retnet_state_batch");
    resolve(statePosition, "retnet_state_position");
    resolve(prefill, "retnet_prefill");
    resolve(decode, "retnet_decode");
    resolve(stateRowPosition, "retnet_state_row_position");
    resolve(stateResetRow, "retnet_state_reset_row");
    resolve(stateCopyRow, "retnet_state_copy_row");
    resolve(prefillRows, "retnet_prefill_rows");
    resolve(decodeRows, "retnet_decode_rows");
    return ok;
  }

  /// Takes ownership of a message returned through an `error` argument.
  std::string takeError(char *error) const {
    if (!error)
      return "(no message)";
    std::string text = error;
    errorFree(error);
    return text;
  }
};

/// Owns a model and frees it.
struct ModelHandle {
  const ModelApi &api;
  retnet_model *model = nullptr;
  explicit ModelHandle(const ModelApi &api) : api(api) {}
  ~ModelHandle() {
    if (model)
      api.modelFree(model);
  }
};

/// Owns a state and frees it.
struct StateHandle {
  const ModelApi &api;
  retnet_state *state = nullptr;
  explicit StateHandle(const ModelApi &api) : api(api) {}
  ~StateHandle() {
    if (state)
      api.stateFree(state);
  }
};

//===----------------------------------------------------------------------===//
// Test models and prompts
//===----------------------------------------------------------------------===//

struct TestModel {
  std::string name;
  std::string json;  // model description
  std::string dtype; // --dtype of retnet-weights
  uint64_t seed;
  std::vector<std::string> compileFlags = {}; // for every form
  /// Of the reference logits, as kReferenceTolerance.
  double tolerance = kReferenceTolerance;
  /// When positive: the least teacher-forced top-1 agreement with the
  /// reference over kTopAgreementPositions tokens.
  double minTopAgreement = 0;
  /// More flags of retnet-weights (--group of int8 checkpoints).
  std::vector<std::string> weightsFlags = {};
};

std::vector<TestModel> testModels() {
  // Tiny sizes (docs/numerics.md section 7): d = 64, 2 layers, 4 heads,
  // ffn = 128, value_dim = 128, varied one or two switches at a time.
  auto describe = [](int64_t d, int64_t valueDim, int64_t heads, int64_t ffn,
                     int64_t layers, int64_t vocab, const char *activation,
                     bool deepNorm, bool shared, bool layerNormEmbedding,
                     bool noScaleEmbedding, double eps) {
    std::ostringstream os;
    os << "{\n  \"decoder_embed_dim\": " << d
       << ",\n  \"decoder_value_embed_dim\": " << valueDim
       << ",\n  \"decoder_retention_heads\": " << heads
       << ",\n  \"decoder_ffn_embed_dim\": " << ffn
       << ",\n  \"decoder_layers\": " << layers
       << ",\n  \"vocab_size\": " << vocab << ",\n  \"activation_fn\": \""
       << activation << "\",\n  \"deepnorm\": " << (deepNorm ? "true" : "false")
       << ",\n  \"share_decoder_input_output_embed\": "
       << (shared ? "true" : "false") << ",\n  \"layernorm_embedding\": "
       << (layerNormEmbedding ? "true" : "false")
       << ",\n  \"no_scale_embedding\": "
       << (noScaleEmbedding ? "true" : "false")
       << ",\n  \"layernorm_eps\": " << eps << "\n}\n";
    return os.str();
  };
  // `json` with `fields` added before its closing brace.
  auto withFields = [](std::string json, const std::string &fields) {
    return json.insert(json.rfind('}'), ",\n  " + fields + "\n");
  };
  return {
      {"gelu",
       describe(64, 128, 4, 128, 2, 97, "gelu", false, false, false, true,
                1e-6),
       "f32", 1},
      {"swish-deepnorm",
       describe(64, 128, 4, 128, 2, 97, "swish", true, false, false, true,
                1e-6),
       "f32", 2},
      {"gelu-tied-lnemb-scaled-f16",
       describe(64, 128, 4, 128, 2, 97, "gelu", false, true, true, false, 1e-6),
       "f16", 3},
      {"swish-heads2-vocab101-bf16",
       describe(64, 128, 2, 128, 2, 101, "swish", false, false, false, true,
                1e-5),
       "bf16", 4},
      {"swish-deepnorm-tied-lnemb-scaled",
       describe(64, 128, 4, 128, 2, 97, "swish", true, true, true, false, 1e-6),
       "f32", 5},
      {"gelu-heads8-3layers-vd64",
       describe(64, 64, 8, 96, 3, 53, "gelu", true, false, false, true, 1e-6),
       "f32", 6},
      // Post-norm without deepnorm (subln off, else torchscale makes it
      // pre-norm); deepnorm above is post-norm too.
      {"swish-postnorm-tied",
       withFields(describe(64, 128, 4, 128, 2, 97, "swish", false, true, false,
                           true, 1e-6),
                  "\"decoder_normalize_before\": false, \"subln\": false"),
       "f32", 7},
      // The paper's LM decays when the checkpoint stores none.
      {"gelu-lm-decays-heads8",
       withFields(describe(64, 128, 8, 128, 2, 97, "gelu", false, false, false,
                           true, 1e-6),
                  "\"use_lm_decay\": true"),
       "f32", 8},
      // The HF port's feed-forward without GLU (biases; with subln a
      // LayerNorm over the ffn width between the layers), relu.
      {"relu-ffn-subln-ffn96",
       withFields(describe(64, 128, 4, 96, 2, 97, "relu", false, false, false,
                           true, 1e-6),
                  "\"use_glu\": false"),
       "f32", 9},
      {"gelu-ffn-postnorm-bf16",
       withFields(describe(64, 128, 4, 128, 2, 97, "gelu", false, false, false,
                           true, 1e-5),
                  "\"use_glu\": false, \"decoder_normalize_before\": false, "
                  "\"subln\": false"),
       "bf16", 10},
      // No output projection: the outputs are the final hidden states.
      {"swish-no-output-layer-tied",
       withFields(describe(64, 128, 4, 128, 2, 97, "swish", false, true, false,
                           true, 1e-6),
                  "\"no_output_layer\": true"),
       "f32", 11},
      // Every matrix (tied lm_head included) in panels of 48 columns: a
      // panel is one full register tile of 32 (16 with AVX2) and a partial
      // one.
      {"gelu-d96-vocab144-tied-panel48",
       describe(96, 192, 4, 144, 2, 144, "gelu", false, true, false, true,
                1e-6),
       "f32",
       12,
       {"--weight-panel=48"}},
      // bf16 matrices from a bf16 checkpoint: the products widen the same
      // values the reference reads, so the f32 tolerance holds. Panels of
      // 48 leave partial register tiles of bf16 too.
      {"gelu-bf16-weight-type-panel48",
       describe(96, 192, 4, 144, 2, 144, "gelu", false, false, false, true,
                1e-6),
       "bf16",
       13,
       {"--weight-type=bf16", "--weight-panel=48"}},
      // An f32 checkpoint rounded to bf16 and to f16 at load.
      {"swish-f32-into-bf16-weights",
       describe(64, 128, 4, 128, 2, 97, "swish", false, true, false, true,
                1e-6),
       "f32",
       14,
       {"--weight-type=bf16"},
       kBF16WeightTolerance},
      {"gelu-f32-into-f16-weights-deepnorm",
       describe(64, 128, 4, 128, 2, 97, "gelu", true, false, false, true, 1e-6),
       "f32",
       15,
       {"--weight-type=f16"},
       kF16WeightTolerance},
      // int8 matrices from an int8 checkpoint of the same groups (48, as
      // the panels: partial int8 register tiles): the products multiply by
      // the same int8 values and scales that the reference dequantizes, so
      // the f32 tolerance holds.
      {"swish-int8-group48-panel48",
       describe(96, 192, 4, 144, 2, 144, "swish", false, false, false, true,
                1e-6),
       "int8",
       16,
       {"--weight-type=int8", "--group=48", "--weight-panel=48"},
       kReferenceTolerance,
       0,
       {"--group=48"}},
      // The same with a scale per output channel (tied: the embedding's
      // rows are its channels).
      {"gelu-int8-per-channel-tied",
       describe(64, 128, 4, 128, 2, 97, "gelu", false, true, false, false,
                1e-6),
       "int8",
       19,
       {"--weight-type=int8", "--group=channel"},
       kReferenceTolerance,
       0,
       {"--group=channel"}},
      // An int8 checkpoint (groups of 32, tied) dequantized at load into an
      // f32 library.
      {"gelu-int8-checkpoint-tied-lnemb",
       describe(64, 128, 4, 128, 2, 97, "gelu", false, true, true, false, 1e-6),
       "int8", 17},
      // An f32 checkpoint quantized at load (groups of 32).
      {"relu-ffn-f32-into-int8-weights",
       withFields(describe(64, 128, 4, 128, 2, 97, "relu", false, false, false,
                           true, 1e-6),
                  "\"use_glu\": false"),
       "f32",
       18,
       {"--weight-type=int8"},
       kInt8WeightTolerance,
       kInt8MinTopAgreement},
  };
}

struct Form {
  std::string name;
  std::vector<std::string> flags;
};

std::vector<Form> testForms() {
  return {{"auto", {"--form=auto"}},
          {"parallel", {"--form=parallel"}},
          {"recurrent", {"--form=recurrent"}},
          {"chunkwise", {"--form=chunkwise", "--chunk-size=16"}}};
}

/// A batch of token rows, [batch, length] row-major.
struct Prompt {
  int64_t batch;
  int64_t length;
  std::vector<int32_t> tokens;
  std::vector<double> reference; // [batch, length, vocab]
};

Prompt makePrompt(int64_t batch, int64_t length, int64_t vocab, uint64_t seed) {
  std::mt19937_64 random(seed);
  Prompt prompt{batch, length, {}, {}};
  for (int64_t i = 0; i < batch * length; ++i)
    prompt.tokens.push_back(static_cast<int32_t>(random() % vocab));
  return prompt;
}

/// The token rows of `prompt`, as the reference takes them.
std::vector<std::vector<int32_t>> promptRows(const Prompt &prompt) {
  std::vector<std::vector<int32_t>> rows;
  for (int64_t b = 0; b < prompt.batch; ++b)
    rows.emplace_back(prompt.tokens.begin() + b * prompt.length,
                      prompt.tokens.begin() + (b + 1) * prompt.length);
  return rows;
}

//===----------------------------------------------------------------------===//
// Checks of one compiled library
//===----------------------------------------------------------------------===//

class ModelTester {
public:
  ModelTester(Tally &tally, const ModelApi &api, std::string caseName,
              const mlir::retnet::ModelConfig &config, double tolerance)
      : tally(tally), api(api), caseName(std::move(caseName)), config(config),
        tolerance(tolerance) {}

  /// Dimensions reported by the library and its compiled description.
  void checkMetadata(const retnet_model *model) {
    std::ostringstream problems;
    auto expect = [&](const char *what, int64_t got, int64_t want) {
      if (got != want)
        problems << what << " " << got << " != " << want << "; ";
    };
    expect("vocab", api.vocabSize(model), config.vocabSize);
    expect("output_dim", api.outputDim(model), config.outputWidth());
    expect("has_output_layer", api.hasOutputLayer(model), config.outputLayer);
    expect("embed_dim", api.embedDim(model), config.embedDim);
    expect("value_embed_dim", api.valueEmbedDim(model), config.valueEmbedDim);
    expect("layers", api.numLayers(model), config.layers);
    expect("heads", api.numHeads(model), config.heads);
    expect("ffn", api.ffnDim(model), config.ffnDim);
    const char *json = api.compiledConfig();
    std::vector<std::string> warnings;
    llvm::Expected<mlir::retnet::ModelConfig> compiled =
        mlir::retnet::parseModelConfig(json ? json : "", warnings);
    if (!compiled) {
      problems << "retnet_compiled_config: "
               << llvm::toString(compiled.takeError());
    } else {
      expect("compiled decoder_embed_dim", compiled->embedDim, config.embedDim);
      expect("compiled decoder_layers", compiled->layers, config.layers);
      expect("compiled vocab_size", compiled->vocabSize, config.vocabSize);
      if (compiled->deepNorm != config.deepNorm ||
          compiled->shareInputOutputEmbed != config.shareInputOutputEmbed ||
          compiled->layerNormEmbedding != config.layerNormEmbedding ||
          compiled->noScaleEmbedding != config.noScaleEmbedding ||
          compiled->activation != config.activation ||
          compiled->gatedFeedForward != config.gatedFeedForward ||
          compiled->outputLayer != config.outputLayer)
        problems << "compiled config switches differ; ";
    }
    tally.report(problems.str().empty(), caseName + " metadata",
                 problems.str());
  }

  /// Prefill from a fresh state against the reference; keeps the logits.
  /// `which` tells the model apart where a case loads several.
  bool checkPrefill(const retnet_model *model, const Prompt &prompt,
                    std::vector<float> &logits, const std::string &which = "") {
    std::string name = caseName + which +
                       " prefill b=" + std::to_string(prompt.batch) +
                       " t=" + std::to_string(prompt.length);
    StateHandle state(api);
    char *error = nullptr;
    state.state = api.stateNew(model, prompt.batch, &error);
    if (!state.state) {
      tally.report(false, name, "retnet_state_new: " + api.takeError(error));
      return false;
    }
    logits.assign(prompt.batch * prompt.length * config.outputWidth(), NAN);
    if (api.prefill(model, state.state, prompt.tokens.data(), prompt.length,
                    logits.data(), logits.size(), 1, &error) != 0) {
      tally.report(false, name, "retnet_prefill: " + api.takeError(error));
      return false;
    }
    bool ok;
    std::string detail = checkTolerance(
        relativeError(logits.data(), prompt.reference.data(), logits.size()),
        tolerance, ok);
    if (api.statePosition(state.state) != prompt.length) {
      ok = false;
      detail += "; position " + std::to_string(api.statePosition(state.state)) +
                " after prefill";
    }
    if (api.stateBatch(state.state) != prompt.batch) {
      ok = false;
      detail += "; batch " + std::to_string(api.stateBatch(state.state));
    }
    tally.report(ok, name, detail);
    return ok;
  }

  /// Threads, each with a state of its own, prefilling at the same time
  /// with one model: each must get the logits it gets alone (`alone`).
  void checkConcurrentStates(const retnet_model *model,
                             const std::vector<Prompt> &prompts,
                             const std::vector<std::vector<float>> &alone) {
    int64_t width = config.outputWidth();
    std::vector<std::vector<float>> together(prompts.size());
    std::vector<std::string> failures(prompts.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < prompts.size(); ++i)
      threads.emplace_back([&, i] {
        const Prompt &prompt = prompts[i];
        char *error = nullptr;
        retnet_state *state = api.stateNew(model, prompt.batch, &error);
        if (!state) {
          failures[i] = "retnet_state_new: " + api.takeError(error);
          return;
        }
        together[i].assign(prompt.batch * prompt.length * width, NAN);
        // Several rounds, so that the calls overlap.
        for (int round = 0; round < 3 && failures[i].empty(); ++round) {
          if (api.stateReset(state, &error) != 0 ||
              api.prefill(model, state, prompt.tokens.data(), prompt.length,
                          together[i].data(), together[i].size(), 1,
                          &error) != 0)
            failures[i] = "retnet_prefill: " + api.takeError(error);
        }
        api.stateFree(state);
      });
    for (std::thread &thread : threads)
      thread.join();
    bool ok = true;
    std::string detail;
    for (size_t i = 0; i < prompts.size(); ++i) {
      if (!failures[i].empty()) {
        ok = false;
        detail += failures[i] + "; ";
        continue;
      }
      if (together[i] != alone[i]) {
        ok = false;
        detail += "thread " + std::to_string(i) +
                  " differs from its run "
                  "alone; ";
      }
    }
    tally.report(ok,
                 caseName + " " + std::to_string(prompts.size()) +
                     " threads with their own states, one model",
                 ok ? "identical to the runs alone" : detail);
  }

  /// Prefill of the first `split` tokens, then decode steps for the rest,
  /// against `whole` (the logits of one prefill of everything). Then the
  /// last-position-only prefill, and a reset state running the whole prompt
  /// again.
  void checkSplitAndReset(const retnet_model *model, const Prompt &prompt,
                          const std::vector<float> &whole, int64_t split) {
    int64_t batch = prompt.batch, length = prompt.length,
            width = config.outputWidth();
    std::string prefix = caseName + " b=" + std::to_string(batch) +
                         " t=" + std::to_string(length) + " ";
    StateHandle state(api);
    char *error = nullptr;
    state.state = api.stateNew(model, batch, &error);
    if (!state.state) {
      tally.report(false, prefix + "split",
                   "retnet_state_new: " + api.takeError(error));
      return;
    }

    // Prefill [0, split), then decode one token at a time.
    std::vector<float> pieces(batch * length * width, NAN);
    std::vector<int32_t> head(batch * split);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t n = 0; n < split; ++n)
        head[b * split + n] = prompt.tokens[b * length + n];
    std::vector<float> headLogits(batch * split * width);
    std::string name = prefix + "prefill " + std::to_string(split) +
                       " + decode " + std::to_string(length - split) +
                       " == prefill " + std::to_string(length);
    if (api.prefill(model, state.state, head.data(), split, headLogits.data(),
                    headLogits.size(), 1, &error) != 0) {
      tally.report(false, name, "retnet_prefill: " + api.takeError(error));
      return;
    }
    for (int64_t b = 0; b < batch; ++b)
      std::memcpy(&pieces[(b * length) * width], &headLogits[b * split * width],
                  split * width * sizeof(float));
    std::vector<int32_t> step(batch);
    std::vector<float> stepLogits(batch * width);
    for (int64_t n = split; n < length; ++n) {
      for (int64_t b = 0; b < batch; ++b)
        step[b] = prompt.tokens[b * length + n];
      if (api.decode(model, state.state, step.data(), stepLogits.data(),
                     stepLogits.size(), &error) != 0) {
        tally.report(false, name,
                     "retnet_decode at position " + std::to_string(n) + ": " +
                         api.takeError(error));
        return;
      }
      for (int64_t b = 0; b < batch; ++b)
        std::memcpy(&pieces[(b * length + n) * width], &stepLogits[b * width],
                    width * sizeof(float));
    }
    bool ok;
    std::string detail =
        checkTolerance(relativeError(pieces, whole), kSplitTolerance, ok);
    if (api.statePosition(state.state) != length) {
      ok = false;
      detail += "; position " + std::to_string(api.statePosition(state.state));
    }
    tally.report(ok, name, detail);

    // Reset, then the whole prompt again with only the last logits.
    name = prefix + "reset + prefill (last position only)";
    if (api.stateReset(state.state, &error) != 0) {
      tally.report(false, name, "retnet_state_reset: " + api.takeError(error));
      return;
    }
    if (api.statePosition(state.state) != 0) {
      tally.report(false, name,
                   "position " +
                       std::to_string(api.statePosition(state.state)) +
                       " after retnet_state_reset");
      return;
    }
    std::vector<float> last(batch * width, NAN), wholeLast(batch * width);
    if (api.prefill(model, state.state, prompt.tokens.data(), length,
                    last.data(), last.size(), 0, &error) != 0) {
      tally.report(false, name, "retnet_prefill: " + api.takeError(error));
      return;
    }
    for (int64_t b = 0; b < batch; ++b)
      std::memcpy(&wholeLast[b * width],
                  &whole[(b * length + length - 1) * width],
                  width * sizeof(float));
    detail =
        checkTolerance(relativeError(last, wholeLast), kSplitTolerance, ok);
    tally.report(ok, name, detail);

    // Reset again, all positions this time.
    name = prefix + "reset + prefill (all positions)";
    std::vector<float> again(batch * length * width, NAN);
    if (api.stateReset(state.state, &error) != 0 ||
        api.prefill(model, state.state, prompt.tokens.data(), length,
                    again.data(), again.size(), 1, &error) != 0) {
      tally.report(false, name, "retnet_prefill: " + api.takeError(error));
      return;
    }
    detail = checkTolerance(relativeError(again, whole), kResetTolerance, ok);
    tally.report(ok, name, detail);
  }

  /// Rows as independent sequences (slots): each row of one state is
  /// prefilled alone (retnet_prefill_rows of one row) to a length of its
  /// own, then all rows decode together, each at its own position; the rows
  /// after the first take a chunk of tokens in one call (retnet_prefill_rows,
  /// each at its own position); one row is then reset
  /// and refilled while the others go on; then the last row's sequence
  /// moves to row 0 (retnet_state_copy_row) and only the first rows decode
  /// (retnet_decode_rows). Every row's logits must equal
  /// those of its tokens in `whole` (one prefill of the batch) within
  /// kSplitTolerance: a row does not depend on the rows beside it.
  void checkSlots(const retnet_model *model, const Prompt &prompt,
                  const std::vector<float> &whole) {
    int64_t batch = prompt.batch, length = prompt.length,
            width = config.outputWidth();
    std::string name = caseName + " b=" + std::to_string(batch) +
                       " slots at their own positions";
    StateHandle state(api);
    char *error = nullptr;
    state.state = api.stateNew(model, batch, &error);
    if (!state.state) {
      tally.report(false, name, "retnet_state_new: " + api.takeError(error));
      return;
    }
    std::vector<float> got, want;
    auto expect = [&](int64_t row, int64_t position, const float *logits) {
      got.insert(got.end(), logits, logits + width);
      const float *reference = &whole[(row * length + position) * width];
      want.insert(want.end(), reference, reference + width);
    };
    // Row r holds the first fed[r] tokens of prompt row source[r]:
    // prefilled alone, so rows are at different positions.
    std::vector<int64_t> fed(batch), source(batch);
    std::vector<float> rowLogits(width);
    auto fill = [&](int64_t row, int64_t count) {
      if (api.stateResetRow(state.state, row, &error) != 0 ||
          api.prefillRows(model, state.state, row, 1,
                          &prompt.tokens[row * length], count, rowLogits.data(),
                          width, 0, &error) != 0)
        return false;
      source[row] = row;
      expect(row, count - 1, rowLogits.data());
      fed[row] = count;
      return true;
    };
    // One decode step of the first `rows` rows (all: retnet_decode).
    auto step = [&](int64_t rows) {
      std::vector<int32_t> tokens(rows);
      for (int64_t row = 0; row < rows; ++row)
        tokens[row] = prompt.tokens[source[row] * length + fed[row]];
      std::vector<float> logits(rows * width);
      int status = rows == batch
                       ? api.decode(model, state.state, tokens.data(),
                                    logits.data(), logits.size(), &error)
                       : api.decodeRows(model, state.state, rows, tokens.data(),
                                        logits.data(), logits.size(), &error);
      if (status != 0)
        return false;
      for (int64_t row = 0; row < rows; ++row)
        expect(source[row], fed[row]++, &logits[row * width]);
      return true;
    };
    bool ran = true;
    for (int64_t row = 0; row < batch && ran; ++row)
      ran = fill(row, 3 + 7 * row);
    for (int k = 0; k < 4 && ran; ++k)
      ran = step(batch);
    // Rows 1.. take their next `chunk` tokens together, each from its own
    // position.
    auto chunk = [&](int64_t first, int64_t chunkLength) {
      int64_t rows = batch - first;
      std::vector<int32_t> tokens;
      for (int64_t row = first; row < batch; ++row)
        tokens.insert(
            tokens.end(), &prompt.tokens[source[row] * length + fed[row]],
            &prompt.tokens[source[row] * length + fed[row]] + chunkLength);
      std::vector<float> logits(rows * width);
      if (api.prefillRows(model, state.state, first, rows, tokens.data(),
                          chunkLength, logits.data(), logits.size(), 0,
                          &error) != 0)
        return false;
      for (int64_t row = first; row < batch; ++row) {
        fed[row] += chunkLength;
        expect(source[row], fed[row] - 1, &logits[(row - first) * width]);
      }
      return true;
    };
    ran = ran && chunk(1, 3);
    // Row 0 is freed and takes a new sequence (its own tokens again, from
    // the start) while the others continue.
    ran = ran && fill(0, 2);
    for (int k = 0; k < 3 && ran; ++k)
      ran = step(batch);
    // The last row's sequence moves to row 0, and only the first batch - 1
    // rows decode (the live ones kept first).
    ran = ran && api.stateCopyRow(state.state, batch - 1, 0, &error) == 0;
    source[0] = source[batch - 1];
    fed[0] = fed[batch - 1];
    for (int k = 0; k < 2 && ran; ++k)
      ran = step(batch - 1);
    if (!ran) {
      tally.report(false, name, api.takeError(error));
      return;
    }
    bool ok;
    std::string detail =
        checkTolerance(relativeError(got, want), kSplitTolerance, ok);
    for (int64_t row = 0; row < batch; ++row)
      if (api.stateRowPosition(state.state, row) != fed[row]) {
        ok = false;
        detail += "; row " + std::to_string(row) + " at position " +
                  std::to_string(api.stateRowPosition(state.state, row)) +
                  ", expected " + std::to_string(fed[row]);
      }
    // A row that is not one is an error, not a crash.
    if (api.prefillRows(model, state.state, batch, 1, prompt.tokens.data(), 1,
                        rowLogits.data(), width, 0, &error) == 0 ||
        api.takeError(error).find("is not a row of the state") ==
            std::string::npos) {
      ok = false;
      detail += "; retnet_prefill_rows accepted row " + std::to_string(batch);
    }
    if (api.prefillRows(model, state.state, 1, batch, prompt.tokens.data(), 1,
                        rowLogits.data(), width, 0, &error) == 0 ||
        api.takeError(error).find("rows must be from 1 to") ==
            std::string::npos) {
      ok = false;
      detail += "; retnet_prefill_rows accepted " + std::to_string(batch) +
                " rows from row 1";
    }
    if (api.decodeRows(model, state.state, batch + 1, prompt.tokens.data(),
                       rowLogits.data(), width, &error) == 0 ||
        api.takeError(error).find("rows must be from 1 to") ==
            std::string::npos) {
      ok = false;
      detail += "; retnet_decode_rows accepted " + std::to_string(batch + 1) +
                " rows";
    }
    tally.report(ok, name, detail);
  }

  /// Batch invariance: a sequence's logits, fed and decoded in a row of a
  /// batch of 9 (rows 0-7 in the products' 8-row register tiles, row 8 in
  /// their one-row tail), must equal bit for bit those of the same calls
  /// on a state of its own (one row), so that seeded sampling gives the
  /// same text whoever shares the batch. Rows 1 and 8 are compared.
  void checkBatchInvariance(const retnet_model *model, const Prompt &prompt) {
    constexpr int64_t kRows = 9, kPrefill = 5, kSteps = 6;
    int64_t length = prompt.length, width = config.outputWidth();
    std::string name = caseName + " b=9 rows bit-identical to alone";
    // Row r's sequence: prompt row r % batch from offset r / batch.
    auto token = [&](int64_t row, int64_t position) {
      int64_t source = row % prompt.batch, offset = row / prompt.batch;
      return prompt.tokens[source * length + offset + position];
    };
    if (kRows / prompt.batch + kPrefill + kSteps > length) {
      tally.report(false, name, "the prompt is too short for the check");
      return;
    }
    // Runs the calls on `state` for the rows [first, first + rows) and
    // appends each row's logits to logits[row - first].
    char *error = nullptr;
    auto feed = [&](retnet_state *state, int64_t first, int64_t rows,
                    std::vector<std::vector<float>> &logits) {
      std::vector<int32_t> tokens;
      for (int64_t row = first; row < first + rows; ++row)
        for (int64_t position = 0; position < kPrefill; ++position)
          tokens.push_back(token(row, position));
      std::vector<float> out(rows * width);
      auto keep = [&] {
        for (int64_t row = 0; row < rows; ++row)
          logits[row].insert(logits[row].end(), &out[row * width],
                             &out[(row + 1) * width]);
      };
      if (api.prefillRows(model, state, 0, rows, tokens.data(), kPrefill,
                          out.data(), out.size(), 0, &error) != 0)
        return false;
      keep();
      for (int64_t step = 0; step < kSteps; ++step) {
        tokens.clear();
        for (int64_t row = first; row < first + rows; ++row)
          tokens.push_back(token(row, kPrefill + step));
        if (api.decode(model, state, tokens.data(), out.data(), out.size(),
                       &error) != 0)
          return false;
        keep();
      }
      return true;
    };
    StateHandle shared(api);
    shared.state = api.stateNew(model, kRows, &error);
    std::vector<std::vector<float>> together(kRows);
    if (!shared.state || !feed(shared.state, 0, kRows, together)) {
      tally.report(false, name, api.takeError(error));
      return;
    }
    bool ok = true;
    std::string detail;
    for (int64_t row : {int64_t(1), kRows - 1}) {
      StateHandle own(api);
      own.state = api.stateNew(model, 1, &error);
      std::vector<std::vector<float>> alone(1);
      if (!own.state || !feed(own.state, row, 1, alone)) {
        tally.report(false, name, api.takeError(error));
        return;
      }
      size_t differing = 0;
      double largest = 0.0;
      for (size_t i = 0; i < alone[0].size(); ++i)
        if (std::memcmp(&alone[0][i], &together[row][i], sizeof(float))) {
          ++differing;
          largest = std::max<double>(largest,
                                     std::fabs(alone[0][i] - together[row][i]));
        }
      ok &= differing == 0;
      detail += (detail.empty() ? "" : "; ") + std::string("row ") +
                std::to_string(row) + ": " + std::to_string(differing) +
                " of " + std::to_string(alone[0].size()) +
                " logits differ (largest by " + formatDouble(largest) + ")";
    }
    tally.report(ok, name, detail);
  }

  /// Teacher-forced top-1 agreement with the reference: `prompt`'s tokens
  /// fed at once, the argmax of each position's logits against the
  /// reference's; at least `minimum` of the positions must agree.
  void checkTopAgreement(const retnet_model *model, const Prompt &prompt,
                         double minimum) {
    std::vector<float> logits;
    if (!checkPrefill(model, prompt, logits, " teacher-forced"))
      return;
    int64_t width = config.outputWidth();
    int64_t positions = prompt.batch * prompt.length, agreeing = 0;
    for (int64_t position = 0; position < positions; ++position) {
      const float *got = &logits[position * width];
      const double *want = &prompt.reference[position * width];
      agreeing += std::max_element(got, got + width) - got ==
                  std::max_element(want, want + width) - want;
    }
    double agreement = static_cast<double>(agreeing) / positions;
    tally.report(agreement >= minimum, caseName + " top-1 agreement",
                 std::to_string(agreeing) + " of " + std::to_string(positions) +
                     " positions (" + formatDouble(agreement) + ", minimum " +
                     formatDouble(minimum) + ")");
  }

  /// A second model loaded from `weightsPath` (other decays) while `model`
  /// is loaded: each computes with its own decays (`prompt` is the second
  /// model's, `first` the first one's, both with references).
  void checkSecondCheckpoint(const retnet_model *model,
                             const std::string &weightsPath,
                             const Prompt &prompt, const Prompt &first) {
    ModelHandle second(api);
    char *error = nullptr;
    second.model = api.modelLoad(weightsPath.c_str(), &error);
    std::string name = caseName + " checkpoint decays, a second model";
    if (!second.model) {
      tally.report(false, name, "retnet_model_load: " + api.takeError(error));
      return;
    }
    std::vector<float> logits;
    checkPrefill(second.model, prompt, logits,
                 " checkpoint decays (second model)");
    checkPrefill(model, first, logits, " first model beside the second");
  }

private:
  Tally &tally;
  const ModelApi &api;
  std::string caseName;
  const mlir::retnet::ModelConfig &config;
  /// Of the reference logits (TestModel::tolerance).
  double tolerance;
};

//===----------------------------------------------------------------------===//
// Error paths of retnet_model_load
//===----------------------------------------------------------------------===//

/// Loads `weightsPath`, which must fail with a message containing one of
/// `expected` (an empty list: any message).
void checkLoadFails(Tally &tally, const ModelApi &api, const std::string &name,
                    const std::string &weightsPath,
                    const std::vector<std::string> &expected) {
  char *error = nullptr;
  retnet_model *model = api.modelLoad(weightsPath.c_str(), &error);
  if (model) {
    api.modelFree(model);
    if (error)
      api.errorFree(error);
    tally.report(false, name, "retnet_model_load succeeded");
    return;
  }
  if (!error) {
    tally.report(false, name,
                 "retnet_model_load returned NULL without a "
                 "message");
    return;
  }
  std::string message = api.takeError(error);
  bool named = expected.empty();
  for (const std::string &text : expected)
    named = named || message.find(text) != std::string::npos;
  std::string wanted;
  for (const std::string &text : expected)
    wanted += (wanted.empty() ? "'" : " or '") + text + "'";
  tally.report(named, name,
               named ? "\"" + message + "\""
                     : "message does not name " + wanted + ": \"" + message +
                           "\"");
}

void checkLoadErrors(Tally &tally, const ModelApi &api,
                     const std::string &caseName,
                     const mlir::retnet::ModelConfig &config,
                     const std::string &weightsTool,
                     const std::string &configPath,
                     const std::string &goodWeights,
                     const std::string &directory) {
  struct Broken {
    std::string label;
    std::string flag;
    std::string tensor;
  } brokenFiles[] = {
      {"missing tensor", "--omit=", "layers.1.ffn.fc2.weight"},
      {"wrong shape", "--bad-shape=", "layers.0.retention.k_proj.weight"},
      {"wrong dtype", "--bad-dtype=", "layers.1.final_layer_norm.weight"},
  };
  for (const Broken &broken : brokenFiles) {
    std::string name =
        caseName + " load error: " + broken.label + " (" + broken.tensor + ")";
    std::string path = directory + "/broken-" +
                       broken.flag.substr(2, broken.flag.size() - 3) +
                       ".safetensors";
    std::string error;
    if (!runTool(weightsTool,
                 {configPath, "-o", path, broken.flag + broken.tensor},
                 directory + "/broken.log", error)) {
      tally.report(false, name, error);
      continue;
    }
    checkLoadFails(tally, api, name, path, {broken.tensor});
  }

  // Truncated copies: in the middle of the tensor data, and in the header.
  std::ifstream in(goodWeights, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::string dataTruncated = directory + "/truncated-data.safetensors";
  std::vector<std::string> fileOrTensor = {
      dataTruncated, llvm::sys::path::filename(dataTruncated).str()};
  for (const mlir::retnet::WeightInfo &info : listWeights(config))
    fileOrTensor.push_back(info.name);
  if (!writeFile(dataTruncated, bytes.substr(0, bytes.size() / 2)))
    tally.report(false, caseName + " load error: truncated data",
                 "cannot write " + dataTruncated);
  else
    checkLoadFails(tally, api, caseName + " load error: truncated data",
                   dataTruncated, fileOrTensor);
  std::string headerTruncated = directory + "/truncated-header.safetensors";
  if (!writeFile(headerTruncated, bytes.substr(0, 40)))
    tally.report(false, caseName + " load error: truncated header",
                 "cannot write " + headerTruncated);
  else
    checkLoadFails(
        tally, api, caseName + " load error: truncated header", headerTruncated,
        {headerTruncated, llvm::sys::path::filename(headerTruncated).str()});

  std::string missing = directory + "/does-not-exist.safetensors";
  checkLoadFails(tally, api, caseName + " load error: nonexistent file",
                 missing, {missing});

  // Batches whose states cannot be addressed (or allocated) are errors that
  // name the batch, not overflowed sizes.
  char *error = nullptr;
  retnet_model *loaded = api.modelLoad(goodWeights.c_str(), &error);
  if (!loaded)
    tally.report(false, caseName + " state errors", api.takeError(error));
  for (int64_t batch : {INT64_MAX, int64_t(1) << 62, int64_t(1) << 46}) {
    if (!loaded)
      break;
    std::string name =
        caseName + " state error: batch " + std::to_string(batch);
    retnet_state *state = api.stateNew(loaded, batch, &error);
    if (state) {
      api.stateFree(state);
      tally.report(false, name, "retnet_state_new succeeded");
      continue;
    }
    std::string message = error ? api.takeError(error) : "";
    bool named =
        message.find("batch " + std::to_string(batch)) != std::string::npos;
    tally.report(named, name, "\"" + message + "\"");
  }
  // A logits buffer smaller than the call writes is an error, and nothing
  // is written past it; a reset of no state reports it.
  if (loaded) {
    int64_t width = config.outputWidth();
    std::string name = caseName + " call error: logits buffer too small";
    retnet_state *state = api.stateNew(loaded, 2, &error);
    if (!state) {
      tally.report(false, name, api.takeError(error));
    } else {
      std::vector<float> logits(2 * width, -1.0f);
      int32_t tokens[] = {1, 2};
      int status = api.decode(loaded, state, tokens, logits.data(),
                              2 * width - 1, &error);
      std::string message = status != 0 && error ? api.takeError(error) : "";
      bool untouched = std::all_of(logits.begin(), logits.end(),
                                   [](float v) { return v == -1.0f; });
      tally.report(status != 0 && untouched &&
                       message.find("logits buffer holds") != std::string::npos,
                   name, "\"" + message + "\"");
      api.stateFree(state);
    }
    name = caseName + " call error: reset of no state";
    int status = api.stateReset(nullptr, &error);
    std::string message = status != 0 && error ? api.takeError(error) : "";
    tally.report(status != 0 && !message.empty(), name, "\"" + message + "\"");
  }
  if (loaded)
    api.modelFree(loaded);

  // A failure with no error pointer must still return NULL, not crash.
  retnet_model *model = api.modelLoad(missing.c_str(), nullptr);
  tally.report(model == nullptr,
               caseName + " load error: nonexistent file, error == NULL", "");
  if (model)
    api.modelFree(model);

  // A load flag this library does not know is an error, not ignored; the
  // known flag loads the good file.
  error = nullptr;
  model = api.modelLoadWithFlags(goodWeights.c_str(), 1u << 31, &error);
  std::string message = error ? api.takeError(error) : "";
  tally.report(!model &&
                   message.find("unknown load flags") != std::string::npos,
               caseName + " load error: unknown flag", "\"" + message + "\"");
  if (model)
    api.modelFree(model);
  model = api.modelLoadWithFlags(goodWeights.c_str(),
                                 RETNET_LOAD_ALLOW_EXTRA_TENSORS, &error);
  tally.report(model != nullptr,
               caseName + " load: RETNET_LOAD_ALLOW_EXTRA_TENSORS",
               model ? "" : api.takeError(error));
  if (model)
    api.modelFree(model);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> positional;
  bool keepTemps = false;
  std::string filter, forms;
  unsigned shardIndex = 0, shardCount = 1;
  std::vector<std::string> compilerArgs;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--keep-temps")
      keepTemps = true;
    else if (arg.consume_front("--filter="))
      filter = arg.str();
    else if (arg.consume_front("--forms="))
      forms = "," + arg.str() + ",";
    else if (arg.consume_front("--shard=")) {
      auto [index, count] = arg.split('/');
      if (index.getAsInteger(10, shardIndex) ||
          count.getAsInteger(10, shardCount) || shardCount == 0 ||
          shardIndex >= shardCount) {
        std::fprintf(stderr,
                     "model-test: --shard=%s: expected I/N with 0 <= I < N\n",
                     arg.str().c_str());
        return 2;
      }
    } else if (arg.consume_front("--compiler-arg="))
      compilerArgs.push_back(arg.str());
    else
      positional.push_back(arg.str());
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "usage: model-test RETNET_COMPILE RETNET_WEIGHTS "
                         "[--keep-temps] [--filter=TEXT] [--forms=LIST] "
                         "[--shard=I/N] "
                         "[--compiler-arg=ARG]...\n");
    return 2;
  }
  const std::string compileTool = positional[0], weightsTool = positional[1];

  llvm::SmallString<128> tempDirectory;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(
          "retnet-model-test", tempDirectory)) {
    std::fprintf(stderr, "cannot create a temporary directory: %s\n",
                 ec.message().c_str());
    return 2;
  }
  std::printf("model-test: work directory %s\n", tempDirectory.c_str());

  Tally tally;
  auto start = std::chrono::steady_clock::now();
  bool checkedLoadErrors = false;
  std::vector<TestModel> models = testModels();
  for (size_t modelIndex = 0; modelIndex < models.size(); ++modelIndex) {
    const TestModel &testModel = models[modelIndex];
    if (modelIndex % shardCount != shardIndex)
      continue;
    if (!filter.empty() && testModel.name.find(filter) == std::string::npos)
      continue;
    std::string directory = (tempDirectory + "/" + testModel.name).str();
    llvm::sys::fs::create_directories(directory);
    std::string configPath = directory + "/model.json";
    std::string weightsPath = directory + "/weights.safetensors";
    std::string error;

    // Description, weights and reference logits, shared by every form.
    if (!writeFile(configPath, testModel.json)) {
      tally.report(false, testModel.name, "cannot write " + configPath);
      continue;
    }
    std::vector<std::string> warnings;
    llvm::Expected<mlir::retnet::ModelConfig> config =
        mlir::retnet::readModelConfig(configPath, warnings);
    if (!config) {
      tally.report(false, testModel.name + " config",
                   llvm::toString(config.takeError()));
      continue;
    }
    std::vector<std::string> weightsArgs = {configPath,
                                            "-o",
                                            weightsPath,
                                            "--seed",
                                            std::to_string(testModel.seed),
                                            "--dtype",
                                            testModel.dtype};
    llvm::append_range(weightsArgs, testModel.weightsFlags);
    if (!runTool(weightsTool, weightsArgs, directory + "/weights.log", error)) {
      tally.report(false, testModel.name + " retnet-weights", error);
      continue;
    }
    ModelReference reference;
    if (!reference.load(*config, weightsPath, error)) {
      tally.report(false, testModel.name + " reference", error);
      continue;
    }
    // The same weights with random decays stored in the checkpoint: the
    // model must take them from there, and one library must serve both
    // checkpoints at once.
    std::string decayWeightsPath = directory + "/weights-decays.safetensors";
    ModelReference decayReference;
    Prompt decayPrompt =
        makePrompt(2, 40, config->vocabSize, testModel.seed * 1000 + 999);
    std::vector<std::string> decayWeightsArgs = weightsArgs;
    decayWeightsArgs[2] = decayWeightsPath;
    decayWeightsArgs.push_back("--decays=random");
    if (!runTool(weightsTool, decayWeightsArgs,
                 directory + "/weights-decays.log", error) ||
        !decayReference.load(*config, decayWeightsPath, error) ||
        !decayReference.batchLogits(promptRows(decayPrompt),
                                    decayPrompt.reference, error)) {
      tally.report(false, testModel.name + " checkpoint decays", error);
      continue;
    }
    std::vector<Prompt> prompts;
    for (int64_t batch : {1, 3})
      for (int64_t length : {1, 7, 40}) {
        Prompt prompt =
            makePrompt(batch, length, config->vocabSize,
                       testModel.seed * 1000 + batch * 100 + length);
        if (!reference.batchLogits(promptRows(prompt), prompt.reference,
                                   error)) {
          tally.report(false, testModel.name + " reference", error);
          return 1;
        }
        prompts.push_back(std::move(prompt));
      }
    Prompt agreementPrompt;
    if (testModel.minTopAgreement > 0) {
      agreementPrompt = makePrompt(1, kTopAgreementPositions, config->vocabSize,
                                   testModel.seed * 1000 + 777);
      if (!reference.batchLogits(promptRows(agreementPrompt),
                                 agreementPrompt.reference, error)) {
        tally.report(false, testModel.name + " reference", error);
        return 1;
      }
    }

    for (const Form &form : testForms()) {
      if (!forms.empty() &&
          forms.find("," + form.name + ",") == std::string::npos)
        continue;
      std::string caseName = testModel.name + "/" + form.name;
      std::string libraryPath = directory + "/libmodel-" + form.name + ".so";
      std::vector<std::string> args = {configPath, "-o", libraryPath};
      args.insert(args.end(), form.flags.begin(), form.flags.end());
      args.insert(args.end(), testModel.compileFlags.begin(),
                  testModel.compileFlags.end());
      args.insert(args.end(), compilerArgs.begin(), compilerArgs.end());
      auto compileStart = std::chrono::steady_clock::now();
      if (!runTool(compileTool, args,
                   directory + "/compile-" + form.name + ".log", error)) {
        tally.report(false, caseName + " compile", error);
        continue;
      }
      double compileSeconds = secondsSince(compileStart);
      bool withLoadErrors = !checkedLoadErrors;
      checkedLoadErrors = true;
      // The library is loaded and run in a child process (runIsolated).
      runIsolated(tally, caseName, [&](Tally &childTally) {
        ModelApi api;
        if (!api.open(libraryPath, error)) {
          childTally.report(false, caseName + " open", error);
          return;
        }
        ModelHandle model(api);
        char *loadError = nullptr;
        model.model = api.modelLoad(weightsPath.c_str(), &loadError);
        childTally.report(
            model.model != nullptr, caseName + " compile + load",
            model.model ? "compiled in " + formatDouble(compileSeconds) + " s"
                        : "retnet_model_load: " + api.takeError(loadError));
        if (!model.model)
          return;

        ModelTester tester(childTally, api, caseName, *config,
                           testModel.tolerance);
        tester.checkMetadata(model.model);
        std::vector<Prompt> computed;
        std::vector<std::vector<float>> computedLogits;
        for (const Prompt &prompt : prompts) {
          std::vector<float> logits;
          if (!tester.checkPrefill(model.model, prompt, logits))
            continue;
          if (prompt.length == 40)
            tester.checkSplitAndReset(model.model, prompt, logits, 17);
          if (prompt.length == 40 && prompt.batch > 1) {
            tester.checkSlots(model.model, prompt, logits);
            tester.checkBatchInvariance(model.model, prompt);
          }
          computed.push_back(prompt);
          computedLogits.push_back(std::move(logits));
        }
        if (computed.size() > 1)
          tester.checkConcurrentStates(model.model, computed, computedLogits);
        tester.checkSecondCheckpoint(model.model, decayWeightsPath, decayPrompt,
                                     prompts.back());
        if (testModel.minTopAgreement > 0)
          tester.checkTopAgreement(model.model, agreementPrompt,
                                   testModel.minTopAgreement);
        if (withLoadErrors)
          checkLoadErrors(childTally, api, caseName, *config, weightsTool,
                          configPath, weightsPath, directory);
      });
    }
  }

  std::printf("model-test: %.1f s\n", secondsSince(start));
  if (tally.failed == 0 && !keepTemps)
    llvm::sys::fs::remove_directories(tempDirectory);
  else
    std::printf("model-test: files kept in %s\n", tempDirectory.c_str());
  std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
  return tally.failed == 0 && tally.passed > 0 ? 0 : 1;
}
