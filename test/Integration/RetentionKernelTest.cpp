//===- RetentionKernelTest.cpp - Compiled retention kernels vs reference --===//
//
// Generates retention kernels as MLIR (KernelSource.h), compiles each with
// `retnet-compile --emit=lib --form=keep` into a shared library, loads it and
// runs it on seeded random data, uniform in [−1, 1], against the float64
// reference of test/reference/ (the formula of docs/numerics.md section 1).
//
// A *family* fixes what a compiled kernel fixes apart from the form (H, dk,
// dv, decays, scaling, element type); its kernels (forms and chunk sizes) run
// on the same data for every (B, T, initial state, offset) of the family, as
// B and T are dynamic. Every run is checked against the reference and against
// the family's first kernel (the forms agree with each other), and every
// kernel also runs a sequence split into pieces, with the final state and the
// position carried from piece to piece, which must give the unsplit result.
//
// Error metric. Every output and state element is a sum of products,
// o = s·Σ_terms with terms such as γ^(n−m) q_ni k_mi v_mj and γ^(n+1) q_ni
// S0_ij (all factors of the decay positive). Whatever the order of the
// floating-point operations (any form, any chunking), the rounding error is
// bounded by N·u·Σ|terms| (Higham, Accuracy and Stability of Numerical
// Algorithms, §3.1), u the unit roundoff and N the longest chain of roundings
// a term goes through: its few products, the decay power (exp(k·ln γ), a few
// ulps) and the sums of the matrix products and of the recurrence (≤ T + dk).
// The reference evaluated on |q|, |k|, |v|, |S0| gives exactly Σ|terms| of
// every element (its "magnitude"), so each element is checked as
//     |got − reference| ≤ tolerance · magnitude.
// Per element, unlike a norm over the whole output, a wrong small element is
// not hidden by large ones. For the largest cases here N ≈ 1000 + 64; the
// worst case N·u (u = 2^−24 ≈ 6e−8) would be 6e−5, but rounding errors of
// that many independent operations add up like sqrt(N)·u ≈ 2e−6 in practice,
// so fp32 uses 1e−5 (about 5× that), and fp64 (u = 2^−53) uses 1e−12, far
// above its sqrt(N)·u ≈ 4e−15 yet far below any error of the maths (a
// dropped term, a wrong decay power or scale changes an element by a sizeable
// fraction of its magnitude). Each line prints the worst ratio seen.
//
// Usage: retention-kernel-test --compiler=PATH/retnet-compile [--jobs=N]
//            [--filter=TEXT] [--keep-temp] [--compiler-arg=ARG]...
//            [--work-dir=DIR [--compile-only | --precompiled]]
// (--compiler-arg=--gpu-emulation tests the CUDA target's kernels, run as
// CPU loops; --compiler-arg=--target=cuda runs them on the GPU.
// --compile-only writes the kernels into DIR without running them;
// --precompiled runs the kernels found there, for a GPU machine without the
// compiler: scripts/gpu-check.sh.)
//
//===----------------------------------------------------------------------===//

#include "KernelLibrary.h"
#include "KernelSource.h"
#include "RetentionReference.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace retnet;
using namespace retnet::kernel;
using reference::RetentionProblem;

namespace {

/// One kernel of a family: a form and, for chunkwise, its chunk size.
struct Variant {
  Form form;
  int64_t chunkSize = 0;
};

/// A dynamic shape and how the sequence starts.
struct ShapeCase {
  int64_t batch;
  int64_t length;
  bool withState;
  int64_t offset;
};

struct Family {
  int64_t heads, keyDim, valueDim;
  std::vector<double> gamma;
  Scaling scaling;
  ElementType elementType;
  /// False: the op has no state and offset operands (zero state, position 0).
  bool stateAndOffset;
  std::vector<Variant> variants;
  std::vector<ShapeCase> shapes;
};

const Variant parallel{Form::Parallel};
const Variant recurrent{Form::Recurrent};
Variant chunkwise(int64_t chunkSize) { return {Form::Chunkwise, chunkSize}; }

/// What is covered: every form; chunk sizes 1, 16, 64, 128; B 1 and 3; H 1
/// and 4; T 1, 7, 64, 257, 1000; dk 16 and 64; dv 16 and 128; both scalings;
/// f32 and f64; torchscale's decays and small ones (0.5); with and without an
/// initial state, offsets 0 to 10^6, and the op without state and offset
/// operands. Not the cross product: one compiled kernel per family and form,
/// each run over its family's shapes.
std::vector<Family> testFamilies() {
  const std::vector<double> torchscale4 = torchscaleDecays(4);
  auto family = [](int64_t heads, int64_t keyDim, int64_t valueDim,
                   std::vector<double> gamma, Scaling scaling,
                   ElementType type) {
    Family result;
    result.heads = heads;
    result.keyDim = keyDim;
    result.valueDim = valueDim;
    result.gamma = std::move(gamma);
    result.scaling = scaling;
    result.elementType = type;
    result.stateAndOffset = true;
    return result;
  };
  std::vector<Family> families;

  // Every form and chunk size on the smallest head.
  Family smallest =
      family(1, 16, 16, {0.96875}, Scaling::None, ElementType::F32);
  smallest.variants = {parallel,      recurrent,     chunkwise(1),
                       chunkwise(16), chunkwise(64), chunkwise(128)};
  smallest.shapes = {{1, 1, false, 0},    {3, 7, true, 5},
                     {1, 64, false, 37},  {3, 257, true, 0},
                     {1, 1000, true, 12}, {3, 1000, false, 0}};
  families.push_back(smallest);

  // torchscale's layer shape: 4 heads, dk 64, dv 128, decay_sqrt_sum.
  Family torchscale =
      family(4, 64, 128, torchscale4, Scaling::DecaySqrtSum, ElementType::F32);
  torchscale.variants = {parallel, recurrent, chunkwise(16), chunkwise(64),
                         chunkwise(128)};
  torchscale.shapes = {{1, 1, true, 37},    {3, 7, false, 0},
                       {1, 64, true, 5},    {3, 257, true, 100},
                       {1, 1000, false, 0}, {1, 1000, true, 3}};
  families.push_back(torchscale);

  // f64 against the reference at 1e-12.
  Family wide =
      family(4, 16, 128, torchscale4, Scaling::DecaySqrtSum, ElementType::F64);
  wide.variants = {parallel, recurrent, chunkwise(1), chunkwise(64)};
  wide.shapes = {{3, 1, true, 2},
                 {1, 7, true, 0},
                 {3, 64, true, 37},
                 {1, 257, false, 5},
                 {1, 1000, true, 3}};
  families.push_back(wide);

  Family wideHalfDecay =
      family(1, 64, 16, {0.5}, Scaling::DecaySqrtSum, ElementType::F64);
  wideHalfDecay.variants = {parallel, recurrent, chunkwise(16), chunkwise(128)};
  wideHalfDecay.shapes = {{1, 1, false, 0},
                          {3, 64, true, 1},
                          {1, 257, true, 0},
                          {1, 1000, true, 7}};
  families.push_back(wideHalfDecay);

  // Small decays: the state of long sequences underflows in fp32.
  Family fastDecay = family(4, 64, 16, {0.5, 0.25, 0.75, 0.9}, Scaling::None,
                            ElementType::F32);
  fastDecay.variants = {recurrent, chunkwise(64), parallel};
  fastDecay.shapes = {
      {3, 1, true, 0}, {1, 7, true, 3}, {1, 257, true, 3}, {3, 1000, false, 0}};
  families.push_back(fastDecay);

  // The op without state and offset operands.
  Family noState =
      family(4, 16, 16, torchscale4, Scaling::DecaySqrtSum, ElementType::F32);
  noState.stateAndOffset = false;
  noState.variants = {parallel, recurrent, chunkwise(16)};
  noState.shapes = {{1, 1, false, 0},
                    {3, 7, false, 0},
                    {1, 64, false, 0},
                    {3, 257, false, 0},
                    {1, 1000, false, 0}};
  families.push_back(noState);

  // A slow decay, far positions, chunks longer than the sequence.
  Family slowDecay = family(1, 16, 128, {1.0 - 1.0 / 256},
                            Scaling::DecaySqrtSum, ElementType::F32);
  slowDecay.variants = {chunkwise(128), chunkwise(1), parallel};
  slowDecay.shapes = {{1, 1, true, 1000000},
                      {3, 7, true, 1},
                      {3, 257, true, 7},
                      {1, 1000, false, 0}};
  families.push_back(slowDecay);

  // bf16 q, k, v and output (f32 state and arithmetic).
  Family brain =
      family(4, 64, 128, torchscale4, Scaling::DecaySqrtSum, ElementType::BF16);
  brain.variants = {parallel, recurrent, chunkwise(16), chunkwise(64)};
  brain.shapes = {{1, 1, true, 9}, {3, 7, false, 0}, {1, 257, true, 3}};
  families.push_back(brain);
  return families;
}

/// Piece lengths of the split-sequence checks (each sums to splitLength).
const int64_t splitLength = 257;
const std::vector<std::vector<int64_t>> splits = {{100, 1, 156},
                                                  {1, 63, 129, 64}};

KernelConfig kernelConfig(const Family &family, const Variant &variant) {
  KernelConfig config;
  config.form = variant.form;
  config.chunkSize = variant.form == Form::Chunkwise ? variant.chunkSize : 0;
  config.heads = family.heads;
  config.keyDim = family.keyDim;
  config.valueDim = family.valueDim;
  config.gamma = family.gamma;
  config.scaling = family.scaling;
  config.elementType = family.elementType;
  config.stateAndOffset = family.stateAndOffset;
  return config;
}

/// Random inputs (exactly representable in the kernel's element type), the
/// reference's output and final state, and the magnitudes Σ|terms| of every
/// element.
struct ReferenceCase {
  RetentionProblem problem;
  std::vector<double> q, k, v, initialState;
  std::vector<double> output, finalState;
  std::vector<double> outputMagnitude, stateMagnitude;
};

/// `value` rounded to the nearest bf16 (ties to even).
double roundToBF16(double value) {
  float single = static_cast<float>(value);
  uint32_t bits;
  std::memcpy(&bits, &single, sizeof(bits));
  bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&single, &bits, sizeof(bits));
  return single;
}

std::vector<double> randomArray(std::mt19937_64 &generator, int64_t size,
                                ElementType type) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> values(size);
  for (double &value : values) {
    value = uniform(generator);
    if (type == ElementType::F32)
      value = static_cast<float>(value);
    else if (type == ElementType::BF16)
      value = roundToBF16(value);
  }
  return values;
}

std::vector<double> absolute(const std::vector<double> &values) {
  std::vector<double> result(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    result[i] = std::abs(values[i]);
  return result;
}

ReferenceCase makeReferenceCase(const Family &family, const ShapeCase &shape,
                                uint64_t seed) {
  ReferenceCase data;
  RetentionProblem &problem = data.problem;
  problem.batch = shape.batch;
  problem.heads = family.heads;
  problem.length = shape.length;
  problem.keyDim = family.keyDim;
  problem.valueDim = family.valueDim;
  problem.gamma = family.gamma;
  problem.scaling = family.scaling;
  problem.offset = shape.offset;

  std::mt19937_64 generator(seed);
  ElementType type = family.elementType;
  data.q = randomArray(generator, problem.queryElements(), type);
  data.k = randomArray(generator, problem.queryElements(), type);
  data.v = randomArray(generator, problem.valueElements(), type);
  // States are f32 for bf16 kernels.
  ElementType stateType = type == ElementType::BF16 ? ElementType::F32 : type;
  data.initialState =
      shape.withState
          ? randomArray(generator, problem.stateElements(), stateType)
          : std::vector<double>(problem.stateElements(), 0.0);

  data.output.resize(problem.valueElements());
  data.finalState.resize(problem.stateElements());
  reference::computeRetention(problem, data.q.data(), data.k.data(),
                              data.v.data(), data.initialState.data(),
                              data.output.data(), data.finalState.data());

  std::vector<double> qAbs = absolute(data.q), kAbs = absolute(data.k),
                      vAbs = absolute(data.v),
                      s0Abs = absolute(data.initialState);
  data.outputMagnitude.resize(problem.valueElements());
  data.stateMagnitude.resize(problem.stateElements());
  reference::computeRetention(problem, qAbs.data(), kAbs.data(), vAbs.data(),
                              s0Abs.data(), data.outputMagnitude.data(),
                              data.stateMagnitude.data());
  return data;
}

/// Output and final state of a kernel, widened to double.
struct KernelResult {
  std::vector<double> output, finalState;
};

/// Runs `library` on tokens [start, start + length) of `data` from
/// `initialState` at absolute position `offset`; writes those tokens of
/// `result.output` and all of `result.finalState`.
template <typename T>
void runTokens(const KernelLibrary &library, const ReferenceCase &data,
               int64_t start, int64_t length,
               const std::vector<double> &initialState, int64_t offset,
               KernelResult &result) {
  const RetentionProblem &p = data.problem;
  const int64_t heads = p.batch * p.heads;
  auto gather = [&](const std::vector<double> &all, int64_t width) {
    std::vector<T> piece(heads * length * width);
    for (int64_t head = 0; head < heads; ++head)
      for (int64_t t = 0; t < length; ++t)
        for (int64_t i = 0; i < width; ++i)
          piece[(head * length + t) * width + i] =
              static_cast<T>(all[(head * p.length + start + t) * width + i]);
    return piece;
  };
  std::vector<T> q = gather(data.q, p.keyDim), k = gather(data.k, p.keyDim),
                 v = gather(data.v, p.valueDim);
  std::vector<T> s0(initialState.begin(), initialState.end());
  // Poisoned, so that an element the kernel does not write shows up.
  std::vector<T> output(heads * length * p.valueDim,
                        std::numeric_limits<T>::quiet_NaN());
  std::vector<T> finalState(s0.size(), std::numeric_limits<T>::quiet_NaN());

  if constexpr (std::is_same_v<T, float>) {
    if (library.config().elementType == ElementType::BF16)
      library.runBF16(p.batch, length, q.data(), k.data(), v.data(), s0.data(),
                      offset, output.data(), finalState.data());
    else
      library.run<T>(p.batch, length, q.data(), k.data(), v.data(), s0.data(),
                     offset, output.data(), finalState.data());
  } else {
    library.run<T>(p.batch, length, q.data(), k.data(), v.data(), s0.data(),
                   offset, output.data(), finalState.data());
  }
  // A failed GPU call leaves the poisoned outputs, which fail the checks.
  std::string deviceError = library.takeDeviceError();
  if (!deviceError.empty())
    std::fprintf(stderr, "%s: %s\n", describe(library.config()).c_str(),
                 deviceError.c_str());

  result.output.resize(data.output.size());
  for (int64_t head = 0; head < heads; ++head)
    for (int64_t t = 0; t < length; ++t)
      for (int64_t j = 0; j < p.valueDim; ++j)
        result.output[(head * p.length + start + t) * p.valueDim + j] =
            output[(head * length + t) * p.valueDim + j];
  result.finalState.assign(finalState.begin(), finalState.end());
}

void runTokensAnyType(const KernelLibrary &library, const ReferenceCase &data,
                      int64_t start, int64_t length,
                      const std::vector<double> &initialState, int64_t offset,
                      KernelResult &result) {
  if (library.config().elementType != ElementType::F64)
    runTokens<float>(library, data, start, length, initialState, offset,
                     result);
  else
    runTokens<double>(library, data, start, length, initialState, offset,
                      result);
}

/// The whole sequence in one call.
KernelResult runWhole(const KernelLibrary &library, const ReferenceCase &data) {
  KernelResult result;
  runTokensAnyType(library, data, 0, data.problem.length, data.initialState,
                   data.problem.offset, result);
  return result;
}

/// The sequence in pieces of `pieces` tokens, state and position carried.
KernelResult runSplit(const KernelLibrary &library, const ReferenceCase &data,
                      const std::vector<int64_t> &pieces) {
  KernelResult result;
  std::vector<double> state = data.initialState;
  int64_t start = 0;
  for (int64_t length : pieces) {
    runTokensAnyType(library, data, start, length, state,
                     data.problem.offset + start, result);
    state = result.finalState;
    start += length;
  }
  return result;
}

/// max_i |got_i − want_i| / magnitude_i (infinite for NaN).
double worstError(const std::vector<double> &got,
                  const std::vector<double> &want,
                  const std::vector<double> &magnitude) {
  double worst = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    double error = std::abs(got[i] - want[i]) /
                   (magnitude[i] + std::numeric_limits<double>::min());
    if (std::isnan(error))
      return std::numeric_limits<double>::infinity();
    worst = std::max(worst, error);
  }
  return worst;
}

struct Options {
  std::string compiler;
  unsigned jobs = 1;
  std::string filter;
  bool keepTemporary = false;
  std::vector<std::string> compilerArgs;
  std::string workDirectory;
  KernelSupply supply = KernelSupply::Compile;

  /// Whether the kernels are compiled for the GPU (and take device memory).
  bool onDevice() const {
    for (const std::string &arg : compilerArgs)
      if (arg == "--target=cuda")
        return true;
    return false;
  }
};

bool parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    auto value = [&](const char *prefix) {
      return optionValue(argv[i], prefix);
    };
    if (const char *text = value("--compiler="))
      options.compiler = text;
    else if (const char *text = value("--jobs="))
      options.jobs = std::max(1, std::atoi(text));
    else if (const char *text = value("--filter="))
      options.filter = text;
    else if (argument == "--keep-temp")
      options.keepTemporary = true;
    else if (const char *text = value("--compiler-arg="))
      options.compilerArgs.push_back(text);
    else if (parseSupplyOption(argument, options.workDirectory, options.supply))
      continue;
    else {
      std::fprintf(stderr, "unknown argument '%s'\n", argv[i]);
      return false;
    }
  }
  if (options.compiler.empty() && options.supply != KernelSupply::Precompiled) {
    std::fprintf(stderr,
                 "usage: %s --compiler=PATH/retnet-compile "
                 "[--jobs=N] [--filter=TEXT] [--keep-temp] "
                 "[--compiler-arg=ARG]... [--work-dir=DIR "
                 "[--compile-only | --precompiled]]\n",
                 argv[0]);
    return false;
  }
  return true;
}

struct Tally {
  int passed = 0;
  int failed = 0;

  void report(bool ok, const std::string &line) {
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", line.c_str());
    std::fflush(stdout);
    ++(ok ? passed : failed);
  }
};

std::string describeShape(const ReferenceCase &data) {
  const RetentionProblem &p = data.problem;
  char text[128];
  bool withState = false;
  for (double value : data.initialState)
    withState |= value != 0.0;
  std::snprintf(text, sizeof(text), "B=%lld T=%lld state=%d offset=%lld",
                (long long)p.batch, (long long)p.length, int(withState),
                (long long)p.offset);
  return text;
}

std::string formatErrors(const char *against, double outputError,
                         double stateError, double outputLimit,
                         double stateLimit) {
  char text[160];
  if (outputLimit == stateLimit)
    std::snprintf(text, sizeof(text), "%s: output %.1e state %.1e (limit %.0e)",
                  against, outputError, stateError, outputLimit);
  else
    std::snprintf(text, sizeof(text),
                  "%s: output %.1e state %.1e (limits %.0e, %.0e)", against,
                  outputError, stateError, outputLimit, stateLimit);
  return text;
}

/// A kernel of a family, once compiled and loaded.
struct LoadedKernel {
  KernelConfig config;
  std::unique_ptr<KernelLibrary> library;
};

/// Checks every loaded kernel of `family` on every shape and on the splits.
void checkFamily(const Family &family, size_t familyIndex,
                 const std::vector<LoadedKernel> &kernels, Tally &tally) {
  // fp32 and f64: see the header. bf16 kernels: their inputs are bf16
  // values, so beyond the fp32 arithmetic the only error is the rounding of
  // each output to bf16, at most 2^-9 of it and so of its magnitude; 2^-8
  // allows for both. Their states stay f32.
  const double stateTolerance =
      family.elementType == ElementType::F64 ? 1e-12 : 1e-5;
  const double outputTolerance =
      family.elementType == ElementType::BF16 ? 0x1p-8 : stateTolerance;
  std::vector<ShapeCase> shapes = family.shapes;
  std::vector<bool> isSplitCase(shapes.size(), false);
  if (family.stateAndOffset) {
    shapes.push_back({2, splitLength, true, 5});
    isSplitCase.push_back(true);
  }

  for (size_t s = 0; s < shapes.size(); ++s) {
    ReferenceCase data =
        makeReferenceCase(family, shapes[s], 1000 * familyIndex + s + 1);
    const KernelResult *first = nullptr;
    std::string firstName;
    std::vector<KernelResult> results(kernels.size());
    for (size_t v = 0; v < kernels.size(); ++v) {
      const LoadedKernel &kernel = kernels[v];
      std::string name = describe(kernel.config);
      if (!kernel.library) {
        tally.report(false,
                     name + " | " + describeShape(data) + " | not compiled");
        continue;
      }
      results[v] = runWhole(*kernel.library, data);
      const KernelResult &result = results[v];
      double outputError =
          worstError(result.output, data.output, data.outputMagnitude);
      double stateError =
          worstError(result.finalState, data.finalState, data.stateMagnitude);
      bool ok = outputError <= outputTolerance && stateError <= stateTolerance;
      std::string line = name + " | " + describeShape(data) + " | " +
                         formatErrors("reference", outputError, stateError,
                                      outputTolerance, stateTolerance);
      // The forms agree with each other (both within `tolerance` of the
      // reference, so within twice that of each other).
      if (first) {
        double outputDifference =
            worstError(result.output, first->output, data.outputMagnitude);
        double stateDifference = worstError(
            result.finalState, first->finalState, data.stateMagnitude);
        ok &= outputDifference <= 2 * outputTolerance &&
              stateDifference <= 2 * stateTolerance;
        line += " | " + formatErrors(("vs " + firstName).c_str(),
                                     outputDifference, stateDifference,
                                     2 * outputTolerance, 2 * stateTolerance);
      } else {
        first = &result;
        firstName = formName(kernel.config.form);
      }
      tally.report(ok, line);

      if (!isSplitCase[s])
        continue;
      for (const std::vector<int64_t> &pieces : splits) {
        KernelResult split = runSplit(*kernel.library, data, pieces);
        std::string piecesText;
        for (int64_t piece : pieces)
          piecesText += (piecesText.empty() ? "" : "+") + std::to_string(piece);
        double splitOutputError =
            worstError(split.output, data.output, data.outputMagnitude);
        double splitStateError =
            worstError(split.finalState, data.finalState, data.stateMagnitude);
        double wholeOutputDifference =
            worstError(split.output, result.output, data.outputMagnitude);
        double wholeStateDifference = worstError(
            split.finalState, result.finalState, data.stateMagnitude);
        bool splitOk = splitOutputError <= outputTolerance &&
                       splitStateError <= stateTolerance &&
                       wholeOutputDifference <= 2 * outputTolerance &&
                       wholeStateDifference <= 2 * stateTolerance;
        tally.report(splitOk,
                     name + " | split " + piecesText + " | " +
                         describeShape(data) + " | " +
                         formatErrors("reference", splitOutputError,
                                      splitStateError, outputTolerance,
                                      stateTolerance) +
                         " | " +
                         formatErrors("vs unsplit", wholeOutputDifference,
                                      wholeStateDifference, 2 * outputTolerance,
                                      2 * stateTolerance));
      }
    }
  }
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (!parseOptions(argc, argv, options))
    return 2;
  auto start = std::chrono::steady_clock::now();

  std::string directory =
      kernelDirectory(options.workDirectory, "retention-kernel-test");
  if (directory.empty()) {
    std::fprintf(stderr, "cannot create a work directory\n");
    return 2;
  }

  // Every kernel selected by --filter, compiled up front.
  std::vector<Family> families = testFamilies();
  std::vector<CompileRequest> requests;
  std::vector<std::pair<size_t, size_t>> requestOwner;
  for (size_t f = 0; f < families.size(); ++f) {
    for (size_t v = 0; v < families[f].variants.size(); ++v) {
      KernelConfig config = kernelConfig(families[f], families[f].variants[v]);
      if (describe(config).find(options.filter) == std::string::npos)
        continue;
      std::string stem =
          directory + "/kernel" + std::to_string(requests.size());
      requests.push_back({config, stem + ".mlir", stem + ".so", stem + ".log"});
      requestOwner.push_back({f, v});
    }
  }
  std::vector<bool> compiled =
      supplyKernels(options.supply, options.compiler, requests,
                    options.compilerArgs, options.jobs);
  std::printf(
      "%s %zu kernels in %.1f s (%u jobs) in %s\n",
      options.supply == KernelSupply::Precompiled ? "found" : "compiled",
      requests.size(), secondsSince(start), options.jobs, directory.c_str());
  if (options.supply == KernelSupply::CompileOnly) {
    size_t failed = std::count(compiled.begin(), compiled.end(), false);
    for (size_t r = 0; r < requests.size(); ++r)
      if (!compiled[r])
        std::printf("FAIL %s | %s\n", describe(requests[r].config).c_str(),
                    readTextFile(requests[r].logPath).c_str());
    return failed == 0 ? 0 : 1;
  }

  Tally tally;
  std::vector<std::vector<LoadedKernel>> kernels(families.size());
  for (size_t r = 0; r < requests.size(); ++r) {
    LoadedKernel kernel{requests[r].config, nullptr};
    std::string error;
    if (compiled[r])
      kernel.library =
          KernelLibrary::load(requests[r].libraryPath, requests[r].config,
                              options.onDevice(), error);
    else
      error = readTextFile(requests[r].logPath);
    if (!kernel.library)
      tally.report(false, describe(requests[r].config) + " | " +
                              requests[r].sourcePath + " | " + error);
    kernels[requestOwner[r].first].push_back(std::move(kernel));
  }

  for (size_t f = 0; f < families.size(); ++f)
    if (!kernels[f].empty())
      checkFamily(families[f], f, kernels[f], tally);

  std::printf("%.1f s\n", secondsSince(start));
  // A --work-dir is the caller's, never removed.
  bool keep = options.keepTemporary || tally.failed > 0 ||
              !options.workDirectory.empty();
  if (keep) {
    std::printf("kernels kept in %s\n", directory.c_str());
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
  std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
  return tally.failed == 0 ? 0 : 1;
}
