//===- SharedStages.cpp - Stages shared by the CPU and CUDA pipelines -----===//

#include "retnet/Pipelines/Pipelines.h"

#include "RetNet/Transforms/Passes.h"
#include "Retention/Transforms/Passes.h"
#include "retnet/Codegen/Common/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::retnet::addGraphDecomposition(OpPassManager &pm) {
  pm.addPass(createRetNetDecompose());
  // The layer loop's tensors are sized from its activations; traced back to
  // the loop's arguments (the sizes are the same at every layer), what
  // depends on the positions alone no longer depends on the loop.
  pm.addPass(memref::createResolveRankedShapeTypeResultDimsPass());
  pm.addPass(createSCFForLoopCanonicalizationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
}

void mlir::retnet::addFormSelection(OpPassManager &pm, FormChoice form,
                                    unsigned chunkSize, StringRef target) {
  switch (form) {
  case FormChoice::Keep:
    break;
  case FormChoice::Auto: {
    retention::RetentionSelectFormOptions select;
    select.target = target.str();
    select.chunkSize = chunkSize;
    pm.addPass(retention::createRetentionSelectForm(select));
    break;
  }
  case FormChoice::Parallel:
    pm.addPass(retention::createRetentionToParallel());
    break;
  case FormChoice::Recurrent:
    pm.addPass(retention::createRetentionToRecurrent());
    break;
  case FormChoice::Chunkwise: {
    retention::RetentionToChunkwiseOptions chunkwise;
    if (chunkSize > 0)
      chunkwise.chunkSize = chunkSize;
    pm.addPass(retention::createRetentionToChunkwise(chunkwise));
    break;
  }
  }
}

void mlir::retnet::addBufferization(OpPassManager &pm) {
  // Sizes read from results (tensor.dim) become the sizes they were made
  // from, so that the analysis below compares slices of the entry's sizes
  // instead of reasoning through every op that produced a tensor.
  pm.addPass(memref::createResolveRankedShapeTypeResultDimsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createRetNetBufferize());
  // In-place tile updates bufferize to copies of a subview onto an equal
  // subview; CSE makes them self-copies, which canonicalization erases.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());
}
