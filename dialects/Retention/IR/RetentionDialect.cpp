//===- RetentionDialect.cpp - Retention dialect registration --------------===//

#include "Retention/IR/RetentionDialect.h"
#include "Retention/IR/RetentionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::retention;

#include "Retention/IR/RetentionDialect.cpp.inc"
#include "Retention/IR/RetentionEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Retention/IR/RetentionAttrs.cpp.inc"

void RetentionDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Retention/IR/RetentionAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Retention/IR/RetentionOps.cpp.inc"
      >();
  attachTilingInterface(*getContext());
  attachChunkTilingInterface(*getContext());
  attachDecompositionInterface(*getContext());
}
