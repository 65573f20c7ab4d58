//===- Yardstick.h - Machine yardsticks measured beside benchmarks -*- C++ -*-//
//
// What generated code is compared with in the same run: OpenBLAS sgemm
// GFLOP/s and the memory read bandwidth, plus the median timer both use.
//
// OpenBLAS is loaded at run time, after OPENBLAS_CORETYPE is set to the
// strongest kernel this CPU supports (unless the user set it): OpenBLAS
// reads the variable once, in its library constructor, and falls back to a
// weak kernel on CPUs its build does not know.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_BENCHMARKS_YARDSTICK_H
#define RETNET_BENCHMARKS_YARDSTICK_H

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace retnet_bench {
/// The sgemm yardstick's size, shared by the benchmarks.
constexpr int kYardstickSgemmSize = 2048;

/// OpenBLAS as this process loaded it.
struct OpenBlas {
  /// The kernel OpenBLAS runs (openblas_get_corename()).
  std::string core;
  /// Where the choice came from: "from cpuid" or "OPENBLAS_CORETYPE set by
  /// the user".
  std::string choice;
  /// The strongest kernel this CPU supports.
  std::string strongest;
  void (*sgemm)(int order, int transA, int transB, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc) = nullptr;
  void (*setThreads)(int threads) = nullptr;
  int (*getThreads)() = nullptr;

  /// "core=SkylakeX (from cpuid)", with the strongest core when the user's
  /// choice is another.
  std::string describe() const;
};

/// The strongest OpenBLAS x86-64 kernel that this CPU supports (cpuid):
/// CooperLake, SkylakeX, Haswell or Zen, Sandybridge, Nehalem or Prescott.
std::string strongestOpenBlasCore();

/// Loads OpenBLAS once; null with `error` set if it cannot be loaded.
const OpenBlas *openBlas(std::string &error);

/// Median seconds per call of `call`: `samples` samples, each of as many
/// calls as make it last at least `minSampleSeconds`, after one warm-up call.
double medianSeconds(const std::function<void()> &call, int samples,
                     double minSampleSeconds);

/// GFLOP/s of a square single-precision GEMM (2 n^3 FLOPs) through OpenBLAS,
/// median of `samples`; 0 if OpenBLAS cannot be loaded (reported on
/// stderr).
double sgemmGflops(int n, int samples);

/// Memory read bandwidth in GB/s: the median time of summing a buffer of
/// `bytes` (much larger than the caches) with `threads` threads.
double readBandwidthGBs(int64_t bytes, int threads, int samples);
} // namespace retnet_bench

#endif // RETNET_BENCHMARKS_YARDSTICK_H
