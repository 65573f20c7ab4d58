//===- FuzzContext.h - The MLIR context shared by the fuzz targets' inputs ===//

#ifndef RETNET_FUZZ_FUZZCONTEXT_H
#define RETNET_FUZZ_FUZZCONTEXT_H

#include "retnet/InitRetNet.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"

namespace retnet_fuzz {
/// One context, with every dialect and pass of the project registered, for
/// all inputs of a run: registration costs far more than a small input.
inline mlir::MLIRContext &fuzzContext() {
  static mlir::MLIRContext *instance = [] {
    mlir::registerAllPasses();
    mlir::retnet::registerRetNetPasses();
    mlir::DialectRegistry registry;
    mlir::retnet::registerRetNetDialects(registry);
    auto *context =
        new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    context->loadAllAvailableDialects();
    return context;
  }();
  return *instance;
}
} // namespace retnet_fuzz

#endif // RETNET_FUZZ_FUZZCONTEXT_H
