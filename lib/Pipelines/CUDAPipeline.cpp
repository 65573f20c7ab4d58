//===- CUDAPipeline.cpp - retnet-cuda-pipeline ----------------------------===//

#include "retnet/Pipelines/Pipelines.h"

#include "RetNet/Transforms/Passes.h"
#include "retnet/Codegen/Common/Passes.h"
#include "retnet/Codegen/GPU/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/OptimizeForNVVM.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <cstdlib>

using namespace mlir;

void mlir::retnet::buildGPUKernelFormation(OpPassManager &pm, int64_t threads,
                                           bool workgroupMemory,
                                           int64_t rowTileRows,
                                           TensorCoreMode tensorCores) {
  ConvertRetentionToGPUOptions retention;
  retention.threads = threads;
  pm.addPass(createConvertRetentionToGPU(retention));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferization(pm);
  pm.addPass(createRetNetGPUElideCopyBack());
  RetNetGPUDistributeLinalgOptions distribute;
  distribute.threads = threads;
  distribute.workgroupMemory = workgroupMemory;
  distribute.rowTileRows = rowTileRows;
  distribute.tensorCores = tensorCores != TensorCoreMode::Off;
  pm.addPass(createRetNetGPUDistributeLinalg(distribute));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createRetNetGPUMergeIndependentKernels());
}

std::string mlir::retnet::findCUDAToolkit(StringRef requested) {
  if (!requested.empty())
    return requested.str();
  for (const char *variable : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(variable); value && *value)
      return value;
  return "/usr/local/cuda";
}

/// Kernels to NVVM and cubin (ptxas, libdevice for the math functions), host
/// code to LLVM calling the mgpu* runtime.
static void addNVVMLowering(OpPassManager &pm,
                            const retnet::CUDAPipelineOptions &options) {
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertNVVMToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.gpuOptLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createStripDebugInfoPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(LLVM::createNVVMOptimizeForTargetPass());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());

  // The host's GPU operations in order on one stream per call (gpu-to-llvm
  // lowers allocations, copies and frees in asynchronous form only); right
  // before gpu-to-llvm, which gives it its meaning.
  pm.addPass(retnet::createRetNetGPUSingleStream());
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.gpuFormat;
  binary.toolkitPath = retnet::findCUDAToolkit(options.toolkit);
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::retnet::buildCUDAPipeline(OpPassManager &pm,
                                     const CUDAPipelineOptions &options) {
  addGraphDecomposition(pm);
  // CUDA model libraries store [K, N] matrices; kernels written with panels
  // read them directly too.
  pm.addPass(createRetNetFoldWeightPanels());
  addFormSelection(pm, options.form, options.chunkSize, "cuda");
  buildGPUKernelFormation(pm, options.threads, /*workgroupMemory=*/true,
                          options.gpuRowTileRows, options.gpuTensorCores);

  // The warp tiles' products to mma.sync (the emulation keeps them as
  // vector code), then kernels and device buffers.
  RetNetGPUWarpMmaSyncOptions mma;
  mma.tf32 = options.gpuTensorCores == TensorCoreMode::TF32;
  pm.addPass(createRetNetGPUWarpMmaSync(mma));
  pm.addPass(createRetNetForallToGPULaunch());
  pm.addPass(createRetNetHostBuffersToGPU());
  pm.addPass(createCanonicalizerPass());

  // Constants and index arithmetic defined outside a launch move into it, so
  // that they are not kernel parameters: ptxas then sees the trip counts
  // and strides.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<gpu::GPUModuleOp>(retnet::createRetNetGPUContractProducts());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertNVGPUToNVVMPass());

  addNVVMLowering(pm, options);
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
