//===- Yardstick.cpp - Machine yardsticks measured beside benchmarks ------===//

#include "Yardstick.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <type_traits>

// The library the build found (libopenblas-dev), tried after the runtime
// package's soname.
#ifndef RETNET_OPENBLAS_PATH
#define RETNET_OPENBLAS_PATH "libopenblas.so"
#endif

// cblas.h's values of CBLAS_ORDER and CBLAS_TRANSPOSE.
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111;

using Clock = std::chrono::steady_clock;

double retnet_bench::medianSeconds(const std::function<void()> &call,
                                   int samples, double minSampleSeconds) {
  auto start = Clock::now();
  call();
  double once = std::chrono::duration<double>(Clock::now() - start).count();
  int64_t calls = std::max<int64_t>(
      1,
      static_cast<int64_t>(std::ceil(minSampleSeconds / std::max(once, 1e-9))));
  std::vector<double> perCall;
  for (int s = 0; s < samples; ++s) {
    auto sampleStart = Clock::now();
    for (int64_t c = 0; c < calls; ++c)
      call();
    perCall.push_back(
        std::chrono::duration<double>(Clock::now() - sampleStart).count() /
        calls);
  }
  std::sort(perCall.begin(), perCall.end());
  return perCall[perCall.size() / 2];
}

std::string retnet_bench::strongestOpenBlasCore() {
  __builtin_cpu_init();
  bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (avx512 && __builtin_cpu_supports("avx512bf16"))
    return "CooperLake";
  if (avx512)
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return __builtin_cpu_is("amd") ? "Zen" : "Haswell";
  if (__builtin_cpu_supports("avx"))
    return "Sandybridge";
  if (__builtin_cpu_supports("sse4.2"))
    return "Nehalem";
  return "Prescott";
}

std::string retnet_bench::OpenBlas::describe() const {
  std::string text = "core=" + core + " (" + choice;
  if (choice != "from cpuid")
    text += "; this CPU supports " + strongest;
  return text + ")";
}

const retnet_bench::OpenBlas *retnet_bench::openBlas(std::string &error) {
  static OpenBlas blas;
  static std::string loadError;
  static bool loaded = [] {
    blas.strongest = strongestOpenBlasCore();
    const char *userCore = std::getenv("OPENBLAS_CORETYPE");
    if (userCore && *userCore) {
      blas.choice = "OPENBLAS_CORETYPE set by the user";
    } else {
      setenv("OPENBLAS_CORETYPE", blas.strongest.c_str(), 1);
      blas.choice = "from cpuid";
    }
    void *handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      handle = dlopen(RETNET_OPENBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *message = dlerror();
      loadError = std::string("cannot load OpenBLAS (libopenblas.so.0 or ") +
                  RETNET_OPENBLAS_PATH + "): " + (message ? message : "?");
      return false;
    }
    auto find = [&](auto &slot, const char *name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
          dlsym(handle, name));
      return slot != nullptr;
    };
    char *(*coreName)() = nullptr;
    if (!find(blas.sgemm, "cblas_sgemm") ||
        !find(blas.setThreads, "openblas_set_num_threads") ||
        !find(blas.getThreads, "openblas_get_num_threads") ||
        !find(coreName, "openblas_get_corename")) {
      loadError = "the OpenBLAS library lacks cblas_sgemm or the "
                  "openblas_* functions";
      return false;
    }
    blas.core = coreName();
    return true;
  }();
  if (!loaded) {
    error = loadError;
    return nullptr;
  }
  return &blas;
}

double retnet_bench::sgemmGflops(int n, int samples) {
  std::string error;
  const OpenBlas *blas = openBlas(error);
  if (!blas) {
    std::fprintf(stderr, "yardstick: %s\n", error.c_str());
    return 0.0;
  }
  std::mt19937_64 generator(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> a(int64_t(n) * n), b(int64_t(n) * n), c(int64_t(n) * n);
  for (float &value : a)
    value = uniform(generator);
  for (float &value : b)
    value = uniform(generator);
  double seconds = medianSeconds(
      [&] {
        blas->sgemm(kCblasRowMajor, kCblasNoTrans, kCblasNoTrans, n, n, n, 1.0f,
                    a.data(), n, b.data(), n, 0.0f, c.data(), n);
      },
      samples, 0.05);
  return 2.0 * n * n * n / seconds * 1e-9;
}

double retnet_bench::readBandwidthGBs(int64_t bytes, int threads, int samples) {
  int64_t count = bytes / sizeof(float);
  std::vector<float> buffer(count, 1.0f);
  std::vector<double> sums(threads);
  auto sumRange = [&](int thread) {
    int64_t begin = count * thread / threads,
            end = count * (thread + 1) / threads;
    // Eight independent partial sums keep the loads, not the adds, the
    // bottleneck.
    float partial[8] = {};
    int64_t i = begin;
    for (; i + 8 <= end; i += 8)
      for (int lane = 0; lane < 8; ++lane)
        partial[lane] += buffer[i + lane];
    for (; i < end; ++i)
      partial[0] += buffer[i];
    double total = 0;
    for (float value : partial)
      total += value;
    sums[thread] = total;
  };
  double seconds = medianSeconds(
      [&] {
        std::vector<std::thread> workers;
        for (int thread = 1; thread < threads; ++thread)
          workers.emplace_back(sumRange, thread);
        sumRange(0);
        for (std::thread &worker : workers)
          worker.join();
      },
      samples, 0.0);
  return static_cast<double>(count) * sizeof(float) / seconds * 1e-9;
}
