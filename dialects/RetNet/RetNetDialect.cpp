//===- RetNetDialect.cpp - RetNet dialect registration --------------------===//

#include "RetNet/RetNetDialect.h"
#include "RetNet/RetNetOps.h"
#include "Retention/RetentionDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::retnet;

#include "RetNet/RetNetDialect.cpp.inc"
#include "RetNet/RetNetEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "RetNet/RetNetAttrs.cpp.inc"

void RetNetDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "RetNet/RetNetAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "RetNet/RetNetOps.cpp.inc"
      >();
}
