//===- Passes.td - Retention form rewrites and selection ---*- tablegen -*-===//

#ifndef RETNET_TRANSFORMS_PASSES_TD
#define RETNET_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RetentionToParallel : Pass<"retention-to-parallel"> {
  let summary = "Rewrite every retention op into the parallel form";
  let description = [{
    Replaces each `retention.recurrent` and `retention.chunkwise` op by a
    `retention.parallel` op with the same operands (queries, keys, values,
    initial state, offset), attributes (gamma, scaling) and results. The
    semantics are unchanged; only the form differs.
  }];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def RetentionToRecurrent : Pass<"retention-to-recurrent"> {
  let summary = "Rewrite every retention op into the recurrent form";
  let description = [{
    Replaces each `retention.parallel` and `retention.chunkwise` op by a
    `retention.recurrent` op with the same operands, attributes and results.
  }];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def RetentionToChunkwise : Pass<"retention-to-chunkwise"> {
  let summary = "Rewrite every retention op into the chunkwise form";
  let description = [{
    Replaces each retention op that is not already chunkwise with the given
    chunk size by a `retention.chunkwise` op with that chunk size and the same
    operands, attributes and results.
  }];
  let options = [
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"64",
           "Tokens per chunk (positive)">
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def RetentionSelectForm : Pass<"retention-select-form"> {
  let summary = "Pick the form of each retention op by a cost model";
  let description = [{
    Rewrites every retention op into the form expected to be fastest on the
    target, from its (static) sequence length T:

    - T == 1: `retention.recurrent` (one state update, O(dk dv) per head);
    - T <= parallel-max-length: `retention.parallel` (one block of matrix
      products, no sequential dependency);
    - otherwise, and whenever T is dynamic: `retention.chunkwise` with the
      target's chunk size.

    Defaults per target, from benchmarks/README.md (retention-bench, B1 H8
    dk64 dv128, fp32, 2 cores):

    | target | parallel-max-length | chunk-size |
    |---|---|---|
    | cpu  | 64  | 64  |
    | cuda | 256 | 64  |

    On the CPU the parallel form does O(T^2) work where chunkwise does
    O(T C): at T = 512 parallel takes 4.0 ms and chunkwise 0.77 ms; at
    T <= C the two are the same computation (one block), so parallel is
    chosen up to one chunk. Chunks of 64 beat chunks of 128 (T = 2048:
    3.0 ms against 4.0 ms). The cuda values are placeholders until the CUDA
    target is measured; its chunk size is bounded by the `C x C` score tile
    that convert-retention-to-gpu keeps in the 48 KiB of static workgroup
    memory of a block. Either option may be set to override the
    target's default (0 keeps the default).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Target whose costs to use: cpu or cuda">,
    Option<"parallelMaxLength", "parallel-max-length", "int64_t",
           /*default=*/"0",
           "Longest static T lowered in the parallel form (0: target default)">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"0",
           "Chunk size of the chunkwise form (0: target default)">
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

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

def RetNetGPUDistributeLinalg : Pass<"retnet-gpu-distribute-linalg"> {
  let summary = "Distribute linalg ops on buffers over GPU blocks and threads";
  let description = [{
    Rewrites every linalg op on buffers that does not already run inside GPU
    blocks into an `scf.forall` over blocks (`#gpu.block<x>`) around
    `scf.forall` loops over the block's threads (`#gpu.thread<x>`); the
    points of the parallel loops are numbered with the last loop varying
    fastest, so neighbouring threads access neighbouring elements.

    - In general, one thread per output element, carrying it in registers
      through `scf.for` loops over the reduction dimensions.
    - Sums (one output combined with `arith.addf`) whose reduction has at
      least `split-reduction-length` static iterations (matrix products,
      norms) split their first reduction loop: a block computes 32
      neighbouring elements with its `threads` threads as `threads / 32`
      slices of the reduction, the partial sums meet in a `[threads / 32,
      32]` tile (workgroup memory), then 32 threads add them to the outputs.
      A decoding step's matrix-vector products so use `threads / 32` times
      more blocks than with one thread per element.

    retnet-forall-to-gpu-launch then turns the nests into `gpu.launch`.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads of each block">,
    Option<"splitReductionLength", "split-reduction-length", "int64_t",
           /*default=*/"64",
           "Shortest static reduction split across threads">,
    Option<"workgroupMemory", "workgroup-memory", "bool", /*default=*/"true",
           "Keep the partial-sum tiles in GPU workgroup memory">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def RetNetVectorizeContractions : Pass<"retnet-vectorize-contractions"> {
  let summary = "Tile matrix-product linalg ops to register tiles and vectorize";
  let description = [{
    Matrix products that are not already inside an `scf.forall` (the linear
    layers of a model; retention's products are inside its forall over batch
    x heads) are first split into an `scf.forall` of `thread-tile-sizes =
    [m, n]` blocks, the unit of multi-threading (0 leaves a dimension whole).

    Then it tiles every `linalg` contraction with two parallel loops and one
    reduction loop (the matrix products of retention blocks) to register
    tiles `tile-sizes = [m, n, k]`, and vectorizes each tile into a
    `vector.contract` (masked where the tile is partial). With the default
    `[8, 32, 1]` each step of the reduction is one outer product of a column
    of 8 with a row of 32: sixteen 16-wide FMA accumulators with AVX-512
    (32 8-wide ones with AVX2, which LLVM spills), which
    `loop-invariant-subset-hoisting` keeps in registers across the reduction
    loop and `convert-vector-to-llvm{vector-contract-lowering=outerproduct}`
    turns into broadcasts and FMAs.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Register tile [m, n, k] (default 8,32,1)">,
    ListOption<"threadTileSizes", "thread-tile-sizes", "int64_t",
               "Block [m, n] of a thread for products outside scf.forall "
               "(default 64,256; 0,0 disables)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def RetNetDecompose : Pass<"retnet-decompose"> {
  let summary = "Lower the retnet model-graph ops to retention and linalg";
  let description = [{
    Rewrites every `retnet` op into `retention` ops and linalg, tensor, arith
    and math on tensors, following retnet-math.md sections 2-5:

    - `retnet.embedding`: a gather of table rows, scaled;
    - `retnet.rms_norm`: a reduction of squares over the last dimension, then
      the normalisation (and weight) elementwise;
    - `retnet.linear`: a matrix product of the `[B T, in]` rows with the
      `[in, out]` weight;
    - `retnet.residual`: `alpha x + update` elementwise;
    - `retnet.msr`: the fused q/k/v/g projection, the xPos rotation of q and
      k (cos/sin tables of the absolute positions, computed in f64), keys
      scaled by `dk^-0.5`, one `retention.parallel` op with
      `decay_sqrt_sum` scaling (its form is chosen later), the per-head RMS
      norm fused with the silu gate, and the output projection;
    - `retnet.glu`: the fused up projection, `act(a) * b`, the down
      projection.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::retention::RetentionDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // RETNET_TRANSFORMS_PASSES_TD
