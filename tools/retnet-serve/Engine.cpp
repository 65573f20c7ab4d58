//===- Engine.cpp - The generation loop behind retnet-serve ---------------===//

#include "Engine.h"

#include <algorithm>
#include <cmath>

using namespace retnet_serve;
using namespace retnet_runtime;

bool Job::next(CompletionEvent &event, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  if (!ready.wait_for(lock, timeout, [&] { return !events.empty(); }))
    return false;
  event = std::move(events.front());
  events.pop_front();
  return true;
}

void Job::push(CompletionEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    events.push_back(std::move(event));
  }
  ready.notify_all();
}

/// A sequence being generated in a row of the state: its sampler and
/// output.
struct Engine::Slot {
  std::shared_ptr<Job> job; // null: the row is free
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<SequenceOutput> output;
  std::vector<int32_t> history;
  /// Prompt tokens fed so far; the slot generates once all are.
  size_t prefilled = 0;
  int32_t next = 0;

  bool generating() const { return prefilled == job->request.prompt.size(); }
};

Engine::Engine(const ModelApi &api, retnet_model *model,
               std::shared_ptr<const Tokenizer> tokenizer, size_t maxBatch,
               size_t maxQueue, size_t prefillChunk)
    : api(api), model(model), tokenizer(std::move(tokenizer)),
      batchLimit(maxBatch), queueLimit(maxQueue), chunkLimit(prefillChunk),
      vocab(api.outputDim(model)),
      sampledVocab(this->tokenizer ? this->tokenizer->vocabSize() : vocab) {
  char *error = nullptr;
  state = {api.stateNew(model, static_cast<int64_t>(batchLimit) + 1, &error),
           api.stateFree};
  if (!state) {
    failure = error ? error : "unknown error";
    api.errorFree(error);
    return;
  }
  slots.resize(batchLimit);
  logits.resize(batchLimit * vocab);
  worker = std::thread([this] { loop(); });
}

Engine::~Engine() { shutdown(); }

std::shared_ptr<Job> Engine::submit(CompletionRequest request) {
  auto job = std::make_shared<Job>(std::move(request));
  {
    std::lock_guard<std::mutex> lock(mutex);
    // Free slots take requests at the next step; beyond them, at most
    // queueLimit wait.
    if (stopping || !state ||
        queue.size() >= queueLimit + batchLimit - counters.active) {
      ++counters.rejectedRequests;
      return nullptr;
    }
    queue.push_back(job);
    counters.queued = queue.size();
  }
  wake.notify_all();
  return job;
}

void Engine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  if (worker.joinable())
    worker.join();
}

EngineMetrics Engine::metrics() {
  std::lock_guard<std::mutex> lock(mutex);
  return counters;
}

/// Ends a job with `error`.
static void fail(Job &job, const std::string &error) {
  CompletionEvent event;
  event.done = true;
  event.error = error;
  job.push(std::move(event));
}

bool Engine::start(const std::shared_ptr<Job> &job, int64_t row) {
  const CompletionRequest &request = job->request;
  char *error = nullptr;
  if (api.stateResetRow(state.get(), row, &error) != 0) {
    fail(*job, error ? error : "unknown error");
    api.errorFree(error);
    std::lock_guard<std::mutex> lock(mutex);
    ++counters.failedRequests;
    return false;
  }
  Slot &slot = slots[row];
  slot.job = job;
  slot.sampler = std::make_unique<Sampler>(request.sampling);
  int32_t eos = tokenizer && !request.ignoreEos ? tokenizer->eosId() : -1;
  slot.output = std::make_unique<SequenceOutput>(
      tokenizer.get(), request.prompt, request.stops, eos, request.maxTokens);
  slot.history = request.prompt;
  slot.prefilled = 0;
  return true;
}

void Engine::failSlot(Slot &slot, const std::string &error) {
  if (!slot.job)
    return;
  fail(*slot.job, error);
  slot.job.reset();
  std::lock_guard<std::mutex> lock(mutex);
  ++counters.failedRequests;
}

bool Engine::rowFails(const std::string &message, const float *rowLogits,
                      std::string &why) const {
  if (message.empty())
    return false;
  bool finite = true;
  for (int64_t i = 0; i < vocab && finite; ++i)
    finite = std::isfinite(rowLogits[i]);
  if (finite && message.find("not finite") != std::string::npos)
    return false; // another row's logits failed the call
  why = finite ? message
               : "the step produced a logit that is not finite for this "
                 "request";
  return true;
}

bool Engine::swapRows(size_t a, size_t b) {
  char *error = nullptr;
  int64_t spare = static_cast<int64_t>(batchLimit);
  if (api.stateCopyRow(state.get(), a, spare, &error) != 0 ||
      api.stateCopyRow(state.get(), b, a, &error) != 0 ||
      api.stateCopyRow(state.get(), spare, b, &error) != 0) {
    std::string message = error ? error : "unknown error";
    api.errorFree(error);
    failSlot(slots[a], message);
    failSlot(slots[b], message);
    return false;
  }
  std::swap(slots[a], slots[b]);
  return true;
}

void Engine::prefillChunks(size_t budget) {
  std::vector<int32_t> tokens;
  while (budget > 0 && generatingRows < liveRows) {
    size_t first = generatingRows, rows = liveRows - first;
    // The same count of tokens for every prefilling row: as many as the
    // shortest remaining prompt and the budget allow (at least one each).
    size_t chunk = std::max<size_t>(1, budget / rows);
    for (size_t row = first; row < liveRows; ++row) {
      const Slot &slot = slots[row];
      chunk = std::min(chunk, slot.job->request.prompt.size() - slot.prefilled);
    }
    tokens.clear();
    for (size_t row = first; row < liveRows; ++row) {
      const Slot &slot = slots[row];
      const int32_t *begin = slot.job->request.prompt.data() + slot.prefilled;
      tokens.insert(tokens.end(), begin, begin + chunk);
    }
    char *error = nullptr;
    std::string message;
    if (api.prefillRows(model, state.get(), static_cast<int64_t>(first),
                        static_cast<int64_t>(rows), tokens.data(),
                        static_cast<int64_t>(chunk), logits.data(),
                        static_cast<int64_t>(rows * vocab), 0, &error) != 0) {
      message = error ? error : "unknown error";
      api.errorFree(error);
    }
    budget -= std::min(budget, chunk * rows);
    {
      std::lock_guard<std::mutex> lock(mutex);
      counters.promptTokens += chunk * rows;
    }
    for (size_t row = first; row < liveRows; ++row) {
      Slot &slot = slots[row];
      const float *rowLogits = &logits[(row - first) * vocab];
      std::string why;
      if (rowFails(message, rowLogits, why)) {
        failSlot(slot, why);
        continue;
      }
      slot.prefilled += chunk;
      if (!slot.generating())
        continue;
      sample(slot, rowLogits);
      // The row joins the generating ones, which come first.
      if (row != generatingRows && !swapRows(row, generatingRows))
        continue;
      ++generatingRows;
    }
    compact();
  }
}

void Engine::sample(Slot &slot, const float *rowLogits) {
  slot.next = slot.sampler->sample(rowLogits, sampledVocab, slot.history.data(),
                                   slot.history.size());
  slot.history.push_back(slot.next);
}

bool Engine::advance(Slot &slot) {
  Job &job = *slot.job;
  CompletionEvent event;
  std::string problem;
  if (!slot.output->accept(slot.next, event.text, problem)) {
    fail(job, problem);
    return false;
  }
  if (!slot.output->finished()) {
    if (!event.text.empty())
      job.push(std::move(event));
    return true;
  }
  // EOS and stop strings are OpenAI's "stop".
  event.finishReason = slot.output->finish() == SequenceOutput::Finish::Length
                           ? "length"
                           : "stop";
  event.done = true;
  event.promptTokens = job.request.prompt.size();
  event.completionTokens = slot.output->generated();
  job.push(std::move(event));
  return false;
}

void Engine::compact() {
  size_t live = 0, generating = 0;
  for (size_t row = 0; row < batchLimit; ++row) {
    if (!slots[row].job)
      continue;
    if (row != live) {
      char *error = nullptr;
      if (api.stateCopyRow(state.get(), static_cast<int64_t>(row),
                           static_cast<int64_t>(live), &error) != 0) {
        fail(*slots[row].job, error ? error : "unknown error");
        api.errorFree(error);
        slots[row].job.reset();
        continue;
      }
      slots[live] = std::move(slots[row]);
      slots[row] = Slot();
    }
    generating += slots[live].generating();
    ++live;
  }
  liveRows = live;
  generatingRows = generating;
}

void Engine::decodeStep() {
  std::vector<int32_t> tokens(generatingRows);
  for (size_t row = 0; row < generatingRows; ++row)
    tokens[row] = slots[row].next;
  char *error = nullptr;
  std::string message;
  if (api.decodeRows(model, state.get(), static_cast<int64_t>(generatingRows),
                     tokens.data(), logits.data(),
                     static_cast<int64_t>(generatingRows * vocab),
                     &error) != 0) {
    message = error ? error : "unknown error";
    api.errorFree(error);
  }
  for (size_t row = 0; row < tokens.size(); ++row) {
    Slot &slot = slots[row];
    const float *rowLogits = &logits[row * vocab];
    std::string why;
    if (rowFails(message, rowLogits, why))
      failSlot(slot, why);
    else
      sample(slot, rowLogits);
  }
}

void Engine::loop() {
  while (true) {
    std::vector<std::shared_ptr<Job>> admitted;
    size_t active = liveRows;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || !queue.empty() || active; });
      if (stopping)
        break;
      // New requests join at this step.
      while (!queue.empty() && active + admitted.size() < batchLimit) {
        admitted.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      // Taken now, so that submit counts them until the step ends.
      counters.active = active + admitted.size();
      counters.queued = queue.size();
    }
    auto stepStart = std::chrono::steady_clock::now();
    // The live sequences are rows [0, liveRows); new ones take the next,
    // shortest prompts first, so that prompts finish in row order (the order
    // among prompts of one length does not matter: rows are independent).
    std::sort(
        admitted.begin(), admitted.end(), [](const auto &a, const auto &b) {
          return a->request.prompt.size() < b->request.prompt.size();
        });
    for (auto &job : admitted)
      if (!job->isCancelled() && start(job, static_cast<int64_t>(liveRows)))
        ++liveRows;
    // Requests whose client is gone free their slots.
    for (size_t row = 0; row < liveRows; ++row)
      if (slots[row].job && slots[row].job->isCancelled())
        slots[row].job.reset();
    compact();
    prefillChunks(chunkLimit);
    // Each generating slot takes its token; those that go on decode
    // together.
    uint64_t tokens = 0;
    for (size_t row = 0; row < generatingRows; ++row) {
      Slot &slot = slots[row];
      int64_t before = slot.output->generated();
      bool goesOn = advance(slot);
      tokens += slot.output->generated() - before;
      if (!goesOn)
        slot.job.reset();
    }
    compact();
    if (generatingRows > 0)
      decodeStep();
    compact(); // rows that failed in the step
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - stepStart)
                         .count();
    active = liveRows;
    std::lock_guard<std::mutex> lock(mutex);
    counters.requests += admitted.size();
    counters.completionTokens += tokens;
    counters.steps += 1;
    counters.stepSeconds += seconds;
    counters.active = active;
    counters.queued = queue.size();
  }
  std::lock_guard<std::mutex> lock(mutex);
  for (Slot &slot : slots)
    if (slot.job)
      fail(*slot.job, "the server is shutting down");
  for (auto &job : queue)
    fail(*job, "the server is shutting down");
  queue.clear();
  counters.active = counters.queued = 0;
}
