//===- CPUPipeline.cpp - retnet-cpu-pipeline ------------------------------===//

#include "retnet/Pipelines/Pipelines.h"

#include "retnet/Conversion/Passes.h"
#include "retnet/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// Adds the pass that puts every retention op into the requested form.
static void addFormSelection(OpPassManager &pm,
                             const retnet::CPUPipelineOptions &options) {
  switch (options.form) {
  case retnet::FormChoice::Keep:
    break;
  case retnet::FormChoice::Auto: {
    retnet::RetentionSelectFormOptions select;
    select.target = "cpu";
    select.chunkSize = options.chunkSize;
    pm.addPass(retnet::createRetentionSelectForm(select));
    break;
  }
  case retnet::FormChoice::Parallel:
    pm.addPass(retnet::createRetentionToParallel());
    break;
  case retnet::FormChoice::Recurrent:
    pm.addPass(retnet::createRetentionToRecurrent());
    break;
  case retnet::FormChoice::Chunkwise: {
    retnet::RetentionToChunkwiseOptions chunkwise;
    if (options.chunkSize > 0)
      chunkwise.chunkSize = options.chunkSize;
    pm.addPass(retnet::createRetentionToChunkwise(chunkwise));
    break;
  }
  }
}

void mlir::retnet::buildCPUPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  pm.addPass(retnet::createRetNetDecompose());
  addFormSelection(pm, options);
  if (options.gpuKernels) {
    retnet::ConvertRetentionToGPUOptions kernels;
    kernels.workgroupMemory = false;
    pm.addPass(retnet::createConvertRetentionToGPU(kernels));
  } else {
    pm.addPass(retnet::createConvertRetentionToLinalg());
  }
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

  // Tensors -> buffers, with deallocation.
  // Results computed into tensor.empty and then stored into a destination
  // (a function's output memref) are computed there directly.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(retnet::createRetNetBufferize());
  // In-place tile updates bufferize to copies of a subview onto an equal
  // subview; CSE makes them self-copies, which canonicalization erases.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());

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
