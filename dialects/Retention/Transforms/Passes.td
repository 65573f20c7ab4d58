//===- Passes.td - Retention form rewrites and selection ---*- tablegen -*-===//

#ifndef RETENTION_TRANSFORMS_PASSES_TD
#define RETENTION_TRANSFORMS_PASSES_TD

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

    - T <= recurrent-max-length (at least 1): `retention.recurrent` (one
      pass over the state per token, O(dk dv) per head and token);
    - T <= parallel-max-length: `retention.parallel` (one block of matrix
      products, no sequential dependency);
    - otherwise, and whenever T is dynamic: `retention.chunkwise` with the
      target's chunk size.

    Defaults per target, from benchmarks/README.md (retention-bench, B1 H8
    dk64 dv128, fp32, 2 cores):

    | target | recurrent-max-length | parallel-max-length | chunk-size |
    |---|---|---|---|
    | cpu  | 4 | 64  | 64  |
    | cuda | 1 | 256 | 64  |

    On the CPU the recurrent form reads and writes the state once per token,
    which beats the parallel form's block (its own passes over the state
    for `Q S` and the update, and the `T x T` scores) up to T = 4 (medians
    0.014 and 0.020 ms against 0.038 and 0.050 ms at T = 2 and 4); the two
    are about even at T = 8, and recurrent falls behind from T = 12. The
    parallel form does O(T^2) work where chunkwise does O(T C): at T = 512
    parallel takes 4.0 ms and chunkwise 0.77 ms; at T <= C the two are the
    same computation (one block), so parallel is chosen up to one chunk.
    Chunks of 64 beat chunks of 128 (T = 2048: 3.0 ms against 4.0 ms). The
    cuda values are placeholders until the CUDA target is measured; its
    chunk size is bounded by the `C x C` score tile that
    convert-retention-to-gpu keeps in the 48 KiB of static workgroup memory
    of a block. Any option may be set to override the target's
    default (0 keeps the default).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Target whose costs to use: cpu or cuda">,
    Option<"recurrentMaxLength", "recurrent-max-length", "int64_t",
           /*default=*/"0",
           "Longest static T lowered in the recurrent form (0: target "
           "default; T = 1 is always recurrent)">,
    Option<"parallelMaxLength", "parallel-max-length", "int64_t",
           /*default=*/"0",
           "Longest static T lowered in the parallel form (0: target default)">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"0",
           "Chunk size of the chunkwise form (0: target default)">
  ];
  let statistics = [
    Statistic<"numParallel", "num-parallel",
              "Retention ops given the parallel form">,
    Statistic<"numRecurrent", "num-recurrent",
              "Retention ops given the recurrent form">,
    Statistic<"numChunkwise", "num-chunkwise",
              "Retention ops given the chunkwise form">
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def RetentionSplitChunkwise : Pass<"retention-split-chunkwise"> {
  let summary = "Split each chunkwise op into its chunk-parallel pieces";
  let description = [{
    Rewrites every `retention.chunkwise` op into the three pieces of the
    chunkwise form, each parallel over chunks or state elements rather than
    only over batch x heads:

    ```
    %deltas = retention.chunk_states %k, %v gamma %g {chunk_size = C}
    %starts, %final = retention.chunk_scan %deltas gamma %g [state %s0]
        length %T {chunk_size = C}
    %o = retention.chunk_outputs %q, %k, %v, %starts gamma %g [offset %p]
        {chunk_size = C, scaling = ...}
    ```

    with the same results. The pieces cost the chunk states of the whole
    sequence (`B H ceil(T/C) dk dv` values, twice) instead of one state per
    head, for the parallelism of one sequence's prompt across chunks.
  }];
  let dependentDialects = ["::mlir::retention::RetentionDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // RETENTION_TRANSFORMS_PASSES_TD
