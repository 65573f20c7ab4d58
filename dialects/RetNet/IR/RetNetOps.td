//===- RetNetOps.td - The RetNet model-graph dialect -------*- tablegen -*-===//

#ifndef RETNET_OPS_TD
#define RETNET_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def RetNet_Dialect : Dialect {
  let name = "retnet";
  let cppNamespace = "::mlir::retnet";
  let summary = "The model graph of a Retentive Network";
  let description = [{
    Ops at the granularity of a RetNet model (docs/numerics.md sections 2-5):
    token embedding, RMS norm, linear layers, residual updates, the
    multi-scale retention layer and the feed-forward (GLU, or two layers with
    biases). `retnet-decompose`
    lowers them to `retention` ops and linalg/tensor/arith/math on tensors.

    Activations are `tensor<B x T x d x f32>` (batch, tokens, width). Weights
    of linear maps are stored input-major, `[in, out]`, that is the
    transpose of torch's `nn.Linear.weight`; the runtime lays them out so when
    it loads a checkpoint.
  }];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
  let useDefaultAttributePrinterParser = 1;
}

def RetNet_Activation : I32EnumAttr<"Activation", "feed-forward activation", [
  I32EnumAttrCase<"gelu", 0>,
  I32EnumAttrCase<"swish", 1>,
  I32EnumAttrCase<"relu", 2>
]> {
  let cppNamespace = "::mlir::retnet";
  let genSpecializedAttr = 0;
}

def RetNet_ActivationAttr
    : EnumAttr<RetNet_Dialect, RetNet_Activation, "activation"> {
  let summary = "Activation of the feed-forward: `gelu` (exact, erf), "
                "`swish` (silu) or `relu`";
  let assemblyFormat = "`<` $value `>`";
}

defvar F32Tensor2D = TensorRankOf<[F32], [2]>;
defvar F32Tensor3D = TensorRankOf<[F32], [3]>;
// Weight matrices (the embedding table and those that products multiply
// by): f32, or bf16/f16 weights that their users widen to f32
// (retnet-compile --weight-type).
defvar WeightMatrix = TensorRankOf<[F32, BF16, F16], [2]>;

class RetNet_Op<string mnemonic, list<Trait> traits = []>
    : Op<RetNet_Dialect, mnemonic, traits # [Pure]> {
  let hasVerifier = 1;
}

def RetNet_DequantizeOp : RetNet_Op<"dequantize"> {
  let summary = "Int8 weights with scales per channel or per group, as f32";
  let description = [{
    `W[i, j] = Q[i, j] * scales[j]` with `axis = 1` (a scale per column: the
    output channels of a matrix that products multiply by) or
    `W[i, j] = Q[i, j] * scales[i]` with `axis = 0` (a scale per row: the
    embedding table's tokens). With `group = G` each channel has a scale
    per G consecutive elements along the other dimension (the reduction of
    a product): `W[i, j] = Q[i, j] * scales[i floordiv G, j]` (`axis = 1`,
    scales `[rows / G, columns]`) or `Q[i, j] * scales[i, j floordiv G]`
    (`axis = 0`, scales `[rows, columns / G]`); G divides that dimension.
    `retnet-compile --weight-type=int8` gives every weight matrix this form.
    Its users read it without building the f32 matrix: a product
    accumulates `x Q` and scales its columns once (per channel) or
    converts and scales each weight in registers (per group); the
    embedding widens and scales the rows it gathers.

    ```mlir
    %w = retnet.dequantize %q, %s {axis = 1 : i64}
        : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
    %g = retnet.dequantize %q, %t {axis = 1 : i64, group = 32 : i64}
        : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins TensorRankOf<[I8], [2]>:$quantized,
                       TensorRankOf<[F32], [1, 2]>:$scales, I64Attr:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$group);
  let results = (outs F32Tensor2D:$result);
  let assemblyFormat = [{
    $quantized `,` $scales attr-dict `:` type($quantized) `,` type($scales)
    `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The map from the matrix's (row, column) to its scale's indices.
    ::mlir::AffineMap getScaleMap();
  }];
}

def RetNet_EmbeddingOp : RetNet_Op<"embedding"> {
  let summary = "Token embedding: h = scale * E[token]";
  let description = [{
    Gathers row `tokens[b, t]` of the table `E` (`[vocab, d]`) for every batch
    row and position, multiplied by `scale` (1, or sqrt(d) unless
    `no_scale_embedding`). Token ids must lie in `[0, vocab)`; the runtime
    checks them before calling compiled code.

    ```mlir
    %h = retnet.embedding %tokens, %table {scale = 1.0 : f64}
        : tensor<?x?xi32>, tensor<1000x64xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins TensorRankOf<[I32], [2]>:$tokens, WeightMatrix:$table,
                       F64Attr:$scale);
  let results = (outs F32Tensor3D:$result);
  let assemblyFormat = [{
    $tokens `,` $table attr-dict `:` type($tokens) `,` type($table) `->`
    type($result)
  }];
}

def RetNet_RMSNormOp : RetNet_Op<"rms_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS norm over the last dimension, with an optional weight";
  let description = [{
    `y = x / sqrt(mean(x^2) + eps)` over the last dimension, computed in f32,
    then multiplied elementwise by `weight` (`[d]`) when given.

    ```mlir
    %y = retnet.rms_norm %x weight %w {eps = 1.0e-6 : f64}
        : tensor<?x?x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins F32Tensor3D:$input,
                       Optional<TensorRankOf<[F32], [1]>>:$weight,
                       F64Attr:$eps);
  let results = (outs F32Tensor3D:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? attr-dict `:` type($input)
    (`,` type($weight)^)?
  }];
}

def RetNet_LinearOp : RetNet_Op<"linear"> {
  let summary = "Linear map without bias: y = x W, W stored [in, out]";
  let description = [{
    `y[b, t, j] = sum_i x[b, t, i] W[i, j]`. `W` is input-major (torch's
    weight transposed).

    ```mlir
    %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x256xf32>
        -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins F32Tensor3D:$input, WeightMatrix:$weight);
  let results = (outs F32Tensor3D:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->`
    type($result)
  }];
}

def RetNet_ResidualOp : RetNet_Op<"residual",
    [AllTypesMatch<["input", "update", "result"]>]> {
  let summary = "Residual update: y = alpha * x + update";
  let description = [{
    `alpha` is `(2 L)^(1/4)` with deepnorm, else 1.

    ```mlir
    %h2 = retnet.residual %h, %f {alpha = 1.0 : f64} : tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins F32Tensor3D:$input, F32Tensor3D:$update,
                       F64Attr:$alpha);
  let results = (outs F32Tensor3D:$result);
  let assemblyFormat = "$input `,` $update attr-dict `:` type($input)";
}

def RetNet_MultiScaleRetentionOp : RetNet_Op<"msr", [AttrSizedOperandSegments]> {
  let summary = "Multi-scale retention layer (docs/numerics.md section 4)";
  let description = [{
    For input `x` (`[B, T, d]`, already normalised by the block), with
    `H` heads (the length of `gamma`, the decay of each head, f64 in
    (0, 1): an operand, so that a model takes its decays from the checkpoint
    at run time), `dk = d / H`, `dv = value_dim / H`:

    ```
    [q | k | v | g] = x W_in                W_in: [d, 2d + 2 value_dim]
    k *= dk^-0.5; q, k = rot(q), rot(k)     xPos rotation at absolute positions
    o = retention(q, k, v)                  per head, decay gamma_h, decay_sqrt_sum scaling
    o = o / sqrt(mean_dv(o^2) + eps)        per head, no weight
    y = (silu(g) * concat_heads(o)) W_out   W_out: [value_dim, d]
    ```

    The rotation of position `p` uses `theta_j = 10000^(-j / (dk/2 - 1))`,
    each repeated twice, and maps each pair `(x_2j, x_2j+1)` to
    `(x_2j cos - x_2j+1 sin, x_2j+1 cos + x_2j sin)` of angle `p theta_j`.
    `state` (`[B, H, dk, dv]`, f32) and `offset` (absolute position of the
    first token) continue a sequence; a second result type asks for the final
    state. `row_offsets` (`tensor<B x i64>`) instead gives each batch row
    its own position, so that rows holding independent sequences (a
    server's slots) advance together.

    ```mlir
    %y, %s = retnet.msr %x, %w_in, %w_out, %gamma state %s0 offset %pos
        {eps = 1.0e-6 : f64}
        : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>,
          tensor<2xf64>, tensor<?x2x32x64xf32>
        -> tensor<?x?x64xf32>, tensor<?x2x32x64xf32>
    ```
  }];
  let arguments = (ins F32Tensor3D:$input, WeightMatrix:$in_proj,
                       WeightMatrix:$out_proj, TensorRankOf<[F64], [1]>:$gamma,
                       Optional<TensorRankOf<[F32], [4]>>:$initial_state,
                       Optional<Index>:$offset,
                       Optional<TensorRankOf<[I64], [1]>>:$row_offsets,
                       F64Attr:$eps);
  let results = (outs F32Tensor3D:$output,
                      Optional<TensorRankOf<[F32], [4]>>:$final_state);
  let assemblyFormat = [{
    $input `,` $in_proj `,` $out_proj `,` $gamma (`state` $initial_state^)?
    (`offset` $offset^)?
    (`row_offsets` $row_offsets^ `:` type($row_offsets))?
    attr-dict `:` type($input) `,` type($in_proj) `,`
    type($out_proj) `,` type($gamma) (`,` type($initial_state)^)? `->`
    type($output)
    (`,` type($final_state)^)?
  }];
  let extraClassDeclaration = [{
    int64_t getNumHeads() { return getGamma().getType().getDimSize(0); }
    int64_t getModelDim() { return getInput().getType().getDimSize(2); }
    int64_t getValueEmbedDim() { return getOutProj().getType().getDimSize(0); }
    int64_t getKeyDim() { return getModelDim() / getNumHeads(); }
    int64_t getValueDim() { return getValueEmbedDim() / getNumHeads(); }
  }];
}

def RetNet_GLUOp : RetNet_Op<"glu"> {
  let summary = "Gated feed-forward: (act(x W1) * (x Wgate)) W2";
  let description = [{
    `W_up` holds `W1` and `Wgate` side by side (`[d, 2 ffn]`), `W_down` is
    `[ffn, d]`; `act` is the exact (erf) gelu or swish (x sigmoid(x)).

    ```mlir
    %y = retnet.glu %x, %w_up, %w_down {activation = #retnet.activation<gelu>}
        : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32>
        -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins F32Tensor3D:$input, WeightMatrix:$up_proj,
                       WeightMatrix:$down_proj,
                       RetNet_ActivationAttr:$activation);
  let results = (outs F32Tensor3D:$result);
  let assemblyFormat = [{
    $input `,` $up_proj `,` $down_proj attr-dict `:` type($input) `,`
    type($up_proj) `,` type($down_proj) `->` type($result)
  }];
}

def RetNet_FeedForwardOp : RetNet_Op<"ffn", [AttrSizedOperandSegments]> {
  let summary = "Two-layer feed-forward with biases: norm?(act(x W1 + b1)) W2 + b2";
  let description = [{
    The feed-forward of models without GLU (`use_glu: false`). `W1` is
    `[d, ffn]`, `W2` `[ffn, d]`, `b1` `[ffn]`, `b2` `[d]`. With `norm`
    (torchscale's `subln`), the activations are layer-normalised over the
    `ffn` dimension before `W2`: `(h - mean) / sqrt(var + eps) * w + b`, with
    the biased variance, `w` and `b` `[ffn]`; `eps` is required then.

    ```mlir
    %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %ln_w, %ln_b
        {activation = #retnet.activation<relu>, eps = 1.0e-6 : f64}
        : tensor<?x?x64xf32>, tensor<64x128xf32>, tensor<128xf32>,
          tensor<128x64xf32>, tensor<64xf32>, tensor<128xf32>, tensor<128xf32>
        -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins F32Tensor3D:$input, WeightMatrix:$up_proj,
                       TensorRankOf<[F32], [1]>:$up_bias,
                       WeightMatrix:$down_proj,
                       TensorRankOf<[F32], [1]>:$down_bias,
                       Optional<TensorRankOf<[F32], [1]>>:$norm_weight,
                       Optional<TensorRankOf<[F32], [1]>>:$norm_bias,
                       RetNet_ActivationAttr:$activation,
                       OptionalAttr<F64Attr>:$eps);
  let results = (outs F32Tensor3D:$result);
  let assemblyFormat = [{
    $input `,` $up_proj `,` $up_bias `,` $down_proj `,` $down_bias
    (`norm` $norm_weight^ `,` $norm_bias)? attr-dict `:` type($input) `,`
    type($up_proj) `,` type($up_bias) `,` type($down_proj) `,`
    type($down_bias) (`,` type($norm_weight)^ `,` type($norm_bias))? `->`
    type($result)
  }];
}

#endif // RETNET_OPS_TD
