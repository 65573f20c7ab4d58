//===- RetNetOps.h - RetNet model-graph ops ---------------------*- C++ -*-===//

#ifndef RETNET_RETNETOPS_H
#define RETNET_RETNETOPS_H

#include "RetNet/IR/RetNetDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "RetNet/IR/RetNetEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "RetNet/IR/RetNetAttrs.h.inc"

#define GET_OP_CLASSES
#include "RetNet/IR/RetNetOps.h.inc"

#endif // RETNET_RETNETOPS_H
