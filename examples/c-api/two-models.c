/*===- two-models.c - Two model libraries in one program ------------------===*
 *
 * Each library is compiled with its own C API prefix, so their functions and
 * types do not clash (a draft and a target model, as in speculative
 * decoding):
 *
 *   retnet-compile draft.json --api-prefix=draft -o out/libdraft.so
 *   retnet-compile target.json --api-prefix=target -o out/libtarget.so
 *   cc -std=c99 two-models.c -Iout -Lout -ldraft -ltarget \
 *      -Wl,-rpath,'$ORIGIN' -o out/two-models
 *   out/two-models draft.safetensors target.safetensors 5 1 2 3
 *
 * out/draft.h and out/target.h declare draft_model_load, target_prefill, and
 * so on. The program generates N tokens greedily after the prompt with each
 * model, both loaded at the same time, and prints one line per model: its
 * vocabulary size, then the ids, the same as `retnet-run out/libdraft.so
 * --api-prefix=draft --weights draft.safetensors --prompt 1,2,3
 * --max-new-tokens 5`.
 *
 *===----------------------------------------------------------------------===*/

#include "draft.h"
#include "target.h"

#include "example-util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* A model with its state and logits, for the C API of prefix P. */
#define DEFINE_MODEL(P)                                                        \
  typedef struct {                                                             \
    P##_model *model;                                                          \
    P##_state *state;                                                          \
    float *logits;                                                             \
    int64_t vocab;                                                             \
  } P##_session;                                                               \
                                                                               \
  static int P##_fail(const char *what, char *error) {                         \
    fprintf(stderr, "two-models: error: " #P ": %s: %s\n", what,               \
            error ? error : "out of memory");                                  \
    P##_error_free(error);                                                     \
    return 1;                                                                  \
  }                                                                            \
                                                                               \
  /* Loads the weights and prefills the prompt. */                             \
  static int P##_open(P##_session *s, const char *weights,                     \
                      const int32_t *prompt, int64_t length) {                 \
    char *error = NULL;                                                        \
    s->model = P##_model_load(weights, &error);                                \
    if (!s->model)                                                             \
      return P##_fail("cannot load the model", error);                         \
    s->state = P##_state_new(s->model, 1, &error);                             \
    if (!s->state)                                                             \
      return P##_fail("cannot make a state", error);                           \
    s->vocab = P##_model_vocab_size(s->model);                                 \
    s->logits = malloc((size_t)s->vocab * sizeof(float));                      \
    if (!s->logits)                                                            \
      return P##_fail("cannot allocate logits", NULL);                         \
    if (P##_prefill(s->model, s->state, prompt, length, s->logits, s->vocab,   \
                    0, &error) != 0)                                           \
      return P##_fail("prefill failed", error);                                \
    return 0;                                                                  \
  }                                                                            \
                                                                               \
  /* Takes the most likely token and feeds it back; stores it in `next`. */    \
  static int P##_step(P##_session *s, int32_t *next) {                         \
    char *error = NULL;                                                        \
    *next = argmax(s->logits, s->vocab);                                       \
    if (P##_decode(s->model, s->state, next, s->logits, s->vocab, &error) !=   \
        0)                                                                     \
      return P##_fail("decode failed", error);                                 \
    return 0;                                                                  \
  }                                                                            \
                                                                               \
  static void P##_close(P##_session *s) {                                      \
    free(s->logits);                                                           \
    P##_state_free(s->state);                                                  \
    P##_model_free(s->model);                                                  \
  }

DEFINE_MODEL(draft)
DEFINE_MODEL(target)

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr,
            "usage: %s DRAFT.safetensors TARGET.safetensors N TOKEN...\n",
            argv[0]);
    return 2;
  }
  long new_tokens = 0;
  if (!parse_count(argv[3], INT_MAX, &new_tokens)) {
    fprintf(stderr, "two-models: error: '%s' is not a number of tokens\n",
            argv[3]);
    return 2;
  }
  int64_t length = argc - 4;
  int32_t *prompt = malloc((size_t)length * sizeof(int32_t));
  int32_t *ids[2] = {malloc((size_t)new_tokens * sizeof(int32_t) + 1),
                     malloc((size_t)new_tokens * sizeof(int32_t) + 1)};
  if (!prompt || !ids[0] || !ids[1]) {
    fprintf(stderr, "two-models: error: out of memory\n");
    return 1;
  }
  for (int64_t i = 0; i < length; ++i) {
    long token = 0;
    if (!parse_count(argv[4 + i], INT32_MAX, &token)) {
      fprintf(stderr, "two-models: error: '%s' is not a token id\n",
              argv[4 + i]);
      return 2;
    }
    prompt[i] = (int32_t)token;
  }

  /* Both models are live at once; their steps interleave. */
  draft_session draft = {0};
  target_session target = {0};
  int status = draft_open(&draft, argv[1], prompt, length) ||
               target_open(&target, argv[2], prompt, length);
  for (long step = 0; status == 0 && step < new_tokens; ++step)
    status = draft_step(&draft, &ids[0][step]) ||
             target_step(&target, &ids[1][step]);
  if (status == 0)
    for (int m = 0; m < 2; ++m) {
      printf("vocab %lld:", (long long)(m == 0 ? draft.vocab : target.vocab));
      for (long step = 0; step < new_tokens; ++step)
        printf("%s%d", step ? "," : " ", (int)ids[m][step]);
      printf("\n");
    }
  draft_close(&draft);
  target_close(&target);
  free(prompt);
  free(ids[0]);
  free(ids[1]);
  return status;
}
