//===- retnet-tokenize.cpp - Text to token ids and back with a tokenizer --===//

#include "retnet/Runtime/Driver.h"
#include "retnet/Tokenizers/Tokenizers.h"

#include <cstdio>
#include <string>
#include <vector>

static const char *usage =
    "usage: retnet-tokenize TOK.model --text \"...\" [--bos]\n"
    "       retnet-tokenize TOK.model --ids 1,2,3\n"
    "       retnet-tokenize TOK.model --info\n\n"
    "Tokenizes with the tokenizer retnet-run --tokenizer reads (a\n"
    "SentencePiece .model, or a Hugging Face tokenizer.json of a byte-level\n"
    "BPE model, or a folder that holds one):\n"
    "  --text \"...\"   print the text's token ids, comma-separated (the form\n"
    "                 retnet-run --prompt reads); --bos puts the tokenizer's\n"
    "                 BOS first, as retnet-run --text does\n"
    "  --ids 1,2,3    print the text of the ids\n"
    "  --info         print the vocabulary size and the BOS and EOS ids\n";

static int fail(const std::string &message) {
  std::fprintf(stderr, "retnet-tokenize: error: %s\n", message.c_str());
  return 1;
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage);
      return 0;
    }
  std::string mode, value;
  bool bos = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--bos") {
      bos = true;
    } else if (args[i] == "--info") {
      mode = args[i];
    } else if ((args[i] == "--text" || args[i] == "--ids") &&
               i + 1 < args.size()) {
      mode = args[i];
      value = args[++i];
    } else {
      std::fprintf(stderr,
                   "retnet-tokenize: error: unexpected argument '%s'\n%s",
                   args[i].c_str(), usage);
      return 2;
    }
  }
  if (args.empty() || mode.empty()) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  std::string error;
  auto tokenizer = retnet_tokenizers::loadTokenizer(args.front(), error);
  if (!tokenizer)
    return fail(error);
  if (mode == "--info") {
    std::printf("vocab_size: %lld\nbos_id: %d\neos_id: %d\n",
                static_cast<long long>(tokenizer->vocabSize()),
                tokenizer->bosId(), tokenizer->eosId());
    return 0;
  }
  if (mode == "--ids") {
    std::vector<std::vector<int32_t>> rows;
    if (!retnet_runtime::parsePrompt(value, rows, error))
      return fail(error);
    if (rows.size() != 1)
      return fail("--ids: one row of ids (no ';')");
    std::string text;
    if (!tokenizer->decode(rows.front(), text, error))
      return fail(error);
    std::printf("%s\n", text.c_str());
    return 0;
  }
  std::vector<int32_t> ids;
  if (!retnet_runtime::encodePrompt(*tokenizer, value, bos, ids, error))
    return fail(error);
  for (size_t i = 0; i < ids.size(); ++i)
    std::printf("%s%d", i ? "," : "", ids[i]);
  std::printf("\n");
  return 0;
}
