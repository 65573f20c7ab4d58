//===- RetentionDialect.cpp - Retention dialect registration --------------===//

#include "Retention/RetentionDialect.h"
#include "Retention/RetentionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::retention;

#include "Retention/RetentionDialect.cpp.inc"
#include "Retention/RetentionEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Retention/RetentionAttrs.cpp.inc"

void RetentionDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Retention/RetentionAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Retention/RetentionOps.cpp.inc"
      >();
}
