//===- Passes.td - Codegen passes of every target ----------*- tablegen -*-===//

#ifndef RETNET_CODEGEN_COMMON_PASSES_TD
#define RETNET_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def RetNetBufferize : Pass<"retnet-bufferize", "::mlir::ModuleOp"> {
  let summary = "One-shot bufferization for self-contained CPU code";
  let description = [{
    Runs one-shot module bufferization across function boundaries (memref
    arguments with identity layouts) and materialises every buffer copy as a
    `linalg.copy`, which later lowers to loops. The generated code therefore
    needs no runtime helper library (such as `memrefCopy`), only libc and
    libomp.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

#endif // RETNET_CODEGEN_COMMON_PASSES_TD
