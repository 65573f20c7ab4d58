//===- ServeBench.cpp - Closed-loop load on retnet-serve ------------------===//
//
// Starts retnet-serve on a model library (next to this program in
// build/bin) and runs closed loops against it: each of C clients sends its
// next request as soon as its last one completes, for a fixed time, at each
// concurrency C. Requests: prompts of token ids, greedy, ignore_eos, so
// that every request generates max_tokens tokens. Reports throughput
// (completion tokens over wall time), request latency and time per output
// token percentiles, and the server's resident memory.
//
//===----------------------------------------------------------------------===//

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

static const char *usage =
    "usage: serve-bench LIBMODEL.so --weights W.safetensors\n"
    "                   [--concurrency=1,8,32,64] [--seconds=20]\n"
    "                   [--prompt-tokens=16] [--max-tokens=64]\n"
    "                   [--server=PATH]\n\n"
    "Closed-loop load on retnet-serve (started here with --max-batch = the\n"
    "largest concurrency): per concurrency, completion tokens/s, request\n"
    "latency and time per output token (p50, p90, p99), the server's\n"
    "resident memory.\n";

namespace {
double percentile(std::vector<double> values, double p) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1,
                          static_cast<size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

/// A /proc/PID/status field in kB (VmRSS, VmHWM).
long statusKb(pid_t pid, const char *field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0)
      return std::atol(line.c_str() + std::strlen(field) + 1);
  return -1;
}

std::vector<int> parseList(const std::string &text) {
  std::vector<int> values;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos)
      end = text.size();
    values.push_back(std::atoi(text.substr(start, end - start).c_str()));
    start = end + 1;
  }
  return values;
}
} // namespace

int main(int argc, char **argv) {
  std::string library, weights, server;
  std::vector<int> concurrencies = {1, 8, 32, 64};
  double seconds = 20;
  int promptTokens = 16, maxTokens = 64;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *name) -> const char * {
      size_t length = std::strlen(name);
      return arg.compare(0, length, name) == 0 ? argv[i] + length : nullptr;
    };
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", usage);
      return 0;
    } else if (arg == "--weights" && i + 1 < argc) {
      weights = argv[++i];
    } else if (const char *v = value("--concurrency=")) {
      concurrencies = parseList(v);
    } else if (const char *v = value("--seconds=")) {
      seconds = std::atof(v);
    } else if (const char *v = value("--prompt-tokens=")) {
      promptTokens = std::atoi(v);
    } else if (const char *v = value("--max-tokens=")) {
      maxTokens = std::atoi(v);
    } else if (const char *v = value("--server=")) {
      server = v;
    } else if (library.empty() && arg.rfind("--", 0) != 0) {
      library = arg;
    } else {
      std::fprintf(stderr, "serve-bench: error: unknown argument '%s'\n%s",
                   arg.c_str(), usage);
      return 2;
    }
  }
  int maxConcurrency =
      *std::max_element(concurrencies.begin(), concurrencies.end());
  if (library.empty() || weights.empty() || maxConcurrency < 1 ||
      seconds <= 0 || promptTokens < 1 || maxTokens < 1) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  if (server.empty()) {
    std::string self = argv[0];
    server = self.substr(0, self.find_last_of('/') + 1) + "retnet-serve";
  }

  // The server, its address read from its first line.
  int pipeFds[2];
  if (pipe(pipeFds) != 0)
    return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipeFds[1], STDOUT_FILENO);
    close(pipeFds[0]);
    std::string batch = std::to_string(maxConcurrency);
    execl(server.c_str(), server.c_str(), library.c_str(), "--weights",
          weights.c_str(), "--port", "0", "--max-batch", batch.c_str(),
          "--max-queue", batch.c_str(), static_cast<char *>(nullptr));
    std::perror("serve-bench: cannot run retnet-serve");
    _exit(127);
  }
  close(pipeFds[1]);
  FILE *serverOut = fdopen(pipeFds[0], "r");
  char line[256] = {0};
  int port = 0;
  if (!serverOut || !std::fgets(line, sizeof(line), serverOut) ||
      std::sscanf(line, "retnet-serve: listening on http://127.0.0.1:%d",
                  &port) != 1) {
    std::fprintf(stderr, "serve-bench: error: retnet-serve did not start\n");
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    return 1;
  }

  std::printf("serve-bench: %s, prompts of %d tokens, max_tokens %d, "
              "greedy, ignore_eos, %.0f s per point, server --max-batch %d\n",
              library.c_str(), promptTokens, maxTokens, seconds,
              maxConcurrency);
  std::printf("| clients | completion tokens/s | request p50 / p90 / p99 s | "
              "time per output token p50 / p90 ms | server RSS MB |\n"
              "|---|---|---|---|---|\n");
  std::fflush(stdout);
  int status = 0;
  for (int clients : concurrencies) {
    std::atomic<long> tokens{0};
    std::atomic<int> failures{0};
    std::mutex mutex;
    std::vector<double> latencies, perToken;
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(600, 0);
        for (int request = 0; std::chrono::steady_clock::now() < deadline;
             ++request) {
          std::string prompt;
          for (int t = 0; t < promptTokens; ++t)
            prompt += (t ? "," : "") +
                      std::to_string(1 + (c * 131 + request * 17 + t) % 200);
          std::string body = "{\"prompt\":[" + prompt +
                             "],\"max_tokens\":" + std::to_string(maxTokens) +
                             ",\"temperature\":0,\"ignore_eos\":true}";
          auto sent = std::chrono::steady_clock::now();
          auto result =
              client.Post("/v1/completions", body, "application/json");
          double latency = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - sent)
                               .count();
          if (!result || result->status != 200) {
            if (failures++ == 0)
              std::fprintf(
                  stderr, "serve-bench: a request failed: %s\n",
                  result ? (std::to_string(result->status) + " " + result->body)
                               .c_str()
                         : httplib::to_string(result.error()).c_str());
            continue;
          }
          tokens += maxTokens;
          std::lock_guard<std::mutex> lock(mutex);
          latencies.push_back(latency);
          perToken.push_back(latency / maxTokens);
        }
      });
    for (auto &thread : threads)
      thread.join();
    double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf(
        "| %d | %.1f | %.3f / %.3f / %.3f | %.2f / %.2f | %.1f |\n", clients,
        tokens / wall, percentile(latencies, 0.5), percentile(latencies, 0.9),
        percentile(latencies, 0.99), 1e3 * percentile(perToken, 0.5),
        1e3 * percentile(perToken, 0.9), statusKb(pid, "VmRSS:") / 1024.0);
    std::fflush(stdout);
    if (failures) {
      std::fprintf(stderr, "serve-bench: %d requests failed\n",
                   failures.load());
      status = 1;
    }
  }
  std::printf("server peak RSS: %.1f MB\n", statusKb(pid, "VmHWM:") / 1024.0);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return status;
}
