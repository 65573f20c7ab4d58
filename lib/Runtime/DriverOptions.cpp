//===- DriverOptions.cpp - Flags and prompts of generation runs -----------===//

#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/Sampling.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>

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

namespace {
/// One argument of a generation command line: its flag name, and its value
/// given inline (--flag=value) or as the next argument.
class FlagArgument {
public:
  FlagArgument(const std::vector<std::string> &args, size_t &i,
               std::string &error)
      : args(args), i(i), error(error), arg(args[i]) {
    size_t equals = arg.find('=');
    inlineValue = equals != std::string::npos && arg.rfind("--", 0) == 0;
    name = inlineValue ? arg.substr(0, equals) : arg;
    if (inlineValue)
      inlineText = arg.substr(equals + 1);
  }

  /// The flag's value into `value`; false with the error set when none
  /// follows.
  bool takeValue() {
    if (inlineValue) {
      value = inlineText;
      return true;
    }
    if (i + 1 >= args.size()) {
      error = name + " needs a value";
      return false;
    }
    value = args[++i];
    return true;
  }
  /// False with the error set when the flag was given a value inline.
  bool takeNoValue() {
    if (!inlineValue)
      return true;
    error = name + " takes no value";
    return false;
  }
  /// Takes the value of an integer flag in [0, maximum] into `number`.
  bool takeInteger(int64_t maximum, int64_t &number) {
    if (!takeValue())
      return false;
    if (parseInteger(value, 0, maximum, number))
      return true;
    error = name + ": expected an integer from 0 to " +
            std::to_string(maximum) + ", got '" + value + "'";
    return false;
  }
  /// Takes a value that must not be empty, else `emptyError`.
  bool takeNonEmptyValue(const std::string &emptyError) {
    if (!takeValue())
      return false;
    if (!value.empty())
      return true;
    error = emptyError;
    return false;
  }

  const std::vector<std::string> &args;
  size_t &i;
  std::string &error;
  /// The whole argument, its flag name (before any '='), and the value
  /// taken last.
  std::string arg, name, value;

private:
  bool inlineValue;
  std::string inlineText;
};

/// Whether a group of flags knew an argument: Failed with the error set.
enum class FlagResult { Unknown, Taken, Failed };
} // namespace

/// The flags of the model, the prompt and the stop strings.
static FlagResult parseInputFlag(FlagArgument &flag, GenerateOptions &options,
                                 bool &havePrompt, bool &haveText) {
  const std::string &name = flag.name;
  if (name == "--weights") {
    if (!flag.takeValue())
      return FlagResult::Failed;
    options.weights = flag.value;
  } else if (name == "--allow-extra-tensors") {
    if (!flag.takeNoValue())
      return FlagResult::Failed;
    options.loadFlags |= RETNET_LOAD_ALLOW_EXTRA_TENSORS;
  } else if (name == "--prompt") {
    if (!flag.takeValue() ||
        !parsePrompt(flag.value, options.prompts, flag.error))
      return FlagResult::Failed;
    havePrompt = true;
  } else if (name == "--tokenizer") {
    if (!flag.takeNonEmptyValue("--tokenizer needs a file"))
      return FlagResult::Failed;
    options.tokenizerPath = flag.value;
  } else if (name == "--text") {
    if (!flag.takeValue())
      return FlagResult::Failed;
    options.text = flag.value;
    haveText = true;
  } else if (name == "--stop") {
    if (!flag.takeNonEmptyValue("--stop: the stop string is empty"))
      return FlagResult::Failed;
    options.stops.push_back(flag.value);
  } else {
    return FlagResult::Unknown;
  }
  return FlagResult::Taken;
}

/// The flags of the end of generation, its logits and its sampling.
static FlagResult parseSamplingFlag(FlagArgument &flag,
                                    GenerateOptions &options) {
  const std::string &name = flag.name;
  if (name == "--ignore-eos" || name == "--no-bos") {
    if (!flag.takeNoValue())
      return FlagResult::Failed;
    (name == "--ignore-eos" ? options.ignoreEos : options.addBos) =
        name == "--ignore-eos";
    return FlagResult::Taken;
  }
  if (name == "--max-new-tokens" || name == "--eos-id") {
    int64_t count;
    if (!flag.takeInteger(name == "--eos-id" ? INT32_MAX : kMaxNewTokens,
                          count))
      return FlagResult::Failed;
    (name == "--eos-id" ? options.eosId : options.maxNewTokens) = count;
    return FlagResult::Taken;
  }
  if (name == "--logits-out") {
    if (!flag.takeValue())
      return FlagResult::Failed;
    options.logitsOut = flag.value;
    return FlagResult::Taken;
  }
  if (name == "--temperature" || name == "--top-p" || name == "--min-p" ||
      name == "--repeat-penalty") {
    if (!flag.takeValue())
      return FlagResult::Failed;
    float number;
    if (!parseFloat(flag.value, number)) {
      flag.error = name + ": expected a number, got '" + flag.value + "'";
      return FlagResult::Failed;
    }
    options.temperatureGiven |= name == "--temperature";
    (name == "--temperature" ? options.sampling.temperature
     : name == "--top-p"     ? options.sampling.top_p
     : name == "--min-p"     ? options.sampling.min_p
                             : options.sampling.repetition_penalty) = number;
    return FlagResult::Taken;
  }
  if (name == "--top-k" || name == "--seed") {
    int64_t number;
    if (!flag.takeInteger(name == "--top-k" ? INT32_MAX : INT64_MAX, number))
      return FlagResult::Failed;
    if (name == "--top-k")
      options.sampling.top_k = static_cast<int32_t>(number);
    else
      options.sampling.seed = static_cast<uint64_t>(number);
    return FlagResult::Taken;
  }
  return FlagResult::Unknown;
}

/// False with `error` set when the parsed options lack or contradict
/// something; sets the default temperature of token-id prompts.
static bool checkGenerateOptions(GenerateOptions &options, bool havePrompt,
                                 bool haveText, std::string &error) {
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

bool retnet_runtime::parseGenerateOptions(
    const std::vector<std::string> &args, GenerateOptions &options,
    const std::function<bool(const std::string &)> &extra, std::string &error) {
  bool havePrompt = false, haveText = false;
  for (size_t i = 0; i < args.size(); ++i) {
    FlagArgument flag(args, i, error);
    FlagResult result = parseInputFlag(flag, options, havePrompt, haveText);
    if (result == FlagResult::Unknown)
      result = parseSamplingFlag(flag, options);
    if (result == FlagResult::Failed)
      return false;
    if (result == FlagResult::Unknown && !extra(flag.arg)) {
      error = "unknown argument '" + flag.arg + "'";
      return false;
    }
  }
  return checkGenerateOptions(options, havePrompt, haveText, error);
}
