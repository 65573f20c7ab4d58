//===- CPUPipeline.cpp - retnet-cpu-pipeline ------------------------------===//

#include "retnet/Pipelines/Pipelines.h"

#include "RetNet/Transforms/Passes.h"
#include "Retention/Transforms/Passes.h"
#include "retnet/Codegen/CPU/Passes.h"
#include "retnet/Codegen/Common/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

static void addLoopsToLLVM(OpPassManager &pm,
                           const retnet::CPUPipelineOptions &options);

void mlir::retnet::buildCPUPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  addGraphDecomposition(pm);
  // Products read panel-packed weights directly (before the GPU-kernel
  // branch too: an unpack left there would be a copy of every weight).
  pm.addPass(retnet::createRetNetFoldWeightPanels());
  addFormSelection(pm, options.form, options.chunkSize, "cpu");
  if (options.splitChunkwise)
    pm.addPass(retention::createRetentionSplitChunkwise());
  if (options.gpuKernels) {
    // The CUDA target's kernels, with their block and thread loops run as
    // CPU loops (OpenMP over blocks).
    buildGPUKernelFormation(pm, /*threads=*/256, /*workgroupMemory=*/false,
                            options.gpuRowTileRows, options.gpuTensorCores);
    addLoopsToLLVM(pm, options);
    return;
  }
  retnet::ConvertRetentionToLinalgOptions retention;
  retention.valueTile = options.retentionValueTile;
  pm.addPass(retnet::createConvertRetentionToLinalg(retention));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Matrix products to register tiles of vector.contract, with the
  // accumulator tile carried in registers across the reduction loop.
  if (options.vectorize) {
    retnet::RetNetVectorizeContractionsOptions tiling;
    tiling.tileSizes.assign(options.registerTile.begin(),
                            options.registerTile.end());
    tiling.threadTileSizes.assign(options.threadTile.begin(),
                                  options.threadTile.end());
    pm.addPass(retnet::createRetNetVectorizeContractions(tiling));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addPass(createLoopInvariantSubsetHoistingPass());
    pm.addPass(createCanonicalizerPass());
  }

  // The element-wise work between products, in row tiles on every thread.
  pm.addPass(retnet::createRetNetTileElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Tensors -> buffers, with deallocation.
  addBufferization(pm);

  // Software prefetches ahead of the streams that the products' reductions
  // and the innermost loops read.
  if (options.vectorize) {
    retnet::RetNetPrefetchStreamsOptions prefetch;
    prefetch.distance = options.prefetchDistance;
    pm.addPass(retnet::createRetNetPrefetchStreams(prefetch));
  }

  addLoopsToLLVM(pm, options);
}

/// Buffers, linalg and scf.forall -> LLVM: loops, OpenMP over the foralls,
/// vectors, LLVM dialect.
static void addLoopsToLLVM(OpPassManager &pm,
                           const retnet::CPUPipelineOptions &options) {
  // Loops, with batch x heads (scf.forall) on OpenMP threads.
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createForallToParallelLoopPass());
  ConvertSCFToOpenMPPassOptions openmp;
  openmp.numThreads = options.threads;
  pm.addPass(createConvertSCFToOpenMPPass(openmp));

  // Vector transfers to 1-d loads and stores; contractions to outer products
  // (broadcast + FMA).
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));

  // bf16 conversions as integer arithmetic (round to nearest even, NaN
  // kept): without AVX512-BF16 LLVM would call __truncsfbf2, which the
  // libgcc of Debian 12 lacks, so the library would not load.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));

  // To the LLVM dialect. memref.alloca_scope (from the OpenMP conversion)
  // holds a single block, so memrefs are lowered before scf.for becomes cf.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLibmPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::retnet::registerCPUPipeline() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "retnet-cpu-pipeline",
      "Lower retention (any form) and linalg on tensors to the LLVM dialect "
      "for the host CPU, multi-threaded over batch x heads with OpenMP",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildCPUPipeline(pm, options);
      });
}
