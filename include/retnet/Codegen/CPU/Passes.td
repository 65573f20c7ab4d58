//===- Passes.td - CPU codegen passes ----------------------*- tablegen -*-===//

#ifndef RETNET_CODEGEN_CPU_PASSES_TD
#define RETNET_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRetentionToLinalg : Pass<"convert-retention-to-linalg"> {
  let summary = "Lower retention ops of every form to linalg, tensor and scf";
  let description = [{
    Lowers each retention op on tensors, keeping its form, with upstream
    mechanisms only:

    - tile-and-fuse through the ops' TilingInterface
      (`scf::tileConsumerAndFuseProducersUsingSCF`) to tiles of one batch
      row and one head: an `scf.forall` over batch x heads, the unit of
      multi-threading, decoding steps included (a batch's rows decode in
      parallel). The initial state is made the loop's destination of the
      final state, and each tile reads its heads' state from the loop's
      slice of it, so the state is updated in place. The linalg producers
      of q, k and v that feed nothing else (the head split, rotation and
      key scaling of retnet-decompose) are fused into the loop, so each
      tile computes its own head's operands and no `[B, H, T, d]` tensor is
      materialised;
    - each tile decomposed through `linalg::AggregatedOpInterface` into
      the block formula on that head's matrices
      (`O = s * ((Q K^T * D) V + xi * (Q S))`,
      `S' = gamma^L S + (K * zeta)^T V`, linalg contractions with static
      shapes inside chunks): one block of the whole sequence (parallel,
      its output in blocks of 64 rows, each against the tokens up to its
      last row only, so nothing above the diagonal blocks is computed; a
      chunk of static length above 32 likewise in row tiles of 32), an
      `scf.for` over full chunks carrying the state with the decay tables
      hoisted, then one shorter block (chunkwise), an `scf.for` over tokens
      (recurrent).

    f16 and bf16 inputs are computed in f32, f64 in f64. Decay powers are
    `exp(k ln gamma)` with `ln gamma` computed once per head (the causal
    mask of a block reads them from a table of the block's powers), the
    `decay_sqrt_sum` scale uses `expm1` in f64.

    With `value-tile=N` (N dividing a retention op's value width dv), the
    tiles of the retention ops also split the value columns into groups of
    N (the third dimension of their iteration domain): dv / N times as many
    tiles for the threads where batch x heads is small, each with all of q
    and k and N columns of v, the state and the output (the parallel and
    chunkwise forms then compute each group's `Q K^T` again).
  }];
  let options = [
    Option<"valueTile", "value-tile", "int64_t", /*default=*/"0",
           "Value columns per tile of the retention ops, where it divides "
           "their value width (0: all)">,
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered",
              "Retention ops (and chunk pieces) tiled and decomposed">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
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
    (32 8-wide ones with AVX2, which LLVM spills: retnet-compile passes
    `[6, 16, 1]` there), which
    `loop-invariant-subset-hoisting` keeps in registers across the reduction
    loop and `convert-vector-to-llvm{vector-contract-lowering=outerproduct}`
    turns into broadcasts and FMAs. Column tiles are the outer loop, so a
    column's panel of the right operand stays in cache for every row tile.
    Rows beyond the last multiple of m get one-row tiles of at least 32
    columns (where the product has them): a single row streams the weights,
    and four vectors of accumulators keep enough FMA chains in flight. Where
    the weights are in panels (`C[m, n1, n0] += A[m, k] B[n1, k, n0]`), those
    rows read several whole panels at once, each column still summed in k
    order: a full register tile's columns of weights narrower than f32
    (whose conversion lengthens each chain), half of them of f32 weights;
    panels that make no whole group go one at a time. Thread blocks of at
    least 16 rows whose panels are narrower than f32 (bf16, f16, int8)
    convert them to f32 once, in chunks of 256 steps of the reduction (int8
    in groups: each weight times its group's scale), for all their register
    tiles; the other rows convert each weight vector as they read it.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Register tile [m, n, k] (default 8,32,1)">,
    ListOption<"threadTileSizes", "thread-tile-sizes", "int64_t",
               "Block [m, n] of a thread for products outside scf.forall "
               "(default 64,256; 0,0 disables)">
  ];
  let statistics = [
    Statistic<"numVectorized", "num-vectorized",
              "Register tiles vectorized into vector.contract">
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

def RetNetTileElementwise : Pass<"retnet-tile-elementwise"> {
  let summary = "Run the model's element-wise work in row tiles on threads";
  let description = [{
    The element-wise work between the model's matrix products and retention
    (embedding, norms with their sums of squares, the per-head norm and
    gate, the feed-forward's activation and gate, residual adds, rotation
    tables) is linalg ops on `[B, T, d]` tensors outside any `scf.forall`,
    which ran on one thread while the others waited: a quarter of a
    512-token prefill of examples/small.json on two cores.

    Each chain of it, from the op that no other element-wise op consumes
    back through its element-wise producers and their fills, is tiled and
    fused (`scf::tileConsumerAndFuseProducersUsingSCF`) into one
    `scf.forall` over tiles of `rows` rows (the loop before the last, the
    last whole; other parallel loops one at a time; reductions whole), so
    the chain runs on every thread and in one pass over its tile, in cache,
    instead of one pass over `[B, T, d]` per op. A producer that feeds
    several chains is recomputed in each (element-wise work is cheap next
    to a round trip through memory).
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"16",
           "Rows of a tile">
  ];
  let statistics = [
    Statistic<"numTiled", "num-tiled", "Chains tiled into row loops">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def RetNetPrefetchStreams : Pass<"retnet-prefetch-streams"> {
  let summary = "Prefetch, ahead of the loops that stream memory (register "
                "tiles' reductions, innermost loops), the rows they read";
  let description = [{
    Runs on buffers, after bufferization. A loop streams if it is the
    reduction loop of a register tile (an `scf.for` that carries a vector:
    the accumulators of retnet-vectorize-contractions) or an innermost
    `scf.for` (such as a thread block's conversion of narrow weights to
    f32). In it, a `vector.transfer_read` of at least a cache line from a
    unit-stride `memref.subview` whose offset in one dimension is the
    loop's induction variable reads a stream: a row of each weight panel
    per step of the reduction in a decoding step. Before it, the pass
    inserts a `memref.prefetch` (read, locality 3) of each cache line of
    the same subview a number of iterations further along that dimension:
    the loop keeps `distance` bytes in flight ahead of its reads, shared
    among its streams (the iterations ahead are `distance` over the bytes
    of all the lines its streams read in one iteration, rounded up). A
    one-row tile over 4 f32 panels (8 lines a step) looks 16 steps ahead
    with 8192 bytes, an 8-row tile over one panel (2 lines) 64 steps.
    Reads of a buffer that the function allocated (a thread block's
    weights converted to f32) are skipped: it was just written and is in
    cache.

    The hardware prefetcher of a core stops at each 4 KiB page, and a
    one-row tile reads several panels, each a page every 64 (int8) or 32
    (f32) steps: batch-1 decoding of the 1.3B model with int8 weights in
    groups was 1.14x to 1.30x faster on an AVX-512 Xeon with 2048 bytes
    ahead in each of 4 panels, bf16 weights 1.13x to 1.15x, f32
    unchanged; batch-8 decoding 1.39x (f32) and 1.59x (bf16). Loops of
    one stream (an 8-row tile) gained from looking further ahead than
    2048 bytes (benchmarks/README.md), hence the budget shared per loop.
    A prefetch past the end of its buffer does not fault; it fetches
    nothing useful once per stream.
  }];
  let options = [
    Option<"distance", "distance", "int64_t",
           /*default=*/"::mlir::retnet::kDefaultPrefetchBytes",
           "Bytes in flight ahead of each streaming loop's reads, shared "
           "among its streams (0: no prefetches)">
  ];
  let statistics = [
    Statistic<"numPrefetched", "num-prefetched",
              "Streaming reads given prefetches">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

#endif // RETNET_CODEGEN_CPU_PASSES_TD
