//===- retnet-opt.cpp - mlir-opt with the retnet dialects and passes ------===//

#include "RetNet/RetNetDialect.h"
#include "Retention/RetentionDialect.h"
#include "retnet/Conversion/Passes.h"
#include "retnet/Pipelines/Pipelines.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::retnet::registerRetNetTransformsPasses();
  mlir::retnet::registerRetNetConversionPasses();
  mlir::retnet::registerCPUPipeline();
  mlir::retnet::registerCUDAPipeline();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry
      .insert<mlir::retention::RetentionDialect, mlir::retnet::RetNetDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "retnet-opt: optimizer and pass driver for the retention and retnet "
      "dialects\n",
      registry));
}
