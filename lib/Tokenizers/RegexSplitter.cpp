//===- RegexSplitter.cpp - Split text at the matches of a regex -----------===//

#include "RegexSplitter.h"

#include <oniguruma.h>

#include <mutex>

using namespace retnet_tokenizers;

/// The text of an Oniguruma error code.
static std::string onigMessage(int code, OnigErrorInfo *info = nullptr) {
  OnigUChar text[ONIG_MAX_ERROR_MESSAGE_LEN];
  if (info)
    onig_error_code_to_str(text, code, info);
  else
    onig_error_code_to_str(text, code);
  return reinterpret_cast<const char *>(text);
}

std::unique_ptr<RegexSplitter>
RegexSplitter::compile(const std::string &pattern, std::string &error) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
  std::unique_ptr<RegexSplitter> splitter(new RegexSplitter());
  auto begin = reinterpret_cast<const OnigUChar *>(pattern.data());
  OnigRegex compiled = nullptr;
  OnigErrorInfo info;
  int code = onig_new(&compiled, begin, begin + pattern.size(),
                      ONIG_OPTION_CAPTURE_GROUP, ONIG_ENCODING_UTF8,
                      ONIG_SYNTAX_DEFAULT, &info);
  if (code != ONIG_NORMAL) {
    error = "regex '" + pattern + "': " + onigMessage(code, &info);
    return nullptr;
  }
  splitter->regex = compiled;
  return splitter;
}

RegexSplitter::~RegexSplitter() {
  if (regex)
    onig_free(static_cast<OnigRegex>(regex));
}

bool RegexSplitter::split(std::string_view text,
                          std::vector<std::string_view> &pieces,
                          std::string &error) const {
  auto begin = reinterpret_cast<const OnigUChar *>(text.data());
  auto end = begin + text.size();
  std::unique_ptr<OnigRegion, void (*)(OnigRegion *)> region(
      onig_region_new(), [](OnigRegion *r) { onig_region_free(r, 1); });
  size_t unmatched = 0, from = 0;
  while (from < text.size()) {
    int found = onig_search(static_cast<OnigRegex>(regex), begin, end,
                            begin + from, end, region.get(), ONIG_OPTION_NONE);
    if (found == ONIG_MISMATCH)
      break;
    if (found < 0) {
      error = "splitting the text: " + onigMessage(found);
      return false;
    }
    size_t start = region->beg[0], stop = region->end[0];
    if (stop == start) {
      // An empty match: go on from the next character.
      from = start + 1;
      while (from < text.size() && (text[from] & 0xC0) == 0x80)
        ++from;
      continue;
    }
    if (start > unmatched)
      pieces.push_back(text.substr(unmatched, start - unmatched));
    pieces.push_back(text.substr(start, stop - start));
    unmatched = from = stop;
  }
  if (unmatched < text.size())
    pieces.push_back(text.substr(unmatched));
  return true;
}
