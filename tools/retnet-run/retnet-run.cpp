//===- retnet-run.cpp - Run a model library made by retnet-compile --------===//

#include "Bench.h"
#include "retnet/ModelABI.h"
#include "retnet/Runtime/Driver.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>

static const char *usage =
    "usage: retnet-run LIBMODEL.so --weights W.safetensors --prompt 1,2,3\n"
    "                  [--max-new-tokens N] [--logits-out FILE.npy]\n\n"
    "Loads a model library made by retnet-compile and its weights, prefills\n"
    "the prompt (token ids; batch rows separated by ';'), decodes greedily\n"
    "and prints the generated ids, then tokens/s on stderr.\n\n"
    "  --logits-out FILE.npy  write the prompt's logits for every position,\n"
    "                         float32 [batch, length, vocab]\n"
    "  --bench                instead of generating: prefill and decode\n"
    "                         tokens/s (medians, batch 1) against the\n"
    "                         machine's sgemm FLOP/s and memory bandwidth,\n"
    "                         measured in the same run\n"
    "  --bench-prompt=N       prefill length (default 512)\n"
    "  --bench-contexts=A,B   decode contexts (default "
    "128,512,1024,2048,4096)\n"
    "  --bench-steps=N        decode steps per sample (default 32)\n";

/// Finds the C API of the model in `handle`.
static bool resolveApi(void *handle, retnet_runtime::ModelApi &api,
                       std::string &missing) {
  auto find = [&](auto &slot, const char *name) {
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
        dlsym(handle, name));
    if (!slot && missing.empty())
      missing = name;
  };
  find(api.errorFree, "retnet_error_free");
  find(api.compiledConfig, "retnet_compiled_config");
  find(api.modelLoad, "retnet_model_load");
  find(api.modelFree, "retnet_model_free");
  find(api.vocabSize, "retnet_model_vocab_size");
  find(api.stateNew, "retnet_state_new");
  find(api.stateReset, "retnet_state_reset");
  find(api.stateFree, "retnet_state_free");
  find(api.prefill, "retnet_prefill");
  find(api.decode, "retnet_decode");
  return missing.empty();
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage);
      return 0;
    }
  std::string library = args.front();
  args.erase(args.begin());

  retnet_runtime::GenerateOptions options;
  options.programName = "retnet-run";
  retnet_runtime::BenchOptions bench;
  bool benchmark = false;
  std::string error, optionError;
  auto extra = [&](const std::string &arg) {
    if (arg == "--bench")
      return benchmark = true;
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
  bench.weights = options.weights;
  std::string path =
      library.find('/') == std::string::npos ? "./" + library : library;
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::fprintf(stderr, "retnet-run: error: cannot load '%s': %s\n",
                 library.c_str(), dlerror());
    return 1;
  }
  retnet_runtime::ModelApi api;
  std::string missing;
  if (!resolveApi(handle, api, missing)) {
    std::fprintf(stderr,
                 "retnet-run: error: '%s' is not a model library made by "
                 "retnet-compile (no symbol %s)\n",
                 library.c_str(), missing.c_str());
    return 1;
  }
  if (benchmark) {
    const auto *encoded = static_cast<const int64_t *>(
        dlsym(handle, retnet_abi::kModelShapeGlobal));
    if (!encoded) {
      std::fprintf(stderr, "retnet-run: error: '%s' has no model shape\n",
                   library.c_str());
      return 1;
    }
    // CUDA model libraries (retnet-compile --target=cuda) are measured
    // without the CPU yardsticks.
    const auto *buffers = static_cast<const retnet_abi::BufferKind *>(
        dlsym(handle, retnet_abi::kBuffersGlobal));
    bench.onDevice = buffers && *buffers == retnet_abi::BufferKind::CudaDevice;
    return retnet_runtime::runBenchmark(
        api, retnet_runtime::decodeModelShape(encoded), bench);
  }
  return retnet_runtime::runGeneration(api, options);
}
