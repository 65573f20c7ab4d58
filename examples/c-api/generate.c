/*===- generate.c - Greedy generation through the C API of retnet.h -------===*
 *
 * A model library made by retnet-compile, used from C:
 *
 *   retnet-compile model.json -o out/libmodel.so    # also writes out/retnet.h
 *   retnet-weights model.json -o weights.safetensors
 *   cc -std=c99 generate.c -Iout -Lout -lmodel -Wl,-rpath,out -o generate
 *   ./generate weights.safetensors 5 1 2 3
 *
 * Loads the weights, makes a state for one sequence, prefills the prompt (the
 * token ids after the count), then takes the most likely next token N times,
 * feeding each back with retnet_decode, and prints the N ids separated by
 * commas: the same ids as `retnet-run libmodel.so --weights
 * weights.safetensors --prompt 1,2,3 --max-new-tokens 5`.
 *
 *===----------------------------------------------------------------------===*/

#include "retnet.h"

#include "example-util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* Prints a message from the C API and releases it. */
static void report(const char *what, char *error) {
  fprintf(stderr, "generate: error: %s: %s\n", what,
          error ? error : "unknown error");
  retnet_error_free(error);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s WEIGHTS.safetensors N TOKEN...\n", argv[0]);
    return 2;
  }
  long new_tokens = 0;
  if (!parse_count(argv[2], INT_MAX, &new_tokens)) {
    fprintf(stderr, "generate: error: '%s' is not a number of tokens\n",
            argv[2]);
    return 2;
  }
  int64_t length = argc - 3;
  int64_t vocab = 0;

  int status = 1;
  char *error = NULL;
  retnet_model *model = NULL;
  retnet_state *state = NULL;
  int32_t *prompt = NULL;
  float *logits = NULL;

  prompt = malloc((size_t)length * sizeof(int32_t));
  if (!prompt) {
    fprintf(stderr, "generate: error: out of memory\n");
    goto done;
  }
  for (int64_t i = 0; i < length; ++i) {
    long token = 0;
    if (!parse_count(argv[3 + i], INT32_MAX, &token)) {
      fprintf(stderr, "generate: error: '%s' is not a token id\n", argv[3 + i]);
      status = 2;
      goto done;
    }
    prompt[i] = (int32_t)token;
  }

  model = retnet_model_load(argv[1], &error);
  if (!model) {
    report("cannot load the model", error);
    goto done;
  }
  state = retnet_state_new(model, 1, &error);
  if (!state) {
    report("cannot make a state", error);
    goto done;
  }
  vocab = retnet_model_vocab_size(model);
  logits = malloc((size_t)vocab * sizeof(float));
  if (!logits) {
    fprintf(stderr, "generate: error: out of memory\n");
    goto done;
  }

  /* The prompt, keeping only the logits of its last position. */
  if (retnet_prefill(model, state, prompt, length, logits, vocab, 0, &error) !=
      0) {
    report("prefill failed", error);
    goto done;
  }
  for (long step = 0; step < new_tokens; ++step) {
    int32_t next = argmax(logits, vocab);
    printf("%s%d", step ? "," : "", (int)next);
    if (step + 1 == new_tokens)
      break;
    if (retnet_decode(model, state, &next, logits, vocab, &error) != 0) {
      printf("\n");
      report("decode failed", error);
      goto done;
    }
  }
  printf("\n");
  status = 0;

done:
  free(logits);
  if (state)
    retnet_state_free(state);
  if (model)
    retnet_model_free(model);
  free(prompt);
  return status;
}
