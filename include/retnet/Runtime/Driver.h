//===- Driver.h - Generation command line of compiled models ----*- C++ -*-===//
//
// The command line shared by `retnet-compile --emit=exe` executables and
// retnet-run: load weights, prefill a prompt, decode. Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_DRIVER_H
#define RETNET_RUNTIME_DRIVER_H

#include "retnet/Runtime/Tokenizer.h"
#include "retnet/retnet.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace retnet_runtime {
/// The C API of one compiled model (linked directly or found with dlsym).
struct ModelApi {
  decltype(&retnet_error_free) errorFree;
  decltype(&retnet_compiled_config) compiledConfig;
  decltype(&retnet_model_load_with_flags) modelLoad;
  decltype(&retnet_model_free) modelFree;
  decltype(&retnet_model_vocab_size) vocabSize;
  decltype(&retnet_model_output_dim) outputDim;
  decltype(&retnet_model_has_output_layer) hasOutputLayer;
  decltype(&retnet_state_new) stateNew;
  decltype(&retnet_state_reset) stateReset;
  decltype(&retnet_state_free) stateFree;
  decltype(&retnet_prefill) prefill;
  decltype(&retnet_decode) decode;
  decltype(&retnet_state_reset_row) stateResetRow;
  decltype(&retnet_state_copy_row) stateCopyRow;
  decltype(&retnet_prefill_rows) prefillRows;
  decltype(&retnet_decode_rows) decodeRows;
};

/// Options of a generation run.
struct GenerateOptions {
  std::string weights;
  /// Flags of retnet_model_load_with_flags (--allow-extra-tensors).
  uint32_t loadFlags = 0;
  /// One prompt per batch row, all of the same length (--prompt ids), or
  /// none when the prompt is `text`.
  std::vector<std::vector<int32_t>> prompts;
  /// The prompt as text (--text), tokenized by `tokenizer`.
  std::string text;
  /// --tokenizer: the file the program loads into `tokenizer`.
  std::string tokenizerPath;
  /// Reads --text and writes the generated tokens as text; null: token ids
  /// in and out.
  std::shared_ptr<const Tokenizer> tokenizer;
  /// Prepend the tokenizer's BOS to --text (off with --no-bos).
  bool addBos = true;
  /// A row ends at this token (not printed): --eos-id, else the
  /// tokenizer's EOS; -1: none. --ignore-eos turns it off.
  int64_t eosId = -1;
  bool ignoreEos = false;
  /// A row's text ends before the first of these (--stop, repeatable).
  std::vector<std::string> stops;
  int64_t maxNewTokens = 32;
  /// Write the prompt's logits, [batch, length, vocab], as .npy (hidden
  /// states, [batch, length, d], for a model without output layer).
  std::string logitsOut;
  /// Prefix of error messages ("retnet-run", the program's name).
  std::string programName = "retnet";
  /// How each next token is chosen: llama.cpp's filters and defaults
  /// (retnet.h) for a --text prompt; greedy (temperature 0) for token ids
  /// unless --temperature is given. Row r of a batch draws with the seed
  /// `sampling.seed + r`.
  retnet_sampling_params sampling = retnet_sampling_default_params();
  bool temperatureGiven = false;
};

/// The --help text of the sampling flags, shared by the programs that
/// parse them.
extern const char *const kSamplingHelp;

/// Parses a decimal integer in [minimum, maximum]: digits only (no sign,
/// spaces, or leading zeros beyond "0"), no overflow. False for anything
/// else.
bool parseInteger(const std::string &text, int64_t minimum, int64_t maximum,
                  int64_t &value);

/// The most new tokens one run generates.
constexpr int64_t kMaxNewTokens = int64_t(1) << 30;

/// Parses "1,2,3" (one row) or "1,2;3,4" (rows separated by ';').
bool parsePrompt(const std::string &text,
                 std::vector<std::vector<int32_t>> &prompts,
                 std::string &error);

/// Parses the shared flags (--weights, --allow-extra-tensors, --prompt or
/// --text, --tokenizer, --max-new-tokens, --eos-id, --ignore-eos, --stop,
/// --no-bos,
/// --logits-out, and the sampling flags --temperature, --top-k, --top-p,
/// --min-p, --repeat-penalty, --seed) from `args`; unknown flags are passed
/// to `extra`, which returns false to reject them. Returns false with
/// `error` set.
bool parseGenerateOptions(const std::vector<std::string> &args,
                          GenerateOptions &options,
                          const std::function<bool(const std::string &)> &extra,
                          std::string &error);

/// Loads, prefills, decodes (sampling each next token with
/// `options.sampling`) until EOS, a stop string or --max-new-tokens, and
/// prints the generated ids, or their text with a tokenizer, as they come
/// (a batch: each row's at the end), then tokens/s on stderr. Returns the
/// process exit status.
int runGeneration(const ModelApi &api, const GenerateOptions &options);

/// Writes a float32 .npy file of `shape`.
bool writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data, std::string &error);
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_DRIVER_H
