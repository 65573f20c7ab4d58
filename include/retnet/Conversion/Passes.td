//===- Passes.td - Lowering of the retention dialect -------*- tablegen -*-===//

#ifndef RETNET_CONVERSION_PASSES_TD
#define RETNET_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRetentionToLinalg : Pass<"convert-retention-to-linalg"> {
  let summary = "Lower retention ops of every form to linalg, tensor and scf";
  let description = [{
    Lowers each retention op on tensors, keeping its form:

    - the whole op becomes one `scf.forall` over batch x heads (the unit of
      multi-threading), whose body works on `T x dk` and `T x dv` matrices of
      one head; with a static single token (decoding), whose work per head is
      one `dk x dv` state update, far below the cost of an OpenMP fork and
      join, a sequential `scf.for` nest over batch and heads instead;
    - every form is a sequence of *blocks* of L tokens. A block computes
      `O = s * ((Q K^T * D) V + xi * (Q S))` and
      `S' = gamma^L S + (K * zeta)^T V` with linalg contractions
      (`D[i,j] = gamma^(i-j)` for `j <= i`, `xi_i = gamma^(i+1)`,
      `zeta_j = gamma^(L-1-j)`, `s` the output scaling);
    - parallel: one block of the whole sequence; chunkwise: an `scf.for` over
      full chunks of static size C carrying the state, with the decay tables
      hoisted out of the loop, then one shorter block for the rest;
      recurrent: an `scf.for` over tokens with blocks of one token (the block
      formula then reduces to `S_n = gamma S_(n-1) + k_n^T v_n`,
      `o_n = q_n S_n`).

    f16 and bf16 inputs are computed in f32, f64 in f64. Decay powers are
    computed as exponentials of `ln(gamma)` (a compile-time constant), the
    `decay_sqrt_sum` scale with `expm1` in f64.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertRetentionToGPU : Pass<"convert-retention-to-gpu"> {
  let summary = "Lower retention ops of every form to GPU block/thread loop "
                "nests on buffers";
  let description = [{
    Lowers each retention op to `scf.forall` loops mapped to GPU blocks
    (`#gpu.block<...>`) whose bodies are *phases*: `scf.forall` loops over
    the block's threads (`#gpu.thread<x>`), each thread handling the elements
    `t, t + N, ...` of the phase. A phase reads only what earlier phases wrote,
    so the end of each thread loop (a barrier on the GPU) is the only
    synchronisation. The operands are read through `bufferization.to_buffer`
    and the results are fresh buffers (`bufferization.to_tensor restrict`),
    so the rest of the function bufferizes as usual.

    - chunkwise: three block loops, parallel over chunks or state elements
      (not only batch x heads): per (batch, head, chunk) the chunk's state
      contribution `(K * zeta)^T V` into a chunk-state buffer; per (batch,
      head, group of state elements) the scan `S = gamma^L S + dS` over
      chunks, leaving each chunk's starting state and the final state; per
      (batch, head, chunk) the decay factors of its rows (xi, scale) in a
      `[3, C]` tile, the masked scores `(Q K^T) * D` in a `[C, C]` tile (both
      workgroup memory) and the outputs `s ((Q K^T * D) V + xi (Q S))`. A
      chunk size whose tiles exceed the 48 KiB of static workgroup memory of
      a block (C > 64 in f64, C > 108 in f32) runs as chunks of the largest
      power of two that fits (the chunkwise formula gives the same result
      for any chunk size, up to rounding).
    - recurrent (decoding): one block per (batch, head) running the tokens
      in order as chunks of one token, the state in global memory.
    - parallel: one block per (batch, head, query tile of `parallel-tile`
      rows), looping over the key tiles up to the diagonal and accumulating
      in a compute-type buffer; the initial state's term and the scale come
      with the diagonal tile. The final state, when used, is a second loop
      nest over (batch, head) and key tiles.

    Numerics follow convert-retention-to-linalg: f16/bf16 computed in f32,
    decay powers as exponentials of ln(gamma), the scale with expm1 in f64.
    With `workgroup-memory=false` the tiles live in default memory, so the
    same loop nests run on a CPU (every thread loop in sequence), which is
    how the kernels' arithmetic is tested without a GPU.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads of each block (at most 1024)">,
    Option<"parallelTile", "parallel-tile", "int64_t", /*default=*/"64",
           "Query and key tile of the parallel form (at most 64)">,
    Option<"workgroupMemory", "workgroup-memory", "bool", /*default=*/"true",
           "Keep block tiles in GPU workgroup memory">,
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

def RetNetForallToGPULaunch : Pass<"retnet-forall-to-gpu-launch"> {
  let summary = "Turn scf.forall nests mapped to GPU blocks and threads into "
                "gpu.launch";
  let description = [{
    Rewrites each normalized `scf.forall` on buffers whose mapping is
    `#gpu.block<...>` (and that is not inside another forall) into a
    `gpu.launch` with one block per iteration: the forall's indices become
    `gpu.block_id`s in the order of its mapping. Inside, every
    one-dimensional `#gpu.thread<x>` forall of static extent N becomes its
    body run by thread `gpu.thread_id x` (guarded by `thread_id < N` when the
    block has more threads) followed by `gpu.barrier`; the block has as many
    threads as its widest thread loop. Static `memref.alloca`s in workgroup
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

#endif // RETNET_CONVERSION_PASSES_TD
