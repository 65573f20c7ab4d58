// RUN: retnet-compile --help | FileCheck %s --check-prefix=HELP
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=mlir -o - | FileCheck %s --check-prefix=MLIR
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=llvm --form=recurrent -o - | FileCheck %s --check-prefix=LLVM
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=obj -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=SYMBOLS
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --threads=1 --chunk-size=8 -o %t.so && llvm-nm -D %t.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=llvm -o - | FileCheck %s --check-prefix=PREFETCH
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=llvm --prefetch-ahead=0 -o - | FileCheck %s --check-prefix=NO-PREFETCH
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --prefetch-ahead=-64 2>&1 | FileCheck %s --check-prefix=BAD-PREFETCH
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --timing --emit=mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=TIMING
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --print-ir-after-all --emit=mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=PRINT
// RUN: not retnet-compile %s.missing 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda --gpu-emulation 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda --threads=2 2>&1 | FileCheck %s --check-prefix=CUDA-THREADS
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda --gpu-block-threads=2048 2>&1 | FileCheck %s --check-prefix=CUDA-BLOCK
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --gpu-emulation --emit=mlir -o - | FileCheck %s --check-prefix=EMULATION
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --form=fast 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not retnet-compile %s 2>&1 | FileCheck %s --check-prefix=INVALID
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda --chunk-size=1073741824 2>&1 | FileCheck %s --check-prefix=CHUNK

// HELP: retnet-compile: compile a RetNet model or retention IR to native code
// HELP: --emit=<value>
// HELP: --form=<value>
// HELP: --gpu-chip=<string>
// HELP: --gpu-emulation

// MLIR: llvm.func @_mlir_ciface_retention
// LLVM: define void @_mlir_ciface_retention(
// SYMBOLS: T _mlir_ciface_retention
// The products' reduction loops prefetch the rows they stream, unless told
// not to.
// PREFETCH: call void @llvm.prefetch.p0(ptr %{{.*}}, i32 0, i32 3, i32 1)
// NO-PREFETCH-NOT: llvm.prefetch
// BAD-PREFETCH: --prefetch-ahead must be a number of bytes, or 0
// TIMING: Execution time report
// TIMING: ConvertRetentionToLinalg
// PRINT: IR Dump After ConvertRetentionToLinalg
// MISSING: retnet-compile: error: cannot open input file
// CUDA: retnet-compile: error: --gpu-emulation runs the CUDA kernels on the CPU; use it with --target=cpu
// CUDA-THREADS: retnet-compile: error: --threads sets OpenMP threads of --target=cpu; CUDA kernels take their parallelism from the GPU
// CUDA-BLOCK: retnet-compile: error: --gpu-block-threads must be in [1, 1024]
// The CUDA target's kernels as CPU loops: OpenMP over the blocks.
// EMULATION: omp.parallel
// EMULATION: llvm.func @_mlir_ciface_retention
// TARGET: retnet-compile: error: unknown --target 'tpu' (expected cpu or cuda)
// FORM: Cannot find option named 'fast'
// CHUNK: retnet-compile: error: --chunk-size must be at most 4096, got 1073741824

// An ill-typed input gets the verifier's diagnostic and a non-zero exit.
// INVALID: retnet-compile.mlir:[[@LINE+3]]:{{[0-9]+}}: error: 'retention.recurrent' op expected 'gamma' of shape [H] = [1] and element type 'f64', got 'tensor<2xf64>'
func.func @bad(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %gamma = arith.constant dense<[0.5, 0.5]> : tensor<2xf64>
  %o = retention.recurrent %q, %q, %q gamma %gamma : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<2xf64> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
