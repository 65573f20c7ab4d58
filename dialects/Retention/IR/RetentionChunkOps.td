//===- RetentionChunkOps.td - Pieces of the chunkwise form -*- tablegen -*-===//
//
// The chunkwise form split into three pieces that are each parallel over
// chunks or state elements, not only over batch x heads: the chunks' state
// contributions, the scan over chunks, and the chunks' outputs
// (retention-split-chunkwise). One sequence's prompt then has work for a
// whole GPU. Each piece tiles (TilingInterface) and decomposes into linalg
// (linalg::AggregatedOpInterface) like the retention ops.
//
//===----------------------------------------------------------------------===//

#ifndef RETENTION_CHUNK_OPS_TD
#define RETENTION_CHUNK_OPS_TD

/// [B, H, N, dk, dv]: one dk x dv matrix per chunk of each head.
def Retention_ChunkStatesTensor : Retention_TensorOf<[F32, F64], 5,
    "5-d tensor [B, H, N, dk, dv]">;

def Retention_ChunkStatesOp : Op<Retention_Dialect, "chunk_states",
    [Pure, DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "The state contribution of every chunk: (K_c * zeta)^T V_c";
  let description = [{
    For keys `k` (`tensor<B x H x T x dk x E>`) and values `v`
    (`tensor<B x H x T x dv x E>`) split into `N = ceil(T / chunk_size)`
    chunks (the last may be shorter), the contribution of each chunk `c` of
    `L_c` tokens to the state:

    ```
    deltas[b, h, c] = sum_{j < L_c} gamma^(L_c - 1 - j) k_(cC + j)^T v_(cC + j)
    ```

    a `tensor<B x H x N x dk x dv x S>` (S = f32, or f64 for f64 inputs).
    Chunks are independent: the iteration domain (batch, heads, chunks) is
    parallel. A tile of chunks `[c0, c0 + n)` reads the tokens
    `[c0 C, min((c0 + n) C, T))`.

    ```mlir
    %deltas = retention.chunk_states %k, %v gamma %gamma {chunk_size = 64}
        : tensor<1x8x?x64xf32>, tensor<1x8x?x128xf32>, tensor<8xf64>
        -> tensor<1x8x?x64x128xf32>
    ```
  }];
  let arguments = (ins Retention_InputTensor:$k, Retention_InputTensor:$v,
                       Retention_GammaTensor:$gamma,
                       ConfinedAttr<I64Attr, [IntPositive]>:$chunk_size);
  let results = (outs Retention_ChunkStatesTensor:$deltas);
  let assemblyFormat = [{
    $k `,` $v `gamma` $gamma attr-dict
    `:` type($k) `,` type($v) `,` type($gamma) `->` type($deltas)
  }];
  let hasVerifier = 1;
}

def Retention_ChunkScanOp : Op<Retention_Dialect, "chunk_scan",
    [Pure, DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "The state at the start of every chunk: a scan over chunks";
  let description = [{
    From the chunks' state contributions `deltas` (of `chunk_states`), the
    initial state `S0` (zero when absent) and the sequence length `T`
    (`length`), the state at the start of each chunk and the final state:

    ```
    starts[c = 0]   = S0
    starts[c + 1]   = gamma^(L_c) starts[c] + deltas[c]
    final_state     = gamma^(L_(N-1)) starts[N-1] + deltas[N-1]   (S0 if N = 0)
    ```

    with `L_c = min(C, T - c C)`. The chunks are sequential, the state
    elements are not: the iteration domain is (batch, heads, dk, dv), all
    parallel.

    ```mlir
    %starts, %final = retention.chunk_scan %deltas gamma %gamma state %s0
        length %t {chunk_size = 64}
        : tensor<1x8x?x64x128xf32>, tensor<8xf64>, tensor<1x8x64x128xf32>
        -> tensor<1x8x?x64x128xf32>, tensor<1x8x64x128xf32>
    ```
  }];
  let arguments = (ins Retention_ChunkStatesTensor:$deltas,
                       Retention_GammaTensor:$gamma,
                       Optional<Retention_StateTensor>:$initial_state,
                       Index:$length,
                       ConfinedAttr<I64Attr, [IntPositive]>:$chunk_size);
  let results = (outs Retention_ChunkStatesTensor:$starts,
                      Retention_StateTensor:$final_state);
  let assemblyFormat = [{
    $deltas `gamma` $gamma (`state` $initial_state^)? `length` $length
    attr-dict `:` type($deltas) `,` type($gamma)
    (`,` type($initial_state)^)? `->` type($starts) `,` type($final_state)
  }];
  let hasVerifier = 1;
}

def Retention_ChunkOutputsOp : Op<Retention_Dialect, "chunk_outputs",
    [Pure, DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "The outputs of every chunk from its starting state";
  let description = [{
    The chunkwise outputs, chunk by chunk, from the state at the start of
    each chunk (`starts`, of `chunk_scan`): for token `i` of chunk `c`,

    ```
    o_(cC + i) = s_(cC + i) * ( sum_{j <= i} gamma^(i - j) (q_(cC+i) . k_(cC+j)) v_(cC+j)
                                + gamma^(i + 1) q_(cC + i) starts[c] )
    ```

    with the output scaling `s` of the absolute position `offset + cC + i`
    as in the retention ops. Chunks are independent: the iteration domain
    (batch, heads, chunks) is parallel.

    ```mlir
    %o = retention.chunk_outputs %q, %k, %v, %starts gamma %gamma offset %p
        {chunk_size = 64, scaling = #retention.scaling<decay_sqrt_sum>}
        : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x128xf32>,
          tensor<1x8x?x64x128xf32>, tensor<8xf64> -> tensor<1x8x?x128xf32>
    ```
  }];
  let arguments = (ins Retention_InputTensor:$q, Retention_InputTensor:$k,
                       Retention_InputTensor:$v,
                       Retention_ChunkStatesTensor:$starts,
                       Retention_GammaTensor:$gamma,
                       Optional<Index>:$offset,
                       DefaultValuedAttr<Retention_ScalingAttr,
                           "::mlir::retention::Scaling::none">:$scaling,
                       ConfinedAttr<I64Attr, [IntPositive]>:$chunk_size);
  let results = (outs Retention_InputTensor:$output);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $starts `gamma` $gamma (`offset` $offset^)?
    attr-dict `:` type($q) `,` type($k) `,` type($v) `,` type($starts) `,`
    type($gamma) `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // RETENTION_CHUNK_OPS_TD
