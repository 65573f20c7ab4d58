// REQUIRES: ptxas
// RUN: rm -rf %t && mkdir -p %t
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda -o %t/libtiny.so
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --form=parallel -o %t/libtiny-parallel.so
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --weight-type=f16 -o %t/libtiny-f16.so
// RUN: retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-row-tile-rows=8 -o %t/libtiny-rows.so
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/tiny.safetensors --seed 3
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_STATS=1 retnet-run %t/libtiny-f16.so --weights %t/tiny.safetensors --prompt "1,2,3;4,5,6" --max-new-tokens 3 2>&1 | FileCheck %s
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_STATS=1 retnet-run %t/libtiny.so --weights %t/tiny.safetensors --prompt "1,2,3;4,5,6" --max-new-tokens 3 2>&1 | FileCheck %s
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_STATS=1 retnet-run %t/libtiny-parallel.so --weights %t/tiny.safetensors --prompt 7,8,9,10,11,12,13,14,15 --max-new-tokens 2 2>&1 | FileCheck %s
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_STATS=1 retnet-run %t/libtiny-rows.so --weights %t/tiny.safetensors --prompt 1,2,3,4,5,6,7,8,9,10,11 --max-new-tokens 3 2>&1 | FileCheck %s
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_STATS=1 retnet-run %t/libtiny.so --weights %t/tiny.safetensors --prompt 1,2,3 --max-new-tokens 3 > %t/steps.txt 2>&1
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_STATS=1 retnet-run %t/libtiny.so --weights %t/tiny.safetensors --prompt 1,2,3 --max-new-tokens 5 >> %t/steps.txt 2>&1
// RUN: FileCheck %s --check-prefix=STEPS < %t/steps.txt
// RUN: awk -F 'launches=' '/launches=/ { split($2, n, " "); l[c++] = n[1] } END { s = (l[1] - l[0]) / 2; print "launches per decoding step:", s; exit !(c == 2 && s <= 12) }' %t/steps.txt
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir FAKE_CUDA_FAIL_MODULE_LOAD=1 not retnet-run %t/libtiny.so --weights %t/tiny.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=MODULE

// The host side of a CUDA model library against a stand-in driver (host
// memory, kernels that do nothing; test/Runtime/FakeCuda): the cubin modules
// load, weights and states go to "device" memory, prefill and decode launch
// their kernels (every grid and block non-empty, blocks of at most 1024
// threads, or the driver refuses), buffers come from the memory cache, and
// nothing fails. The numbers themselves need a GPU (test/Integration/GPU).
// libtiny-rows.so runs its 11-token prefill's products in row tiles (from
// 8 rows on): the host side of that branch (its fresh buffers, allocated
// and freed on the device) works too, and decoding (1 row) takes the other.

// CHECK: prefill: {{.*}} tokens/s); decode:
// CHECK: fake-cuda: module_loads={{[1-9][0-9]*}} launches={{[1-9][0-9]*}} allocations={{[1-9][0-9]*}}

// Two more decoding steps: the same device allocations (buffers are reused
// across calls), and 5 more host synchronisations per step, whatever the
// number of layers (tokens and the rows' positions in, the call's stream,
// twice, logits out): the layers run without the host waiting for the GPU.
// STEPS: fake-cuda: {{.*}} allocations=[[ALLOCATIONS:[0-9]+]] {{.*}} synchronizations=[[#SYNCS:]]
// STEPS: fake-cuda: {{.*}} allocations=[[ALLOCATIONS]] {{.*}} synchronizations=[[#SYNCS+10]]

// Kernel launches per decoding step (the launches of 5 new tokens less those
// of 3, halved) within a budget: 12 for this model of 2 layers, 2 outside
// the layer loop and 5 per layer (norms and gates computed by the blocks of
// the products that read them, the rotated q and k by the retention
// kernel's blocks, the per-head norm with its gate, residual adds in their
// products' kernels, the state updated in place, the rows' output scales
// in the per-head norm's factor). A change may lower it, not raise it.

// A library whose kernels cannot be loaded says so when its model loads.
// MODULE: retnet-run: error: '{{.*}}tiny.safetensors': this model library was compiled for CUDA, but CUDA is unusable here: the GPU kernels of this library could not be loaded: cuModuleLoadData failed: invalid image (fake driver)
