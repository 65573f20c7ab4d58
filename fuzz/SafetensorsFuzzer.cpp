//===- SafetensorsFuzzer.cpp - Fuzz target: weights files and the loader --===//
//
// Loads the input as the weights file of a compiled model (fuzz/micro.json,
// linked into this program as retnet-compile --emit=obj made it) through
// retnet_model_load: the safetensors header parser, the format's rules, the
// checks of every tensor against the model, and the packing. Weights that
// load then run one prefill and one decode step, which either produce
// finite logits or report an error.
//
//===----------------------------------------------------------------------===//

#include "retnet/retnet.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {
/// A file in memory, named by a path that open() accepts.
struct MemoryFile {
  int fd = memfd_create("safetensors-fuzzer", 0);
  std::string path = "/proc/self/fd/" + std::to_string(fd);

  bool write(const uint8_t *data, size_t size) {
    if (fd < 0 || ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
      return false;
    while (size > 0) {
      ssize_t written = ::write(fd, data, size);
      if (written <= 0)
        return false;
      data += written;
      size -= static_cast<size_t>(written);
    }
    return true;
  }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static MemoryFile file;
  if (!file.write(data, size)) {
    std::perror("safetensors-fuzzer: memfd");
    std::abort();
  }
  char *error = nullptr;
  retnet_model *model = retnet_model_load_with_flags(file.path.c_str(),
                                                     RETNET_LOAD_QUIET, &error);
  if (!model) {
    // Every refusal explains itself.
    if (!error || !*error) {
      std::fprintf(stderr, "safetensors-fuzzer: a load failed without a "
                           "message\n");
      std::abort();
    }
    retnet_error_free(error);
    return 0;
  }
  int64_t vocab = retnet_model_vocab_size(model);
  retnet_state *state = retnet_state_new(model, 1, &error);
  if (!state) {
    std::fprintf(stderr, "safetensors-fuzzer: no state: %s\n",
                 error ? error : "no message");
    std::abort();
  }
  std::vector<float> logits(static_cast<size_t>(vocab));
  int32_t prompt[2] = {1, 2};
  if (retnet_prefill(model, state, prompt, 2, logits.data(), vocab, 0,
                     &error) == 0)
    (void)retnet_decode(model, state, prompt, logits.data(), vocab, &error);
  retnet_error_free(error);
  retnet_state_free(state);
  retnet_model_free(model);
  return 0;
}
