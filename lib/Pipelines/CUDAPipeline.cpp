//===- CUDAPipeline.cpp - retnet-cuda-pipeline ----------------------------===//

#include "retnet/Pipelines/Pipelines.h"

#include "retnet/Conversion/Passes.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::retnet::buildGPUKernelFormation(OpPassManager &pm, int64_t threads,
                                           bool workgroupMemory) {
  ConvertRetentionToGPUOptions retention;
  retention.threads = threads;
  retention.workgroupMemory = workgroupMemory;
  pm.addPass(createConvertRetentionToGPU(retention));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferization(pm);
  RetNetGPUDistributeLinalgOptions distribute;
  distribute.threads = threads;
  pm.addPass(createRetNetGPUDistributeLinalg(distribute));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retnet::buildCUDAPipeline(OpPassManager &pm,
                                     const CUDAPipelineOptions &options) {
  pm.addPass(createRetNetDecompose());
  addFormSelection(pm, options.form, options.chunkSize, "cuda");
  buildGPUKernelFormation(pm, options.threads, /*workgroupMemory=*/true);

  // Kernels and device buffers.
  pm.addPass(createRetNetForallToGPULaunch());
  pm.addPass(createRetNetHostBuffersToGPU());
  pm.addPass(createCanonicalizerPass());

  // Kernels outlined; the host's GPU operations made asynchronous on one
  // stream per function (gpu-to-llvm lowers allocations, copies and frees
  // in that form only).
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());

  // NVVM, cubin (ptxas) and host code calling the mgpu* runtime.
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = "bin";
  nvvm.optLevel = options.gpuOptLevel;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

void mlir::retnet::registerCUDAPipeline() {
  PassPipelineRegistration<CUDAPipelineOptions>(
      "retnet-cuda-pipeline",
      "Lower retention (any form) and linalg on tensors to host LLVM dialect "
      "code that launches CUDA kernels (embedded cubin) through the mgpu* "
      "runtime",
      [](OpPassManager &pm, const CUDAPipelineOptions &options) {
        buildCUDAPipeline(pm, options);
      });
}
