//===- Bench.h - retnet-run --bench: throughput vs the machine -*- C++ -*-===//

#ifndef RETNET_TOOLS_RETNET_RUN_BENCH_H
#define RETNET_TOOLS_RETNET_RUN_BENCH_H

#include "retnet/Runtime/Driver.h"
#include "retnet/Runtime/ModelLayout.h"

#include <string>
#include <vector>

namespace retnet_runtime {
struct BenchOptions {
  std::string weights;
  /// Flags of retnet_model_load_with_flags.
  uint32_t loadFlags = 0;
  int64_t promptLength = 512;
  std::vector<int64_t> contexts = {128, 512, 1024, 2048, 4096};
  /// Rows decoded together in each step.
  std::vector<int64_t> batches = {1};
  int64_t decodeSteps = 32;
  int samples = 5;
  /// A CUDA model: the CPU's sgemm and bandwidth bound nothing; tokens/s,
  /// GFLOP/s of prefill and weight bytes streamed per second of decoding
  /// are reported instead.
  bool onDevice = false;
};

/// Parses the --bench flags; false with `error` set on a bad value.
bool parseBenchOption(const std::string &arg, BenchOptions &options,
                      std::string &error, bool &recognised);

/// Measures prefill and decode throughput of the model and, in the same run,
/// the machine's memory read bandwidth and OpenBLAS sgemm GFLOP/s, and prints
/// each throughput as a fraction of its bound. Returns the exit status.
int runBenchmark(const ModelApi &api, const ModelShape &shape,
                 const BenchOptions &options);
} // namespace retnet_runtime

#endif // RETNET_TOOLS_RETNET_RUN_BENCH_H
