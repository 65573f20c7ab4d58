//===- Passes.h - Lowering of the retention dialect -------------*- C++ -*-===//

#ifndef RETNET_CONVERSION_PASSES_H
#define RETNET_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retnet {
#define GEN_PASS_DECL
#include "retnet/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "retnet/Conversion/Passes.h.inc"
} // namespace mlir::retnet

#endif // RETNET_CONVERSION_PASSES_H
