//===- ModelLibrary.cpp - Open a model library and find its C API ---------===//

#include "retnet/Runtime/ModelLibrary.h"
#include "retnet/ModelABI.h"

#include <dlfcn.h>
#include <type_traits>

using namespace retnet_runtime;

void *retnet_runtime::openModelLibrary(const std::string &library,
                                       const std::string &apiPrefix,
                                       ModelApi &api, std::string &error) {
  std::string path =
      library.find('/') == std::string::npos ? "./" + library : library;
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = "cannot load '" + library + "': " + dlerror();
    return nullptr;
  }
  std::string missing;
  auto find = [&](auto &slot, const char *suffix) {
    std::string name = retnet_abi::exportedName(apiPrefix, suffix);
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
        dlsym(handle, name.c_str()));
    if (!slot && missing.empty())
      missing = name;
  };
  find(api.errorFree, "error_free");
  find(api.compiledConfig, "compiled_config");
  find(api.modelLoad, "model_load_with_flags");
  find(api.modelFree, "model_free");
  find(api.vocabSize, "model_vocab_size");
  find(api.outputDim, "model_output_dim");
  find(api.hasOutputLayer, "model_has_output_layer");
  find(api.stateNew, "state_new");
  find(api.stateReset, "state_reset");
  find(api.stateFree, "state_free");
  find(api.prefill, "prefill");
  find(api.decode, "decode");
  find(api.stateResetRow, "state_reset_row");
  find(api.stateCopyRow, "state_copy_row");
  find(api.prefillRows, "prefill_rows");
  find(api.decodeRows, "decode_rows");
  if (missing.empty())
    return handle;
  bool defaultPrefix = apiPrefix == retnet_abi::kDefaultApiPrefix;
  error = "'" + library + "' is not a model library made by retnet-compile" +
          (defaultPrefix ? "" : " --api-prefix=" + apiPrefix) + " (no symbol " +
          missing +
          (defaultPrefix ? "; a library compiled with --api-prefix=NAME "
                           "needs --api-prefix=NAME)"
                         : ")");
  dlclose(handle);
  return nullptr;
}
