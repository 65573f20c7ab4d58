// RUN: retnet-opt %s -split-input-file -verify-diagnostics

// Every verifier rule of the retnet ops (dialects/RetNet/RetNetOps.cpp), one
// case each, then the ODS constraints the custom verifiers rely on.

//===----------------------------------------------------------------------===//
// retnet.embedding
//===----------------------------------------------------------------------===//

func.func @embedding_dynamic_table(%tokens: tensor<2x3xi32>, %table: tensor<?x64xf32>) {
  // expected-error @+1 {{'retnet.embedding' op expected 'table' to have a static shape, got 'tensor<?x64xf32>'}}
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi32>, tensor<?x64xf32> -> tensor<2x3x64xf32>
  return
}

// -----

func.func @embedding_zero_scale(%tokens: tensor<2x3xi32>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retnet.embedding' op expected a positive 'scale', got 0}}
  %h = retnet.embedding %tokens, %table {scale = 0.0 : f64} : tensor<2x3xi32>, tensor<100x64xf32> -> tensor<2x3x64xf32>
  return
}

// -----

func.func @embedding_result_width(%tokens: tensor<2x3xi32>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retnet.embedding' op expected 'result' of shape [B, T, d] = [2, 3, 64], got 'tensor<2x3x32xf32>'}}
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi32>, tensor<100x64xf32> -> tensor<2x3x32xf32>
  return
}

// -----

func.func @embedding_result_batch(%tokens: tensor<2x?xi32>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retnet.embedding' op expected 'result' of shape [B, T, d] = [2, ?, 64], got 'tensor<4x?x64xf32>'}}
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x?xi32>, tensor<100x64xf32> -> tensor<4x?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.rms_norm
//===----------------------------------------------------------------------===//

func.func @rms_norm_negative_eps(%x: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'retnet.rms_norm' op expected a non-negative 'eps', got -1}}
  %y = retnet.rms_norm %x {eps = -1.0 : f64} : tensor<?x?x64xf32>
  return
}

// -----

func.func @rms_norm_weight_width(%x: tensor<?x?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'retnet.rms_norm' op expected 'weight' of shape [d] = [64], got 'tensor<32xf32>'}}
  %y = retnet.rms_norm %x weight %w {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.linear
//===----------------------------------------------------------------------===//

func.func @linear_dynamic_weight(%x: tensor<?x?x64xf32>, %w: tensor<64x?xf32>) {
  // expected-error @+1 {{'retnet.linear' op expected 'weight' to have a static shape, got 'tensor<64x?xf32>'}}
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<64x?xf32> -> tensor<?x?x?xf32>
  return
}

// -----

func.func @linear_weight_rows(%x: tensor<?x?x64xf32>, %w: tensor<32x256xf32>) {
  // expected-error @+1 {{'retnet.linear' op expected 'weight' of shape [in, out] = [64, 256], got 'tensor<32x256xf32>'}}
  %y = retnet.linear %x, %w : tensor<?x?x64xf32>, tensor<32x256xf32> -> tensor<?x?x256xf32>
  return
}

// -----

func.func @linear_result_width(%x: tensor<2x?x64xf32>, %w: tensor<64x256xf32>) {
  // expected-error @+1 {{'retnet.linear' op expected 'result' of shape [B, T, out] = [2, ?, 256], got 'tensor<2x?x64xf32>'}}
  %y = retnet.linear %x, %w : tensor<2x?x64xf32>, tensor<64x256xf32> -> tensor<2x?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.residual
//===----------------------------------------------------------------------===//

func.func @residual_zero_alpha(%h: tensor<?x?x64xf32>, %f: tensor<?x?x64xf32>) {
  // expected-error @+1 {{'retnet.residual' op expected a positive 'alpha', got 0}}
  %y = retnet.residual %h, %f {alpha = 0.0 : f64} : tensor<?x?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.msr
//===----------------------------------------------------------------------===//

func.func @msr_no_heads(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<> : tensor<0xf64>
  // expected-error @+1 {{'retnet.msr' op expected at least one head ('gamma' is empty)}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<0xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_offset_and_row_offsets(%x: tensor<2x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %pos: index, %rows: tensor<2xi64>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'offset' (one position for every row) or 'row_offsets' (one per row), not both}}
  %y = retnet.msr %x, %win, %wout, %gamma offset %pos row_offsets %rows : tensor<2xi64> {eps = 0.0 : f64} : tensor<2x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<2x1x8xf32>
  return
}

// -----

func.func @msr_row_offsets_batch(%x: tensor<2x1x8xf32>, %win: tensor<8x32xf32>, %wout: tensor<8x8xf32>, %rows: tensor<3xi64>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'row_offsets' of shape [B] = [2], got 'tensor<3xi64>'}}
  %y = retnet.msr %x, %win, %wout, %gamma row_offsets %rows : tensor<3xi64> {eps = 0.0 : f64} : tensor<2x1x8xf32>, tensor<8x32xf32>, tensor<8x8xf32>, tensor<1xf64> -> tensor<2x1x8xf32>
  return
}

// -----

func.func @msr_gamma_one(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 1.0]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected every 'gamma' in (0, 1), got 1.000000e+00 for head 1}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_gamma_zero(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.0, 0.5]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected every 'gamma' in (0, 1), got 0.000000e+00 for head 0}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_dynamic_heads(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %gamma: tensor<?xf64>) {
  // expected-error @+1 {{'retnet.msr' op expected a static number of heads (the length of 'gamma'), got 'tensor<?xf64>'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<?xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_gamma_f32(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %gamma: tensor<2xf32>) {
  // expected-error @+1 {{'retnet.msr' op operand #3 must be 1D tensor of 64-bit float values}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_negative_eps(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected a non-negative 'eps'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = -1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_dynamic_in_proj(%x: tensor<?x?x64xf32>, %win: tensor<64x?xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'in_proj' to have a static shape, got 'tensor<64x?xf32>'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x?xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_dynamic_out_proj(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<?x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'out_proj' to have a static shape, got 'tensor<?x64xf32>'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<?x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_dynamic_model_width(%x: tensor<?x?x?xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected a static model width (dim 2 of 'input')}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x?xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x?xf32>
  return
}

// -----

func.func @msr_model_width_not_divisible(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<126x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875]> : tensor<3xf64>
  // expected-error @+1 {{'retnet.msr' op expected the model width (64) and value width (126) to be divisible by the number of heads (3)}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<126x64xf32>, tensor<3xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_value_width_not_divisible(%x: tensor<?x?x64xf32>, %win: tensor<64x388xf32>, %wout: tensor<130x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  // expected-error @+1 {{'retnet.msr' op expected the model width (64) and value width (130) to be divisible by the number of heads (4)}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x388xf32>, tensor<130x64xf32>, tensor<4xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_odd_key_width(%x: tensor<?x?x12xf32>, %win: tensor<12x40xf32>, %wout: tensor<8x12xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75, 0.875, 0.9375]> : tensor<4xf64>
  // expected-error @+1 {{'retnet.msr' op expected an even key width per head, got 3}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x12xf32>, tensor<12x40xf32>, tensor<8x12xf32>, tensor<4xf64> -> tensor<?x?x12xf32>
  return
}

// -----

func.func @msr_in_proj_shape(%x: tensor<?x?x64xf32>, %win: tensor<64x256xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'in_proj' of shape [d, 2 d + 2 value_dim] = [64, 384], got 'tensor<64x256xf32>'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_out_proj_shape(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'out_proj' of shape [value_dim, d] = [128, 64], got 'tensor<128x32xf32>'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x32xf32>, tensor<2xf64> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_output_shape(%x: tensor<2x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'output' of shape [B, T, d] = [2, ?, 64], got 'tensor<3x?x64xf32>'}}
  %y = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<2x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<3x?x64xf32>
  return
}

// -----

func.func @msr_state_shape(%x: tensor<?x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>, %s0: tensor<?x2x64x32xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'state' of shape [B, H, dk, dv] = [?, 2, 32, 64], got 'tensor<?x2x64x32xf32>'}}
  %y = retnet.msr %x, %win, %wout, %gamma state %s0 {eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64>, tensor<?x2x64x32xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @msr_final_state_shape(%x: tensor<1x?x64xf32>, %win: tensor<64x384xf32>, %wout: tensor<128x64xf32>) {
  %gamma = arith.constant dense<[0.5, 0.75]> : tensor<2xf64>
  // expected-error @+1 {{'retnet.msr' op expected 'final_state' of shape [B, H, dk, dv] = [1, 2, 32, 64], got 'tensor<2x2x32x64xf32>'}}
  %y, %s = retnet.msr %x, %win, %wout, %gamma {eps = 1.0e-6 : f64} : tensor<1x?x64xf32>, tensor<64x384xf32>, tensor<128x64xf32>, tensor<2xf64> -> tensor<1x?x64xf32>, tensor<2x2x32x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.ffn
//===----------------------------------------------------------------------===//

func.func @ffn_dynamic_up_proj(%x: tensor<?x?x64xf32>, %w1: tensor<64x?xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'up_proj' to have a static shape, got 'tensor<64x?xf32>'}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<relu>} : tensor<?x?x64xf32>, tensor<64x?xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_up_bias_shape(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<64xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'up_bias' of shape [ffn] = [96], got 'tensor<64xf32>'}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<relu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<64xf32>, tensor<96x64xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_down_proj_shape(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<64x64xf32>, %b2: tensor<64xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'down_proj' of shape [ffn, d] = [96, 64], got 'tensor<64x64xf32>'}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_down_bias_shape(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<96xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'down_bias' of shape [d] = [64], got 'tensor<96xf32>'}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<96xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_norm_shape(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<64xf32>, %lb: tensor<96xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'norm weight' of shape [ffn] = [96], got 'tensor<64xf32>'}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<gelu>, eps = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<96xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_norm_without_eps(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<96xf32>, %lb: tensor<96xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'eps' with a norm}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_norm_weight_only(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<96xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected both a norm weight and a norm bias, or neither}}
  %y = "retnet.ffn"(%x, %w1, %b1, %w2, %b2, %lw) <{activation = #retnet.activation<gelu>, eps = 1.0e-6 : f64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0>}> : (tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_negative_eps(%x: tensor<?x?x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>, %lw: tensor<96xf32>, %lb: tensor<96xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected a non-negative 'eps', got -1.000000e+00}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 norm %lw, %lb {activation = #retnet.activation<gelu>, eps = -1.0 : f64} : tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32>, tensor<96xf32>, tensor<96xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @ffn_result_shape(%x: tensor<?x5x64xf32>, %w1: tensor<64x96xf32>, %b1: tensor<96xf32>, %w2: tensor<96x64xf32>, %b2: tensor<64xf32>) {
  // expected-error @+1 {{'retnet.ffn' op expected 'result' of shape [B, T, d] = [?, 5, 64], got 'tensor<?x4x64xf32>'}}
  %y = retnet.ffn %x, %w1, %b1, %w2, %b2 {activation = #retnet.activation<relu>} : tensor<?x5x64xf32>, tensor<64x96xf32>, tensor<96xf32>, tensor<96x64xf32>, tensor<64xf32> -> tensor<?x4x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.glu
//===----------------------------------------------------------------------===//

func.func @glu_dynamic_up_proj(%x: tensor<?x?x64xf32>, %up: tensor<64x?xf32>, %down: tensor<128x64xf32>) {
  // expected-error @+1 {{'retnet.glu' op expected 'up_proj' to have a static shape, got 'tensor<64x?xf32>'}}
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x?xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @glu_dynamic_down_proj(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<?x64xf32>) {
  // expected-error @+1 {{'retnet.glu' op expected 'down_proj' to have a static shape, got 'tensor<?x64xf32>'}}
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<?x64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @glu_up_proj_shape(%x: tensor<?x?x64xf32>, %up: tensor<64x128xf32>, %down: tensor<128x64xf32>) {
  // expected-error @+1 {{'retnet.glu' op expected 'up_proj' of shape [d, 2 ffn] = [64, 256], got 'tensor<64x128xf32>'}}
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<swish>} : tensor<?x?x64xf32>, tensor<64x128xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @glu_down_proj_shape(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x32xf32>) {
  // expected-error @+1 {{'retnet.glu' op expected 'down_proj' of shape [ffn, d] = [128, 64], got 'tensor<128x32xf32>'}}
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x32xf32> -> tensor<?x?x64xf32>
  return
}

// -----

func.func @glu_result_shape(%x: tensor<?x5x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) {
  // expected-error @+1 {{'retnet.glu' op expected 'result' of shape [B, T, d] = [?, 5, 64], got 'tensor<?x4x64xf32>'}}
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<gelu>} : tensor<?x5x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x4x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ODS constraints: ranks, element types, matching types, the activation.
//===----------------------------------------------------------------------===//

func.func @embedding_token_type(%tokens: tensor<2x3xi64>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retnet.embedding' op operand #0 must be 2D tensor of 32-bit signless integer values, but got 'tensor<2x3xi64>'}}
  %h = retnet.embedding %tokens, %table {scale = 1.0 : f64} : tensor<2x3xi64>, tensor<100x64xf32> -> tensor<2x3x64xf32>
  return
}

// -----

func.func @linear_rank(%x: tensor<6x64xf32>, %w: tensor<64x256xf32>) {
  // expected-error @+1 {{'retnet.linear' op operand #0 must be 3D tensor of 32-bit float values, but got 'tensor<6x64xf32>'}}
  %y = retnet.linear %x, %w : tensor<6x64xf32>, tensor<64x256xf32> -> tensor<6x256xf32>
  return
}

// -----

func.func @residual_types_differ(%h: tensor<?x?x64xf32>, %f: tensor<?x?x32xf32>) {
  // expected-error @+1 {{'retnet.residual' op failed to verify that all of {input, update, result} have same type}}
  %y = "retnet.residual"(%h, %f) <{alpha = 1.0 : f64}> : (tensor<?x?x64xf32>, tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  return
}

// -----

func.func @glu_unknown_activation(%x: tensor<?x?x64xf32>, %up: tensor<64x256xf32>, %down: tensor<128x64xf32>) {
  // expected-error @+2 {{expected ::mlir::retnet::Activation to be one of: gelu, swish, relu}}
  // expected-error @+1 {{failed to parse RetNet_ActivationAttr parameter 'value'}}
  %y = retnet.glu %x, %up, %down {activation = #retnet.activation<tanh>} : tensor<?x?x64xf32>, tensor<64x256xf32>, tensor<128x64xf32> -> tensor<?x?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// retnet.dequantize
//===----------------------------------------------------------------------===//

func.func @dequantize_axis(%q: tensor<64x256xi8>, %s: tensor<256xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected 'axis' 0 (a scale per row) or 1 (a scale per column), got 2}}
  %w = retnet.dequantize %q, %s {axis = 2 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  return
}

// -----

func.func @dequantize_scales_per_column(%q: tensor<64x256xi8>, %s: tensor<64xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected 'scales' of shape [columns] = [256], got 'tensor<64xf32>'}}
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi8>, tensor<64xf32> -> tensor<64x256xf32>
  return
}

// -----

func.func @dequantize_result(%q: tensor<64x256xi8>, %s: tensor<64xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected 'result' of shape the shape of 'quantized' = [64, 256], got 'tensor<256x64xf32>'}}
  %w = retnet.dequantize %q, %s {axis = 0 : i64} : tensor<64x256xi8>, tensor<64xf32> -> tensor<256x64xf32>
  return
}

// -----

func.func @dequantize_group_divides(%q: tensor<64x256xi8>, %s: tensor<2x256xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected 'group' (48) to divide the quantized matrix's dimension 0 (64)}}
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 48 : i64} : tensor<64x256xi8>, tensor<2x256xf32> -> tensor<64x256xf32>
  return
}

// -----

func.func @dequantize_group_scales(%q: tensor<64x256xi8>, %s: tensor<256xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected 'scales' of shape [rows / group, columns] = [2, 256], got 'tensor<256xf32>'}}
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = 32 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  return
}

// -----

func.func @dequantize_row_group_scales(%q: tensor<100x64xi8>, %s: tensor<4x64xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected 'scales' of shape [rows, columns / group] = [100, 4], got 'tensor<4x64xf32>'}}
  %w = retnet.dequantize %q, %s {axis = 0 : i64, group = 16 : i64} : tensor<100x64xi8>, tensor<4x64xf32> -> tensor<100x64xf32>
  return
}

// -----

func.func @dequantize_negative_group(%q: tensor<64x256xi8>, %s: tensor<256xf32>) {
  // expected-error @+1 {{'retnet.dequantize' op expected a non-negative 'group', got -1}}
  %w = retnet.dequantize %q, %s {axis = 1 : i64, group = -1 : i64} : tensor<64x256xi8>, tensor<256xf32> -> tensor<64x256xf32>
  return
}

// -----

func.func @dequantize_not_int8(%q: tensor<64x256xi16>, %s: tensor<256xf32>) {
  // expected-error @+1 {{operand #0 must be 2D tensor of 8-bit signless integer values}}
  %w = retnet.dequantize %q, %s {axis = 1 : i64} : tensor<64x256xi16>, tensor<256xf32> -> tensor<64x256xf32>
  return
}
