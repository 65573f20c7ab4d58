//===- ExecutableMain.cpp - main() of retnet-compile --emit=exe programs --===//

#include "retnet/Runtime/Driver.h"

#include <cstdio>
#include <cstring>

static const char *usage =
    "usage: %s --weights W.safetensors --prompt 1,2,3 [--max-new-tokens N]\n"
    "          [--logits-out FILE.npy] [--allow-extra-tensors]\n\n"
    "Runs the RetNet model compiled into this program: loads the weights,\n"
    "prefills the prompt (token ids; batch rows separated by ';'), decodes\n"
    "and prints the generated ids as they come (a batch: each row at the\n"
    "end), then tokens/s and the peak resident memory on stderr.\n"
    "--allow-extra-tensors ignores tensors of the weights file that the model\n"
    "does not use (by default an error that names the first one).\n\n";

int main(int argc, char **argv) {
  retnet_runtime::ModelApi api{&retnet_error_free,
                               &retnet_compiled_config,
                               &retnet_model_load_with_flags,
                               &retnet_model_free,
                               &retnet_model_vocab_size,
                               &retnet_model_output_dim,
                               &retnet_model_has_output_layer,
                               &retnet_state_new,
                               &retnet_state_reset,
                               &retnet_state_free,
                               &retnet_prefill,
                               &retnet_decode,
                               &retnet_state_reset_row,
                               &retnet_state_copy_row,
                               &retnet_prefill_rows,
                               &retnet_decode_rows};
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::printf(usage, argv[0]);
      std::printf("%s", retnet_runtime::kSamplingHelp);
      std::printf("\nmodel: %s\n", retnet_compiled_config());
      return 0;
    }
  retnet_runtime::GenerateOptions options;
  const char *slash = std::strrchr(argv[0], '/');
  options.programName = slash ? slash + 1 : argv[0];
  std::string error;
  if (!retnet_runtime::parseGenerateOptions(
          args, options, [](const std::string &) { return false; }, error)) {
    std::fprintf(stderr, "%s: error: %s\n", options.programName.c_str(),
                 error.c_str());
    std::fprintf(stderr, usage, argv[0]);
    return 2;
  }
  if (!options.tokenizerPath.empty()) {
    std::fprintf(stderr,
                 "%s: error: --tokenizer: this program reads and writes "
                 "token ids; for text, compile the model as a library "
                 "(retnet-compile) and run it with retnet-run --tokenizer\n",
                 options.programName.c_str());
    return 2;
  }
  return retnet_runtime::runGeneration(api, options);
}
