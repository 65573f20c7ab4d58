//===- Yardstick.cpp - Machine yardsticks measured beside benchmarks ------===//

#include "Yardstick.h"

#if __has_include(<cblas-openblas.h>)
#include <cblas-openblas.h>
#else
#include <cblas.h>
#endif

#include <random>
#include <thread>

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

double retnet_bench::sgemmGflops(int n, int samples) {
  std::mt19937_64 generator(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> a(int64_t(n) * n), b(int64_t(n) * n), c(int64_t(n) * n);
  for (float &value : a)
    value = uniform(generator);
  for (float &value : b)
    value = uniform(generator);
  double seconds = medianSeconds(
      [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
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
