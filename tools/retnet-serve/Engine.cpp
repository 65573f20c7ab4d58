//===- Engine.cpp - The generation loop behind retnet-serve ---------------===//

#include "Engine.h"

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

/// A sequence being generated: its state, sampler and text.
struct Engine::Slot {
  std::shared_ptr<Job> job;
  std::unique_ptr<retnet_state, void (*)(retnet_state *)> state{nullptr,
                                                                nullptr};
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<TextStream> text;
  std::vector<int32_t> history;
  std::vector<float> logits;
  int32_t next = 0;
  int64_t generated = 0;
};

Engine::Engine(const ModelApi &api, retnet_model *model,
               std::shared_ptr<const Tokenizer> tokenizer, size_t maxBatch,
               size_t maxQueue)
    : api(api), model(model), tokenizer(std::move(tokenizer)),
      batchLimit(maxBatch), queueLimit(maxQueue), vocab(api.outputDim(model)),
      sampledVocab(this->tokenizer ? this->tokenizer->vocabSize() : vocab) {
  worker = std::thread([this] { loop(); });
}

Engine::~Engine() { shutdown(); }

std::shared_ptr<Job> Engine::submit(CompletionRequest request) {
  auto job = std::make_shared<Job>(std::move(request));
  {
    std::lock_guard<std::mutex> lock(mutex);
    // Free slots take requests at the next step; beyond them, at most
    // queueLimit wait.
    if (stopping || queue.size() >= queueLimit + batchLimit - counters.active) {
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

bool Engine::start(const std::shared_ptr<Job> &job, Slot &slot) {
  const CompletionRequest &request = job->request;
  slot.job = job;
  char *error = nullptr;
  auto takeError = [&]() {
    std::string message = error ? error : "unknown error";
    api.errorFree(error);
    fail(*job, message);
    std::lock_guard<std::mutex> lock(mutex);
    ++counters.failedRequests;
    return false;
  };
  slot.state = {api.stateNew(model, 1, &error), api.stateFree};
  if (!slot.state)
    return takeError();
  slot.logits.resize(vocab);
  if (api.prefill(model, slot.state.get(), request.prompt.data(),
                  static_cast<int64_t>(request.prompt.size()),
                  slot.logits.data(), vocab, 0, &error) != 0)
    return takeError();
  slot.sampler = std::make_unique<Sampler>(request.sampling);
  if (tokenizer)
    slot.text =
        std::make_unique<TextStream>(*tokenizer, request.prompt, request.stops);
  slot.history = request.prompt;
  slot.next = slot.sampler->sample(slot.logits.data(), sampledVocab,
                                   slot.history.data(), slot.history.size());
  std::lock_guard<std::mutex> lock(mutex);
  counters.promptTokens += request.prompt.size();
  return true;
}

bool Engine::advance(Slot &slot) {
  Job &job = *slot.job;
  const CompletionRequest &request = job.request;
  CompletionEvent event;
  int32_t eos = tokenizer && !request.ignoreEos ? tokenizer->eosId() : -1;
  std::string problem;
  if (slot.next == eos) {
    event.finishReason = "stop";
  } else {
    ++slot.generated;
    slot.history.push_back(slot.next);
    if (slot.text) {
      if (!slot.text->append(slot.next, event.text, problem)) {
        fail(job, problem);
        return false;
      }
      if (slot.text->stopped())
        event.finishReason = "stop";
    } else {
      event.text = (slot.generated > 1 ? "," : "") + std::to_string(slot.next);
    }
    if (event.finishReason.empty() && slot.generated == request.maxTokens)
      event.finishReason = "length";
  }
  if (!event.finishReason.empty()) {
    std::string rest;
    if (slot.text && !slot.text->finish(rest, problem)) {
      fail(job, problem);
      return false;
    }
    event.text += rest;
    event.done = true;
    event.promptTokens = request.prompt.size();
    event.completionTokens = slot.generated;
    job.push(std::move(event));
    return false;
  }
  if (!event.text.empty())
    job.push(std::move(event));
  char *error = nullptr;
  if (api.decode(model, slot.state.get(), &slot.next, slot.logits.data(), vocab,
                 &error) != 0) {
    fail(job, error ? error : "unknown error");
    api.errorFree(error);
    return false;
  }
  slot.next = slot.sampler->sample(slot.logits.data(), sampledVocab,
                                   slot.history.data(), slot.history.size());
  return true;
}

void Engine::loop() {
  std::vector<Slot> slots;
  while (true) {
    std::vector<std::shared_ptr<Job>> admitted;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock,
                [&] { return stopping || !queue.empty() || !slots.empty(); });
      if (stopping)
        break;
      // New requests join at this step.
      while (!queue.empty() && slots.size() + admitted.size() < batchLimit) {
        admitted.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      // Taken now, so that submit counts them until the step ends.
      counters.active = slots.size() + admitted.size();
      counters.queued = queue.size();
    }
    for (auto &job : admitted) {
      Slot slot;
      if (!job->isCancelled() && start(job, slot))
        slots.push_back(std::move(slot));
    }
    auto stepStart = std::chrono::steady_clock::now();
    uint64_t tokens = 0;
    for (size_t i = 0; i < slots.size();) {
      bool generating = !slots[i].job->isCancelled();
      int64_t before = slots[i].generated;
      if (generating)
        generating = advance(slots[i]);
      tokens += slots[i].generated - before;
      if (generating) {
        ++i;
      } else {
        slots.erase(slots.begin() + i);
      }
    }
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - stepStart)
                         .count();
    std::lock_guard<std::mutex> lock(mutex);
    counters.requests += admitted.size();
    counters.completionTokens += tokens;
    counters.steps += 1;
    counters.stepSeconds += seconds;
    counters.active = slots.size();
    counters.queued = queue.size();
  }
  std::lock_guard<std::mutex> lock(mutex);
  for (Slot &slot : slots)
    fail(*slot.job, "the server is shutting down");
  for (auto &job : queue)
    fail(*job, "the server is shutting down");
  queue.clear();
  counters.active = counters.queued = 0;
}
