// retnet-compile on model descriptions (config.json): the imported graph, the
// shared library and its header, and every kind of bad description.

// RUN: rm -rf %t && mkdir -p %t

// The imported model graph: retnet ops in three entry points.
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import | FileCheck %s --check-prefix=IMPORT
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import -o %t/tiny.mlir
// RUN: retnet-opt %t/tiny.mlir -retnet-decompose | FileCheck %s --check-prefix=DECOMPOSED
// --weight-panel sets the panel width (recorded as the shape's last value);
// 0 stores every matrix [K, N].
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import --weight-panel=64 | FileCheck %s --check-prefix=PANEL64
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import --weight-panel=0 | FileCheck %s --check-prefix=NOPANEL
// RUN: not retnet-compile %S/Inputs/tiny.json --emit=import --weight-panel=-2 2>&1 | FileCheck %s --check-prefix=BADPANEL
// PANEL64: linalg.unpack %{{.+}} outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [64] into %{{.+}} : tensor<6x64x64xf32> -> tensor<64x384xf32>
// PANEL64: @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 64, 0, 0]>
// NOPANEL-NOT: linalg.unpack
// NOPANEL: @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]>
// BADPANEL: --weight-panel must be a positive number of columns, or 0

// --weight-type: the weight matrices (the embedding table and those that
// products read) are of that type (recorded as the shape's 15th value, 1 for
// bf16, 2 for f16), viewed from the same byte buffer as the f32 norm
// weights.
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import --weight-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import --weight-type=f16 | FileCheck %s --check-prefix=F16
// RUN: not retnet-compile %S/Inputs/tiny.json --emit=import --weight-type=int4 2>&1 | FileCheck %s --check-prefix=BADTYPE
// BF16-DAG: memref.view %arg0[%{{.+}}][%{{.+}}] : memref<?xi8> to memref<?xbf16>
// BF16-DAG: memref.view %arg0[%{{.+}}][%{{.+}}] : memref<?xi8> to memref<?xf32>
// BF16: retnet.embedding %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f64} : tensor<?x?xi32>, tensor<100x64xbf16>
// BF16: linalg.unpack %{{.+}} : tensor<12x64x32xbf16> -> tensor<64x384xbf16>
// BF16: retnet.msr {{.+}} : tensor<?x?x64xf32>, tensor<64x384xbf16>, tensor<128x64xbf16>,
// BF16: retnet.glu {{.+}} : tensor<?x?x64xf32>, tensor<64x256xbf16>, tensor<128x64xbf16> -> tensor<?x?x64xf32>
// BF16: retnet.linear %{{.+}}, %{{.+}} : tensor<?x?x64xf32>, tensor<64x100xbf16> -> tensor<?x?x100xf32>
// BF16: @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 32, 1, 0]>
// F16: retnet.linear %{{.+}}, %{{.+}} : tensor<?x?x64xf32>, tensor<64x100xf16> -> tensor<?x?x100xf32>
// F16: @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 32, 2, 0]>
// BADTYPE: --weight-type must be f32, bf16, f16 or int8, got 'int4'

// int8: the matrices and their scales, by default one per group of 32
// values of a channel (recorded as the shape's 16th value; 0 with
// --group=channel): the embedding's [100, 64 / 32], a projection's
// [64 / 32, 384] in panels of 64 as its weights.
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import --weight-type=int8 | FileCheck %s --check-prefix=INT8
// RUN: retnet-compile %S/Inputs/tiny.json --emit=import --weight-type=int8 --group=channel | FileCheck %s --check-prefix=INT8-CHANNEL
// INT8: retnet.dequantize %{{.+}}, %{{.+}} {axis = 0 : i64, group = 32 : i64} : tensor<100x64xi8>, tensor<100x2xf32> -> tensor<100x64xf32>
// INT8: linalg.unpack %{{.+}} : tensor<6x2x64xf32> -> tensor<2x384xf32>
// INT8: retnet.dequantize %{{.+}}, %{{.+}} {axis = 1 : i64, group = 32 : i64} : tensor<64x384xi8>, tensor<2x384xf32> -> tensor<64x384xf32>
// INT8: @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 64, 3, 32]>
// INT8-CHANNEL: retnet.dequantize %{{.+}}, %{{.+}} {axis = 1 : i64} : tensor<64x384xi8>, tensor<384xf32> -> tensor<64x384xf32>
// INT8-CHANNEL: @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 64, 3, 0]>

// The shared library: the C API, its compiled description, and retnet.h next to it.
// RUN: retnet-compile %S/Inputs/tiny.json --emit=lib -o %t/lib.so
// RUN: llvm-nm -D --defined-only %t/lib.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: diff %t/retnet.h %S/../../include/retnet/retnet.h
// RUN: FileCheck %s --check-prefix=HEADER < %t/retnet.h

// An unknown field is named in a warning and the model still compiles (here
// to the default output name, libunknown-field.so, with its header, in the
// current directory).
// RUN: mkdir -p %t/unknown && cd %t/unknown && retnet-compile %S/Inputs/unknown-field.json -O0 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: llvm-nm -D --defined-only %t/unknown/libunknown-field.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: test -f %t/unknown/retnet.h

// Bad descriptions: a non-zero exit, a message naming the file and the field,
// and no output.
// RUN: not retnet-compile %S/Inputs/missing-layers.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not retnet-compile %S/Inputs/heads-not-divisor.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=HEADS
// RUN: not retnet-compile %S/Inputs/odd-key-width.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=ODD
// RUN: not retnet-compile %S/Inputs/bad-activation.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=ACTIVATION
// RUN: not retnet-compile %S/Inputs/non-integer.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=NONINTEGER
// RUN: not retnet-compile %S/Inputs/string-vocab.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=STRING
// RUN: not retnet-compile %S/Inputs/zero-layers.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not retnet-compile %S/Inputs/invalid-json.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: not retnet-compile %S/Inputs/not-an-object.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=OBJECT
// RUN: not retnet-compile %S/Inputs/does-not-exist.json -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: not retnet-compile %S/Inputs/missing-layers.json --emit=import 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: test ! -e %t/bad.so

// Options that do not apply.
// RUN: not retnet-compile %S/Inputs/tiny.json --target=cuda --gpu-emulation -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=import 2>&1 | FileCheck %s --check-prefix=IMPORT-MLIR
// RUN: not retnet-compile %S/../Pipelines/Inputs/kernel.mlir --emit=exe -o %t/bad 2>&1 | FileCheck %s --check-prefix=EXE-MLIR
// RUN: test ! -e %t/bad.so

// IMPORT-LABEL: func.func @retnet_graph_prefill_all(
// IMPORT-SAME: memref<?xi8>, %[[DECAYS:.+]]: memref<4xf64>, %{{.+}}: memref<?x?xi32>, %{{.+}}: memref<2x?x4x16x32xf32, strided<[?, ?, ?, ?, 1], offset: ?>>, %[[POSITIONS:.+]]: memref<?xi64>, %{{.+}}: memref<?x?x100xf32>) attributes {llvm.emit_c_interface}
// The decays are the model's, an argument: no library constant.
// IMPORT: %[[GAMMA:.+]] = bufferization.to_tensor %[[DECAYS]] restrict : memref<4xf64> to tensor<4xf64>
// IMPORT: retnet.embedding %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f64} : tensor<?x?xi32>, tensor<100x64xf32> -> tensor<?x?x64xf32>
// Each row at its own position.
// IMPORT: %[[ROWS:.+]] = bufferization.to_tensor %[[POSITIONS]] restrict : memref<?xi64> to tensor<?xi64>
// The layers are one scf.for carrying the activations and the states; the
// weights of layer %l are views at offsets that grow with %l.
// IMPORT: %[[LAYERS:.+]]:2 = scf.for %[[L:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[HIDDEN:.+]] = %[[EMBEDDED:.+]], %{{.+}} = %{{.+}}) -> (tensor<?x?x64xf32>, tensor<2x?x4x16x32xf32>)
// Each layer reads the activations at the sizes of those before the loop.
// IMPORT: %[[B:.+]] = tensor.dim %[[EMBEDDED]], %{{.+}} : tensor<?x?x64xf32>
// IMPORT: %[[T:.+]] = tensor.dim %[[EMBEDDED]], %{{.+}} : tensor<?x?x64xf32>
// IMPORT: tensor.extract_slice %[[HIDDEN]][0, 0, 0] [%[[B]], %[[T]], 64] [1, 1, 1]
// IMPORT: tensor.extract_slice %{{.+}}[%[[L]], 0, 0, 0, 0]
// IMPORT: memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [64], strides: [1] : memref<?xf32> to memref<64xf32, strided<[1], offset: ?>>
// IMPORT: retnet.rms_norm %{{.+}} weight %{{.+}} {eps = 9.9999999999999995E-7 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
// Matrices whose width is a multiple of 32 are stored as panels of 32
// columns, [N/32, K, 32], and read through linalg.unpack; lm_head (100
// columns) stays [K, N].
// IMPORT: memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [12, 64, 32], strides: [2048, 32, 1]
// IMPORT: linalg.unpack %{{.+}} outer_dims_perm = [1, 0] inner_dims_pos = [1] inner_tiles = [32] into %{{.+}} : tensor<12x64x32xf32> -> tensor<64x384xf32>
// IMPORT: retnet.msr %{{.+}}, %{{.+}}, %{{.+}}, %[[GAMMA]] state %{{.+}} row_offsets %[[ROWS]] : tensor<?xi64> {eps = 9.9999999999999995E-7 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<4xf64>, tensor<?x4x16x32xf32> -> tensor<?x?x64xf32>, tensor<?x4x16x32xf32>
// IMPORT: tensor.insert_slice %{{.+}} into %{{.+}}[%[[L]], 0, 0, 0, 0]
// IMPORT: retnet.residual
// IMPORT: retnet.rms_norm
// IMPORT: retnet.glu %{{.+}}, %{{.+}}, %{{.+}} {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
// IMPORT: retnet.residual
// IMPORT: scf.yield
// IMPORT: %[[FINAL:.+]] = tensor.extract_slice %[[LAYERS]]#0[0, 0, 0] [%{{.+}}, %{{.+}}, 64] [1, 1, 1]
// IMPORT: retnet.rms_norm %[[FINAL]]
// IMPORT: retnet.linear %{{.+}}, %{{.+}} : tensor<?x?x64xf32>, tensor<64x100xf32> -> tensor<?x?x100xf32>
// IMPORT: bufferization.materialize_in_destination %{{.+}} in restrict writable %{{.+}} : (tensor<?x?x100xf32>, memref<?x?x100xf32>) -> ()
// IMPORT: bufferization.materialize_in_destination %{{.+}} in writable %{{.+}} : (tensor<2x?x4x16x32xf32>, memref<2x?x4x16x32xf32, strided<[?, ?, ?, ?, 1], offset: ?>>) -> ()
// IMPORT-NOT: retnet.msr
// IMPORT-LABEL: func.func @retnet_graph_prefill_last(
// IMPORT-SAME: %{{.+}}: memref<?x100xf32>) attributes {llvm.emit_c_interface}
// IMPORT: retnet.embedding
// IMPORT: retnet.msr
// IMPORT-NOT: retnet.msr
// IMPORT: tensor.extract_slice %{{.+}}[0, %{{.+}}, 0] [%{{.+}}, 1, 64] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x1x64xf32>
// IMPORT: retnet.rms_norm
// IMPORT: retnet.linear %{{.+}}, %{{.+}} : tensor<?x1x64xf32>, tensor<64x100xf32> -> tensor<?x1x100xf32>
// IMPORT-LABEL: func.func @retnet_graph_decode(
// IMPORT-SAME: %{{.+}}: memref<4xf64>, %{{.+}}: memref<?x1xi32>, %{{.+}}: memref<2x?x4x16x32xf32, strided<[?, ?, ?, ?, 1], offset: ?>>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?x100xf32>) attributes {llvm.emit_c_interface}
// IMPORT: retnet.embedding %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f64} : tensor<?x1xi32>, tensor<100x64xf32> -> tensor<?x1x64xf32>
// IMPORT: retnet.msr
// IMPORT-NOT: retnet.msr
// IMPORT: retnet.linear
// IMPORT: llvm.mlir.global external constant @retnet_abi_model_shape(dense<[64, 128, 4, 128, 2, 100, 0, 0, 0, 0, 1, 0, 1, 32, 0, 0]> : tensor<16xi64>)
// IMPORT: llvm.mlir.global external constant @retnet_abi_config_json("{{.*}}activation_fn\22:\22gelu\22{{.*}}decoder_layers\22:2{{.*}}vocab_size\22:100}\00")
// IMPORT: llvm.mlir.global external constant @retnet_abi_buffers(0 : i32)

// DECOMPOSED-NOT: retnet.{{[a-z_]+}} %
// DECOMPOSED: retention.parallel
// DECOMPOSED-NOT: retnet.{{[a-z_]+}} %

// SYMBOLS-DAG: T retnet_compiled_config
// SYMBOLS-DAG: T retnet_decode
// SYMBOLS-DAG: T retnet_error_free
// SYMBOLS-DAG: T retnet_model_free
// SYMBOLS-DAG: T retnet_model_load
// SYMBOLS-DAG: T retnet_model_vocab_size
// SYMBOLS-DAG: T retnet_prefill
// SYMBOLS-DAG: T retnet_state_free
// SYMBOLS-DAG: T retnet_state_new
// SYMBOLS-DAG: T retnet_state_reset

// HEADER: retnet_model *retnet_model_load(const char *weights_path, char **error);

// UNKNOWN: retnet-compile: warning: {{.*}}unknown-field.json{{.*}}config field 'rope_theta' is not used; ignored
// UNKNOWN-NOT: error

// MISSING: retnet-compile: error: '{{.*}}missing-layers.json': config field 'decoder_layers': missing (required)
// HEADS: retnet-compile: error: '{{.*}}heads-not-divisor.json': config field 'decoder_embed_dim': 64 is not divisible by decoder_retention_heads (3)
// ODD: retnet-compile: error: '{{.*}}odd-key-width.json': config field 'decoder_embed_dim': the key width per head decoder_embed_dim / decoder_retention_heads = 5 must be even (rotation pairs)
// ACTIVATION: retnet-compile: error: '{{.*}}bad-activation.json': config field 'activation_fn': expected "gelu", "swish" or "relu", got "tanh"
// NONINTEGER: retnet-compile: error: '{{.*}}non-integer.json': config field 'decoder_ffn_embed_dim': expected an integer
// STRING: retnet-compile: error: '{{.*}}string-vocab.json': config field 'vocab_size': expected an integer
// ZERO: retnet-compile: error: '{{.*}}zero-layers.json': config field 'decoder_layers': expected a positive integer, got 0
// JSON: retnet-compile: error: '{{.*}}invalid-json.json': invalid JSON: [3:23, byte={{[0-9]+}}]: Expected object key
// OBJECT: retnet-compile: error: '{{.*}}not-an-object.json': the model description must be a JSON object
// NOFILE: retnet-compile: error: cannot read '{{.*}}does-not-exist.json': No such file or directory
// CUDA: retnet-compile: error: --gpu-emulation runs the CUDA kernels on the CPU; use it with --target=cpu
// IMPORT-MLIR: retnet-compile: error: --emit=import needs a model description (.json)
// EXE-MLIR: retnet-compile: error: --emit=exe needs a model description (.json)
