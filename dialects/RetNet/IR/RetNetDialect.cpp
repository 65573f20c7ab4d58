//===- RetNetDialect.cpp - RetNet dialect registration --------------------===//

#include "RetNet/IR/RetNetDialect.h"
#include "RetNet/IR/RetNetOps.h"
#include "Retention/IR/RetentionDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::retnet;

#include "RetNet/IR/RetNetDialect.cpp.inc"
#include "RetNet/IR/RetNetEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "RetNet/IR/RetNetAttrs.cpp.inc"

void RetNetDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "RetNet/IR/RetNetAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "RetNet/IR/RetNetOps.cpp.inc"
      >();
}
