/*===- retnet.h - C API of models compiled by retnet-compile -------*- C -*-===*
 *
 * A library made by `retnet-compile MODEL.json -o libmodel.so` holds one
 * model description, compiled; this API loads its weights and runs it.
 *
 *   char *error = NULL;
 *   retnet_model *model = retnet_model_load("weights.safetensors", &error);
 *   retnet_state *state = retnet_state_new(model, 1, &error);
 *   retnet_prefill(model, state, prompt, prompt_length, logits, vocab, 0,
 *                  &error);
 *   retnet_decode(model, state, &next_token, logits, vocab, &error);
 *
 * Functions that can fail return NULL or a non-zero status and, when `error`
 * is not NULL, store a message there (malloc'ed) that the caller releases
 * with retnet_error_free, the one way to free it. Nothing aborts the
 * process. Output buffers are passed with their capacity, which is checked. A model is read-only after
 * loading: any number of threads may each use their own state with one model
 * at the same time. A state holds one sequence per batch row: the retention
 * states of every layer and the number of tokens consumed. The *_free
 * functions accept NULL.
 *
 *===----------------------------------------------------------------------===*/

#ifndef RETNET_RETNET_H
#define RETNET_RETNET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct retnet_model retnet_model;
typedef struct retnet_state retnet_state;

/* Releases an error message returned through an `error` argument. */
void retnet_error_free(char *error);

/* The model description compiled into this library, as JSON. */
const char *retnet_compiled_config(void);

/* Loads weights (safetensors, F32/F16/BF16, torchscale tensor names) and
 * checks them against the compiled model description: every tensor present
 * with its shape and dtype, torchscale's buffers (when stored) valid: the
 * decays of retnet_rel_pos.decay (ln gamma) in (0, 1), which the model then
 * computes with (else with the formula of its description), and
 * retnet_rel_pos.angle equal to the compiled rotation; a stored
 * output_projection.weight of a tied model equal to embed_tokens.weight,
 * and no tensor that the model does not use. Returns NULL on failure, with
 * a message naming the tensor. Equal to retnet_model_load_with_flags with
 * flags 0. */
retnet_model *retnet_model_load(const char *weights_path, char **error);

/* Flags of retnet_model_load_with_flags. */
/* Tensors that the model does not use are ignored instead of an error. */
#define RETNET_LOAD_ALLOW_EXTRA_TENSORS 1u
/* No note on stderr when the file's matrices are converted to the library's
 * weight type at load (by default one line says how many, from which type,
 * and which retnet-quantize command writes a file that needs none). */
#define RETNET_LOAD_QUIET 2u

/* retnet_model_load with `flags`, a bitwise or of RETNET_LOAD_* values (an
 * unknown bit is an error). */
retnet_model *retnet_model_load_with_flags(const char *weights_path,
                                           uint32_t flags, char **error);
void retnet_model_free(retnet_model *model);

int64_t retnet_model_vocab_size(const retnet_model *model);
int64_t retnet_model_embed_dim(const retnet_model *model);
int64_t retnet_model_value_embed_dim(const retnet_model *model);
int64_t retnet_model_num_layers(const retnet_model *model);
int64_t retnet_model_num_heads(const retnet_model *model);
int64_t retnet_model_ffn_dim(const retnet_model *model);
/* Width of each row that retnet_prefill and retnet_decode write: the
 * vocabulary size (logits), or for a model described with no_output_layer,
 * which has no output projection, decoder_embed_dim (its final hidden
 * states, after the final norm of a pre-norm model). */
int64_t retnet_model_output_dim(const retnet_model *model);
/* 1 when the outputs are logits, 0 for a model without output layer. */
int retnet_model_has_output_layer(const retnet_model *model);

/* A state for `batch` sequences, at position 0. Returns NULL on failure. */
retnet_state *retnet_state_new(const retnet_model *model, int64_t batch,
                               char **error);
/* Back to position 0 with zero retention states. Returns 0 on success. */
int retnet_state_reset(retnet_state *state, char **error);
void retnet_state_free(retnet_state *state);
int64_t retnet_state_batch(const retnet_state *state);
/* Tokens consumed so far by the sequence of row 0 (every row's, unless
 * rows were prefilled or reset on their own). */
int64_t retnet_state_position(const retnet_state *state);

/* Rows as independent sequences (a server's slots): each row of a state has
 * its own position; retnet_decode advances every row by one token, each at
 * its own position, and a row's logits do not depend on the other rows. */
/* Tokens consumed so far by the sequence of `row`; -1 if there is no such
 * row. */
int64_t retnet_state_row_position(const retnet_state *state, int64_t row);
/* Row `row` back to position 0 with zero retention states (a slot freed
 * for a new sequence); the other rows are untouched. Returns 0 on
 * success. */
int retnet_state_reset_row(retnet_state *state, int64_t row, char **error);
/* retnet_prefill for the rows [first_row, first_row + rows) only: feeds
 * `length` tokens to each of them (`tokens` is [rows, length]), each at its
 * own position, and writes their logits, [rows, length, vocab] when
 * `all_positions` is non-zero, else [rows, vocab]; the other rows are
 * untouched. A slot's prompt, or prompts of one length (or the same chunk
 * of longer ones) prefilled together. Returns 0 on success. */
int retnet_prefill_rows(const retnet_model *model, retnet_state *state,
                        int64_t first_row, int64_t rows, const int32_t *tokens,
                        int64_t length, float *logits, int64_t logits_capacity,
                        int all_positions, char **error);
/* retnet_decode for the first `rows` rows only (1 to the state's batch):
 * `tokens` is [rows], the logits [rows, vocab]; the other rows are
 * untouched, so a state sized for the most sequences costs what the
 * sequences in it cost. Returns 0 on success. */
int retnet_decode_rows(const retnet_model *model, retnet_state *state,
                       int64_t rows, const int32_t *tokens, float *logits,
                       int64_t logits_capacity, char **error);
/* Copies the sequence of row `from` (its states and position) to row `to`,
 * e.g. to keep the live sequences in the first rows. Returns 0 on
 * success. */
int retnet_state_copy_row(retnet_state *state, int64_t from, int64_t to,
                          char **error);

/* Feeds `length` tokens per sequence (`tokens` is [batch, length], row-major)
 * and advances the state. Writes logits [batch, length, vocab] when
 * `all_positions` is non-zero, else those of the last position,
 * [batch, vocab], into `logits` (rows of retnet_model_output_dim floats:
 * hidden states for a model without output layer), which holds `logits_capacity` floats (an
 * error if fewer than the call writes). Returns 0 on success. Logits that
 * are not finite are an error too; the state has then been advanced. */
int retnet_prefill(const retnet_model *model, retnet_state *state,
                   const int32_t *tokens, int64_t length, float *logits,
                   int64_t logits_capacity, int all_positions, char **error);

/* Feeds one token per sequence (`tokens` is [batch]) and writes the next
 * logits, [batch, vocab]. Equal to retnet_prefill with length 1. Returns 0 on
 * success. */
int retnet_decode(const retnet_model *model, retnet_state *state,
                  const int32_t *tokens, float *logits,
                  int64_t logits_capacity, char **error);

/* Sampling the next token from one row of logits. Filters apply in this
 * order: repetition penalty (the logit of every token of the history is
 * divided by `repetition_penalty` when positive, multiplied when negative),
 * then temperature 0 picks the most probable token (greedy); else top-k (the
 * k most probable tokens; 0: off), top-p (of those, the fewest most probable
 * whose probabilities sum to at least top_p; 1: off), min-p (of those, the
 * tokens at least min_p times as probable as the most probable one; 0: off),
 * each on the softmax of the remaining tokens' penalized logits, and a draw
 * from the survivors' softmax of logit / temperature. */
typedef struct retnet_sampling_params {
  float temperature;        /* >= 0; 0 is greedy */
  int32_t top_k;            /* >= 0; 0 is off */
  float top_p;              /* in (0, 1]; 1 is off */
  float min_p;              /* in [0, 1]; 0 is off */
  float repetition_penalty; /* > 0; 1 is off */
  uint64_t seed;            /* of the sampler's generator */
} retnet_sampling_params;

/* llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05,
 * repetition penalty 1 (off), seed 0. */
retnet_sampling_params retnet_sampling_default_params(void);

typedef struct retnet_sampler retnet_sampler;

/* A sampler with its own generator, seeded with `params->seed`: the same
 * seed, logits and histories give the same tokens. One per sequence (batch
 * row). Returns NULL, with a message naming the parameter, on invalid
 * parameters. */
retnet_sampler *retnet_sampler_new(const retnet_sampling_params *params,
                                   char **error);
void retnet_sampler_free(retnet_sampler *sampler);

/* The next token, drawn from `logits` (`vocab` floats) given the
 * sequence's tokens so far, `history` (`history_length` of them; NULL with
 * 0 when there are none). Returns the token id, or -1 with a message when
 * the arguments are invalid or a logit is not finite. */
int32_t retnet_sampler_sample(retnet_sampler *sampler, const float *logits,
                              int64_t vocab, const int32_t *history,
                              int64_t history_length, char **error);

#ifdef __cplusplus
}
#endif

#endif /* RETNET_RETNET_H */
