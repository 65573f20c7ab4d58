//===- Engine.h - The generation loop behind retnet-serve -------*- C++ -*-===//
//
// Requests wait in a bounded queue; up to max-batch of them generate at
// once, each in a slot: a row of one state. A request joins at the next
// step. A step first feeds the prompts of the joining slots, all of them
// in one call per chunk (each row at its own position, at most
// prefill-chunk tokens per step, so that a long prompt does not stall the
// others), then decodes the slots that generate as one batch, so the
// weights are read once per step for all sequences. The live rows are kept
// first, the generating ones before those still prefilling, so that a call
// costs what its sequences cost. Each request receives its text as it is
// produced, through its Job.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_SERVE_ENGINE_H
#define RETNET_SERVE_ENGINE_H

#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/Sampling.h"
#include "retnet/Runtime/SequenceOutput.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace retnet_serve {
/// What a request asks for, validated.
struct CompletionRequest {
  std::vector<int32_t> prompt;
  int64_t maxTokens = 16;
  retnet_sampling_params sampling = retnet_sampling_default_params();
  std::vector<std::string> stops;
  bool ignoreEos = false;
};

/// Text of a request as it is produced, then how it ended.
struct CompletionEvent {
  std::string text;
  bool done = false;
  /// "stop" (EOS or a stop string) or "length", when done.
  std::string finishReason;
  /// Set when the request failed (done too).
  std::string error;
  int64_t promptTokens = 0, completionTokens = 0;
};

/// One request between the HTTP handler that waits for it and the engine.
class Job {
public:
  explicit Job(CompletionRequest request) : request(std::move(request)) {}
  /// The next event; false when none came within `timeout`.
  bool next(CompletionEvent &event, std::chrono::milliseconds timeout);
  /// The client is gone: the engine frees the slot at its next step.
  void cancel() { cancelled = true; }
  bool isCancelled() const { return cancelled; }
  void push(CompletionEvent event);

  const CompletionRequest request;

private:
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<CompletionEvent> events;
  std::atomic<bool> cancelled{false};
};

/// Counters for /metrics.
struct EngineMetrics {
  uint64_t requests = 0, failedRequests = 0, rejectedRequests = 0;
  uint64_t promptTokens = 0, completionTokens = 0;
  uint64_t steps = 0;
  double stepSeconds = 0.0;
  size_t active = 0, queued = 0;
};

class Engine {
public:
  Engine(const retnet_runtime::ModelApi &api, retnet_model *model,
         std::shared_ptr<const retnet_runtime::Tokenizer> tokenizer,
         size_t maxBatch, size_t maxQueue, size_t prefillChunk);
  ~Engine();
  /// Why the engine could not start (its state could not be allocated);
  /// empty when it runs.
  const std::string &startError() const { return failure; }

  /// Queues a request; null when the queue is full.
  std::shared_ptr<Job> submit(CompletionRequest request);
  /// Fails the queued and active requests ("the server is shutting down")
  /// and stops the loop.
  void shutdown();
  EngineMetrics metrics();
  size_t maxBatch() const { return batchLimit; }

private:
  struct Slot;
  void loop();
  /// Starts a queued job in the free slot `row`, its prompt not yet fed.
  bool start(const std::shared_ptr<Job> &job, int64_t row);
  /// Feeds at most `budget` prompt tokens to the prefilling rows, the same
  /// count to each in one call; a row whose prompt is done samples its
  /// first token and moves to the generating rows.
  void prefillChunks(size_t budget);
  /// Fails the slot's request with `error` and frees the slot.
  void failSlot(Slot &slot, const std::string &error);
  /// Whether the row of a call that failed with `message` (empty: it did
  /// not) fails: every row when the call failed, only those whose logits
  /// are not finite when that was the failure. Sets `why`.
  bool rowFails(const std::string &message, const float *rowLogits,
                std::string &why) const;
  /// Exchanges two rows and their slots (through the spare last row).
  bool swapRows(size_t a, size_t b);
  /// Takes the slot's next token; false when the slot is done.
  bool advance(Slot &slot);
  /// Draws the slot's next token from its row of logits.
  void sample(Slot &slot, const float *rowLogits);
  /// One decode step of the live rows, which sample their next token. A
  /// row whose logits are not finite fails alone.
  void decodeStep();
  /// Moves the live slots to the first rows, keeping their order.
  void compact();

  const retnet_runtime::ModelApi &api;
  retnet_model *model;
  std::shared_ptr<const retnet_runtime::Tokenizer> tokenizer;
  size_t batchLimit, queueLimit, chunkLimit;
  int64_t vocab, sampledVocab;

  /// The slots' state (max-batch rows and a spare one) and the logits of a
  /// call; only the worker thread touches them. Rows [0, generatingRows)
  /// generate, [generatingRows, liveRows) are still being prefilled.
  std::unique_ptr<retnet_state, void (*)(retnet_state *)> state{nullptr,
                                                                nullptr};
  std::vector<Slot> slots;
  size_t liveRows = 0, generatingRows = 0;
  std::vector<float> logits;
  std::string failure;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<Job>> queue;
  bool stopping = false;
  EngineMetrics counters;
  std::thread worker;
};
} // namespace retnet_serve

#endif // RETNET_SERVE_ENGINE_H
