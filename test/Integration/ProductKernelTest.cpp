//===- ProductKernelTest.cpp - Compiled matrix products against float64 --===//
//
//   product-kernel-test --compiler=PATH/retnet-compile [--keep-temp]
//                       [--compiler-arg=ARG]...
//
// The model's linear layers as the CPU target compiles them: C = A B with A
// [M, K] (M dynamic: the rows of a batch or a prompt) and B a weight matrix
// [K, N], stored either [K, N] or as panels [N/P, K, P] read through
// linalg.unpack (retnet-fold-weight-panels). Each kernel is compiled with
// retnet-compile under two register tiles (the default for this CPU and the
// AVX2 one, 6 x 16) and run for rows M = 1 (a decoding step's GEMV), 2 to 16
// (a small batch: one-row tiles only, or one register tile and the rest), 64,
// 65, 256 and 257 (prompts: full thread blocks and a partial one), so that
// every branch of retnet-vectorize-contractions runs: thread blocks of whole
// panels, per-panel products, full and peeled register tiles, one-row tiles.
//
// Each element is compared with the float64 product: a sum of K fp32
// products is within gamma_K = K u / (1 - K u) (u = 2^-24) of
// sum_k |a_k b_k| (a sum in any order, with or without FMA); the test
// allows (K + 2) u sum_k |a_k b_k| + 1e-30.
//
// Prints one line per case, then "N passed, N failed"; exits non-zero on any
// failure.
//
//===----------------------------------------------------------------------===//

#include "KernelLibrary.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace retnet::kernel;

namespace {
/// One compiled product: K and N static, weights in panels of `panel`
/// columns (0: [K, N]).
struct ProductShape {
  int64_t k, n, panel;
};

std::string describeShape(const ProductShape &shape) {
  std::ostringstream os;
  os << "K=" << shape.k << " N=" << shape.n << " "
     << (shape.panel ? "panels of " + std::to_string(shape.panel)
                     : std::string("[K, N]"));
  return os.str();
}

/// `@product(%a: memref<?xKxf32>, %w, %c: memref<?xNxf32>)`, %w the weights
/// as stored: memref<N/PxKxPxf32> or memref<KxNxf32>.
std::string productSource(const ProductShape &shape) {
  std::ostringstream os;
  std::string k = std::to_string(shape.k), n = std::to_string(shape.n);
  std::string stored = shape.panel
                           ? std::to_string(shape.n / shape.panel) + "x" + k +
                                 "x" + std::to_string(shape.panel)
                           : k + "x" + n;
  os << "func.func @product(%a: memref<?x" << k << "xf32>, %w: memref<"
     << stored << "xf32>, %c: memref<?x" << n
     << "xf32>) attributes {llvm.emit_c_interface} {\n"
     << "  %c0 = arith.constant 0 : index\n"
     << "  %zero = arith.constant 0.0 : f32\n"
     << "  %at = bufferization.to_tensor %a restrict : memref<?x" << k
     << "xf32> to tensor<?x" << k << "xf32>\n"
     << "  %ws = bufferization.to_tensor %w restrict : memref<" << stored
     << "xf32> to tensor<" << stored << "xf32>\n";
  if (shape.panel)
    os << "  %we = tensor.empty() : tensor<" << k << "x" << n << "xf32>\n"
       << "  %wt = linalg.unpack %ws outer_dims_perm = [1, 0] inner_dims_pos "
          "= [1] inner_tiles = ["
       << shape.panel << "] into %we : tensor<" << stored << "xf32> -> tensor<"
       << k << "x" << n << "xf32>\n";
  else
    os << "  %wt = tensor.cast %ws : tensor<" << stored << "xf32> to tensor<"
       << k << "x" << n << "xf32>\n";
  os << "  %m = tensor.dim %at, %c0 : tensor<?x" << k << "xf32>\n"
     << "  %e = tensor.empty(%m) : tensor<?x" << n << "xf32>\n"
     << "  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x" << n
     << "xf32>) -> tensor<?x" << n << "xf32>\n"
     << "  %r = linalg.matmul ins(%at, %wt : tensor<?x" << k << "xf32>, tensor<"
     << k << "x" << n << "xf32>) outs(%init : tensor<?x" << n
     << "xf32>) -> tensor<?x" << n << "xf32>\n"
     << "  bufferization.materialize_in_destination %r in restrict writable "
        "%c : (tensor<?x"
     << n << "xf32>, memref<?x" << n << "xf32>) -> ()\n"
     << "  return\n}\n";
  return os.str();
}

template <int Rank>
StridedMemRefType<float, Rank> view(float *data,
                                    std::array<int64_t, Rank> sizes) {
  StridedMemRefType<float, Rank> memref;
  memref.basePtr = memref.data = data;
  memref.offset = 0;
  int64_t stride = 1;
  for (int dim = Rank - 1; dim >= 0; --dim) {
    memref.sizes[dim] = sizes[dim];
    memref.strides[dim] = stride;
    stride *= sizes[dim];
  }
  return memref;
}

using Product2D = void(StridedMemRefType<float, 2> *,
                       StridedMemRefType<float, 2> *,
                       StridedMemRefType<float, 2> *);
using Product3D = void(StridedMemRefType<float, 2> *,
                       StridedMemRefType<float, 3> *,
                       StridedMemRefType<float, 2> *);

/// Runs the product of `library` for `rows` rows on seeded random data in
/// [-1, 1] and checks it; false with `message` set on a mismatch.
bool checkRows(void *entry, const ProductShape &shape, int64_t rows,
               uint64_t seed, std::string &message) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> a(rows * shape.k), w(shape.k * shape.n);
  for (float &x : a)
    x = uniform(random);
  for (float &x : w)
    x = uniform(random);
  // Stored weights: panels[n / P][k][n % P] = w[k][n].
  std::vector<float> stored(w.size());
  for (int64_t k = 0; k < shape.k; ++k)
    for (int64_t n = 0; n < shape.n; ++n)
      stored[shape.panel ? (n / shape.panel) * shape.k * shape.panel +
                               k * shape.panel + n % shape.panel
                         : k * shape.n + n] = w[k * shape.n + n];
  // NaN where the kernel must write.
  std::vector<float> c(rows * shape.n, std::nanf(""));
  auto am = view<2>(a.data(), {rows, shape.k});
  auto cm = view<2>(c.data(), {rows, shape.n});
  if (shape.panel) {
    auto wm =
        view<3>(stored.data(), {shape.n / shape.panel, shape.k, shape.panel});
    reinterpret_cast<Product3D *>(entry)(&am, &wm, &cm);
  } else {
    auto wm = view<2>(stored.data(), {shape.k, shape.n});
    reinterpret_cast<Product2D *>(entry)(&am, &wm, &cm);
  }
  constexpr double u = 0x1p-24;
  double worst = 0;
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t n = 0; n < shape.n; ++n) {
      double exact = 0, magnitude = 0;
      for (int64_t k = 0; k < shape.k; ++k) {
        double term = double(a[m * shape.k + k]) * w[k * shape.n + n];
        exact += term;
        magnitude += std::fabs(term);
      }
      double error = std::fabs(c[m * shape.n + n] - exact);
      double tolerance = (shape.k + 2) * u * magnitude + 1e-30;
      if (!(error <= tolerance)) {
        std::ostringstream os;
        os << "C[" << m << ", " << n << "] = " << c[m * shape.n + n]
           << ", float64 " << exact << " (tolerance " << tolerance << ")";
        message = os.str();
        return false;
      }
      worst = std::max(worst, magnitude > 0 ? error / (u * magnitude) : 0);
    }
  std::ostringstream os;
  os << "max error " << worst << " u sum|ab|";
  message = os.str();
  return true;
}
} // namespace

int main(int argc, char **argv) {
  std::string compiler;
  bool keepTemp = false;
  std::vector<std::string> compilerArgs;
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (const char *value = optionValue(argv[i], "--compiler="))
      compiler = value;
    else if (argument == "--keep-temp")
      keepTemp = true;
    else if (const char *value = optionValue(argv[i], "--compiler-arg="))
      compilerArgs.push_back(value);
    else {
      std::fprintf(stderr, "product-kernel-test: unknown argument '%s'\n",
                   argv[i]);
      return 2;
    }
  }
  if (compiler.empty()) {
    std::fprintf(stderr,
                 "usage: %s --compiler=PATH/retnet-compile "
                 "[--keep-temp] [--compiler-arg=ARG]...\n",
                 argv[0]);
    return 2;
  }
  std::string directory = makeTemporaryDirectory("product-kernel-test");
  if (directory.empty()) {
    std::fprintf(stderr, "product-kernel-test: no temporary directory\n");
    return 2;
  }

  // Panels of 32 (the default: one register tile of 32 columns, two of 16)
  // and 48 (a full tile and a peeled one), K odd and one, N a multiple of
  // the panel; [K, N] with N not a multiple of the tile, and with N the
  // columns of a one-row tile as wide as a full register tile's accumulators
  // (96 for the 6 x 16 tile, 256 for the default on AVX-512). Rows beyond
  // the register tiles' read as many panels at once as make those columns
  // (8 of 32 or 4 of 64 with AVX-512, 3 of 32 with AVX2): 11 panels of 32
  // leave groups of panels and single panels in each thread's block of 8.
  // With --gpu-emulation and --gpu-row-tile-rows=1, K = 96 and 40 with N =
  // 256 and 192 (blocks of 64 x 128 and 64 x 64) run their full blocks of
  // 64 rows as warp tiles (the tensor-core path) and the partial ones (65,
  // 257) in register tiles; the other shapes keep register tiles.
  const std::vector<ProductShape> shapes = {
      {64, 96, 32},  {129, 160, 32}, {1, 32, 32},  {7, 96, 48},
      {64, 96, 48},  {129, 100, 0},  {64, 96, 0},  {33, 256, 0},
      {33, 352, 32}, {65, 512, 64},  {96, 256, 0}, {40, 192, 0}};
  const std::vector<std::vector<std::string>> tiles = {
      {}, {"--register-tile=6,16,1"}};
  const std::vector<int64_t> rowCounts = {1, 2, 5, 8, 16, 64, 65, 256, 257};

  // Every shape under every tile: compiled two at a time, then run.
  int passed = 0, failed = 0;
  for (size_t t = 0; t < tiles.size(); ++t) {
    std::vector<CompileRequest> requests;
    for (size_t s = 0; s < shapes.size(); ++s) {
      std::string stem =
          directory + "/product-" + std::to_string(t) + "-" + std::to_string(s);
      requests.push_back({{},
                          stem + ".mlir",
                          stem + ".so",
                          stem + ".log",
                          productSource(shapes[s])});
    }
    std::vector<std::string> args = tiles[t];
    args.insert(args.end(), compilerArgs.begin(), compilerArgs.end());
    std::vector<bool> compiled = compileKernels(compiler, requests, args, 2);
    for (size_t s = 0; s < shapes.size(); ++s) {
      std::string name = describeShape(shapes[s]) +
                         (tiles[t].empty() ? ", default tile" : ", tile 6x16");
      void *handle = compiled[s] ? dlopen(requests[s].libraryPath.c_str(),
                                          RTLD_NOW | RTLD_LOCAL)
                                 : nullptr;
      void *entry = handle ? dlsym(handle, "_mlir_ciface_product") : nullptr;
      if (!entry) {
        std::printf("FAIL  %s: %s\n", name.c_str(),
                    compiled[s] ? dlerror()
                                : readTextFile(requests[s].logPath).c_str());
        ++failed;
        continue;
      }
      for (int64_t rows : rowCounts) {
        std::string message;
        bool ok = checkRows(entry, shapes[s], rows, 1000 * s + rows, message);
        std::printf("%s  %s, M=%lld: %s\n", ok ? "PASS" : "FAIL", name.c_str(),
                    static_cast<long long>(rows), message.c_str());
        ++(ok ? passed : failed);
      }
      dlclose(handle);
    }
  }
  if (keepTemp)
    std::printf("kernels kept in %s\n", directory.c_str());
  else
    std::filesystem::remove_all(directory);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
