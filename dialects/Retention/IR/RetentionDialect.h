//===- RetentionDialect.h - Retention dialect declaration -------*- C++ -*-===//

#ifndef RETENTION_RETENTIONDIALECT_H
#define RETENTION_RETENTIONDIALECT_H

#include "mlir/IR/Dialect.h"

#include "Retention/IR/RetentionDialect.h.inc"

#endif // RETENTION_RETENTIONDIALECT_H
