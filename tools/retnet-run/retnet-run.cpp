//===- retnet-run.cpp - Run a model library made by retnet-compile --------===//

#include "Bench.h"
#include "retnet/ModelABI.h"
#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/ModelLibrary.h"
#include "retnet/Tokenizers/Tokenizers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>

static const char *usage =
    "usage: retnet-run LIBMODEL.so --weights W.safetensors --prompt 1,2,3\n"
    "                  [--max-new-tokens N] [--logits-out FILE.npy]\n"
    "                  [--allow-extra-tensors] [--api-prefix=NAME]\n"
    "       retnet-run LIBMODEL.so --weights W.safetensors\n"
    "                  --tokenizer TOK.model --text \"Once upon\" [--stop "
    "S]\n\n"
    "Loads a model library made by retnet-compile and its weights, prefills\n"
    "the prompt (token ids, batch rows separated by ';'; or text), decodes\n"
    "until EOS, a stop string or --max-new-tokens and prints the generated\n"
    "ids, or their text with --tokenizer, as they come (a batch: each row at\n"
    "the end), then tokens/s and the peak resident memory on stderr.\n\n"
    "  --tokenizer TOK.model  a SentencePiece .model, or a Hugging Face\n"
    "                         tokenizer.json of a byte-level BPE model (or\n"
    "                         its folder): the generated tokens are printed\n"
    "                         as text, and EOS is the tokenizer's\n"
    "  --text \"...\"           the prompt as text, after the tokenizer's BOS\n"
    "                         (--no-bos: without it)\n"
    "  --stop S               end the text before the first S (repeatable)\n"
    "  --logits-out FILE.npy  write the prompt's logits for every position,\n"
    "                         float32 [batch, length, vocab]\n"
    "  --allow-extra-tensors  ignore tensors of the weights file that the\n"
    "                         model does not use (by default an error that\n"
    "                         names the first one)\n"
    "  --api-prefix=NAME      the library was compiled with\n"
    "                         retnet-compile --api-prefix=NAME (its C API\n"
    "                         is NAME_model_load, ...; default retnet)\n"
    "  --bench                instead of generating: prefill and decode\n"
    "                         tokens/s (medians; prefill batch 1) against the\n"
    "                         machine's sgemm FLOP/s and memory bandwidth,\n"
    "                         measured in the same run\n"
    "  --bench-prompt=N       prefill length (default 512)\n"
    "  --bench-contexts=A,B   decode contexts (default "
    "128,512,1024,2048,4096)\n"
    "  --bench-steps=N        decode steps per sample (default 32)\n"
    "  --bench-batch=A,B      rows decoded together in each step (default\n"
    "                         1); one decode line per batch and context:\n"
    "                         tokens_per_s over all rows, ms_per_step,\n"
    "                         flops_per_token, fraction_of_bound (the bound\n"
    "                         is min(sgemm FLOP/s / flops_per_token, batch x\n"
    "                         bandwidth / bytes per step: the weights once\n"
    "                         and each row's state read and written))\n";

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::printf("%s\n%s", usage, retnet_runtime::kSamplingHelp);
      return 0;
    }
  std::string library = args.front();
  args.erase(args.begin());

  retnet_runtime::GenerateOptions options;
  options.programName = "retnet-run";
  retnet_runtime::BenchOptions bench;
  bool benchmark = false;
  std::string apiPrefix = retnet_abi::kDefaultApiPrefix;
  std::string error, optionError;
  auto extra = [&](const std::string &arg) {
    if (arg == "--bench")
      return benchmark = true;
    if (arg.rfind("--api-prefix=", 0) == 0) {
      apiPrefix = arg.substr(std::strlen("--api-prefix="));
      if (apiPrefix.empty())
        optionError = "--api-prefix= needs a NAME";
      return !apiPrefix.empty();
    }
    bool recognised = false;
    if (!retnet_runtime::parseBenchOption(arg, bench, optionError, recognised))
      return false;
    return recognised;
  };
  // --bench needs no prompt.
  for (const std::string &arg : args)
    if (arg == "--bench")
      benchmark = true;
  if (benchmark &&
      std::find(args.begin(), args.end(), "--prompt") == args.end() &&
      std::none_of(args.begin(), args.end(), [](const std::string &arg) {
        return arg.rfind("--prompt=", 0) == 0;
      }))
    args.push_back("--prompt=0");
  if (!retnet_runtime::parseGenerateOptions(args, options, extra, error)) {
    std::fprintf(stderr, "retnet-run: error: %s\n",
                 (optionError.empty() ? error : optionError).c_str());
    return 2;
  }
  if (!options.tokenizerPath.empty()) {
    options.tokenizer =
        retnet_tokenizers::loadTokenizer(options.tokenizerPath, error);
    if (!options.tokenizer) {
      std::fprintf(stderr, "retnet-run: error: %s\n", error.c_str());
      return 1;
    }
  }
  bench.weights = options.weights;
  bench.loadFlags = options.loadFlags;
  retnet_runtime::ModelApi api;
  void *handle =
      retnet_runtime::openModelLibrary(library, apiPrefix, api, error);
  if (!handle) {
    std::fprintf(stderr, "retnet-run: error: %s\n", error.c_str());
    return 1;
  }
  if (benchmark) {
    const auto *encoded = static_cast<const int64_t *>(
        dlsym(handle,
              retnet_abi::exportedName(apiPrefix, RETNET_ABI_MODEL_SHAPE_SUFFIX)
                  .c_str()));
    if (!encoded) {
      std::fprintf(stderr, "retnet-run: error: '%s' has no model shape\n",
                   library.c_str());
      return 1;
    }
    // CUDA model libraries (retnet-compile --target=cuda) are measured
    // without the CPU yardsticks.
    const auto *buffers = static_cast<const retnet_abi::BufferKind *>(dlsym(
        handle, retnet_abi::exportedName(apiPrefix, RETNET_ABI_BUFFERS_SUFFIX)
                    .c_str()));
    bench.onDevice = buffers && *buffers == retnet_abi::BufferKind::CudaDevice;
    return retnet_runtime::runBenchmark(
        api, retnet_runtime::decodeModelShape(encoded), bench);
  }
  return retnet_runtime::runGeneration(api, options);
}
