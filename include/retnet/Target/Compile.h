//===- Compile.h - LLVM dialect -> object file -> shared library -*- C++
//-*-===//

#ifndef RETNET_TARGET_COMPILE_H
#define RETNET_TARGET_COMPILE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace mlir::retnet {
/// Translates a module in the LLVM dialect to LLVM IR for the host CPU and
/// optimizes it at `optLevel` (0-3). Returns null and sets `error` on failure.
std::unique_ptr<llvm::Module>
translateToOptimizedLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                           unsigned optLevel, std::string &error);

/// Emits `module` (from translateToOptimizedLLVMIR) as an object file.
LogicalResult emitObjectFile(llvm::Module &module, StringRef path,
                             std::string &error);

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
