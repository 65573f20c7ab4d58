//===- Driver.cpp - Generation command line of compiled models ------------===//

#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/Sampling.h"
#include "retnet/Runtime/SequenceOutput.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sys/resource.h>

using namespace retnet_runtime;

const char *const retnet_runtime::kSamplingHelp =
    "Ending (each row on its own):\n"
    "  --max-new-tokens=N     generate at most N tokens (default 32)\n"
    "  --eos-id=N             end at token N, which is not printed (default:\n"
    "                         the tokenizer's EOS; none without tokenizer)\n"
    "  --ignore-eos           never end at EOS\n"
    "\n"
    "Sampling (applied in this order; defaults as llama.cpp's):\n"
    "  --repeat-penalty=F     divide the logit of every token already in the\n"
    "                         row (prompt and generated) by F when positive,\n"
    "                         multiply it when negative (default 1: off)\n"
    "  --temperature=F        0: greedy; else sample from softmax(logits / F)\n"
    "                         (default 0.8 for a --text prompt, 0 for token\n"
    "                         ids, so that ids in give reproducible ids out)\n"
    "  --top-k=N              the N most probable tokens (default 40; 0: off)\n"
    "  --top-p=F              the fewest most probable tokens whose\n"
    "                         probabilities sum to at least F (default 0.95;\n"
    "                         1: off)\n"
    "  --min-p=F              tokens at least F times as probable as the most\n"
    "                         probable one (default 0.05; 0: off)\n"
    "  --seed=N               seed of the draws (default 0); batch row r uses\n"
    "                         N + r; the same seed gives the same tokens\n";

bool retnet_runtime::parseInteger(const std::string &text, int64_t minimum,
                                  int64_t maximum, int64_t &value) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0'))
    return false;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    result = result * 10 + (c - '0'); // 19 digits cannot overflow uint64
  }
  if (result > static_cast<uint64_t>(INT64_MAX) ||
      static_cast<int64_t>(result) < minimum ||
      static_cast<int64_t>(result) > maximum)
    return false;
  value = static_cast<int64_t>(result);
  return true;
}

/// Parses a finite decimal number ("0.8", "1", "1e-3"): the whole text, no
/// spaces. False for anything else.
static bool parseFloat(const std::string &text, float &value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  char *end = nullptr;
  errno = 0;
  float result = std::strtof(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE ||
      !std::isfinite(result))
    return false;
  value = result;
  return true;
}

bool retnet_runtime::parsePrompt(const std::string &text,
                                 std::vector<std::vector<int32_t>> &prompts,
                                 std::string &error) {
  prompts.assign(1, {});
  std::string number;
  auto flush = [&]() {
    if (number.empty()) {
      error = "--prompt: empty token id in '" + text + "'";
      return false;
    }
    int64_t value;
    if (!parseInteger(number, 0, INT32_MAX, value)) {
      error = "--prompt: '" + number + "' is not a token id";
      return false;
    }
    prompts.back().push_back(static_cast<int32_t>(value));
    number.clear();
    return true;
  };
  // Spaces may surround ids ("1, 2; 3, 4") but not split one ("1 2").
  bool spaceAfterDigits = false;
  for (char c : text) {
    if (c == ',' || c == ';') {
      if (!flush())
        return false;
      spaceAfterDigits = false;
      if (c == ';')
        prompts.emplace_back();
    } else if (c == ' ') {
      spaceAfterDigits = !number.empty();
    } else {
      if (spaceAfterDigits) {
        error = "--prompt: token ids must be separated by ',' (batch rows by "
                "';'), got '" +
                text + "'";
        return false;
      }
      number += c;
    }
  }
  if (!flush())
    return false;
  for (const auto &row : prompts)
    if (row.size() != prompts.front().size()) {
      error = "--prompt: every batch row (separated by ';') must have the "
              "same number of tokens";
      return false;
    }
  return true;
}

bool retnet_runtime::parseGenerateOptions(
    const std::vector<std::string> &args, GenerateOptions &options,
    const std::function<bool(const std::string &)> &extra, std::string &error) {
  bool havePrompt = false, haveText = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    size_t equals = arg.find('=');
    bool inlineValue = equals != std::string::npos && arg.rfind("--", 0) == 0;
    std::string name = inlineValue ? arg.substr(0, equals) : arg;
    auto takeValue = [&]() {
      if (inlineValue) {
        value = arg.substr(equals + 1);
        return true;
      }
      if (i + 1 >= args.size()) {
        error = name + " needs a value";
        return false;
      }
      value = args[++i];
      return true;
    };
    if (name == "--weights") {
      if (!takeValue())
        return false;
      options.weights = value;
    } else if (name == "--allow-extra-tensors") {
      if (inlineValue) {
        error = "--allow-extra-tensors takes no value";
        return false;
      }
      options.loadFlags |= RETNET_LOAD_ALLOW_EXTRA_TENSORS;
    } else if (name == "--prompt") {
      if (!takeValue() || !parsePrompt(value, options.prompts, error))
        return false;
      havePrompt = true;
    } else if (name == "--tokenizer") {
      if (!takeValue())
        return false;
      if (value.empty()) {
        error = "--tokenizer needs a file";
        return false;
      }
      options.tokenizerPath = value;
    } else if (name == "--text") {
      if (!takeValue())
        return false;
      options.text = value;
      haveText = true;
    } else if (name == "--stop") {
      if (!takeValue())
        return false;
      if (value.empty()) {
        error = "--stop: the stop string is empty";
        return false;
      }
      options.stops.push_back(value);
    } else if (name == "--ignore-eos" || name == "--no-bos") {
      if (inlineValue) {
        error = name + " takes no value";
        return false;
      }
      (name == "--ignore-eos" ? options.ignoreEos : options.addBos) =
          name == "--ignore-eos";
    } else if (name == "--max-new-tokens" || name == "--eos-id") {
      if (!takeValue())
        return false;
      int64_t maximum = name == "--eos-id" ? INT32_MAX : kMaxNewTokens;
      int64_t count;
      if (!parseInteger(value, 0, maximum, count)) {
        error = name + ": expected an integer from 0 to " +
                std::to_string(maximum) + ", got '" + value + "'";
        return false;
      }
      (name == "--eos-id" ? options.eosId : options.maxNewTokens) = count;
    } else if (name == "--logits-out") {
      if (!takeValue())
        return false;
      options.logitsOut = value;
    } else if (name == "--temperature" || name == "--top-p" ||
               name == "--min-p" || name == "--repeat-penalty") {
      if (!takeValue())
        return false;
      float number;
      if (!parseFloat(value, number)) {
        error = name + ": expected a number, got '" + value + "'";
        return false;
      }
      options.temperatureGiven |= name == "--temperature";
      (name == "--temperature" ? options.sampling.temperature
       : name == "--top-p"     ? options.sampling.top_p
       : name == "--min-p"     ? options.sampling.min_p
                               : options.sampling.repetition_penalty) = number;
    } else if (name == "--top-k" || name == "--seed") {
      if (!takeValue())
        return false;
      int64_t number;
      int64_t maximum = name == "--top-k" ? INT32_MAX : INT64_MAX;
      if (!parseInteger(value, 0, maximum, number)) {
        error = name + ": expected an integer from 0 to " +
                std::to_string(maximum) + ", got '" + value + "'";
        return false;
      }
      if (name == "--top-k")
        options.sampling.top_k = static_cast<int32_t>(number);
      else
        options.sampling.seed = static_cast<uint64_t>(number);
    } else if (!extra(arg)) {
      error = "unknown argument '" + arg + "'";
      return false;
    }
  }
  if (options.weights.empty()) {
    error = "--weights FILE.safetensors is required";
    return false;
  }
  if (std::string problem = checkSamplingParams(options.sampling);
      !problem.empty()) {
    error = "invalid sampling flags: " + problem;
    return false;
  }
  if (havePrompt == haveText) {
    error = havePrompt ? "--prompt (token ids) and --text are exclusive"
                       : "--prompt is required (token ids: 1,2,3; batch rows "
                         "separated by ';'), or --text with a tokenizer";
    return false;
  }
  // Token ids in give reproducible ids out unless sampling is asked for.
  if (havePrompt && !options.temperatureGiven)
    options.sampling.temperature = 0.0f;
  return true;
}

bool retnet_runtime::writeNpy(const std::string &path,
                              const std::vector<int64_t> &shape,
                              const float *data, std::string &error) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  size_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]) + (shape.size() == 1 ? "," : "");
    if (i + 1 < shape.size())
      header += ", ";
    count *= shape[i];
  }
  header += "), }";
  // Magic (6) + version (2) + length (2) + header, padded to 64 bytes with a
  // trailing newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "wb"),
                                              &std::fclose);
  if (!file) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  unsigned char preamble[10] = {0x93,
                                'N',
                                'U',
                                'M',
                                'P',
                                'Y',
                                1,
                                0,
                                static_cast<unsigned char>(header.size()),
                                static_cast<unsigned char>(header.size() >> 8)};
  if (std::fwrite(preamble, 1, 10, file.get()) != 10 ||
      std::fwrite(header.data(), 1, header.size(), file.get()) !=
          header.size() ||
      std::fwrite(data, sizeof(float), count, file.get()) != count) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

namespace {
/// Releases C API objects and messages.
struct Session {
  const ModelApi &api;
  const std::string &programName;
  retnet_model *model = nullptr;
  retnet_state *state = nullptr;

  Session(const ModelApi &api, const std::string &programName)
      : api(api), programName(programName) {}
  ~Session() {
    if (state)
      api.stateFree(state);
    if (model)
      api.modelFree(model);
  }
  int fail(char *error) {
    std::fprintf(stderr, "%s: error: %s\n", programName.c_str(),
                 error ? error : "unknown error");
    api.errorFree(error);
    return 1;
  }
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}
} // namespace

/// The prompt rows: `options.prompts`, or the tokenized --text (after the
/// tokenizer's BOS). False with `error` set.
static bool promptRows(const GenerateOptions &options,
                       std::vector<std::vector<int32_t>> &rows,
                       std::string &error) {
  if (options.text.empty() && options.prompts.empty()) {
    error = "--text: the prompt is empty";
    return false;
  }
  if (options.prompts.size()) {
    rows = options.prompts;
    if (options.tokenizer)
      for (const auto &row : rows)
        for (int32_t id : row)
          if (id >= options.tokenizer->vocabSize()) {
            error = "--prompt: token id " + std::to_string(id) +
                    " is not in the tokenizer's vocabulary of " +
                    std::to_string(options.tokenizer->vocabSize());
            return false;
          }
    return true;
  }
  if (!options.tokenizer) {
    error = "--text needs a tokenizer (retnet-run --tokenizer TOK.model); "
            "without one the prompt is token ids (--prompt 1,2,3)";
    return false;
  }
  std::vector<int32_t> ids;
  if (!encodePrompt(*options.tokenizer, options.text, options.addBos, ids,
                    error))
    return false;
  if (ids.empty()) {
    error = "--text: the prompt is empty (and the tokenizer has no BOS)";
    return false;
  }
  rows.assign(1, ids);
  return true;
}

int retnet_runtime::runGeneration(const ModelApi &api,
                                  const GenerateOptions &options) {
  Session session(api, options.programName);
  auto failWith = [&](const std::string &message) {
    std::fprintf(stderr, "%s: error: %s\n", options.programName.c_str(),
                 message.c_str());
    return 1;
  };
  std::vector<std::vector<int32_t>> prompts;
  std::string problem;
  if (!promptRows(options, prompts, problem))
    return failWith(problem);
  if (!options.stops.empty() && !options.tokenizer)
    return failWith("--stop needs a tokenizer (retnet-run --tokenizer "
                    "TOK.model): stop strings are text");
  char *error = nullptr;
  session.model =
      api.modelLoad(options.weights.c_str(), options.loadFlags, &error);
  if (!session.model)
    return session.fail(error);
  int64_t batch = prompts.size();
  int64_t length = prompts.front().size();
  // Without output layer the outputs are hidden states: there is nothing to
  // decode from, but they can be written.
  int64_t vocab = api.outputDim(session.model);
  if (!api.hasOutputLayer(session.model) && options.maxNewTokens > 0)
    return failWith("the model has no output layer (no_output_layer): its "
                    "outputs are hidden states of width " +
                    std::to_string(vocab) +
                    ", not logits to generate from; run with "
                    "--max-new-tokens 0 and --logits-out FILE.npy to write "
                    "them");
  // Ids the tokenizer lacks are never drawn: the sampler sees the first
  // tokenizer->vocabSize() logits.
  int64_t sampledVocab = vocab;
  if (options.tokenizer && api.hasOutputLayer(session.model)) {
    sampledVocab = options.tokenizer->vocabSize();
    if (sampledVocab > vocab)
      return failWith("the tokenizer has " + std::to_string(sampledVocab) +
                      " tokens but the model's vocabulary only " +
                      std::to_string(vocab) +
                      ": they were not made for each other");
  }
  int64_t eos = options.eosId >= 0  ? options.eosId
                : options.tokenizer ? options.tokenizer->eosId()
                                    : -1;
  if (options.ignoreEos)
    eos = -1;
  session.state = api.stateNew(session.model, batch, &error);
  if (!session.state)
    return session.fail(error);

  std::vector<int32_t> tokens;
  for (const auto &row : prompts)
    tokens.insert(tokens.end(), row.begin(), row.end());
  bool allPositions = !options.logitsOut.empty();
  std::vector<float> logits(batch * (allPositions ? length : 1) * vocab);
  auto start = std::chrono::steady_clock::now();
  if (api.prefill(session.model, session.state, tokens.data(), length,
                  logits.data(), static_cast<int64_t>(logits.size()),
                  allPositions, &error) != 0)
    return session.fail(error);
  double prefillSeconds = secondsSince(start);
  std::string writeError;
  if (allPositions && !writeNpy(options.logitsOut, {batch, length, vocab},
                                logits.data(), writeError))
    return failWith(writeError);

  // Decoding from the last position's logits: each row's sampler sees the
  // row's prompt and generated tokens (for the repetition penalty).
  std::vector<SequenceOutput> rows;
  std::vector<std::string> texts(batch);
  std::vector<std::vector<int32_t>> history(prompts);
  std::vector<Sampler> samplers;
  for (int64_t row = 0; row < batch; ++row) {
    retnet_sampling_params params = options.sampling;
    params.seed += static_cast<uint64_t>(row);
    samplers.emplace_back(params);
    rows.emplace_back(options.tokenizer.get(), prompts[row], options.stops, eos,
                      options.maxNewTokens);
  }
  auto sampleRow = [&](int64_t row, const float *rowLogits) {
    int32_t token =
        samplers[row].sample(rowLogits, sampledVocab, history[row].data(),
                             static_cast<int64_t>(history[row].size()));
    history[row].push_back(token);
    return token;
  };
  // One row prints as it goes; a batch prints each row at the end.
  bool streaming = batch == 1;
  auto lastLogits = [&](int64_t row) {
    return logits.data() +
           (allPositions ? (row * length + length - 1) * vocab : row * vocab);
  };
  std::vector<int32_t> next(batch);
  for (int64_t row = 0; row < batch; ++row)
    next[row] = sampleRow(row, lastLogits(row));
  std::vector<float> stepLogits(batch * vocab);
  int64_t decodeSteps = 0, decodedTokens = 0;
  start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < options.maxNewTokens; ++step) {
    bool generating = false;
    for (int64_t row = 0; row < batch; ++row) {
      if (rows[row].finished())
        continue;
      std::string text;
      if (!rows[row].accept(next[row], text, problem))
        return failWith(problem);
      texts[row] += text;
      if (streaming && !text.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      }
      generating |= !rows[row].finished();
    }
    if (!generating)
      break;
    if (api.decode(session.model, session.state, next.data(), stepLogits.data(),
                   static_cast<int64_t>(stepLogits.size()), &error) != 0)
      return session.fail(error);
    ++decodeSteps;
    for (int64_t row = 0; row < batch; ++row)
      if (!rows[row].finished()) {
        next[row] = sampleRow(row, stepLogits.data() + row * vocab);
        ++decodedTokens;
      }
  }
  double decodeSeconds = secondsSince(start);

  std::string finishes;
  for (int64_t row = 0; row < batch; ++row) {
    if (!streaming)
      std::printf("[%lld] %s", static_cast<long long>(row), texts[row].c_str());
    std::printf("\n");
    SequenceOutput::Finish finish = rows[row].finish();
    finishes += std::string(row ? "," : "") +
                (finish == SequenceOutput::Finish::Eos    ? "eos"
                 : finish == SequenceOutput::Finish::Stop ? "stop"
                                                          : "length");
  }
  std::fflush(stdout);
  std::fprintf(stderr,
               "prefill: %lld tokens in %.3f ms (%.1f tokens/s); decode: "
               "%lld steps in %.3f ms (%.1f tokens/s); finish: %s\n",
               static_cast<long long>(batch * length), prefillSeconds * 1e3,
               batch * length / prefillSeconds,
               static_cast<long long>(decodeSteps), decodeSeconds * 1e3,
               decodeSteps ? decodedTokens / decodeSeconds : 0.0,
               finishes.c_str());
  // The process's peak resident memory (mapped file pages included), to
  // compare with the size of the weights.
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    std::fprintf(stderr, "memory: peak_resident_MB=%.1f\n",
                 usage.ru_maxrss / 1024.0);
  return 0;
}
