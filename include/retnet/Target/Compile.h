//===- Compile.h - LLVM dialect -> object -> shared library ----*- C++ -*-===//

#ifndef RETNET_TARGET_COMPILE_H
#define RETNET_TARGET_COMPILE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace mlir::retnet {
/// The CPU that host code is compiled for.
struct CPUTarget {
  /// "host" (this machine's CPU and features), or an LLVM CPU name
  /// (x86-64, x86-64-v2, x86-64-v3, x86-64-v4, skylake-avx512, znver4, ...).
  std::string cpu = "host";
  /// LLVM's feature syntax, "+f1,-f2", applied on top of the CPU's.
  std::string features;
};

/// Checks that `target` names a CPU and features that LLVM knows; false
/// with `error` naming the first that it does not.
LogicalResult verifyCPUTarget(const CPUTarget &target, std::string &error);

/// The register tile [m, n, k] of matrix products for `target`: a row of
/// the accumulator tile is two vector registers wide (n = 2 x lanes of f32),
/// and m rows of accumulators leave registers for the two loads of the
/// right operand and the broadcast of the left: 8 x 32 with AVX-512 (32
/// registers of 16 lanes), 6 x 16 with AVX or AVX2 (16 of 8), 4 x 8 with
/// SSE (16 of 4). Null where LLVM cannot describe `target`.
FailureOr<SmallVector<int64_t>> registerTileFor(const CPUTarget &target,
                                                std::string &error);

/// Translates a module in the LLVM dialect to LLVM IR for `target` and
/// optimizes it at `optLevel` (0-3). Returns null and sets `error` on failure.
std::unique_ptr<llvm::Module>
translateToOptimizedLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                           const CPUTarget &target, unsigned optLevel,
                           std::string &error);

/// Adds to a model's `module` the global retnet_abi_cpu_features of
/// ModelABI.h: the CPU of `target` and the features of CpuFeatures.h that
/// it enables, which the runtime checks before running the code.
LogicalResult addCPUFeaturesGlobal(llvm::Module &module,
                                   const CPUTarget &target, std::string &error);

/// Emits `module` (from translateToOptimizedLLVMIR) as an object file for
/// `target`.
LogicalResult emitObjectFile(llvm::Module &module, const CPUTarget &target,
                             StringRef path, std::string &error);

/// What `linkObjects` produces.
enum class LinkKind { SharedLibrary, Executable };

/// Links object files with the system compiler driver (`cc`) against libomp,
/// libm and the given extra arguments into a shared library or executable.
LogicalResult linkObjects(ArrayRef<std::string> objects, StringRef output,
                          LinkKind kind, ArrayRef<std::string> extraArgs,
                          std::string &error);

/// Writes the object file or archive `input` to `output` with the symbols
/// named by the keys of `renames` renamed to their values (definitions and
/// references alike).
LogicalResult renameSymbols(StringRef input, StringRef output,
                            const llvm::StringMap<std::string> &renames,
                            std::string &error);
} // namespace mlir::retnet

#endif // RETNET_TARGET_COMPILE_H
