//===- Pipelines.h - Named retnet compilation pipelines ---------*- C++ -*-===//

#ifndef RETNET_PIPELINES_PIPELINES_H
#define RETNET_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::retnet {
/// Which form the pipeline gives retention ops.
enum class FormChoice { Keep, Auto, Parallel, Recurrent, Chunkwise };

/// Options of `retnet-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<FormChoice> form{
      *this, "form", llvm::cl::desc("Form of the retention ops"),
      llvm::cl::init(FormChoice::Keep),
      llvm::cl::values(
          clEnumValN(FormChoice::Keep, "keep", "as written in the input"),
          clEnumValN(FormChoice::Auto, "auto",
                     "chosen per op by retention-select-form"),
          clEnumValN(FormChoice::Parallel, "parallel", "parallel"),
          clEnumValN(FormChoice::Recurrent, "recurrent", "recurrent"),
          clEnumValN(FormChoice::Chunkwise, "chunkwise", "chunkwise"))};
  PassOptions::Option<unsigned> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Chunk size for form=chunkwise or auto (0: the target's "
                     "default)"),
      llvm::cl::init(0)};
  PassOptions::Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("OpenMP threads of each parallel region (0: the "
                     "runtime's default, OMP_NUM_THREADS or all cores)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile matrix products to register tiles and vectorize "
                     "them (retnet-vectorize-contractions)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> gpuKernels{
      *this, "gpu-kernels",
      llvm::cl::desc("Lower retention with convert-retention-to-gpu (tiles "
                     "in default memory) instead of convert-retention-to-"
                     "linalg: the CUDA target's kernels run as CPU loops, "
                     "which tests their arithmetic without a GPU"),
      llvm::cl::init(false)};
  PassOptions::ListOption<int64_t> registerTile{
      *this, "register-tile",
      llvm::cl::desc("Register tile [m, n, k] of matrix products (default: "
                     "that of retnet-vectorize-contractions)")};
  PassOptions::ListOption<int64_t> threadTile{
      *this, "thread-tile",
      llvm::cl::desc(
          "Block [m, n] of one thread for the model's linear "
          "layers (default: that of retnet-vectorize-contractions)")};
};

/// Retention (any form) and linalg on tensors -> LLVM dialect for the host
/// CPU: form selection, convert-retention-to-linalg, tiling and
/// vectorization, bufferization, OpenMP over batch x heads, LLVM.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers `retnet-cpu-pipeline` with the pass registry.
void registerCPUPipeline();
} // namespace mlir::retnet

#endif // RETNET_PIPELINES_PIPELINES_H
