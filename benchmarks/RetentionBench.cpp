//===- RetentionBench.cpp - Speed of compiled retention kernels -----------===//
//
// Compiles retention kernels (the ABI of test/Integration/KernelSource.h) with
// retnet-compile, times them on random data and prints one line per case:
//   form=F B=b H=h T=t dk=k dv=v chunk=c ctx=p ms=M gflops=G sgemm_ratio=R
// where gflops counts useful FLOPs (benchmarks/README.md) and sgemm_ratio
// compares with OpenBLAS's single-precision GEMM measured in the same run.
//
// Usage: retention-bench [--compiler=PATH] [--quick] [--filter=FORM]
//            [--lengths=T1,T2,...] [--threads=N] [--keep-temp]
//            [--target=cuda] [--gpu-shapes]
//            [--work-dir=DIR [--compile-only | --precompiled]]
//
// --target=cuda times the CUDA kernels on data resident in device memory
// (each timed call is one kernel call, waited for); --gpu-shapes times the
// GPU benchmark's shapes (B8 H16 dk128 dv256, T 8192; decode steps at
// contexts 1k to 64k) instead of the CPU ones. --lengths replaces the
// prefill lengths of the CPU shapes (every form; the parallel and recurrent
// forms too, whatever their length). --compile-only writes the
// kernels into DIR; --precompiled times the ones found there (a GPU machine
// without the compiler: scripts/gpu-check.sh).
//
//===----------------------------------------------------------------------===//

#include "KernelLibrary.h"
#include "KernelSource.h"

#include "Yardstick.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

using namespace retnet::kernel;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string compiler;
  bool quick = false;
  std::string filter;
  unsigned threads = 0;
  bool keepTemporary = false;
  bool cuda = false;
  bool gpuShapes = false;
  std::string workDirectory;
  KernelSupply supply = KernelSupply::Compile;
  /// Extra retnet-compile arguments (--compiler-arg=ARG).
  std::vector<std::string> compilerArgs;
  /// Prefill lengths of the CPU shapes (--lengths); empty: the defaults.
  std::vector<int64_t> lengths;
};

/// Positive integers separated by commas, into `values`; false if `text`
/// is not such a list.
bool parseLengths(const char *text, std::vector<int64_t> &values) {
  values.clear();
  std::string list = text;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    std::string item =
        list.substr(start, end == std::string::npos ? end : end - start);
    if (item.empty() || item.size() > 9 ||
        item.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(item) < 1)
      return false;
    values.push_back(std::stoll(item));
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return !values.empty();
}

/// `retnet-compile` in the directory of this executable.
std::string compilerNextToSelf() {
  std::vector<char> path(4096);
  ssize_t size = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (size <= 0)
    return "retnet-compile";
  std::filesystem::path self(std::string(path.data(), size));
  return (self.parent_path() / "retnet-compile").string();
}

bool parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    auto value = [&](const char *prefix) {
      return optionValue(argv[i], prefix);
    };
    if (const char *text = value("--compiler="))
      options.compiler = text;
    else if (const char *text = value("--compiler-arg="))
      options.compilerArgs.push_back(text);
    else if (const char *text = value("--filter="))
      options.filter = text;
    else if (const char *text = value("--lengths=")) {
      if (!parseLengths(text, options.lengths)) {
        std::fprintf(stderr,
                     "--lengths=%s: expected positive token counts "
                     "separated by commas\n",
                     text);
        return false;
      }
    } else if (const char *text = value("--threads="))
      options.threads = std::max(0, std::atoi(text));
    else if (argument == "--quick")
      options.quick = true;
    else if (argument == "--keep-temp")
      options.keepTemporary = true;
    else if (argument == "--target=cuda")
      options.cuda = true;
    else if (argument == "--gpu-shapes")
      options.gpuShapes = true;
    else if (parseSupplyOption(argument, options.workDirectory, options.supply))
      continue;
    else {
      std::fprintf(stderr,
                   "usage: %s [--compiler=PATH] [--compiler-arg=ARG]... "
                   "[--quick] "
                   "[--filter=parallel|recurrent|chunkwise] "
                   "[--lengths=T1,T2,...] [--threads=N] "
                   "[--keep-temp] [--target=cuda] [--gpu-shapes] "
                   "[--work-dir=DIR [--compile-only | --precompiled]]\n",
                   argv[0]);
      return false;
    }
  }
  if (options.compiler.empty())
    options.compiler = compilerNextToSelf();
  return true;
}

std::vector<float> randomArray(std::mt19937_64 &generator, int64_t size) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float &value : values)
    value = uniform(generator);
  return values;
}

/// FLOPs of one block of L tokens of one head (README.md): the causal part
/// of Q Kᵀ and of its product with V, L(L+1)/2 pairs × 2 × (dk + dv), plus
/// Q S and the state update, 2·L·dk·dv each.
double blockFlops(int64_t length, int64_t keyDim, int64_t valueDim) {
  return double(length) * (length + 1) * (keyDim + valueDim) +
         4.0 * length * keyDim * valueDim;
}

/// Useful FLOPs of a whole call (README.md).
double usefulFlops(const KernelConfig &config, int64_t batch, int64_t length) {
  const int64_t dk = config.keyDim, dv = config.valueDim;
  double perHead = 0.0;
  switch (config.form) {
  case Form::Parallel:
    perHead = blockFlops(length, dk, dv);
    break;
  case Form::Chunkwise:
    perHead = double(length / config.chunkSize) *
                  blockFlops(config.chunkSize, dk, dv) +
              blockFlops(length % config.chunkSize, dk, dv);
    break;
  case Form::Recurrent:
    perHead = 4.0 * length * dk * dv;
    break;
  }
  return perHead * batch * config.heads;
}

/// One timed call shape of a kernel.
struct BenchCase {
  int64_t batch;
  int64_t length;
  /// Absolute position of the first token (the context of a decode step).
  int64_t context;
};

/// Times `library` on `shape` and prints its line; false if the GPU failed.
bool runCase(const KernelLibrary &library, const BenchCase &shape, double sgemm,
             const Options &options) {
  const KernelConfig &c = library.config();
  std::mt19937_64 generator(shape.length * 131 + shape.context);
  const int64_t tokens = shape.batch * c.heads * shape.length;
  const int64_t stateSize = shape.batch * c.heads * c.keyDim * c.valueDim;
  std::vector<float> q = randomArray(generator, tokens * c.keyDim);
  std::vector<float> k = randomArray(generator, tokens * c.keyDim);
  std::vector<float> v = randomArray(generator, tokens * c.valueDim);
  std::vector<float> output(tokens * c.valueDim);
  // A decode step starts from the state of its context; a prefill from zero.
  std::vector<float> stateIn = shape.context > 0
                                   ? randomArray(generator, stateSize)
                                   : std::vector<float>(stateSize, 0.0f);
  std::vector<float> stateOut(stateSize);
  bool carryState = shape.context > 0;

  std::function<void()> call;
  if (library.runsOnDevice()) {
    call = library.residentRunner(shape.batch, shape.length, q.data(), k.data(),
                                  v.data(), stateIn.data(), shape.context,
                                  carryState);
  } else {
    call = [&] {
      library.run<float>(shape.batch, shape.length, q.data(), k.data(),
                         v.data(), stateIn.data(), shape.context, output.data(),
                         stateOut.data());
      // Decoding: each step continues from the previous one's state.
      if (carryState)
        stateIn.swap(stateOut);
    };
  }
  double seconds = retnet_bench::medianSeconds(call, options.quick ? 3 : 7,
                                               options.quick ? 0.02 : 0.1);
  std::string deviceError = library.takeDeviceError();
  if (!deviceError.empty()) {
    std::fprintf(stderr, "%s: %s\n", describe(c).c_str(), deviceError.c_str());
    return false;
  }
  double gflops = usefulFlops(c, shape.batch, shape.length) / seconds * 1e-9;
  std::printf("form=%s B=%lld H=%lld T=%lld dk=%lld dv=%lld chunk=%lld "
              "ctx=%lld ms=%.4f gflops=%.2f",
              formName(c.form), (long long)shape.batch, (long long)c.heads,
              (long long)shape.length, (long long)c.keyDim,
              (long long)c.valueDim,
              (long long)(c.form == Form::Chunkwise ? c.chunkSize : 0),
              (long long)shape.context, seconds * 1e3, gflops);
  if (library.runsOnDevice()) {
    // The state is read and written once per call at least.
    double stateBytes = 2.0 * sizeof(float) * stateSize;
    std::printf(" type=%s state_GBs=%.1f\n", elementTypeName(c.elementType),
                stateBytes / seconds * 1e-9);
  } else {
    std::printf(" sgemm_ratio=%.3f\n", gflops / sgemm);
  }
  std::fflush(stdout);
  return true;
}

/// A kernel and the shapes it is timed on.
struct BenchKernel {
  KernelConfig config;
  std::vector<BenchCase> cases;
};

/// The GPU benchmark (scripts/gpu-check.sh): B8 H16 T8192 dk128 dv256 in
/// every form at fp32 and bf16 inputs, and decode steps at contexts 1k to
/// 64k.
std::vector<BenchKernel> gpuBenchKernels(bool quick) {
  KernelConfig base;
  base.heads = 16;
  base.keyDim = 128;
  base.valueDim = 256;
  base.gamma = torchscaleDecays(base.heads);
  base.scaling = Scaling::DecaySqrtSum;
  std::vector<BenchKernel> kernels;
  int64_t length = quick ? 2048 : 8192;
  for (ElementType type : {ElementType::F32, ElementType::BF16}) {
    base.elementType = type;
    KernelConfig chunkwise = base;
    chunkwise.form = Form::Chunkwise;
    chunkwise.chunkSize = 64;
    kernels.push_back({chunkwise, {{8, length, 0}}});
    KernelConfig parallel = base;
    parallel.form = Form::Parallel;
    kernels.push_back({parallel, {{8, length, 0}}});
    KernelConfig recurrent = base;
    recurrent.form = Form::Recurrent;
    BenchKernel decode{recurrent, {}};
    for (int64_t context : {1024, 4096, 16384, 65536})
      decode.cases.push_back({8, 1, context});
    kernels.push_back(decode);
  }
  return kernels;
}

std::vector<BenchKernel> benchKernels(bool quick,
                                      const std::vector<int64_t> &chosen) {
  KernelConfig base;
  base.heads = 8;
  base.keyDim = 64;
  base.valueDim = 128;
  base.gamma = torchscaleDecays(base.heads);
  base.scaling = Scaling::DecaySqrtSum;
  base.elementType = ElementType::F32;

  std::vector<int64_t> lengths = {512, 2048, 8192};
  std::vector<int64_t> contexts = {128, 512, 2048, 8192, 16384};
  if (quick) {
    lengths = {512, 2048};
    contexts = {128, 2048};
  }
  if (!chosen.empty())
    lengths = chosen;
  auto prefill = [&](int64_t maxLength) {
    std::vector<BenchCase> cases;
    for (int64_t length : lengths)
      if (length <= maxLength || !chosen.empty())
        cases.push_back({1, length, 0});
    return cases;
  };

  std::vector<BenchKernel> kernels;
  for (int64_t chunkSize : {64, 128}) {
    KernelConfig config = base;
    config.form = Form::Chunkwise;
    config.chunkSize = chunkSize;
    kernels.push_back({config, prefill(INT64_MAX)});
  }
  KernelConfig parallel = base;
  parallel.form = Form::Parallel;
  kernels.push_back({parallel, prefill(2048)});
  // Recurrent: prefill up to 2048 tokens, then decode steps (T = 1) after
  // each context length.
  KernelConfig recurrent = base;
  recurrent.form = Form::Recurrent;
  BenchKernel recurrentKernel{recurrent, prefill(2048)};
  for (int64_t context : contexts)
    recurrentKernel.cases.push_back({1, 1, context});
  kernels.push_back(recurrentKernel);
  return kernels;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (!parseOptions(argc, argv, options))
    return 2;

  std::vector<BenchKernel> kernels;
  for (const BenchKernel &kernel :
       options.gpuShapes ? gpuBenchKernels(options.quick)
                         : benchKernels(options.quick, options.lengths))
    if (std::string(formName(kernel.config.form)).find(options.filter) !=
        std::string::npos)
      kernels.push_back(kernel);
  if (kernels.empty()) {
    std::fprintf(stderr, "no form matches --filter=%s\n",
                 options.filter.c_str());
    return 2;
  }

  std::string directory =
      kernelDirectory(options.workDirectory, "retention-bench");
  if (directory.empty()) {
    std::fprintf(stderr, "cannot create a work directory\n");
    return 2;
  }
  std::vector<CompileRequest> requests;
  for (const BenchKernel &kernel : kernels) {
    std::string stem = directory + "/kernel" + std::to_string(requests.size());
    requests.push_back(
        {kernel.config, stem + ".mlir", stem + ".so", stem + ".log"});
  }
  std::vector<std::string> compileArgs = options.compilerArgs;
  if (options.cuda)
    compileArgs.push_back("--target=cuda");
  if (options.threads > 0) {
    compileArgs.push_back("--threads=" + std::to_string(options.threads));
    std::string blasError;
    if (const retnet_bench::OpenBlas *blas = retnet_bench::openBlas(blasError))
      blas->setThreads(static_cast<int>(options.threads));
  }
  std::vector<bool> compiled = supplyKernels(options.supply, options.compiler,
                                             requests, compileArgs, /*jobs=*/2);
  if (options.supply == KernelSupply::CompileOnly) {
    size_t failed = std::count(compiled.begin(), compiled.end(), false);
    std::printf("# compiled %zu kernels into %s, %zu failed\n", requests.size(),
                directory.c_str(), failed);
    return failed == 0 ? 0 : 1;
  }

  // The CPU yardstick, for CPU kernels only.
  const int sgemmSize = retnet_bench::kYardstickSgemmSize;
  double sgemm = 0.0;
  if (!options.cuda) {
    std::string blasError;
    const retnet_bench::OpenBlas *blas = retnet_bench::openBlas(blasError);
    if (!blas) {
      std::fprintf(stderr, "retention-bench: %s\n", blasError.c_str());
      return 2;
    }
    sgemm = retnet_bench::sgemmGflops(sgemmSize, options.quick ? 3 : 7);
    std::printf("# sgemm n=%d gflops=%.2f (OpenBLAS %s, %d threads)", sgemmSize,
                sgemm, blas->describe().c_str(), blas->getThreads());
    std::printf("; kernels: %s threads\n",
                options.threads > 0 ? std::to_string(options.threads).c_str()
                                    : "OMP_NUM_THREADS or all");
  } else {
    std::printf("# CUDA kernels on device-resident data\n");
  }

  int failures = 0;
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string error;
    std::unique_ptr<KernelLibrary> library;
    if (compiled[i])
      library = KernelLibrary::load(requests[i].libraryPath, requests[i].config,
                                    options.cuda, error);
    else
      error = readTextFile(requests[i].logPath);
    if (!library) {
      std::fprintf(stderr, "%s: %s\n", describe(requests[i].config).c_str(),
                   error.c_str());
      ++failures;
      continue;
    }
    for (const BenchCase &shape : kernels[i].cases)
      if (!runCase(*library, shape, sgemm, options))
        ++failures;
  }

  if (options.keepTemporary || failures > 0 || !options.workDirectory.empty()) {
    std::printf("# kernels kept in %s\n", directory.c_str());
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
  return failures == 0 ? 0 : 1;
}
