//===- Yardstick.h - Machine yardsticks measured beside benchmarks -*- C++
//-*-===//
//
// What generated code is compared with in the same run: OpenBLAS sgemm
// GFLOP/s and the memory read bandwidth, plus the median timer both use.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_BENCHMARKS_YARDSTICK_H
#define RETNET_BENCHMARKS_YARDSTICK_H

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace retnet_bench {
/// Median seconds per call of `call`: `samples` samples, each of as many
/// calls as make it last at least `minSampleSeconds`, after one warm-up call.
double medianSeconds(const std::function<void()> &call, int samples,
                     double minSampleSeconds);

/// GFLOP/s of a square single-precision GEMM (2 n^3 FLOPs) through OpenBLAS,
/// median of `samples`.
double sgemmGflops(int n, int samples);

/// Memory read bandwidth in GB/s: the median time of summing a buffer of
/// `bytes` (much larger than the caches) with `threads` threads.
double readBandwidthGBs(int64_t bytes, int threads, int samples);
} // namespace retnet_bench

#endif // RETNET_BENCHMARKS_YARDSTICK_H
