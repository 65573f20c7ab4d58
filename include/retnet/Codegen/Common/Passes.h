//===- Passes.h - Codegen passes of every target ----------------*- C++ -*-===//

#ifndef RETNET_CODEGEN_COMMON_PASSES_H
#define RETNET_CODEGEN_COMMON_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::retnet {
#define GEN_PASS_DECL
#include "retnet/Codegen/Common/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "retnet/Codegen/Common/Passes.h.inc"
} // namespace mlir::retnet

#endif // RETNET_CODEGEN_COMMON_PASSES_H
