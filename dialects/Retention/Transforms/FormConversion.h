//===- FormConversion.h - Rewriting a retention op into a form --*- C++ -*-===//

#ifndef RETENTION_TRANSFORMS_FORMCONVERSION_H
#define RETENTION_TRANSFORMS_FORMCONVERSION_H

#include "Retention/IR/RetentionOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::retention {
/// The three forms of retention.
enum class RetentionForm { Parallel, Recurrent, Chunkwise };

/// Replaces `op` by the op of form `form` (with `chunkSize` for the chunkwise
/// form) with the same operands, attributes and results. Fails, changing
/// nothing, when `op` already is of that form (and chunk size).
LogicalResult rewriteToForm(RewriterBase &rewriter, RetentionOpInterface op,
                            RetentionForm form, int64_t chunkSize = 0);

/// Adds a pattern that rewrites every retention op into `form`.
void populateRetentionToFormPatterns(RewritePatternSet &patterns,
                                     RetentionForm form, int64_t chunkSize = 0);
/// Adds the pattern of retention-split-chunkwise: every chunkwise op into
/// chunk_states, chunk_scan and chunk_outputs.
void populateSplitChunkwisePatterns(RewritePatternSet &patterns);
} // namespace mlir::retention

#endif // RETENTION_TRANSFORMS_FORMCONVERSION_H
