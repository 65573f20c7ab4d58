//===- Driver.cpp - Generation command line of compiled models ------------===//

#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/Sampling.h"

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
    "Sampling (greedy unless --temperature > 0; then the other filters take\n"
    "llama.cpp's defaults; applied in this order):\n"
    "  --repeat-penalty=F     divide the logit of every token already in the\n"
    "                         row (prompt and generated) by F when positive,\n"
    "                         multiply it when negative (default 1: off)\n"
    "  --temperature=F        0: greedy (default); else sample from\n"
    "                         softmax(logits / F)\n"
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
  bool havePrompt = false;
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
    } else if (name == "--max-new-tokens") {
      if (!takeValue())
        return false;
      int64_t count;
      if (!parseInteger(value, 0, kMaxNewTokens, count)) {
        error = "--max-new-tokens: expected an integer from 0 to " +
                std::to_string(kMaxNewTokens) + ", got '" + value + "'";
        return false;
      }
      options.maxNewTokens = count;
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
  if (!havePrompt) {
    error = "--prompt is required (token ids: 1,2,3; batch rows separated "
            "by ';')";
    return false;
  }
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

int retnet_runtime::runGeneration(const ModelApi &api,
                                  const GenerateOptions &options) {
  Session session(api, options.programName);
  char *error = nullptr;
  session.model =
      api.modelLoad(options.weights.c_str(), options.loadFlags, &error);
  if (!session.model)
    return session.fail(error);
  int64_t batch = options.prompts.size();
  int64_t length = options.prompts.front().size();
  // Without output layer the outputs are hidden states: there is nothing to
  // decode from, but they can be written.
  int64_t vocab = api.outputDim(session.model);
  if (!api.hasOutputLayer(session.model) && options.maxNewTokens > 0) {
    std::fprintf(stderr,
                 "%s: error: the model has no output layer "
                 "(no_output_layer): its outputs are hidden states of width "
                 "%lld, not logits to generate from; run with "
                 "--max-new-tokens 0 and --logits-out FILE.npy to write "
                 "them\n",
                 options.programName.c_str(), static_cast<long long>(vocab));
    return 1;
  }
  session.state = api.stateNew(session.model, batch, &error);
  if (!session.state)
    return session.fail(error);

  std::vector<int32_t> tokens;
  for (const auto &row : options.prompts)
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
                                logits.data(), writeError)) {
    std::fprintf(stderr, "%s: error: %s\n", options.programName.c_str(),
                 writeError.c_str());
    return 1;
  }

  // Decoding from the last position's logits: each row's sampler sees the
  // row's prompt and generated tokens (for the repetition penalty).
  std::vector<std::vector<int32_t>> generated(batch);
  std::vector<std::vector<int32_t>> history(options.prompts);
  std::vector<Sampler> samplers;
  for (int64_t row = 0; row < batch; ++row) {
    retnet_sampling_params params = options.sampling;
    params.seed += static_cast<uint64_t>(row);
    samplers.emplace_back(params);
  }
  auto sampleRow = [&](int64_t row, const float *rowLogits) {
    int32_t token =
        samplers[row].sample(rowLogits, vocab, history[row].data(),
                             static_cast<int64_t>(history[row].size()));
    history[row].push_back(token);
    return token;
  };
  std::vector<int32_t> next(batch);
  auto lastLogits = [&](int64_t row) {
    return logits.data() +
           (allPositions ? (row * length + length - 1) * vocab : row * vocab);
  };
  for (int64_t row = 0; row < batch; ++row)
    next[row] = sampleRow(row, lastLogits(row));
  std::vector<float> stepLogits(batch * vocab);
  start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < options.maxNewTokens; ++step) {
    for (int64_t row = 0; row < batch; ++row)
      generated[row].push_back(next[row]);
    if (step + 1 == options.maxNewTokens)
      break;
    if (api.decode(session.model, session.state, next.data(), stepLogits.data(),
                   static_cast<int64_t>(stepLogits.size()), &error) != 0)
      return session.fail(error);
    for (int64_t row = 0; row < batch; ++row)
      next[row] = sampleRow(row, stepLogits.data() + row * vocab);
  }
  double decodeSeconds = secondsSince(start);

  for (int64_t row = 0; row < batch; ++row) {
    std::printf("%s",
                batch > 1 ? ("[" + std::to_string(row) + "] ").c_str() : "");
    for (size_t i = 0; i < generated[row].size(); ++i)
      std::printf("%s%d", i ? "," : "", generated[row][i]);
    std::printf("\n");
  }
  std::fflush(stdout);
  int64_t decodeSteps = std::max<int64_t>(options.maxNewTokens - 1, 0);
  std::fprintf(stderr,
               "prefill: %lld tokens in %.3f ms (%.1f tokens/s); decode: "
               "%lld steps in %.3f ms (%.1f tokens/s)\n",
               static_cast<long long>(batch * length), prefillSeconds * 1e3,
               batch * length / prefillSeconds,
               static_cast<long long>(decodeSteps * batch), decodeSeconds * 1e3,
               decodeSteps ? decodeSteps * batch / decodeSeconds : 0.0);
  // The process's peak resident memory (mapped file pages included), to
  // compare with the size of the weights.
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    std::fprintf(stderr, "memory: peak_resident_MB=%.1f\n",
                 usage.ru_maxrss / 1024.0);
  return 0;
}
