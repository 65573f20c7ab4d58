//===- TextStream.cpp - Prompts to ids, generated ids to text as they come ===//

#include "retnet/Runtime/Tokenizer.h"

#include <algorithm>

using namespace retnet_runtime;

/// Tokens kept before a window: enough for SentencePiece's leading space
/// and for a character whose bytes span tokens, unless they have no text
/// (control tokens), when more are kept.
static constexpr size_t kContextTokens = 4;

/// The length of the longest prefix of `text` that later bytes cannot
/// change: without a trailing incomplete UTF-8 character or trailing
/// U+FFFD (EF BF BD), which a byte-fallback sequence decodes to until it
/// is complete.
static size_t stableLength(const std::string &text) {
  size_t end = text.size();
  static const std::string replacement = "\xEF\xBF\xBD";
  while (end >= 3 && text.compare(end - 3, 3, replacement) == 0)
    end -= 3;
  // A lead byte among the last three bytes whose sequence is cut short.
  for (size_t back = 1; back <= 3 && back <= end; ++back) {
    auto byte = static_cast<unsigned char>(text[end - back]);
    if ((byte & 0xC0) == 0x80)
      continue; // a continuation byte
    size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    if (length > back)
      end -= back;
    break;
  }
  return end;
}

bool retnet_runtime::encodePrompt(const Tokenizer &tokenizer,
                                  const std::string &text, bool addBos,
                                  std::vector<int32_t> &ids,
                                  std::string &error) {
  ids.clear();
  if (addBos && tokenizer.bosId() >= 0)
    ids.push_back(tokenizer.bosId());
  std::vector<int32_t> textIds;
  if (!tokenizer.encode(text, textIds, error))
    return false;
  ids.insert(ids.end(), textIds.begin(), textIds.end());
  return true;
}

TextStream::TextStream(const Tokenizer &tokenizer,
                       std::vector<int32_t> contextTokens,
                       std::vector<std::string> stopStrings)
    : tokenizer(tokenizer), stops(std::move(stopStrings)),
      context(std::move(contextTokens)) {
  stops.erase(std::remove(stops.begin(), stops.end(), std::string()),
              stops.end());
}

bool TextStream::append(int32_t token, std::string &text, std::string &error) {
  text.clear();
  if (stopHit)
    return true;
  if (!contextDecoded && !rebase(error))
    return false;
  window.push_back(token);
  return advance(/*final=*/false, text, error);
}

bool TextStream::finish(std::string &text, std::string &error) {
  text.clear();
  return stopHit || advance(/*final=*/true, text, error);
}

bool TextStream::advance(bool final, std::string &text, std::string &error) {
  std::vector<int32_t> tokens(context);
  tokens.insert(tokens.end(), window.begin(), window.end());
  std::string decoded;
  if (!tokenizer.decode(tokens, decoded, error))
    return false;
  // The window's text continues the context's; when a tokenizer does not
  // keep that prefix, decode the window alone.
  if (decoded.compare(0, contextText.size(), contextText) == 0)
    decoded.erase(0, contextText.size());
  else if (!tokenizer.decode(window, decoded, error))
    return false;

  size_t end = final ? decoded.size() : stableLength(decoded);
  // The first stop string in the final text ends it. Text before
  // windowEmitted was given out while it could not start a stop string, so
  // a match starts at or after it, unless the tokenizer rewrote it.
  size_t stopAt = std::string::npos;
  for (const std::string &stop : stops) {
    size_t at = decoded.substr(0, end).find(stop);
    stopAt = std::min(stopAt, at);
  }
  if (stopAt != std::string::npos) {
    stopHit = true;
    end = stopAt;
  } else if (!final) {
    // Hold back the longest end that begins a stop string.
    size_t held = 0;
    for (const std::string &stop : stops)
      for (size_t length = std::min(stop.size() - 1, end); length > held;
           --length)
        if (decoded.compare(end - length, length, stop, 0, length) == 0) {
          held = length;
          break;
        }
    end -= held;
  }
  if (end > windowEmitted) {
    text = decoded.substr(windowEmitted, end - windowEmitted);
    emitted += text;
    windowEmitted = end;
  }
  if (!final && !stopHit && windowEmitted == decoded.size())
    return rebase(error);
  return true;
}

bool TextStream::rebase(std::string &error) {
  std::vector<int32_t> tokens(context);
  tokens.insert(tokens.end(), window.begin(), window.end());
  window.clear();
  windowEmitted = 0;
  // The last kContextTokens tokens, or more until they have text: a text
  // that starts in the window would lose its leading space.
  size_t keep = std::min(tokens.size(), kContextTokens);
  while (true) {
    context.assign(tokens.end() - keep, tokens.end());
    if (!tokenizer.decode(context, contextText, error))
      return false;
    if (!contextText.empty() || keep == tokens.size())
      break;
    keep = std::min(tokens.size(), 2 * keep);
  }
  contextDecoded = true;
  return true;
}
