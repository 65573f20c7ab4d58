//===- ApiPrefix.h - The exported names of a model library ------*- C++ -*-===//
//
// A model library exports the names of retnet_abi::kExportedSuffixes under
// one prefix ("retnet" unless retnet-compile --api-prefix gives another):
// these helpers check a prefix, rename the default names to it, write the
// version script of the export list and the library's C header.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_TARGET_APIPREFIX_H
#define RETNET_TARGET_APIPREFIX_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir::retnet {
/// Whether `prefix` can start the C names `<prefix>_<suffix>`: a letter,
/// then at most 63 letters, digits or '_', not ending in '_'.
bool isValidApiPrefix(StringRef prefix);

/// The renames (default name -> name under `prefix`) of every exported
/// symbol; empty for the default prefix.
llvm::StringMap<std::string> getApiRenames(StringRef prefix);

/// A linker version script that exports the names under `prefix` only.
std::string getExportVersionScript(StringRef prefix);

/// The C header of a library under `prefix`: retnet.h (`retnetHeader`) with
/// its names, types and include guard renamed.
std::string getApiHeader(StringRef retnetHeader, StringRef prefix);
} // namespace mlir::retnet

#endif // RETNET_TARGET_APIPREFIX_H
