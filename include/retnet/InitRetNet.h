//===- InitRetNet.h - Registration of the project's dialects and passes ---===//

#ifndef RETNET_INITRETNET_H
#define RETNET_INITRETNET_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::retnet {
/// Adds the retention and retnet dialects, with their interface
/// implementations, to `registry`; every upstream dialect, extension and
/// LLVM IR translation that the pipelines use comes with them.
void registerRetNetDialects(DialectRegistry &registry);

/// Registers every pass of the project (the dialects' own passes and the
/// codegen passes of each target) and the named pipelines.
void registerRetNetPasses();
} // namespace mlir::retnet

#endif // RETNET_INITRETNET_H
