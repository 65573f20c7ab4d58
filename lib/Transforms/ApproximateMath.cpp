//===- ApproximateMath.cpp - Polynomial f32 exp and erf -------------------===//

#include "retnet/Transforms/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETAPPROXIMATEMATH
#include "retnet/Transforms/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
struct RetNetApproximateMathPass
    : public retnet::impl::RetNetApproximateMathBase<
          RetNetApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name == "math.exp" || name == "math.erf";
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
