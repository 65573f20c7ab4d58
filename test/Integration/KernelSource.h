//===- KernelSource.h - MLIR text of retention kernels ----------*- C++ -*-===//

#ifndef RETNET_TEST_INTEGRATION_KERNELSOURCE_H
#define RETNET_TEST_INTEGRATION_KERNELSOURCE_H

#include "RetentionReference.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retnet::kernel {

using reference::Scaling;

enum class Form { Parallel, Recurrent, Chunkwise };
/// Element type of q, k, v and the output; the state is f32 for bf16.
enum class ElementType { F32, F64, BF16 };

/// Everything that is fixed when a kernel is compiled; batch and length stay
/// dynamic.
struct KernelConfig {
  Form form = Form::Chunkwise;
  /// Chunk size of the chunkwise form (ignored by the other forms).
  int64_t chunkSize = 64;
  int64_t heads = 1;
  int64_t keyDim = 16;
  int64_t valueDim = 16;
  /// One decay per head.
  std::vector<double> gamma;
  Scaling scaling = Scaling::None;
  ElementType elementType = ElementType::F32;
  /// Whether the op reads `state %s0 offset %pos`. Without them the kernel
  /// keeps the same signature but computes from a zero state at position 0.
  bool stateAndOffset = true;
};

const char *formName(Form form);
const char *scalingName(Scaling scaling);
const char *elementTypeName(ElementType type);

/// One line describing `config`, e.g.
/// "chunkwise C=64 H=4 dk=64 dv=128 decay_sqrt_sum f32".
std::string describe(const KernelConfig &config);

/// torchscale's decays γ_h = 1 − 2^(−5−h), h = 0..heads−1.
std::vector<double> torchscaleDecays(int64_t heads);

/// An MLIR module with one function, `@retention`, of the kernel ABI:
///   (q, k: memref<?xHx?xDKxE>, v: memref<?xHx?xDVxE>,
///    s0: memref<?xHxDKxDVxE>, pos: index,
///    o: memref<?xHx?xDVxE>, sT: memref<?xHxDKxDVxE>)
/// with llvm.emit_c_interface, so that compiled it exports
/// `_mlir_ciface_retention`.
std::string kernelSource(const KernelConfig &config);

} // namespace retnet::kernel

#endif // RETNET_TEST_INTEGRATION_KERNELSOURCE_H
