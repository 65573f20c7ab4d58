//===- ConfigFuzzer.cpp - Fuzz target: model descriptions to the graph ----===//
//
// Reads the input as a model description (config.json), and where it is
// accepted imports the model graph and verifies it. A description that is
// accepted must import into a module that verifies.
//
//===----------------------------------------------------------------------===//

#include "FuzzContext.h"
#include "retnet/Import/ModelConfig.h"
#include "retnet/Import/ModelImport.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<std::string> warnings;
  llvm::Expected<retnet::ModelConfig> config = retnet::parseModelConfig(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), warnings);
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  // Graphs of accepted descriptions can be large (up to the limits); the
  // fuzzer's own time and memory limits bound them.
  MLIRContext &ctx = retnet_fuzz::fuzzContext();
  std::string diagnostics;
  ScopedDiagnosticHandler collect(&ctx, [&](Diagnostic &diagnostic) {
    diagnostics += diagnostic.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = retnet::importModel(&ctx, *config);
  if (!module || failed(verify(*module))) {
    std::fprintf(stderr,
                 "config-fuzzer: an accepted description does not import "
                 "into a module that verifies:\n%s",
                 diagnostics.c_str());
    std::abort();
  }
  return 0;
}
