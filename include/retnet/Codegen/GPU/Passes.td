//===- Passes.td - CUDA codegen passes ---------------------*- tablegen -*-===//

#ifndef RETNET_CODEGEN_GPU_PASSES_TD
#define RETNET_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRetentionToGPU : Pass<"convert-retention-to-gpu"> {
  let summary = "Lower retention ops of every form to GPU block loops of "
                "linalg on tensors, with upstream tiling";
  let description = [{
    Lowers each retention op to `scf.forall` loops mapped to GPU blocks
    (`#gpu.block<...>`), tiled upstream through the ops' TilingInterface
    (`retention::tileAndDecompose`, as on the CPU), whose bodies are the
    ops' decompositions into linalg on tensors; retnet-gpu-distribute-linalg
    later spreads them over the blocks' threads.

    - chunkwise: split into its chunk-parallel pieces (the patterns of
      retention-split-chunkwise), each one block loop parallel over chunks
      or state elements (not only batch x heads): `chunk_states`, per
      (batch, head, chunk) the chunk's state contribution `(K * zeta)^T V`,
      and `chunk_outputs`, per (batch, head, chunk) the outputs
      `s ((Q K^T * D) V + xi (Q S))` from the chunk's starting state, both
      tiled upstream through their TilingInterface into one block per
      chunk mapped to `#gpu.block` z, y, x, whose body is the chunk's
      decomposition on tensors; in it, a product with more than 32 static
      rows (`(K * zeta)^T V` of dk rows) runs in row tiles of 32, its
      scaled operand and zeros fused per tile (BlockProductRows.h), a
      transpose becomes an indexing map
      of its consumer, slices of element-wise results are computed from
      slices of their inputs, and element-wise producers fuse into their
      consumers where that repeats no arithmetic but loads (BlockFusion.h),
      so that a block of a large head fits in workgroup memory;
      `chunk_scan`, the scan `S = gamma^L S + dS` over chunks into each
      chunk's starting state and the final state, tiled upstream through
      its TilingInterface (as the recurrent form, below) into one block per
      (batch, head, tile of up to 32 state columns by as many rows as the
      threads allow), mapped to linear `#gpu.block` ids, the tile updated in
      place in workgroup memory. A chunk size whose `[C, C]` tiles
      exceed the 48 KiB of static workgroup memory of a block (C > 64 in
      f64, C > 108 in f32) runs as chunks of the largest power of two that
      fits (the chunkwise formula gives the same result for any chunk size,
      up to rounding); pieces written with such a chunk size are an error.
    - recurrent (decoding; any op of block length 1): tiled with upstream
      tile-and-fuse through the op's TilingInterface
      (`retention::tileAndDecompose`, as on the CPU) into an `scf.forall` on
      tensors of one block per (batch, head, group of up to 32 value
      columns) mapped to `#gpu.block` z, y, x, whose body is the per-head
      decomposition (per token, one linalg.generic that updates the state
      once per element and sums q . S into the output row);
      retnet-gpu-distribute-linalg then spreads it over the threads. The
      producers of q, k and v join the block where the token count is
      static (a decoding step). Without an initial state the state is a
      scratch tile of the block (at most 16 KiB: fewer columns per block
      where dk needs it).
    - parallel: run as the chunkwise form's pieces (above) with chunks of
      `parallel-tile` tokens: the same result up to rounding, the products
      below the diagonal's chunks summed once into chunk states (O(T C)
      work instead of O(T^2)), one block per chunk as the parallel form's
      query tiles would be.

    Numerics follow convert-retention-to-linalg (the same decompositions):
    f16/bf16 computed in f32, decay powers as exponentials of ln(gamma),
    the scale with expm1 in f64. The blocks' own buffers become workgroup
    memory in retnet-gpu-distribute-linalg; with its
    `workgroup-memory=false` they stay in default memory, so the same loop
    nests run on a CPU (every thread loop in sequence), which is how the
    kernels' arithmetic is tested without a GPU.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads of each block (at most 1024)">,
    Option<"parallelTile", "parallel-tile", "int64_t", /*default=*/"64",
           "Chunk size with which the parallel form runs (at most 64)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def RetNetGPUDistributeLinalg : Pass<"retnet-gpu-distribute-linalg"> {
  let summary = "Distribute linalg ops on buffers over GPU blocks and threads";
  let description = [{
    Distributes every linalg op on buffers that does not already run inside
    GPU blocks with upstream tiling (`scf::tileUsingSCF` to `scf.forall`
    loops with linear `#gpu.block<linear_dim_N>` and
    `#gpu.thread<linear_dim_N>` mappings, `linear_dim_0` fastest):

    - In general, blocks of `threads` neighbouring points of the parallel
      loops (the innermost loops whole while they fit, then part of the
      next), one thread per point with the innermost loop fastest across
      threads, so neighbouring threads access neighbouring elements. Each
      thread's tile becomes scalar loops that carry its outputs in registers
      through the reduction loops (convert-linalg-to-loops would load and
      store them at every step).
    - Sums (one output combined with `arith.addf`) whose reduction has at
      least `split-reduction-length` static iterations and whose first
      reduction loop is a multiple of `threads / 32` (matrix products,
      norms) are tiled as partial reductions: blocks of 32 neighbouring
      points; the first reduction loop k splits into (kk, s) with k =
      kk * (threads / 32) + s (the inputs expanded with `memref.expand_shape`);
      the partial sums over kk of each (point, s) go to a `[points...,
      threads / 32]` tile (workgroup memory), zeroed and summed by one thread
      per element (the point fastest, the slice slowest), and 32 threads add
      the slices to the outputs. A decoding step's matrix-vector products so
      use `threads / 32` times more blocks than with one thread per element.
      (Upstream's partial-reduction tiling creates tensors; this pass runs on
      buffers, after bufferization, so that the copies bufferization adds are
      distributed too.)

    - A reduction whose output buffer a `linalg.fill` initializes right
      before it (no op with memory effects in between) fills its blocks'
      output tiles itself, as their first thread phase, and the fill of the
      whole buffer goes: a kernel fewer for each product and norm.
    - The element-wise ops right after an op whose points each read the
      op's output at one point (its epilogues: a norm's factor, the
      normalization, a per-head gate that reads its head's factor as
      `channel floordiv dv`, a residual add) run in the op's blocks, last,
      on the points that read each block's own output tile: a kernel fewer
      each.
    - The cheap ops right before a sum that compute one of its inputs row by
      row into buffers that nothing else reads (its prologue: an RMSNorm
      before the projection that it feeds, a gate before the product that
      reads it) run in the sum's blocks, first, on the slices that each
      block reads, in workgroup memory: recomputed once per block of a row
      (at most half the block's own work), a kernel or more fewer each.
      Fills of fresh buffers move down to their first access first, so that
      the ops they initialize can take them over.
    - First of all, the linalg ops that a block loop already holds (the
      retention ops tiled by convert-retention-to-gpu) spread over that
      block's threads: an f32 product of static shape as warp tiles of its
      whole output (with tensor-cores, where 16 x 8 tiles divide it among
      the warps and the sum is a multiple of 8); a sum split into about
      sqrt(length) slices where its
      points leave threads (an output written once per term, indexed by
      every loop, such as a recurrent step's state, splits its rows as the
      inputs do: each thread updates its own elements in the same pass),
      else neighbouring points per thread. The block's own allocations
      become workgroup buffers of their constant upper bound (a dynamic
      size without one is an error); where they need more than 40 KiB per
      block, the largest go to global memory instead, each block its part
      of one scratch buffer. Then an element-wise op right before a
      block loop whose output only that loop loads with `memref.load`, at
      each block's own slice of static size, runs in the loop's blocks,
      first, on that slice in workgroup memory: a kernel fewer.
    - Matrix products over many rows (a prefill's projections: two parallel
      loops, the rows of dynamic extent, the columns static; inputs indexed
      by the rows or by the columns, not both) are versioned on their rows
      with `scf.if`: with at least `row-tile-rows` rows, a copy of the
      product and of the ops its blocks would take over runs in blocks of
      `threads / 4` rows by 64 or 128 columns, each thread a register tile
      of 4 rows by 4 or 8 columns in groups of neighbours as wide as 16
      bytes of the weights, 16 groups apart (a thread loads each group as
      one 128-bit vector where a check at run time finds the loads aligned;
      a half warp's loads are coalesced), whose outputs ride through the
      reduction loop together (an outer product per step: 6 loads for 32
      fused multiply-adds with f32 weights, 5 with bf16 or f16, and the
      weights read once per block of rows rather than once per row), a
      partial last tile clamping its loads and
      skipping its stores outside; the copy's prologue ops run as kernels of
      their own, on fresh buffers. With fewer rows (a decoding step), the
      split sums above run.

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
    Option<"rowTileRows", "row-tile-rows", "int64_t", /*default=*/"0",
           "Fewest rows of a matrix product that runs in register tiles "
           "(0: enough blocks for one per multiprocessor of a 132-SM GPU; "
           "negative: never)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Run the full blocks of row-tiled f32 products, and the static "
           "f32 products in block loops, as warp tiles of vector.contract "
           "in the mma.sync shape (16 x 8 x 8), for tensor cores">,
  ];
  let statistics = [
    Statistic<"numRowTiled", "num-row-tiled",
              "Matrix products versioned for many rows (register tiles)">,
    Statistic<"numPrologueOps", "num-prologues",
              "Sums whose blocks run a prologue">,
    Statistic<"numKernelInputs", "num-kernel-inputs",
              "Element-wise inputs computed in the blocks of a kernel">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def RetNetGPUElideCopyBack : Pass<"retnet-gpu-elide-copy-back"> {
  let summary = "Update a buffer in place where a kernel works on a copy of "
                "its own slices that is then copied back";
  let description = [{
    Bufferization gives an op that reads a state and returns its update (the
    recurrent form's state, not destination-style) a new buffer, which its
    kernel fills from the state, updates, and which is then copied back
    into the state with `linalg.copy` (or `memref.copy`): a kernel of its
    own and two extra round trips of the state through memory, per layer
    and decoding step. This pass makes the kernel update the state itself
    and erases the copy back and the buffer, where that is the same:

    - the buffer `A` is a `memref.alloc` used only by one block-mapped
      `scf.forall` before the copy, the copy `A -> S` and deallocations;
    - inside the forall, `A` and `S` are only loaded and stored, at indices
      among which is each of the forall's block indices, or a part that it
      selects (`block * W + x mod W`, a group of W state columns), so each
      block touches its own elements only; and each load of `S` is stored
      unchanged into `A` at the same indices (the copy in, which becomes
      nothing);
    - between the forall and the copy, no op touches `S`'s buffer. Buffers
      with different roots (allocations, function arguments) are taken to
      be different memory, as One-Shot Bufferize takes function arguments;
      a buffer of any other origin may be any memory.
  }];
  let statistics = [
    Statistic<"numElided", "num-elided", "Copies back elided">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def RetNetGPUMergeIndependentKernels
    : Pass<"retnet-gpu-merge-independent-kernels"> {
  let summary = "Run neighbouring independent block loops as one kernel";
  let description = [{
    Merges consecutive `scf.forall` loops mapped to linear GPU blocks that
    do not depend on each other into one: a linear block loop over the sum
    of their blocks, in which block `id` runs the first loop's body while
    `id` is below its block count, then the second's, and so on (a
    condition uniform across each block, so the thread loops' barriers stay
    reached by every thread). One kernel launch instead of several: the
    rotations of q and k and the head split of v of a layer, the tables of
    a call.

    Two loops are independent when neither writes a buffer that the other
    reads or writes: buffers with different roots (allocations, function
    arguments) are different memory; a buffer of any other origin may be
    any. Only views, pure ops and allocations may lie between them (they
    move before the first). Loops with workgroup buffers are left alone, so
    a merged kernel never needs more workgroup memory than its parts.
  }];
  let statistics = [
    Statistic<"numMerged", "num-merged", "Block loops merged into another">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def RetNetForallToGPULaunch : Pass<"retnet-forall-to-gpu-launch"> {
  let summary = "Turn scf.forall nests mapped to GPU blocks and threads into "
                "gpu.launch";
  let description = [{
    Rewrites each `scf.forall` on buffers whose mapping is
    `#gpu.block<...>` (and that is not inside another forall) into a
    `gpu.launch` with one block per iteration: the forall's indices become
    `gpu.block_id`s in the order of its mapping, or, for linear mappings
    (`#gpu.block<linear_dim_N>`), block id x over the product of the trip
    counts, delinearized with `linear_dim_0` fastest; loops with other
    bounds and steps than 0 and 1 get their indices from the block ids
    (custom: upstream's mapForallToBlocksImpl takes static grids only, and a
    model's grids depend on the batch and the sequence length). Inside, the
    `#gpu.thread` foralls of static extent (mapped to `x`, or to linear
    dims) are mapped by upstream's `mapNestedForallToThreadsImpl`: the body
    run by thread `gpu.thread_id x` (delinearized for linear dims),
    predicated when the block has more threads, followed by `gpu.barrier`;
    the block has as many threads as its largest thread loop. Static `memref.alloca`s in workgroup
    memory become workgroup attributions of the launch.

    This is the contract of convert-retention-to-gpu and
    retnet-gpu-distribute-linalg: thread loops sit in code that is uniform
    across the block, and only index arithmetic and loop control run outside
    them.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def RetNetHostBuffersToGPU : Pass<"retnet-host-buffers-to-gpu"> {
  let summary = "Allocate host-side buffers on the GPU";
  let description = [{
    After the kernels are `gpu.launch` ops, the buffers the host code
    allocates are used by kernels or returned: `memref.alloc` /
    `memref.dealloc` outside kernels become `gpu.alloc` / `gpu.dealloc`, and
    `memref.copy` between contiguous device buffers becomes `gpu.memcpy`. A global
    (constant table) that kernels read is copied into a device buffer at the
    start of the function and freed before it returns. Buffers the host only
    uses for bookkeeping (index and flag lists of the deallocation lowering:
    element accesses, deallocation, calls of its helper) stay in host memory.

    Errors: a kernel that still uses a host allocation, stack buffer or
    global; host code that loads or stores elements of a device buffer (a
    `gpu.alloc` or an argument of a public function), i.e. a computation
    not mapped to a kernel; a host `memref.copy` between strided buffers.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def RetNetGPUSingleStream
    : Pass<"retnet-gpu-single-stream", "::mlir::ModuleOp"> {
  let summary = "Enqueue each host function's GPU work in order on one "
                "stream";
  let description = [{
    Makes every synchronous GPU operation of the module's host functions
    (`gpu.launch_func`, `gpu.alloc`, `gpu.dealloc`, `gpu.memcpy`)
    asynchronous on one stream created at the function's entry
    (`gpu.wait async`), and waits for that stream before each return.
    gpu-to-llvm then enqueues all of them in program order on that stream,
    whatever the control flow between them: a model's layer loop runs
    without the host waiting for the GPU (`gpu-async-region` synchronises at
    every loop and branch boundary instead).

    A function with GPU work that calls another one is an error (their
    streams would not be ordered); host-shared allocations stay
    synchronous.

    This relies on the stream semantics of the lowering, not on token
    dependencies (the final wait names the entry token only), so it runs
    right before `gpu-to-llvm`, with no canonicalization in between. It is
    sound because the host never reads device memory before the function
    returns (retnet-host-buffers-to-gpu rejects host accesses) and the
    runtime reuses a freed buffer only on the same stream or after that
    stream is synchronised.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def RetNetGPUContractProducts
    : Pass<"retnet-gpu-contract-products", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Allow the kernels' multiplies and adds to fuse into FMAs";
  let description = [{
    Adds the `contract` fast-math flag to every `arith.mulf`, `arith.addf`
    and `arith.subf` of a GPU module's kernels. Without it the NVPTX backend
    writes products and sums with explicit rounding (`mul.rn.f32`,
    `add.rn.f32`), which ptxas may not fuse, and every dot product runs as
    FMUL + FADD; with it a multiply feeding an add becomes one `fma.rn.f32`
    (FFMA): half the instructions, and one rounding instead of two. No other
    flag is added: NaN, infinity and signed-zero semantics stay exact.

    Host code and CPU kernels are not touched (this runs on `gpu.module`s,
    after outlining).
  }];
  let statistics = [
    Statistic<"numContracted", "num-contracted",
              "Floating-point multiplies, adds and subtracts marked contract">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def RetNetGPUWarpMmaSync : Pass<"retnet-gpu-warp-mma-sync"> {
  let summary = "Turn the warp tiles of matrix products into mma.sync, f32 "
                "ones as three tf32 products each";
  let description = [{
    For each `scf.forall` mapped to `#gpu.warp` (the warp tiles that
    retnet-gpu-distribute-linalg makes of a block's product), upstream's
    vector-to-mma preparation and `convertVectorToNVVMCompatibleMMASync`
    turn its `vector.contract` ops of the mma shape into `nvgpu.mma.sync`
    and their transfer reads and writes into per-lane loads and stores of
    the fragments (indexed by `gpu.lane_id`). It runs on each warp loop
    alone, not on whole kernels: upstream's slice analysis takes scalar
    loops elsewhere in a kernel for matrix code. A warp loop that keeps a
    `vector.contract` is an error.

    Then each `nvgpu.mma.sync` on f32 operands becomes three tf32
    mma.sync: each operand x is split into a high part h, x rounded to tf32
    (10 bits of mantissa, to nearest by adding half of the dropped part and
    clearing it), and a low part l, x - h (exact) rounded to tf32 too; the
    accumulator gets a_l * b_h, a_h * b_l and a_h * b_h, smallest first. The
    dropped a_l * b_l and the two roundings of the low parts are below about
    2^-21 of each product, the size of the f32 rounding of an accumulation,
    where a single tf32 product would be off by up to 2^-11: the model's f32
    numerics are kept (the "3xTF32" scheme) at three times the tensor-core
    work. With `tf32`, one tf32 product instead (about 10^-3 relative
    error per product: an opt-in mode).

    CUDA only: under --gpu-emulation the warp loops stay vector code.
  }];
  let options = [
    Option<"tf32", "tf32", "bool", /*default=*/"false",
           "One tf32 product per f32 mma.sync instead of three (faster, "
           "about 10^-3 relative error per product)">,
  ];
  let statistics = [
    Statistic<"numWarpLoops", "num-warp-loops",
              "Warp loops converted to mma.sync">,
    Statistic<"numSplit", "num-split",
              "f32 mma.sync products split into three tf32 ones">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // RETNET_CODEGEN_GPU_PASSES_TD
