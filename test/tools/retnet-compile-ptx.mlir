// REQUIRES: ptxas
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda --emit=ptx -o - | FileCheck %s
// RUN: retnet-compile %S/../Pipelines/Inputs/kernel.mlir --target=cuda --form=recurrent --gpu-chip=sm_80 --gpu-features=+ptx70 --emit=ptx -o - | FileCheck %s --check-prefix=SM80
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=ptx -o - 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --emit=ptx -o %t.model.ptx
// RUN: %python %S/Inputs/ptxas-usage.py %t.model.ptx sm_90a | FileCheck %s --check-prefix=SPILLS
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-row-tile-rows=1 --emit=ptx -o %t.rows.ptx
// RUN: FileCheck %s --check-prefix=ROWS < %t.rows.ptx
// RUN: FileCheck %s --check-prefix=MMA < %t.rows.ptx
// RUN: FileCheck %s --check-prefix=CHUNK-MMA < %t.model.ptx
// RUN: retnet-compile %S/../../examples/small.json --target=cuda --emit=ptx -o %t.small.ptx
// RUN: FileCheck %s --check-prefix=CHUNKWISE < %t.small.ptx
// RUN: %python %S/Inputs/ptxas-usage.py %t.small.ptx sm_90a | FileCheck %s --check-prefix=SPILLS
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-row-tile-rows=1 --gpu-tensor-cores=off --emit=ptx -o - | FileCheck %s --check-prefix=NO-MMA
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-row-tile-rows=1 --gpu-tensor-cores=tf32 --emit=ptx -o - | FileCheck %s --check-prefix=TF32
// RUN: %python %S/Inputs/ptxas-usage.py %t.rows.ptx sm_90a | FileCheck %s --check-prefix=SPILLS
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-row-tile-rows=1 --weight-type=bf16 --emit=ptx -o %t.bf16.ptx
// RUN: FileCheck %s --check-prefix=ROWS-BF16 < %t.bf16.ptx
// RUN: FileCheck %s --check-prefix=BF16-MMA < %t.bf16.ptx
// RUN: %python %S/Inputs/ptxas-usage.py %t.bf16.ptx sm_90a | FileCheck %s --check-prefix=SPILLS
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-row-tile-rows=1 --weight-type=int8 --emit=ptx -o %t.int8.ptx
// RUN: %python %S/Inputs/ptxas-usage.py %t.int8.ptx sm_90a | FileCheck %s --check-prefix=SPILLS

// --emit=ptx writes each kernel module's PTX after a comment naming it and
// its target. The retention kernels' products and sums are fused into FMAs
// (retnet-gpu-contract-products): without that pass the first two kernels'
// multiplies and adds are written with explicit rounding (mul.rn.f32,
// add.rn.f32), which keeps ptxas from fusing them.

// CHECK: // gpu.binary @retention_kernel for #nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// CHECK: .version 8.0
// CHECK: .target sm_90a
// CHECK: .entry retention_kernel(
// CHECK-NOT: {{(mul|add|sub)\.rn\.f32}}
// CHECK: fma.rn.f32
// CHECK-NOT: {{(mul|add|sub)\.rn\.f32}}
// CHECK: // gpu.binary @retention_kernel_0 for
// CHECK-NOT: {{(mul|add|sub)\.rn\.f32}}
// CHECK: fma.rn.f32
// CHECK-NOT: {{(mul|add|sub)\.rn\.f32}}
// CHECK: // gpu.binary @retention_kernel_1 for

// SM80: // gpu.binary @retention_kernel for #nvvm.target<O = 3, chip = "sm_80", features = "+ptx70">
// SM80: .target sm_80
// SM80: fma.rn.f32

// CPU: retnet-compile: error: --emit=ptx writes the kernels of --target=cuda

// Every kernel of a model (prefill and decoding; f32, and bf16 and int8
// weights in row tiles) fits its registers: ptxas -v reports no spill
// stores or loads in any module.
// SPILLS: retnet_graph_prefill_all_kernel/retnet_graph_prefill_all_kernel: registers={{[0-9]+}} stack={{[0-9]+}} spill_stores=0 spill_loads=0
// SPILLS-NOT: spill_stores={{[1-9]}}
// SPILLS-NOT: spill_loads={{[1-9]}}
// SPILLS: retnet_graph_decode_kernel{{.*}} spill_stores=0 spill_loads=0
// SPILLS-NOT: spill_stores={{[1-9]}}
// SPILLS-NOT: spill_loads={{[1-9]}}

// With row tiles on every product (--gpu-row-tile-rows=1), a register
// tile's weights load as 128-bit vectors (4 f32; 8 bf16 where the block has
// 128 columns, 4 where it has 64), its sums are FMAs, and its rows store as
// 128-bit vectors.
// ROWS: // gpu.binary @retnet_graph_prefill_all_kernel for
// ROWS: ld.global.v4.b32
// ROWS: fma.rn.f32
// ROWS: st.global.v4.b32
// The full blocks of the f32 products run on tensor cores: each 16 x 8 x 8
// product of a warp is three tf32 mma.sync on the operands' high and low
// parts (rounded to tf32: + 4096, the low 13 bits cleared), smallest first.
// MMA: // gpu.binary @retnet_graph_prefill_all_kernel_2 for
// MMA: add.s32 [[ROUNDED:%r[0-9]+]], {{%r[0-9]+}}, 4096;
// MMA: and.b32 {{%r[0-9]+}}, [[ROUNDED]], -8192;
// MMA: sub.f32
// MMA-COUNT-24: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// MMA-NOT: mma.sync
// MMA: // gpu.binary @retnet_graph_prefill_all_kernel_3 for
// With --gpu-tensor-cores=tf32, one tf32 mma.sync per product, on the
// operands as they are (no rounding to tf32 by hand).
// In the q, k, v and gate projection's kernel that is 8 per step of the
// sum, against 24 above.
// TF32: // gpu.binary @retnet_graph_prefill_all_kernel_2 for
// TF32-NOT: and.b32 {{.*}}, -8192;
// TF32-COUNT-8: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// TF32-NOT: mma.sync
// TF32: // gpu.binary @retnet_graph_prefill_all_kernel_3 for
// Chunkwise retention's products in a block (Q S from the chunk's starting
// state, the scores Q K^T and the scores times V; f32 activations) run on
// tensor cores too: at least three 16 x 8 x 8 products, three tf32 mma.sync
// each, in the prefill's chunk_outputs kernel.
// CHUNK-MMA: // gpu.binary @retnet_graph_prefill_all_kernel_7 for
// CHUNK-MMA-COUNT-9: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// CHUNK-MMA: // gpu.binary @retnet_graph_prefill_all_kernel_8 for
// examples/small.json (dk = 128, dv = 256, chunks of 64): the chunk's state
// (K * zeta)^T V in 4 row tiles of 32 x 256, each 8 warps of 16 x 64 (8
// accumulators, three tf32 mma.sync each), and the chunk's outputs.
// CHUNKWISE: // gpu.binary @retnet_graph_prefill_all_kernel_5 for
// CHUNKWISE-COUNT-24: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// CHUNKWISE: // gpu.binary @retnet_graph_prefill_all_kernel_6 for
// CHUNKWISE-NOT: mma.sync
// CHUNKWISE: // gpu.binary @retnet_graph_prefill_all_kernel_7 for
// CHUNKWISE-COUNT-9: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// CHUNKWISE: // gpu.binary @retnet_graph_prefill_all_kernel_8 for
// Without tensor cores, no mma.
// NO-MMA-NOT: mma.sync
// NO-MMA: // gpu.binary @retnet_graph_decode_kernel
// NO-MMA-NOT: mma.sync
// Products of bf16 weights are not on tensor cores yet: only the retention
// kernels (f32 activations) have mma.
// BF16-MMA-NOT: mma.sync
// BF16-MMA: // gpu.binary @retnet_graph_prefill_all_kernel_7 for
// BF16-MMA: mma.sync
// BF16-MMA: // gpu.binary @retnet_graph_prefill_all_kernel_8 for
// BF16-MMA-NOT: mma.sync
// BF16-MMA: // gpu.binary @retnet_graph_prefill_last_kernel_29 for
// BF16-MMA: mma.sync
// BF16-MMA: // gpu.binary @retnet_graph_prefill_last_kernel_30 for
// BF16-MMA-NOT: mma.sync
// ROWS-BF16: // gpu.binary @retnet_graph_prefill_all_kernel for
// ROWS-BF16: ld.global.v4.b32
// ROWS-BF16: cvt.f32.bf16
// ROWS-BF16: fma.rn.f32
// ROWS-BF16: st.global.v4.b32
// ROWS-BF16: ld.global.v4.b16
