//===- ContractProducts.cpp - Let the kernels' products fuse into FMAs ----===//

#include "retnet/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::retnet {
#define GEN_PASS_DEF_RETNETGPUCONTRACTPRODUCTS
#include "retnet/Codegen/GPU/Passes.h.inc"
} // namespace mlir::retnet

using namespace mlir;

namespace {
struct ContractProducts
    : retnet::impl::RetNetGPUContractProductsBase<ContractProducts> {
  void runOnOperation() override {
    getOperation()->walk([&](Operation *op) {
      if (!isa<arith::MulFOp, arith::AddFOp, arith::SubFOp>(op))
        return;
      auto fastMath = cast<arith::ArithFastMathInterface>(op);
      arith::FastMathFlags flags = fastMath.getFastMathFlagsAttr().getValue();
      if (arith::bitEnumContainsAll(flags, arith::FastMathFlags::contract))
        return;
      op->setAttr(
          fastMath.getFastMathAttrName(),
          arith::FastMathFlagsAttr::get(
              op->getContext(), flags | arith::FastMathFlags::contract));
      ++numContracted;
    });
  }
};
} // namespace
