//===- RetentionDialect.td - Retention dialect definition --*- tablegen -*-===//

#ifndef RETENTION_DIALECT_TD
#define RETENTION_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Retention_Dialect : Dialect {
  let name = "retention";
  let cppNamespace = "::mlir::retention";
  let summary = "Retention (RetNet) in its parallel, recurrent and chunkwise forms";
  let description = [{
    The `retention` dialect holds the retention operator of Retentive Networks
    (Sun et al. 2023) in its three equivalent forms: `retention.parallel`,
    `retention.recurrent` and `retention.chunkwise`. All three ops have the same
    operands, attributes, results and semantics; the op only says *how* the
    result is to be computed. Passes rewrite between the forms
    (`retention-to-parallel`, `retention-to-recurrent`,
    `retention-to-chunkwise`, `retention-select-form`) and lower them
    (`convert-retention-to-linalg`, `convert-retention-to-gpu`). Every pass
    reads the ops through `RetentionOpInterface`. Canonicalization keeps the
    form: it drops an initial state that is a constant zero, an offset that
    is the constant 0, and a final state that has no uses.

    Per batch element and head, with decay `0 < gamma < 1`:

    ```
    o_n = s_n * ( sum_{m <= n} gamma^(n-m) (q_n . k_m) v_m  +  gamma^(n+1) q_n S0 )
    S_T = gamma^T S0 + sum_{m < T} gamma^(T-1-m) k_m^T v_m
    ```

    where `S0` is the optional initial state (zero when absent) and `s_n` is the
    output scaling: `1` for `none`, and `1 / sqrt(sum_{t=0}^{p} gamma^t)` for
    `decay_sqrt_sum`, with `p = offset + n` the absolute position of token `n`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 1;
}

def Retention_Scaling : I32EnumAttr<"Scaling", "output scaling of retention", [
  I32EnumAttrCase<"none", 0>,
  I32EnumAttrCase<"decay_sqrt_sum", 1>
]> {
  let cppNamespace = "::mlir::retention";
  let genSpecializedAttr = 0;
}

def Retention_ScalingAttr : EnumAttr<Retention_Dialect, Retention_Scaling, "scaling"> {
  let summary = "Output scaling of retention: `none` or `decay_sqrt_sum`";
  let assemblyFormat = "`<` $value `>`";
}

#endif // RETENTION_DIALECT_TD
