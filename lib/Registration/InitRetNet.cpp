//===- InitRetNet.cpp - Registration of the dialects and passes -----------===//

#include "retnet/InitRetNet.h"

#include "RetNet/IR/RetNetDialect.h"
#include "RetNet/Transforms/Passes.h"
#include "Retention/IR/RetentionDialect.h"
#include "Retention/Transforms/Passes.h"
#include "retnet/Codegen/CPU/Passes.h"
#include "retnet/Codegen/Common/Passes.h"
#include "retnet/Codegen/GPU/Passes.h"
#include "retnet/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::retnet::registerRetNetDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<retention::RetentionDialect, RetNetDialect>();
}

void mlir::retnet::registerRetNetPasses() {
  retention::registerRetentionTransformsPasses();
  registerRetNetTransformsPasses();
  registerRetNetCodegenCommonPasses();
  registerRetNetCodegenCPUPasses();
  registerRetNetCodegenGPUPasses();
  registerCPUPipeline();
  registerCUDAPipeline();
}
