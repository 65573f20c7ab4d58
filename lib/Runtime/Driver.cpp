//===- Driver.cpp - Generation runs of compiled models: prefill, decode ---===//

#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/Sampling.h"
#include "retnet/Runtime/SequenceOutput.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sys/resource.h>

using namespace retnet_runtime;

bool retnet_runtime::writeNpy(const std::string &path,
                              const std::vector<int64_t> &shape,
                              const float *data, std::string &error) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  size_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]) + (shape.size() == 1 ? "," : "");
    if (i + 1 < shape.size())
      header += ", ";
    count *= shape[i];
  }
  header += "), }";
  // Magic (6) + version (2) + length (2) + header, padded to 64 bytes with a
  // trailing newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "wb"),
                                              &std::fclose);
  if (!file) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  unsigned char preamble[10] = {0x93,
                                'N',
                                'U',
                                'M',
                                'P',
                                'Y',
                                1,
                                0,
                                static_cast<unsigned char>(header.size()),
                                static_cast<unsigned char>(header.size() >> 8)};
  if (std::fwrite(preamble, 1, 10, file.get()) != 10 ||
      std::fwrite(header.data(), 1, header.size(), file.get()) !=
          header.size() ||
      std::fwrite(data, sizeof(float), count, file.get()) != count) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

namespace {
/// Releases C API objects and messages.
struct Session {
  const ModelApi &api;
  const std::string &programName;
  retnet_model *model = nullptr;
  retnet_state *state = nullptr;

  Session(const ModelApi &api, const std::string &programName)
      : api(api), programName(programName) {}
  ~Session() {
    if (state)
      api.stateFree(state);
    if (model)
      api.modelFree(model);
  }
  int fail(char *error) {
    std::fprintf(stderr, "%s: error: %s\n", programName.c_str(),
                 error ? error : "unknown error");
    api.errorFree(error);
    return 1;
  }
  int failWith(const std::string &message) {
    std::fprintf(stderr, "%s: error: %s\n", programName.c_str(),
                 message.c_str());
    return 1;
  }
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}
} // namespace

/// The prompt rows: `options.prompts`, or the tokenized --text (after the
/// tokenizer's BOS). False with `error` set.
static bool promptRows(const GenerateOptions &options,
                       std::vector<std::vector<int32_t>> &rows,
                       std::string &error) {
  if (options.text.empty() && options.prompts.empty()) {
    error = "--text: the prompt is empty";
    return false;
  }
  if (options.prompts.size()) {
    rows = options.prompts;
    if (options.tokenizer)
      for (const auto &row : rows)
        for (int32_t id : row)
          if (id >= options.tokenizer->vocabSize()) {
            error = "--prompt: token id " + std::to_string(id) +
                    " is not in the tokenizer's vocabulary of " +
                    std::to_string(options.tokenizer->vocabSize());
            return false;
          }
    return true;
  }
  if (!options.tokenizer) {
    error = "--text needs a tokenizer (retnet-run --tokenizer TOK.model); "
            "without one the prompt is token ids (--prompt 1,2,3)";
    return false;
  }
  std::vector<int32_t> ids;
  if (!encodePrompt(*options.tokenizer, options.text, options.addBos, ids,
                    error))
    return false;
  if (ids.empty()) {
    error = "--text: the prompt is empty (and the tokenizer has no BOS)";
    return false;
  }
  rows.assign(1, ids);
  return true;
}

/// Checks that the model's outputs can be generated from; `sampledVocab`
/// is the number of logits the sampler sees. False with `error` set.
static bool checkVocabularies(const ModelApi &api, const retnet_model *model,
                              const GenerateOptions &options,
                              int64_t &sampledVocab, std::string &error) {
  // Without output layer the outputs are hidden states: there is nothing to
  // decode from, but they can be written.
  int64_t vocab = api.outputDim(model);
  if (!api.hasOutputLayer(model) && options.maxNewTokens > 0) {
    error = "the model has no output layer (no_output_layer): its "
            "outputs are hidden states of width " +
            std::to_string(vocab) +
            ", not logits to generate from; run with "
            "--max-new-tokens 0 and --logits-out FILE.npy to write "
            "them";
    return false;
  }
  // Ids the tokenizer lacks are never drawn: the sampler sees the first
  // tokenizer->vocabSize() logits.
  sampledVocab = vocab;
  if (options.tokenizer && api.hasOutputLayer(model)) {
    sampledVocab = options.tokenizer->vocabSize();
    if (sampledVocab > vocab) {
      error = "the tokenizer has " + std::to_string(sampledVocab) +
              " tokens but the model's vocabulary only " +
              std::to_string(vocab) + ": they were not made for each other";
      return false;
    }
  }
  return true;
}

namespace {
/// Counts and times of one generation, for its report.
struct GenerationStats {
  int64_t promptTokens = 0;
  double prefillSeconds = 0;
  int64_t decodeSteps = 0, decodedTokens = 0;
  double decodeSeconds = 0;
};

/// The rows being generated: each row's sampler, which sees the row's
/// prompt and generated tokens (for the repetition penalty), its output
/// and its text. One row prints as it goes (streaming); a batch prints
/// each row at the end.
struct GeneratedRows {
  GeneratedRows(const GenerateOptions &options,
                const std::vector<std::vector<int32_t>> &prompts, int64_t eos,
                int64_t sampledVocab)
      : texts(prompts.size()), history(prompts), sampledVocab(sampledVocab),
        streaming(prompts.size() == 1) {
    for (size_t row = 0; row < prompts.size(); ++row) {
      retnet_sampling_params params = options.sampling;
      params.seed += static_cast<uint64_t>(row);
      samplers.emplace_back(params);
      outputs.emplace_back(options.tokenizer.get(), prompts[row], options.stops,
                           eos, options.maxNewTokens);
    }
  }

  int64_t size() const { return static_cast<int64_t>(outputs.size()); }
  /// Draws the next token of `row` from its logits.
  int32_t sample(int64_t row, const float *rowLogits) {
    int32_t token =
        samplers[row].sample(rowLogits, sampledVocab, history[row].data(),
                             static_cast<int64_t>(history[row].size()));
    history[row].push_back(token);
    return token;
  }

  std::vector<SequenceOutput> outputs;
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> history;
  std::vector<Sampler> samplers;
  int64_t sampledVocab;
  bool streaming;
};
} // namespace

/// Generates up to `maxNewTokens` tokens per row, from `next` (each row's
/// first sampled token), until every row has finished. 0, or the exit
/// status after reporting an error.
static int decodeRows(Session &session, int64_t maxNewTokens, int64_t vocab,
                      GeneratedRows &generated, std::vector<int32_t> &next,
                      GenerationStats &stats) {
  const ModelApi &api = session.api;
  int64_t batch = generated.size();
  std::vector<SequenceOutput> &rows = generated.outputs;
  std::vector<float> stepLogits(batch * vocab);
  std::string problem;
  char *error = nullptr;
  auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < maxNewTokens; ++step) {
    bool generating = false;
    for (int64_t row = 0; row < batch; ++row) {
      if (rows[row].finished())
        continue;
      std::string text;
      if (!rows[row].accept(next[row], text, problem))
        return session.failWith(problem);
      generated.texts[row] += text;
      if (generated.streaming && !text.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      }
      generating |= !rows[row].finished();
    }
    if (!generating)
      break;
    if (api.decode(session.model, session.state, next.data(), stepLogits.data(),
                   static_cast<int64_t>(stepLogits.size()), &error) != 0)
      return session.fail(error);
    ++stats.decodeSteps;
    for (int64_t row = 0; row < batch; ++row)
      if (!rows[row].finished()) {
        next[row] = generated.sample(row, stepLogits.data() + row * vocab);
        ++stats.decodedTokens;
      }
  }
  stats.decodeSeconds = secondsSince(start);
  return 0;
}

/// Prints the rows not printed yet and the end of each, and reports the
/// speeds and peak memory on stderr.
static void reportGeneration(const GeneratedRows &generated,
                             const GenerationStats &stats) {
  std::string finishes;
  for (int64_t row = 0; row < generated.size(); ++row) {
    if (!generated.streaming)
      std::printf("[%lld] %s", static_cast<long long>(row),
                  generated.texts[row].c_str());
    std::printf("\n");
    SequenceOutput::Finish finish = generated.outputs[row].finish();
    finishes += std::string(row ? "," : "") +
                (finish == SequenceOutput::Finish::Eos    ? "eos"
                 : finish == SequenceOutput::Finish::Stop ? "stop"
                                                          : "length");
  }
  std::fflush(stdout);
  std::fprintf(
      stderr,
      "prefill: %lld tokens in %.3f ms (%.1f tokens/s); decode: "
      "%lld steps in %.3f ms (%.1f tokens/s); finish: %s\n",
      static_cast<long long>(stats.promptTokens), stats.prefillSeconds * 1e3,
      stats.promptTokens / stats.prefillSeconds,
      static_cast<long long>(stats.decodeSteps), stats.decodeSeconds * 1e3,
      stats.decodeSteps ? stats.decodedTokens / stats.decodeSeconds : 0.0,
      finishes.c_str());
  // The process's peak resident memory (mapped file pages included), to
  // compare with the size of the weights.
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    std::fprintf(stderr, "memory: peak_resident_MB=%.1f\n",
                 usage.ru_maxrss / 1024.0);
}

int retnet_runtime::runGeneration(const ModelApi &api,
                                  const GenerateOptions &options) {
  Session session(api, options.programName);
  std::vector<std::vector<int32_t>> prompts;
  std::string problem;
  if (!promptRows(options, prompts, problem))
    return session.failWith(problem);
  if (!options.stops.empty() && !options.tokenizer)
    return session.failWith("--stop needs a tokenizer (retnet-run --tokenizer "
                            "TOK.model): stop strings are text");
  char *error = nullptr;
  session.model =
      api.modelLoad(options.weights.c_str(), options.loadFlags, &error);
  if (!session.model)
    return session.fail(error);
  int64_t batch = prompts.size();
  int64_t length = prompts.front().size();
  int64_t vocab = api.outputDim(session.model);
  int64_t sampledVocab;
  if (!checkVocabularies(api, session.model, options, sampledVocab, problem))
    return session.failWith(problem);
  int64_t eos = options.eosId >= 0  ? options.eosId
                : options.tokenizer ? options.tokenizer->eosId()
                                    : -1;
  if (options.ignoreEos)
    eos = -1;
  session.state = api.stateNew(session.model, batch, &error);
  if (!session.state)
    return session.fail(error);

  std::vector<int32_t> tokens;
  for (const auto &row : prompts)
    tokens.insert(tokens.end(), row.begin(), row.end());
  bool allPositions = !options.logitsOut.empty();
  std::vector<float> logits(batch * (allPositions ? length : 1) * vocab);
  GenerationStats stats;
  stats.promptTokens = batch * length;
  auto start = std::chrono::steady_clock::now();
  if (api.prefill(session.model, session.state, tokens.data(), length,
                  logits.data(), static_cast<int64_t>(logits.size()),
                  allPositions, &error) != 0)
    return session.fail(error);
  stats.prefillSeconds = secondsSince(start);
  if (allPositions && !writeNpy(options.logitsOut, {batch, length, vocab},
                                logits.data(), problem))
    return session.failWith(problem);

  // Decoding from the last position's logits.
  GeneratedRows generated(options, prompts, eos, sampledVocab);
  auto lastLogits = [&](int64_t row) {
    return logits.data() +
           (allPositions ? (row * length + length - 1) * vocab : row * vocab);
  };
  std::vector<int32_t> next(batch);
  for (int64_t row = 0; row < batch; ++row)
    next[row] = generated.sample(row, lastLogits(row));
  if (int failed = decodeRows(session, options.maxNewTokens, vocab, generated,
                              next, stats))
    return failed;
  reportGeneration(generated, stats);
  return 0;
}
