//===- retnet-serve.cpp - OpenAI-style completions server for a model -----===//

#include "ClientSocket.h"
#include "CompletionRequest.h"
#include "Engine.h"
#include "retnet/ModelABI.h"
#include "retnet/Runtime/ModelLibrary.h"
#include "retnet/Tokenizers/Tokenizers.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <pthread.h>

using namespace retnet_serve;
using json = nlohmann::json;

static const char *usage =
    "usage: retnet-serve LIBMODEL.so --weights W.safetensors\n"
    "                    [--tokenizer TOK.model] [--host H] [--port P]\n"
    "                    [--max-batch N] [--max-queue N] [--prefill-chunk N]\n"
    "                    [--max-prompt-tokens N] [--max-tokens N]\n"
    "                    [--model-name NAME] [--api-prefix=NAME]\n"
    "                    [--allow-extra-tensors]\n\n"
    "Serves a model library made by retnet-compile over HTTP:\n"
    "  POST /v1/completions  OpenAI's completions: prompt (a string, with\n"
    "                        --tokenizer, or an array of token ids),\n"
    "                        max_tokens (default 16), temperature, top_p,\n"
    "                        top_k, min_p, repetition_penalty, seed (defaults\n"
    "                        as retnet-run --text: llama.cpp's), stop,\n"
    "                        stream (server-sent events), ignore_eos\n"
    "  GET /health           200 while serving\n"
    "  GET /metrics          Prometheus text: requests, tokens, batch\n"
    "                        occupancy, queue length, step latency\n\n"
    "  --host H               address to listen on (default 127.0.0.1)\n"
    "  --port P               port (default 8080; 0: a free one, printed)\n"
    "  --max-batch N          sequences generated together (default 8)\n"
    "  --max-queue N          requests waiting for a slot; beyond, 503\n"
    "                         (default 64)\n"
    "  --prefill-chunk N      prompt tokens fed per step, over the joining\n"
    "                         sequences, before the step's decoding: a long\n"
    "                         prompt is fed in chunks between the steps of\n"
    "                         the others (default 256)\n"
    "  --max-prompt-tokens N  longest prompt (default 4096)\n"
    "  --max-tokens N         largest max_tokens (default 4096)\n"
    "  --model-name NAME      the 'model' of responses (default: the\n"
    "                         library's file name)\n\n"
    "SIGINT or SIGTERM stops it: requests in flight end with an error.\n";

namespace {
struct ServeOptions {
  std::string library, weights, tokenizer, host = "127.0.0.1", apiPrefix,
                                           modelName;
  int64_t port = 8080, maxBatch = 8, maxQueue = 64, prefillChunk = 256;
  RequestLimits limits;
  uint32_t loadFlags = 0;
};

bool parseOptions(const std::vector<std::string> &args, ServeOptions &options,
                  std::string &error) {
  options.apiPrefix = retnet_abi::kDefaultApiPrefix;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string arg = args[i], value;
    size_t equals = arg.find('=');
    bool inlineValue = equals != std::string::npos;
    std::string name = inlineValue ? arg.substr(0, equals) : arg;
    if (name == "--allow-extra-tensors" && !inlineValue) {
      options.loadFlags |= RETNET_LOAD_ALLOW_EXTRA_TENSORS;
      continue;
    }
    if (inlineValue) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = name + " needs a value";
      return false;
    }
    struct Integer {
      const char *name;
      int64_t *slot, minimum, maximum;
    } integers[] = {
        {"--port", &options.port, 0, 65535},
        {"--max-batch", &options.maxBatch, 1, 4096},
        {"--max-queue", &options.maxQueue, 0, 1 << 20},
        {"--prefill-chunk", &options.prefillChunk, 1, 1 << 20},
        {"--max-prompt-tokens", &options.limits.maxPromptTokens, 1, 1 << 24},
        {"--max-tokens", &options.limits.maxTokens, 1, 1 << 24}};
    bool known = false;
    for (const Integer &integer : integers)
      if (name == integer.name) {
        known = true;
        if (!retnet_runtime::parseInteger(value, integer.minimum,
                                          integer.maximum, *integer.slot)) {
          error = name + ": expected an integer from " +
                  std::to_string(integer.minimum) + " to " +
                  std::to_string(integer.maximum) + ", got '" + value + "'";
          return false;
        }
      }
    std::string *strings[] = {&options.weights, &options.tokenizer,
                              &options.host, &options.apiPrefix,
                              &options.modelName};
    const char *stringNames[] = {"--weights", "--tokenizer", "--host",
                                 "--api-prefix", "--model-name"};
    for (size_t k = 0; k < 5; ++k)
      if (name == stringNames[k]) {
        known = true;
        if (value.empty()) {
          error = name + " needs a value";
          return false;
        }
        *strings[k] = value;
      }
    if (!known) {
      error = "unknown argument '" + arg + "'";
      return false;
    }
  }
  if (options.weights.empty()) {
    error = "--weights FILE.safetensors is required";
    return false;
  }
  if (options.modelName.empty())
    options.modelName =
        options.library.substr(options.library.find_last_of('/') + 1);
  return true;
}

/// JSON text; bytes that are not UTF-8 become U+FFFD.
std::string dumpJson(const json &value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// An OpenAI-style error body.
std::string errorBody(const std::string &message, const std::string &type,
                      const std::string &param) {
  json body = {{"error",
                {{"message", message},
                 {"type", type},
                 {"param", param.empty() ? json() : json(param)},
                 {"code", nullptr}}}};
  return dumpJson(body);
}

/// The completion object (a whole response or one streamed chunk).
json completionJson(const std::string &id, const std::string &model,
                    const std::string &text, const std::string &finishReason,
                    const CompletionEvent *usage) {
  json choice = {
      {"index", 0},
      {"text", text},
      {"logprobs", nullptr},
      {"finish_reason", finishReason.empty() ? json() : json(finishReason)}};
  json body = {{"id", id},
               {"object", "text_completion"},
               {"created", static_cast<int64_t>(std::time(nullptr))},
               {"model", model},
               {"choices", json::array({choice})}};
  if (usage)
    body["usage"] = {
        {"prompt_tokens", usage->promptTokens},
        {"completion_tokens", usage->completionTokens},
        {"total_tokens", usage->promptTokens + usage->completionTokens}};
  return body;
}

std::string metricsText(const EngineMetrics &m, size_t maxBatch,
                        uint64_t invalidRequests) {
  std::string out;
  auto metric = [&](const char *name, const char *type, const char *help,
                    double value) {
    char number[64];
    std::snprintf(number, sizeof(number), "%.17g", value);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
           " " + type + "\n" + name + " " + number + "\n";
  };
  metric("retnet_requests_total", "counter",
         "Completion requests that started generating.", m.requests);
  metric("retnet_requests_failed_total", "counter",
         "Requests that ended with an error.", m.failedRequests);
  metric("retnet_requests_rejected_total", "counter",
         "Requests refused with 503: the queue was full.", m.rejectedRequests);
  metric("retnet_requests_invalid_total", "counter",
         "Requests refused with 400.", invalidRequests);
  metric("retnet_prompt_tokens_total", "counter", "Prompt tokens prefilled.",
         m.promptTokens);
  metric("retnet_completion_tokens_total", "counter", "Tokens generated.",
         m.completionTokens);
  metric("retnet_active_sequences", "gauge", "Sequences generating now.",
         m.active);
  metric("retnet_max_batch", "gauge", "Sequences that may generate at once.",
         maxBatch);
  metric("retnet_batch_occupancy", "gauge",
         "Active sequences over --max-batch.",
         static_cast<double>(m.active) / maxBatch);
  metric("retnet_queue_length", "gauge", "Requests waiting for a slot.",
         m.queued);
  out += "# HELP retnet_step_seconds Time of one step over all active "
         "sequences.\n# TYPE retnet_step_seconds summary\n"
         "retnet_step_seconds_sum " +
         std::to_string(m.stepSeconds) + "\nretnet_step_seconds_count " +
         std::to_string(m.steps) + "\n";
  return out;
}
} // namespace

using ModelPointer = std::unique_ptr<retnet_model, void (*)(retnet_model *)>;

/// Opens the model library, loads the tokenizer and the weights, and checks
/// that the model generates and that its vocabulary holds the tokenizer's;
/// sets `options.limits.vocab`. False with `error` set.
static bool
loadModel(ServeOptions &options, retnet_runtime::ModelApi &api,
          std::shared_ptr<const retnet_runtime::Tokenizer> &tokenizer,
          ModelPointer &model, std::string &error) {
  if (!retnet_runtime::openModelLibrary(options.library, options.apiPrefix, api,
                                        error))
    return false;
  if (!options.tokenizer.empty() &&
      !(tokenizer = retnet_tokenizers::loadTokenizer(options.tokenizer, error)))
    return false;
  char *loadError = nullptr;
  model = ModelPointer(
      api.modelLoad(options.weights.c_str(), options.loadFlags, &loadError),
      api.modelFree);
  if (!model) {
    error = loadError ? loadError : "unknown error";
    api.errorFree(loadError);
    return false;
  }
  if (!api.hasOutputLayer(model.get())) {
    error = "the model has no output layer (no_output_layer): nothing "
            "to generate from";
    return false;
  }
  options.limits.vocab = api.outputDim(model.get());
  if (tokenizer && tokenizer->vocabSize() > options.limits.vocab) {
    error = "the tokenizer has " + std::to_string(tokenizer->vocabSize()) +
            " tokens but the model's vocabulary only " +
            std::to_string(options.limits.vocab);
    return false;
  }
  return true;
}

namespace {
/// What the request handlers share.
struct ServeContext {
  const ServeOptions &options;
  Engine &engine;
  const retnet_runtime::Tokenizer *tokenizer;
  std::atomic<uint64_t> invalidRequests{0}, nextId{0};
};
} // namespace

/// Answers with the whole completion of `job` once it is done; cancels the
/// job, without an answer, when the client goes away before.
static void respondWhole(const httplib::Request &req, httplib::Response &res,
                         Job &job, const std::string &id,
                         const std::string &modelName) {
  std::string text;
  CompletionEvent event;
  ClientSocket client(req.local_addr, req.local_port, req.remote_addr,
                      req.remote_port);
  auto checked = std::chrono::steady_clock::now();
  while (true) {
    bool got = job.next(event, std::chrono::milliseconds(100));
    auto now = std::chrono::steady_clock::now();
    if (now - checked >= std::chrono::milliseconds(100)) {
      checked = now;
      if (!client.connected()) {
        job.cancel(); // the client is gone: free its slot
        return;
      }
    }
    if (!got)
      continue;
    text += event.text;
    if (event.done)
      break;
  }
  if (!event.error.empty()) {
    res.status = 500;
    res.set_content(errorBody(event.error, "server_error", ""),
                    "application/json");
    return;
  }
  res.set_content(
      dumpJson(completionJson(id, modelName, text, event.finishReason, &event)),
      "application/json");
}

/// Answers with the completion of `job` as server-sent events, as it comes;
/// cancels the job when the client goes away.
static void respondStreaming(httplib::Response &res, std::shared_ptr<Job> job,
                             const std::string &id,
                             const std::string &modelName) {
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, id, &modelName, idle = 0](size_t, httplib::DataSink &sink) mutable {
        CompletionEvent event;
        if (!job->next(event, std::chrono::milliseconds(100))) {
          // An SSE comment every half second while nothing comes: the
          // write fails once the client is gone, which frees its slot.
          static const std::string ping = ": waiting\n\n";
          if (++idle % 5 == 0 && !sink.write(ping.data(), ping.size())) {
            job->cancel();
            return false;
          }
          return true; // asked again
        }
        json chunk =
            event.error.empty()
                ? completionJson(id, modelName, event.text, event.finishReason,
                                 event.done ? &event : nullptr)
                : json::parse(errorBody(event.error, "server_error", ""));
        std::string data = "data: " + dumpJson(chunk) + "\n\n";
        if (event.done)
          data += "data: [DONE]\n\n";
        if (!sink.write(data.data(), data.size())) {
          job->cancel(); // the client is gone: free its slot
          return false;
        }
        if (event.done)
          sink.done();
        return true;
      },
      [job](bool success) {
        if (!success)
          job->cancel();
      });
}

/// POST /v1/completions.
static void handleCompletion(ServeContext &context, const httplib::Request &req,
                             httplib::Response &res) {
  CompletionRequest request;
  bool stream = false;
  RequestError problem;
  if (!parseCompletionRequest(req.body, context.tokenizer,
                              context.options.limits, request, stream,
                              problem)) {
    ++context.invalidRequests;
    res.status = 400;
    res.set_content(
        errorBody(problem.message, "invalid_request_error", problem.param),
        "application/json");
    return;
  }
  std::shared_ptr<Job> job = context.engine.submit(std::move(request));
  if (!job) {
    res.status = 503;
    res.set_content(errorBody("the server is busy: every slot and queue "
                              "place is taken; retry later",
                              "server_busy", ""),
                    "application/json");
    return;
  }
  std::string id = "cmpl-" + std::to_string(context.nextId++);
  if (stream)
    respondStreaming(res, job, id, context.options.modelName);
  else
    respondWhole(req, res, *job, id, context.options.modelName);
}

/// The routes: /health, /metrics and /v1/completions.
static void addRoutes(httplib::Server &server, ServeContext &context) {
  server.Get("/health", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  server.Get("/metrics",
             [&context](const httplib::Request &, httplib::Response &res) {
               res.set_content(metricsText(context.engine.metrics(),
                                           context.engine.maxBatch(),
                                           context.invalidRequests),
                               "text/plain; version=0.0.4");
             });
  server.Post("/v1/completions",
              [&context](const httplib::Request &req, httplib::Response &res) {
                handleCompletion(context, req, res);
              });
}

/// Listens on the options' host and port and serves until one of `signals`
/// (SIGINT, SIGTERM) comes, which shuts the engine down. False with `error`
/// set when the server cannot listen or stops with an error.
static bool serve(httplib::Server &server, const ServeOptions &options,
                  Engine &engine, const sigset_t &signals, std::string &error) {
  int port = static_cast<int>(options.port);
  if (port == 0)
    port = server.bind_to_any_port(options.host);
  else if (!server.bind_to_port(options.host, port))
    port = -1;
  if (port < 0) {
    error =
        "cannot listen on " + options.host + ":" + std::to_string(options.port);
    return false;
  }
  std::printf("retnet-serve: listening on http://%s:%d\n", options.host.c_str(),
              port);
  std::fflush(stdout);

  std::thread signalThread([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal != SIGUSR1)
      std::fprintf(stderr, "retnet-serve: %s: shutting down\n",
                   signal == SIGINT ? "SIGINT" : "SIGTERM");
    engine.shutdown(); // requests in flight end with an error
    server.stop();
  });
  bool listened = server.listen_after_bind();
  pthread_kill(signalThread.native_handle(), SIGUSR1);
  signalThread.join();
  if (!listened)
    error = "the server stopped with an error";
  return listened;
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage);
      return 0;
    }
  if (args.empty() || args.front().rfind("--", 0) == 0) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  ServeOptions options;
  options.library = args.front();
  std::string error;
  if (!parseOptions(args, options, error)) {
    std::fprintf(stderr, "retnet-serve: error: %s\n", error.c_str());
    return 2;
  }
  auto fail = [](const std::string &message) {
    std::fprintf(stderr, "retnet-serve: error: %s\n", message.c_str());
    return 1;
  };
  retnet_runtime::ModelApi api;
  std::shared_ptr<const retnet_runtime::Tokenizer> tokenizer;
  ModelPointer model(nullptr, nullptr);
  if (!loadModel(options, api, tokenizer, model, error))
    return fail(error);

  // SIGINT and SIGTERM are taken by one thread (sigwait); every other
  // thread, started below, inherits the blocked mask.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGINT, SIGTERM, SIGUSR1})
    sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Engine engine(api, model.get(), tokenizer, options.maxBatch, options.maxQueue,
                options.prefillChunk);
  if (!engine.startError().empty())
    return fail("--max-batch " + std::to_string(options.maxBatch) + ": " +
                engine.startError());
  httplib::Server server;
  size_t threads = options.maxBatch + options.maxQueue + 4;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  ServeContext context{options, engine, tokenizer.get()};
  addRoutes(server, context);
  if (!serve(server, options, engine, signals, error))
    return fail(error);
  return 0;
}
