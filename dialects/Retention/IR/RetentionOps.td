//===- RetentionOps.td - Retention ops in three forms ------*- tablegen -*-===//

#ifndef RETENTION_OPS_TD
#define RETENTION_OPS_TD

include "Retention/IR/RetentionDialect.td"
include "Retention/IR/RetentionInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// A ranked tensor of `rank` dimensions and an element type of `elements`;
/// the verifier says "<summary> of <element types> values" was expected.
class Retention_TensorOf<list<Type> elements, int rank, string summary>
    : ContainerType<AnyTypeOf<elements>,
                    And<[IsRankedTensorTypePred, HasAnyRankOfPred<[rank]>]>,
                    "::llvm::cast<::mlir::ShapedType>($_self).getElementType()",
                    summary, "::mlir::RankedTensorType">;

def Retention_InputTensor : Retention_TensorOf<[F16, BF16, F32, F64], 4,
    "4-d tensor [B, H, T, d]">;
def Retention_StateTensor : Retention_TensorOf<[F32, F64], 4,
    "4-d tensor [B, H, dk, dv]">;
def Retention_GammaTensor : Retention_TensorOf<[F64], 1,
    "1-d tensor [H]">;

defvar RetentionSemantics = [{

    Operands, per batch element `b` and head `h`:

    - `q`, `k`: `tensor<B x H x T x dk x E>`; `v`: `tensor<B x H x T x dv x E>`,
      with `E` one of f16, bf16, f32, f64. `B` and `T` may be dynamic; `H`, `dk`
      and `dv` are static.
    - `gamma`: the decay of each head, `tensor<H x f64>`, each in (0, 1). It
      is an operand so that a tile of heads reads a slice of it and a model
      can take its decays from a checkpoint; the verifier checks the values
      of a constant `gamma`.
    - `state` (optional): the initial state `S0`, `tensor<B x H x dk x dv x S>`
      (key-major), with `S = f32` for f16/bf16/f32 inputs and `S = f64` for f64
      inputs. Absent means zero.
    - `offset` (optional, `index`): absolute position of the first token;
      absent means 0.

    Attribute `scaling`: the output scaling (`#retention.scaling<none>`, the
    default, or `#retention.scaling<decay_sqrt_sum>`).

    Results: the output `o`, `tensor<B x H x T x dv x E>`, and, when a second
    result type is written, the final state `tensor<B x H x dk x dv x S>`.

    Semantics (identical for every form), with `p_n = offset + n`:

    ```
    o_n = s_n * ( sum_{m <= n} gamma^(n-m) (q_n . k_m) v_m + gamma^(n+1) q_n S0 )
    S_T = gamma^T S0 + sum_{m < T} gamma^(T-1-m) k_m^T v_m
    s_n = 1                                         (scaling = none)
    s_n = 1 / sqrt((1 - gamma^(p_n+1)) / (1 - gamma)) (scaling = decay_sqrt_sum)
    ```

    The final state is never scaled.

    Every form is one *block formula* applied to blocks of L tokens of one
    head (`getBlockLength` says which): the whole sequence (parallel), one
    token (recurrent) or `chunk_size` tokens (chunkwise),

    ```
    O  = s * ((Q K^T * D) V + xi * (Q S)),   D[i,j] = gamma^(i-j) (j <= i), xi_i = gamma^(i+1)
    S' = gamma^L S + (K * zeta)^T V,         zeta_j = gamma^(L-1-j)
    ```

    Codegen interfaces: `TilingInterface` over the iteration domain
    (batch, heads, value columns), all parallel (every form is linear in v:
    a column of the output and of the final state depends on that column
    of v and of the initial state, with all of q and k): a tile is the same
    op on slices of q and k (batch rows, heads), v and the state (and value
    columns) and gamma (heads), so upstream tiling (`scf::tileUsingSCF`,
    `transform.structured.tile_using_forall`) and producer fusion apply;
    `linalg::AggregatedOpInterface`: an op whose batch and heads are both
    static 1 (a tile) decomposes into linalg, tensor and scf on that head's
    matrices (`transform.structured.decompose_interface`); and
    `ReifyRankedShapedTypeOpInterface` for the result shapes.

    Example:

    ```mlir
    %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
    %o, %s = retention.}];

class Retention_Op<string mnemonic, list<Trait> traits = []>
    : Op<Retention_Dialect, mnemonic,
         traits # [Pure, AttrSizedOperandSegments, RetentionOpInterface,
                   DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                       ["reifyResultShapes"]>]> {
  dag commonArguments = (ins
    Retention_InputTensor:$q,
    Retention_InputTensor:$k,
    Retention_InputTensor:$v,
    Retention_GammaTensor:$gamma,
    Optional<Retention_StateTensor>:$initial_state,
    Optional<Index>:$offset,
    DefaultValuedAttr<Retention_ScalingAttr,
                      "::mlir::retention::Scaling::none">:$scaling);
  let arguments = commonArguments;
  let results = (outs Retention_InputTensor:$output,
                      Optional<Retention_StateTensor>:$final_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v `gamma` $gamma (`state` $initial_state^)?
    (`offset` $offset^)? attr-dict
    `:` type($q) `,` type($k) `,` type($v) `,` type($gamma)
    (`,` type($initial_state)^)?
    `->` type($output) (`,` type($final_state)^)?
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::reifyResultShapes(
        ::mlir::OpBuilder &builder,
        ::mlir::ReifiedRankedShapedTypeDims &shapes) {
      return ::mlir::retention::reifyRetentionResultShapes(builder, *this,
                                                           shapes);
    }
  }];
}

def Retention_ParallelOp : Retention_Op<"parallel"> {
  let summary = "Retention in the parallel form: (Q K^T * D) V";
  let description = [{
    Computes retention with the whole sequence at once: per head, the
    `T x T` matrix `Q K^T` is masked with the causal decay matrix
    `D[n, m] = gamma^(n - m)` for `m <= n` (else 0) and multiplied by `V`; the
    initial state adds `gamma^(n+1) q_n S0`. Cost O(T^2) per head, all matrix
    products and no sequential dependency: the form for training and short
    prompts. Its block is the whole sequence.
  }] # RetentionSemantics # [{parallel %q, %k, %v gamma %gamma state %s0 offset %pos
        {scaling = #retention.scaling<decay_sqrt_sum>}
        : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>,
          tensor<2xf64>, tensor<1x2x16x32xf32>
        -> tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
    ```
  }];
  let builders = [
    OpBuilder<(ins "RetentionOpInterface":$source)>
  ];
  let extraClassDeclaration = [{
    /// The whole sequence is one block.
    std::optional<int64_t> getBlockLength() { return std::nullopt; }
  }];
}

def Retention_RecurrentOp : Retention_Op<"recurrent"> {
  let summary = "Retention in the recurrent form: S_n = gamma S_(n-1) + k_n^T v_n";
  let description = [{
    Computes retention token by token: per head the `dk x dv` state is updated
    as `S_n = gamma S_(n-1) + k_n^T v_n` and the output is `o_n = q_n S_n`.
    Cost O(1) per token and memory O(1) in T: the decoding form. Its blocks
    are single tokens.
  }] # RetentionSemantics # [{recurrent %q, %k, %v gamma %gamma state %s0 offset %pos
        : tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x32xf32>,
          tensor<2xf64>, tensor<1x2x16x32xf32>
        -> tensor<1x2x1x32xf32>, tensor<1x2x16x32xf32>
    ```
  }];
  let builders = [
    OpBuilder<(ins "RetentionOpInterface":$source)>
  ];
  let extraClassDeclaration = [{
    /// Blocks of one token.
    std::optional<int64_t> getBlockLength() { return 1; }
  }];
}

def Retention_ChunkwiseOp : Retention_Op<"chunkwise"> {
  let summary = "Retention in the chunkwise form: parallel in chunks, recurrent across";
  let description = [{
    Splits the sequence into chunks of `chunk_size` tokens (positive; the last
    chunk may be shorter). Inside chunk `c` the parallel form; across chunks
    the recurrence on the chunk-level state:

    ```
    O_c     = (Q_c K_c^T * D_C) V_c + (Q_c * xi) S_c,     xi_i   = gamma^(i+1)
    S_(c+1) = gamma^C S_c + (K_c * zeta)^T V_c,           zeta_j = gamma^(C-1-j)
    ```

    Cost O(T * chunk_size) per head: the form for long sequences. Its blocks
    are the chunks.
  }] # RetentionSemantics # [{chunkwise %q, %k, %v gamma %gamma {chunk_size = 64 : i64}
        : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x32xf32>,
          tensor<2xf64> -> tensor<?x2x?x32xf32>
    ```
  }];
  let arguments = !con(commonArguments,
                       (ins ConfinedAttr<I64Attr, [IntPositive]>:$chunk_size));
  let builders = [
    OpBuilder<(ins "RetentionOpInterface":$source, "int64_t":$chunkSize)>
  ];
  let extraClassDeclaration = [{
    /// Blocks of `chunk_size` tokens.
    std::optional<int64_t> getBlockLength() { return getChunkSize(); }
  }];
}

include "Retention/IR/RetentionChunkOps.td"

#endif // RETENTION_OPS_TD
