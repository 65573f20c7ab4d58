//===- Passes.td - Codegen passes of every target ----------*- tablegen -*-===//

#ifndef RETNET_CODEGEN_COMMON_PASSES_TD
#define RETNET_CODEGEN_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def RetNetBufferize : Pass<"retnet-bufferize", "::mlir::ModuleOp"> {
  let summary = "One-shot bufferization for self-contained CPU code";
  let description = [{
    Gives each use of a `tensor.empty` in a nested region, and each but the
    first use of a `linalg.fill` of one, a fresh tensor of its own (CSE
    shares them, across loops too, and a shared one costs a copy), eliminates
    the empty tensors whose results are inserted into a destination (upstream
    `eliminateEmptyTensors`), then runs one-shot module bufferization across
    function boundaries (memref arguments with identity layouts) and
    materialises every buffer copy as a `linalg.copy`, which later lowers to
    loops. The generated code therefore
    needs no runtime helper library (such as `memrefCopy`), only libc and
    libomp.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def RetNetFoldWeightPanels : Pass<"retnet-fold-weight-panels"> {
  let summary = "Matrix products read panel-packed weights without unpacking";
  let description = [{
    Model libraries for the CPU target store each weight matrix `[K, N]` as panels
    `[N/P, K, P]`: P consecutive columns, all K rows of them contiguous
    (ModelLayout.h; the runtime packs them once, at load). The imported
    model reads such a weight through
    `linalg.unpack %panels outer_dims_perm = [1, 0] inner_dims_pos = [1]
    inner_tiles = [P]`. This pass folds that unpack into the matrix products
    it feeds, `C[m, n] += A[m, k] B[k, n]`, which become four-loop products
    `C[m, n1, n0] += A[m, k] Bp[n1, k, n0]` on the result expanded to
    `[M, N/P, P]`: `retnet-vectorize-contractions` then gives each panel
    its own product, whose right operand is one contiguous `[K, P]` block,
    streamed in order, with no power-of-two stride between its rows to
    conflict in the caches.

    An unpack that feeds something else is lowered with upstream's
    decomposition into a transpose and a reshape (a copy).
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // RETNET_CODEGEN_COMMON_PASSES_TD
