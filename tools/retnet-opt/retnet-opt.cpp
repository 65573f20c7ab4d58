//===- retnet-opt.cpp - mlir-opt with the retnet dialects and passes ------===//

#include "retnet/InitRetNet.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::retnet::registerRetNetPasses();

  mlir::DialectRegistry registry;
  mlir::retnet::registerRetNetDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "retnet-opt: optimizer and pass driver for the retention and retnet "
      "dialects\n",
      registry));
}
