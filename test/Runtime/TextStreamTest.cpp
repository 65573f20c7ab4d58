//===- TextStreamTest.cpp - Streamed text against the whole text ---------===//
//
// TextStream (retnet-run's streamed text) on random token sequences of a
// toy tokenizer with SentencePiece's traits: byte pieces that only form a
// character together, U+FFFD for bytes that do not, a leading space dropped
// at the start of a text, and a control token. Checked against the whole
// text decoded at once, cut at the first stop string:
//  - the streamed pieces and the rest given at the end make that text;
//  - text is given out as soon as it is final: after each token whose
//    text does not end in U+FFFD, all of it that cannot begin a stop
//    string;
//  - nothing is given out after a stop string.
//
//===----------------------------------------------------------------------===//

#include "retnet/Runtime/Tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace retnet_runtime;

namespace {
/// Ids 0-255 are bytes; 256 + i are the words below; kControl decodes to
/// nothing.
const std::vector<std::string> kWords = {
    " the", " cat", "sat", " on", "ab", "b", "a", "é", " 東京", "\n", " "};
constexpr int32_t kControl = 300;

/// The code points of well-formed UTF-8, else U+FFFD for each byte that
/// cannot start or continue a character (written without the stream's
/// code, by the standard's table of well-formed sequences).
std::string replaceInvalid(const std::string &bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    auto b = static_cast<unsigned char>(bytes[i]);
    size_t length = b < 0x80                   ? 1
                    : (b >= 0xC2 && b <= 0xDF) ? 2
                    : (b >= 0xE0 && b <= 0xEF) ? 3
                    : (b >= 0xF0 && b <= 0xF4) ? 4
                                               : 0;
    bool valid = length > 0 && i + length <= bytes.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    if (valid) {
      out.append(bytes, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

class ToyTokenizer : public Tokenizer {
public:
  int64_t vocabSize() const override { return kControl + 1; }
  int32_t bosId() const override { return kControl; }
  int32_t eosId() const override { return -1; }
  bool encode(const std::string &, std::vector<int32_t> &,
              std::string &error) const override {
    error = "not used";
    return false;
  }
  bool decode(const std::vector<int32_t> &ids, std::string &text,
              std::string &error) const override {
    std::string bytes;
    for (int32_t id : ids) {
      if (id < 0 || id > kControl) {
        error = "id out of range";
        return false;
      }
      if (id < 256)
        bytes += static_cast<char>(id);
      else if (id != kControl)
        bytes += kWords[id - 256];
    }
    text = replaceInvalid(bytes);
    if (!text.empty() && text[0] == ' ')
      text.erase(0, 1);
    return true;
  }
};

int failures = 0;
void check(bool condition, const std::string &what) {
  if (!condition && failures++ < 10)
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
}

std::string decodeOrDie(const Tokenizer &tokenizer,
                        const std::vector<int32_t> &ids) {
  std::string text, error;
  if (!tokenizer.decode(ids, text, error))
    std::abort();
  return text;
}

/// The text of `generated` after `context`, decoded at once.
std::string wholeText(const Tokenizer &tokenizer,
                      const std::vector<int32_t> &context,
                      const std::vector<int32_t> &generated) {
  std::vector<int32_t> all(context);
  all.insert(all.end(), generated.begin(), generated.end());
  std::string whole = decodeOrDie(tokenizer, all);
  std::string prefix = decodeOrDie(tokenizer, context);
  if (whole.compare(0, prefix.size(), prefix) == 0)
    return whole.substr(prefix.size());
  return decodeOrDie(tokenizer, generated);
}

/// The text cut before the first stop string; `stopped` says if one came.
std::string cutAtStop(const std::string &text,
                      const std::vector<std::string> &stops, bool &stopped) {
  size_t first = std::string::npos;
  for (const std::string &stop : stops)
    first = std::min(first, text.find(stop));
  stopped = first != std::string::npos;
  return stopped ? text.substr(0, first) : text;
}

/// Whether `text` ends in U+FFFD, which a later byte may turn into a
/// character.
bool endsIncomplete(const std::string &text) {
  return text.size() >= 3 &&
         text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}

/// Whether a stop string may begin in `text` and end after it.
bool mayBeginStop(const std::string &text,
                  const std::vector<std::string> &stops) {
  for (const std::string &stop : stops)
    for (size_t length = 1; length < stop.size() && length <= text.size();
         ++length)
      if (text.compare(text.size() - length, length, stop, 0, length) == 0)
        return true;
  return false;
}

int32_t randomToken(std::mt19937 &random) {
  int kind = random() % 10;
  if (kind < 5)
    return 256 + random() % kWords.size();
  if (kind < 6)
    return kControl;
  if (kind <
      8) // the bytes of é (C3 A9), 東 (E6 9D B1), or 🙂 (F0 9F 99 82)
    return std::vector<int32_t>{0xC3, 0xA9, 0xE6, 0x9D, 0xB1,
                                0xF0, 0x9F, 0x99, 0x82}[random() % 9];
  return 'a' + random() % 3;
}
} // namespace

int main() {
  ToyTokenizer tokenizer;
  std::mt19937 random(17);
  int stoppedRuns = 0;
  for (int run = 0; run < 3000; ++run) {
    std::vector<int32_t> context, generated;
    for (int i = random() % 7; i > 0; --i)
      context.push_back(randomToken(random));
    for (int i = 1 + random() % 24; i > 0; --i)
      generated.push_back(randomToken(random));
    // Stop strings: none, pieces of the whole text (they span tokens), and
    // strings that may not come.
    std::string whole = wholeText(tokenizer, context, generated);
    std::vector<std::string> stops;
    for (int i = random() % 3; i > 0; --i) {
      if (whole.size() > 2 && random() % 2) {
        size_t at = random() % (whole.size() - 1);
        stops.push_back(whole.substr(at, 1 + random() % 4));
      } else {
        stops.push_back(std::string("ab c").substr(random() % 3));
      }
    }
    bool expectStop = false;
    std::string expected = cutAtStop(whole, stops, expectStop);

    TextStream stream(tokenizer, context, stops);
    std::string streamed, piece, error;
    std::string label = "run " + std::to_string(run);
    for (size_t i = 0; i < generated.size(); ++i) {
      if (!stream.append(generated[i], piece, error)) {
        check(false, label + ": " + error);
        break;
      }
      streamed += piece;
      // All final text is out: the text so far, when it cannot change.
      std::vector<int32_t> sofar(generated.begin(), generated.begin() + i + 1);
      std::string uncut = wholeText(tokenizer, context, sofar);
      bool stoppedSoFar = false;
      std::string now = cutAtStop(uncut, stops, stoppedSoFar);
      if (!endsIncomplete(uncut) && (stoppedSoFar || !mayBeginStop(now, stops)))
        check(streamed == now, label + ": after token " + std::to_string(i) +
                                   " gave '" + streamed + "', final '" + now +
                                   "'");
    }
    check(stream.finish(piece, error), label + ": " + error);
    streamed += piece;
    std::string tokens;
    for (int32_t id : context)
      tokens += std::to_string(id) + " ";
    tokens += "|";
    for (int32_t id : generated)
      tokens += " " + std::to_string(id);
    check(streamed == expected, label + ": streamed '" + streamed +
                                    "', whole '" + expected + "' of " + tokens);
    check(stream.stopped() == expectStop, label + ": stopped");
    check(stream.text() == streamed, label + ": text()");
    stoppedRuns += expectStop;
  }
  // Decoding errors reach the caller.
  TextStream stream(tokenizer, {}, {});
  std::string piece, error;
  check(!stream.append(kControl + 1, piece, error) && !error.empty(),
        "an id out of range is an error");
  check(stoppedRuns > 300, "stop strings came in " +
                               std::to_string(stoppedRuns) + " of 3000 runs");
  if (failures) {
    std::fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  std::printf("PASS: 3000 random generations (%d ended by a stop string) "
              "stream their whole text\n",
              stoppedRuns);
  return 0;
}
