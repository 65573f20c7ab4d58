//===- RetNetDialect.h - RetNet model-graph dialect -------------*- C++ -*-===//

#ifndef RETNET_RETNETDIALECT_H
#define RETNET_RETNETDIALECT_H

#include "mlir/IR/Dialect.h"

#include "RetNet/IR/RetNetDialect.h.inc"

#endif // RETNET_RETNETDIALECT_H
