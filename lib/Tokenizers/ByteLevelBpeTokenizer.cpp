//===- ByteLevelBpeTokenizer.cpp - Hugging Face byte-level BPE ------------===//
//
// A tokenizer.json whose model is BPE over byte-level symbols (GPT-2,
// RoBERTa, Llama 3, Qwen and many more): added tokens are cut out of the
// text first, the rest is split by the pre-tokenizers (Split by regex,
// ByteLevel, Digits), each piece's bytes become byte-level symbols, and
// adjacent symbols merge in the order of the merges list.
//
//===----------------------------------------------------------------------===//

#include "ByteLevelAlphabet.h"
#include "RegexSplitter.h"
#include "TokenizerLoaders.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>

using namespace retnet_runtime;
using namespace retnet_tokenizers;
using json = nlohmann::json;

/// The regex of GPT-2's ByteLevel pre-tokenizer (use_regex).
static const char *kByteLevelPattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

namespace {
/// One pre-tokenizer of the chain.
struct PreTokenizer {
  enum class Kind { Split, ByteLevel, Digits } kind;
  std::shared_ptr<RegexSplitter> regex; // Split; ByteLevel with use_regex
  bool addPrefixSpace = false;          // ByteLevel
  bool individualDigits = false;        // Digits
};

class ByteLevelBpeTokenizer final : public Tokenizer {
public:
  bool load(const json &root, const json *config, std::string &error);

  int64_t vocabSize() const override { return tokens.size(); }
  int32_t bosId() const override { return bos; }
  int32_t eosId() const override { return eos; }
  bool encode(const std::string &text, std::vector<int32_t> &ids,
              std::string &error) const override;
  bool decode(const std::vector<int32_t> &ids, std::string &text,
              std::string &error) const override;

private:
  bool loadPreTokenizer(const json &node, std::string &error);
  bool loadModel(const json &model, std::string &error);
  /// The id of token `text`, or -1.
  int32_t idOf(const std::string &text) const {
    auto found = vocab.find(text);
    return found == vocab.end() ? -1 : found->second;
  }
  /// Appends the ids of one pre-tokenized piece (byte-level symbols).
  bool encodePiece(const std::string &symbols, std::vector<int32_t> &ids,
                   std::string &error) const;

  ByteLevelAlphabet alphabet;
  std::unordered_map<std::string, int32_t> vocab;
  /// Each id's token text, and whether it is an added (special) token.
  std::vector<std::string> tokens;
  std::vector<uint8_t> added, special;
  /// Added tokens, longest first (matched in the text before anything).
  std::vector<std::pair<std::string, int32_t>> addedTokens;
  /// Rank and result of the merge of a pair of ids.
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;
  std::vector<PreTokenizer> preTokenizers;
  bool ignoreMerges = false;
  int32_t bos = -1, eos = -1;

  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
};
} // namespace

/// The largest vocabulary read: ids beyond are an error, not an allocation
/// of their size.
static constexpr int64_t kMaxVocabulary = int64_t(1) << 24;

/// Reads the id of token `text`; false with `error` set unless it is an
/// integer in [0, kMaxVocabulary).
static bool readTokenId(const json &value, const std::string &text, int32_t &id,
                        std::string &error) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() >= kMaxVocabulary) {
    error = "token '" + text + "' has the id " + value.dump() +
            ", not an integer from 0 to " + std::to_string(kMaxVocabulary - 1);
    return false;
  }
  id = value.get<int32_t>();
  return true;
}

static uint64_t pairKey(int32_t left, int32_t right) {
  return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 |
         static_cast<uint32_t>(right);
}

/// The content of a tokenizer_config.json token entry: a string or
/// {"content": ...}.
static std::string tokenContent(const json &entry) {
  if (entry.is_string())
    return entry.get<std::string>();
  if (entry.is_object() && entry.contains("content") &&
      entry["content"].is_string())
    return entry["content"].get<std::string>();
  return "";
}

bool ByteLevelBpeTokenizer::loadPreTokenizer(const json &node,
                                             std::string &error) {
  std::string type = node.value("type", "");
  if (type == "Sequence") {
    for (const json &inner : node.at("pretokenizers"))
      if (!loadPreTokenizer(inner, error))
        return false;
    return true;
  }
  PreTokenizer step;
  if (type == "ByteLevel") {
    step.kind = PreTokenizer::Kind::ByteLevel;
    step.addPrefixSpace = node.value("add_prefix_space", false);
    if (node.value("use_regex", true) &&
        !(step.regex = RegexSplitter::compile(kByteLevelPattern, error)))
      return false;
  } else if (type == "Split") {
    step.kind = PreTokenizer::Kind::Split;
    const json &pattern = node.at("pattern");
    std::string behavior = node.value("behavior", "");
    if (behavior != "Isolated" || node.value("invert", false)) {
      error = "pre-tokenizer Split with behavior '" + behavior + "'" +
              (node.value("invert", false) ? " (inverted)" : "") +
              " is not supported (only Isolated)";
      return false;
    }
    std::string regex;
    if (pattern.contains("Regex")) {
      regex = pattern["Regex"].get<std::string>();
    } else {
      // A literal string: escaped into a regex.
      for (char c : pattern.at("String").get<std::string>()) {
        if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos)
          regex += '\\';
        regex += c;
      }
    }
    if (!(step.regex = RegexSplitter::compile(regex, error)))
      return false;
  } else if (type == "Digits") {
    step.kind = PreTokenizer::Kind::Digits;
    step.individualDigits = node.value("individual_digits", false);
  } else {
    error = "pre-tokenizer '" + type +
            "' is not supported (byte-level BPE: ByteLevel, Split, Digits)";
    return false;
  }
  preTokenizers.push_back(std::move(step));
  return true;
}

bool ByteLevelBpeTokenizer::loadModel(const json &model, std::string &error) {
  if (model.value("type", "BPE") != "BPE") {
    error = "model type '" + model.value("type", "") +
            "' is not supported (only BPE)";
    return false;
  }
  if (!model.value("continuing_subword_prefix", json()).is_null() &&
      !model["continuing_subword_prefix"].get<std::string>().empty()) {
    error = "BPE with a continuing_subword_prefix is not supported";
    return false;
  }
  if (!model.value("end_of_word_suffix", json()).is_null() &&
      !model["end_of_word_suffix"].get<std::string>().empty()) {
    error = "BPE with an end_of_word_suffix is not supported";
    return false;
  }
  if (model.value("byte_fallback", false)) {
    error = "BPE with byte_fallback (SentencePiece-style) is not supported: "
            "use the model's tokenizer.model";
    return false;
  }
  ignoreMerges = model.value("ignore_merges", false);
  for (const auto &[text, id] : model.at("vocab").items()) {
    int32_t value = 0;
    if (!readTokenId(id, text, value, error))
      return false;
    vocab[text] = value;
  }
  int32_t rank = 0;
  for (const json &merge : model.at("merges")) {
    std::string left, right;
    if (merge.is_string()) {
      std::string text = merge.get<std::string>();
      size_t space = text.find(' ', 1);
      if (space == std::string::npos) {
        error = "merge '" + text + "' is not two tokens";
        return false;
      }
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else {
      left = merge.at(0).get<std::string>();
      right = merge.at(1).get<std::string>();
    }
    int32_t leftId = idOf(left), rightId = idOf(right),
            mergedId = idOf(left + right);
    if (leftId < 0 || rightId < 0 || mergedId < 0) {
      error = "merge '" + left + " " + right +
              "' has a token outside the "
              "vocabulary";
      return false;
    }
    merges.emplace(pairKey(leftId, rightId), std::make_pair(rank++, mergedId));
  }
  return true;
}

bool ByteLevelBpeTokenizer::load(const json &root, const json *config,
                                 std::string &error) {
  const json &normalizer = root.value("normalizer", json());
  if (!normalizer.is_null()) {
    error = "normalizer '" + normalizer.value("type", "") +
            "' is not supported (byte-level BPE without a normalizer)";
    return false;
  }
  if (!loadModel(root.at("model"), error))
    return false;
  const json &preTokenizer = root.value("pre_tokenizer", json());
  if (!preTokenizer.is_null() && !loadPreTokenizer(preTokenizer, error))
    return false;
  if (std::none_of(preTokenizers.begin(), preTokenizers.end(),
                   [](const PreTokenizer &step) {
                     return step.kind == PreTokenizer::Kind::ByteLevel;
                   })) {
    error = "the pre-tokenizer has no ByteLevel step: only byte-level BPE "
            "is supported (a SentencePiece-style tokenizer.json has a "
            "tokenizer.model beside it)";
    return false;
  }
  // Each added token's id and whether it is special, marked once the id
  // tables have their size.
  std::vector<std::pair<int32_t, bool>> addedFlags;
  for (const json &token : root.value("added_tokens", json::array())) {
    std::string content = token.at("content").get<std::string>();
    int32_t id = 0;
    if (!readTokenId(token.at("id"), content, id, error))
      return false;
    vocab[content] = id;
    addedTokens.push_back({content, id});
    addedFlags.push_back({id, token.value("special", false)});
  }
  int64_t size = 0;
  for (const auto &[text, id] : vocab)
    size = std::max<int64_t>(size, int64_t(id) + 1);
  if (size == 0) {
    error = "the vocabulary is empty";
    return false;
  }
  tokens.assign(size, "");
  added.assign(size, 0);
  special.assign(size, 0);
  for (const auto &[text, id] : vocab)
    tokens[id] = text;
  for (auto [id, isSpecial] : addedFlags) {
    added[id] = 1;
    special[id] = isSpecial;
  }
  std::sort(addedTokens.begin(), addedTokens.end(),
            [](const auto &a, const auto &b) {
              return a.first.size() != b.first.size()
                         ? a.first.size() > b.first.size()
                         : a.second < b.second;
            });

  // BOS: the special token a TemplateProcessing puts before a text, or
  // tokenizer_config.json's bos_token when add_bos_token is set. EOS:
  // tokenizer_config.json's eos_token, else a well-known end token.
  const json &post = root.value("post_processor", json());
  if (post.is_object() && post.value("type", "") == "TemplateProcessing" &&
      post.contains("single") && !post["single"].empty() &&
      post["single"][0].contains("SpecialToken"))
    bos = idOf(post["single"][0]["SpecialToken"].value("id", ""));
  if (config && config->contains("bos_token") &&
      config->value("add_bos_token", false))
    bos = idOf(tokenContent((*config)["bos_token"]));
  if (config && config->contains("eos_token"))
    eos = idOf(tokenContent((*config)["eos_token"]));
  for (const char *name : {"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"})
    if (eos < 0)
      eos = idOf(name);
  return true;
}

bool ByteLevelBpeTokenizer::encodePiece(const std::string &symbols,
                                        std::vector<int32_t> &ids,
                                        std::string &error) const {
  if (ignoreMerges) {
    if (int32_t whole = idOf(symbols); whole >= 0) {
      ids.push_back(whole);
      return true;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto found = cache.find(symbols);
    if (found != cache.end()) {
      ids.insert(ids.end(), found->second.begin(), found->second.end());
      return true;
    }
  }
  std::vector<int32_t> parts;
  for (size_t at = 0; at < symbols.size();) {
    size_t start = at;
    nextCodePoint(symbols, at);
    int32_t id = idOf(symbols.substr(start, at - start));
    if (id < 0) {
      error = "the byte-level symbol '" + symbols.substr(start, at - start) +
              "' is not in the vocabulary";
      return false;
    }
    parts.push_back(id);
  }
  // Merge the adjacent pair of the lowest rank (the leftmost of equals)
  // until no pair has a merge.
  while (parts.size() > 1) {
    int32_t bestRank = std::numeric_limits<int32_t>::max(), bestId = -1;
    size_t best = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      auto found = merges.find(pairKey(parts[i], parts[i + 1]));
      if (found != merges.end() && found->second.first < bestRank) {
        bestRank = found->second.first;
        bestId = found->second.second;
        best = i;
      }
    }
    if (bestId < 0)
      break;
    parts[best] = bestId;
    parts.erase(parts.begin() + best + 1);
  }
  ids.insert(ids.end(), parts.begin(), parts.end());
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (cache.size() >= 1 << 16)
    cache.clear();
  cache.emplace(symbols, std::move(parts));
  return true;
}

bool ByteLevelBpeTokenizer::encode(const std::string &text,
                                   std::vector<int32_t> &ids,
                                   std::string &error) const {
  // Cut out the added tokens (the longest at the earliest position).
  std::vector<std::pair<std::string_view, int32_t>> segments;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t first = std::string_view::npos;
    const std::pair<std::string, int32_t> *match = nullptr;
    for (const auto &token : addedTokens) {
      size_t at =
          token.first.empty() ? std::string_view::npos : rest.find(token.first);
      if (at < first) {
        first = at;
        match = &token;
      }
    }
    if (!match) {
      segments.push_back({rest, -1});
      break;
    }
    if (first > 0)
      segments.push_back({rest.substr(0, first), -1});
    segments.push_back({match->first, match->second});
    rest.remove_prefix(first + match->first.size());
  }
  for (const auto &[segment, addedId] : segments) {
    if (addedId >= 0) {
      ids.push_back(addedId);
      continue;
    }
    std::vector<std::string> pieces = {std::string(segment)};
    for (const PreTokenizer &step : preTokenizers) {
      std::vector<std::string> next;
      for (std::string &piece : pieces) {
        // As Hugging Face's ByteLevel: each piece so far gets the space.
        if (step.kind == PreTokenizer::Kind::ByteLevel && step.addPrefixSpace &&
            !piece.empty() && piece[0] != ' ')
          piece.insert(piece.begin(), ' ');
        std::vector<std::string_view> parts;
        if (step.regex) {
          if (!step.regex->split(piece, parts, error))
            return false;
        } else if (step.kind == PreTokenizer::Kind::Digits) {
          auto digit = [](char c) { return c >= '0' && c <= '9'; };
          std::string_view view = piece;
          for (size_t at = 0; at < view.size();) {
            size_t end = at + 1;
            if (!step.individualDigits)
              while (end < view.size() && digit(view[end]) == digit(view[at]))
                ++end;
            else if (!digit(view[at]))
              while (end < view.size() && !digit(view[end]))
                ++end;
            parts.push_back(view.substr(at, end - at));
            at = end;
          }
        } else {
          parts.push_back(piece);
        }
        for (std::string_view part : parts)
          next.emplace_back(part);
      }
      pieces = std::move(next);
    }
    for (const std::string &piece : pieces)
      if (!encodePiece(alphabet.encode(piece), ids, error))
        return false;
  }
  return true;
}

bool ByteLevelBpeTokenizer::decode(const std::vector<int32_t> &ids,
                                   std::string &text,
                                   std::string &error) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocabSize() || tokens[id].empty()) {
      error = "token id " + std::to_string(id) +
              " is not in the tokenizer's vocabulary of " +
              std::to_string(vocabSize());
      return false;
    }
    if (special[id])
      continue;
    bytes += added[id] ? tokens[id] : alphabet.decode(tokens[id]);
  }
  text = lossyUtf8(bytes);
  return true;
}

std::unique_ptr<Tokenizer>
retnet_tokenizers::loadByteLevelBpeTokenizer(const std::string &path,
                                             std::string &error) {
  auto readJson = [](const std::string &file, json &value,
                     std::string &problem) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      problem = "no such file";
      return false;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    value = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object()) {
      problem = "not a JSON object";
      return false;
    }
    return true;
  };
  json root, config;
  std::string problem;
  if (!readJson(path, root, problem)) {
    error = "tokenizer '" + path + "': " + problem;
    return nullptr;
  }
  if (!root.contains("model")) {
    error = "tokenizer '" + path +
            "' is not a Hugging Face tokenizer.json (it has no \"model\")";
    return nullptr;
  }
  // tokenizer_config.json beside it names the BOS and EOS tokens.
  size_t slash = path.find_last_of('/');
  std::string configPath =
      (slash == std::string::npos ? "" : path.substr(0, slash + 1)) +
      "tokenizer_config.json";
  std::string configProblem;
  bool haveConfig = readJson(configPath, config, configProblem);
  auto tokenizer = std::make_unique<ByteLevelBpeTokenizer>();
  try {
    if (!tokenizer->load(root, haveConfig ? &config : nullptr, problem)) {
      error = "tokenizer '" + path + "': " + problem;
      return nullptr;
    }
  } catch (const json::exception &failure) {
    error =
        "tokenizer '" + path + "' is not a tokenizer.json: " + failure.what();
    return nullptr;
  }
  return tokenizer;
}
