//===- Pipelines.h - Named retnet compilation pipelines ---------*- C++ -*-===//

#ifndef RETNET_PIPELINES_PIPELINES_H
#define RETNET_PIPELINES_PIPELINES_H

#include "retnet/Codegen/CPU/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::retnet {
/// Which form the pipeline gives retention ops.
enum class FormChoice { Keep, Auto, Parallel, Recurrent, Chunkwise };

/// How GPU kernels run the full blocks of row-tiled f32 matrix products.
enum class TensorCoreMode {
  /// FFMA register tiles.
  Off,
  /// mma.sync, three tf32 products per f32 product: f32 accuracy.
  TF32x3,
  /// mma.sync, one tf32 product: about 10^-3 relative error per product.
  TF32,
};

/// The options of every pipeline: the form of the retention ops.
template <typename Derived>
struct FormOptions : public PassPipelineOptions<Derived> {
  using PassOptions = ::mlir::detail::PassOptions;

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
  PassOptions::Option<int64_t> gpuRowTileRows{
      *this, "gpu-row-tile-rows",
      llvm::cl::desc("GPU kernels: fewest rows of a matrix product that runs "
                     "in register tiles (0: enough blocks for one per "
                     "multiprocessor; negative: never)"),
      llvm::cl::init(0)};
  PassOptions::Option<TensorCoreMode> gpuTensorCores{
      *this, "gpu-tensor-cores",
      llvm::cl::desc("GPU kernels: the full blocks of row-tiled f32 matrix "
                     "products, and those of a full retention chunk, as "
                     "warp tiles on tensor cores"),
      llvm::cl::init(TensorCoreMode::TF32x3),
      llvm::cl::values(
          clEnumValN(TensorCoreMode::Off, "off", "FFMA register tiles"),
          clEnumValN(TensorCoreMode::TF32x3, "3xtf32",
                     "mma.sync, three tf32 products each (f32 accuracy)"),
          clEnumValN(TensorCoreMode::TF32, "tf32",
                     "mma.sync, one tf32 product each (about 1e-3 "
                     "relative error per product)"))};
};

/// Options of `retnet-cpu-pipeline`.
struct CPUPipelineOptions : public FormOptions<CPUPipelineOptions> {
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
  PassOptions::Option<bool> splitChunkwise{
      *this, "split-chunkwise",
      llvm::cl::desc("Split chunkwise ops into their chunk-parallel pieces "
                     "(retention-split-chunkwise): parallel over chunks, "
                     "not only over batch x heads"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> retentionValueTile{
      *this, "retention-value-tile",
      llvm::cl::desc("Value columns per tile of the retention ops where it "
                     "divides their value width (convert-retention-to-"
                     "linalg's value-tile; 0: all)"),
      llvm::cl::init(0)};
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
  PassOptions::Option<int64_t> prefetchDistance{
      *this, "prefetch-distance",
      llvm::cl::desc("Bytes that the register tiles' reductions and "
                     "innermost loops prefetch ahead of the streams they "
                     "read, shared among a loop's streams "
                     "(retnet-prefetch-streams; 0: none)"),
      llvm::cl::init(kDefaultPrefetchBytes)};
};

/// Options of `retnet-cuda-pipeline`.
struct CUDAPipelineOptions : public FormOptions<CUDAPipelineOptions> {
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads per block of the generated kernels"),
      llvm::cl::init(256)};
  PassOptions::Option<std::string> chip{
      *this, "gpu-chip",
      llvm::cl::desc("NVIDIA GPU architecture of the cubin (sm_XX)"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "gpu-features",
      llvm::cl::desc("PTX features of the cubin (+ptxNN)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> toolkit{
      *this, "cuda-toolkit",
      llvm::cl::desc("CUDA toolkit with ptxas and libdevice (default: "
                     "$CUDA_HOME, $CUDA_PATH, else /usr/local/cuda)"),
      llvm::cl::init("")};
  PassOptions::Option<int> gpuOptLevel{
      *this, "gpu-opt-level",
      llvm::cl::desc("Optimization level of the device code (0-3)"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> gpuFormat{
      *this, "gpu-format",
      llvm::cl::desc("What each gpu.binary holds: bin (cubin from ptxas, to "
                     "run) or isa (the kernels' PTX text, to read)"),
      llvm::cl::init("bin")};
};

/// Retention (any form) and linalg on tensors -> LLVM dialect for the host
/// CPU: form selection, convert-retention-to-linalg, tiling and
/// vectorization, bufferization, OpenMP over batch x heads, LLVM.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Retention (any form) and linalg on tensors -> host LLVM dialect calling
/// CUDA kernels embedded as cubin: convert-retention-to-gpu, bufferization,
/// retnet-gpu-distribute-linalg, gpu.launch, device buffers, NVVM, ptxas.
void buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &options);

/// The CUDA toolkit to take ptxas and libdevice from: `requested` if not
/// empty, else $CUDA_HOME, $CUDA_PATH, else /usr/local/cuda.
std::string findCUDAToolkit(StringRef requested);

/// What the CUDA pipeline and the CPU pipeline's gpu-kernels mode share:
/// convert-retention-to-gpu, bufferization with deallocation, and
/// retnet-gpu-distribute-linalg; everything then runs in block/thread
/// `scf.forall` nests on buffers.
void buildGPUKernelFormation(OpPassManager &pm, int64_t threads,
                             bool workgroupMemory, int64_t rowTileRows,
                             TensorCoreMode tensorCores);

/// The model graph (retnet dialect) to retention and linalg on tensors, as
/// both pipelines begin: retnet-decompose, then upstream
/// loop-invariant-code-motion, which takes what each layer recomputes from
/// the positions alone (the rotation tables' sin and cos, the rows' decay
/// scales) out of the loop over layers.
void addGraphDecomposition(OpPassManager &pm);

/// The passes of the common front of both pipelines that give retention ops
/// the requested form (retention-select-form for `target` under Auto).
void addFormSelection(OpPassManager &pm, FormChoice form, unsigned chunkSize,
                      StringRef target);

/// Tensors -> buffers (retnet-bufferize) with ownership-based deallocation.
void addBufferization(OpPassManager &pm);

/// Registers `retnet-cpu-pipeline` with the pass registry.
void registerCPUPipeline();

/// Registers `retnet-cuda-pipeline` with the pass registry.
void registerCUDAPipeline();
} // namespace mlir::retnet

#endif // RETNET_PIPELINES_PIPELINES_H
