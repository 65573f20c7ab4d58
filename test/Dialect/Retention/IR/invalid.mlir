// RUN: retnet-opt %s -split-input-file -verify-diagnostics

// Every verifier rule of the retention ops, one case each.

func.func @q_rank(%q: tensor<1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retention.parallel' op operand #0 must be 4-d tensor [B, H, T, d] of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<1x8x16xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @v_rank(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retention.recurrent' op operand #2 must be 4-d tensor [B, H, T, d] of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<1x1x1x8x16xf32>'}}
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @element_type(%q: tensor<1x1x8x16xi32>, %k: tensor<1x1x8x16xi32>, %v: tensor<1x1x8x16xi32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retention.parallel' op operand #0 must be 4-d tensor [B, H, T, d] of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<1x1x8x16xi32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xi32>, tensor<1x1x8x16xi32>, tensor<1x1x8x16xi32>, tensor<1xf64> -> tensor<1x1x8x16xi32>
  return
}

// -----

func.func @dynamic_heads(%q: tensor<1x?x8x16xf32>, %k: tensor<1x?x8x16xf32>, %v: tensor<1x?x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected a static, positive number of heads H (dim 1 of 'q')}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x?x8x16xf32>, tensor<1x?x8x16xf32>, tensor<1x?x8x16xf32>, tensor<1xf64> -> tensor<1x?x8x16xf32>
  return
}

// -----

func.func @zero_heads(%q: tensor<1x0x8x16xf32>, %k: tensor<1x0x8x16xf32>, %v: tensor<1x0x8x16xf32>) {
  %gamma = arith.constant dense<[]> : tensor<0xf64>
  // expected-error @+1 {{expected a static, positive number of heads H (dim 1 of 'q')}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x0x8x16xf32>, tensor<1x0x8x16xf32>, tensor<1x0x8x16xf32>, tensor<0xf64> -> tensor<1x0x8x16xf32>
  return
}

// -----

func.func @dynamic_key_width(%q: tensor<1x1x8x?xf32>, %k: tensor<1x1x8x?xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected a static, positive key width dk (dim 3 of 'q')}}
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 8} : tensor<1x1x8x?xf32>, tensor<1x1x8x?xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @dynamic_value_width(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x?xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected a static, positive value width dv (dim 3 of 'v')}}
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 8} : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x?xf32>, tensor<1xf64> -> tensor<1x1x8x?xf32>
  return
}

// -----

func.func @key_shape(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x32xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'k' of shape [B, H, T, dk] = [1, 1, 8, 16] and element type 'f32', got 'tensor<1x1x8x32xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x32xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @key_element(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf16>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'k' of shape [B, H, T, dk] = [1, 1, 8, 16] and element type 'f32', got 'tensor<1x1x8x16xf16>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf16>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @value_batch(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<3x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'v' of shape [B, H, T, dv] = [2, 1, 8, 16] and element type 'f32', got 'tensor<3x1x8x16xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<3x1x8x16xf32>, tensor<1xf64> -> tensor<2x1x8x16xf32>
  return
}

// -----

// A static length in 'k' binds T for 'v' even where 'q' is dynamic.
func.func @value_length_via_key(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x9x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'v' of shape [B, H, T, dv] = [1, 1, 8, 16] and element type 'f32', got 'tensor<1x1x9x16xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x?x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x9x16xf32>, tensor<1xf64> -> tensor<1x1x?x16xf32>
  return
}

// -----

func.func @value_element(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xbf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'v' of shape [B, H, T, dv] = [1, 1, 8, 16] and element type 'f32', got 'tensor<1x1x8x16xbf16>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xbf16>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @output_shape(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x32xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'output' of shape [B, H, T, dv] = [1, 1, 8, 32] and element type 'f32', got 'tensor<1x1x8x16xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x32xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @output_element(%q: tensor<1x1x8x16xf16>, %k: tensor<1x1x8x16xf16>, %v: tensor<1x1x8x16xf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'output' of shape [B, H, T, dv] = [1, 1, 8, 16] and element type 'f16', got 'tensor<1x1x8x16xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @state_shape(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x32xf32>, %s0: tensor<1x1x32x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'state' of shape [B, H, dk, dv] = [1, 1, 16, 32] and element type 'f32', got 'tensor<1x1x32x16xf32>'}}
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x32xf32>, tensor<1xf64>, tensor<1x1x32x16xf32> -> tensor<1x1x8x32xf32>
  return
}

// -----

func.func @state_element_narrow(%q: tensor<1x1x8x16xf16>, %k: tensor<1x1x8x16xf16>, %v: tensor<1x1x8x16xf16>, %s0: tensor<1x1x16x16xf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retention.recurrent' op operand #4 must be 4-d tensor [B, H, dk, dv] of 32-bit float or 64-bit float values, but got 'tensor<1x1x16x16xf16>'}}
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1xf64>, tensor<1x1x16x16xf16> -> tensor<1x1x8x16xf16>
  return
}

// -----

func.func @state_element_f64(%q: tensor<1x1x8x16xf64>, %k: tensor<1x1x8x16xf64>, %v: tensor<1x1x8x16xf64>, %s0: tensor<1x1x16x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'state' of shape [B, H, dk, dv] = [1, 1, 16, 16] and element type 'f64', got 'tensor<1x1x16x16xf32>'}}
  %o = retention.recurrent %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf64>, tensor<1x1x8x16xf64>, tensor<1x1x8x16xf64>, tensor<1xf64>, tensor<1x1x16x16xf32> -> tensor<1x1x8x16xf64>
  return
}

// -----

func.func @state_batch(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x1x8x16xf32>, %s0: tensor<1x1x16x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'state' of shape [B, H, dk, dv] = [2, 1, 16, 16] and element type 'f32', got 'tensor<1x1x16x16xf32>'}}
  %o = retention.chunkwise %q, %k, %v gamma %gamma state %s0 {chunk_size = 8} : tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>, tensor<1xf64>, tensor<1x1x16x16xf32> -> tensor<2x1x8x16xf32>
  return
}

// -----

func.func @final_state_shape(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x32xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'final_state' of shape [B, H, dk, dv] = [1, 1, 16, 32] and element type 'f32', got 'tensor<1x1x16x16xf32>'}}
  %o, %s = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x32xf32>, tensor<1xf64> -> tensor<1x1x8x32xf32>, tensor<1x1x16x16xf32>
  return
}

// -----

func.func @final_state_element(%q: tensor<1x1x8x16xbf16>, %k: tensor<1x1x8x16xbf16>, %v: tensor<1x1x8x16xbf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{'retention.parallel' op result #1 must be 4-d tensor [B, H, dk, dv] of 32-bit float or 64-bit float values, but got 'tensor<1x1x16x16xbf16>'}}
  %o, %s = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xbf16>, tensor<1x1x8x16xbf16>, tensor<1x1x8x16xbf16>, tensor<1xf64> -> tensor<1x1x8x16xbf16>, tensor<1x1x16x16xbf16>
  return
}

// -----

func.func @gamma_count(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  %gamma = arith.constant dense<[0.5, 0.6, 0.7]> : tensor<3xf64>
  // expected-error @+1 {{expected 'gamma' of shape [H] = [4] and element type 'f64', got 'tensor<3xf64>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<3xf64> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @gamma_zero(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  %gamma = arith.constant dense<[0.5, 0.0]> : tensor<2xf64>
  // expected-error @+1 {{expected every 'gamma' in (0, 1), got 0.000000e+00 for head 1}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2xf64> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @gamma_one(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  %gamma = arith.constant dense<[1.0, 0.5]> : tensor<2xf64>
  // expected-error @+1 {{expected every 'gamma' in (0, 1), got 1.000000e+00 for head 0}}
  %o = retention.recurrent %q, %k, %v gamma %gamma : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2xf64> -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @gamma_negative(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[-0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected every 'gamma' in (0, 1), got -5.000000e-01 for head 0}}
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 8} : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @gamma_element(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %gamma: tensor<1xf32>) {
  // expected-error @+1 {{operand #3 must be 1-d tensor [H] of 64-bit float values, but got 'tensor<1xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf32> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @gamma_missing(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  // expected-error @+1 {{expected 'gamma'}}
  %o = retention.parallel %q, %k, %v : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @chunk_size_zero(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{attribute 'chunk_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = 0} : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @chunk_size_negative(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{attribute 'chunk_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o = retention.chunkwise %q, %k, %v gamma %gamma {chunk_size = -16} : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @scaling_unknown(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+2 {{expected ::mlir::retention::Scaling to be one of: none, decay_sqrt_sum}}
  // expected-error @+1 {{failed to parse}}
  %o = retention.parallel %q, %k, %v gamma %gamma {scaling = #retention.scaling<sqrt>} : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

// expected-note @+1 {{prior use here}}
func.func @offset_not_index(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %p: i64) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{use of value '%p' expects different type than prior uses: 'index' vs 'i64'}}
  %o = retention.parallel %q, %k, %v gamma %gamma offset %p : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @state_without_type(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>, %s0: tensor<1x1x16x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{number of operands and types do not match: got 1 operands and 0 types}}
  %o = retention.parallel %q, %k, %v gamma %gamma state %s0 : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @not_a_tensor(%q: memref<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'memref<1x1x8x16xf32>'}}
  %o = retention.parallel %q, %k, %v gamma %gamma : memref<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @chunk_size_missing(%q: tensor<1x1x8x16xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{requires attribute 'chunk_size'}}
  %o = retention.chunkwise %q, %q, %q gamma %gamma : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1xf64> -> tensor<1x1x8x16xf32>
  return
}

// -----

func.func @chunk_states_count(%k: tensor<1x1x100x8xf32>, %v: tensor<1x1x100x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'deltas' of shape [B, H, N, dk, dv] = [1, 1, 4, 8, 4] and element type 'f32', got 'tensor<1x1x3x8x4xf32>'}}
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 32} : tensor<1x1x100x8xf32>, tensor<1x1x100x4xf32>, tensor<1xf64> -> tensor<1x1x3x8x4xf32>
  return
}

// -----

func.func @chunk_states_element(%k: tensor<1x1x16x8xbf16>, %v: tensor<1x1x16x4xbf16>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{result #0 must be 5-d tensor [B, H, N, dk, dv] of 32-bit float or 64-bit float values, but got 'tensor<1x1x1x8x4xbf16>'}}
  %d = retention.chunk_states %k, %v gamma %gamma {chunk_size = 16} : tensor<1x1x16x8xbf16>, tensor<1x1x16x4xbf16>, tensor<1xf64> -> tensor<1x1x1x8x4xbf16>
  return
}

// -----

func.func @chunk_scan_final(%d: tensor<1x2x?x8x4xf32>, %t: index) {
  %gamma = arith.constant dense<[0.5, 0.25]> : tensor<2xf64>
  // expected-error @+1 {{expected 'final_state' of shape [B, H, dk, dv] = [1, 2, 8, 4] and element type 'f32', got 'tensor<1x2x4x8xf32>'}}
  %s, %f = retention.chunk_scan %d gamma %gamma length %t {chunk_size = 16} : tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>, tensor<1x2x4x8xf32>
  return
}

// -----

func.func @chunk_scan_gamma(%d: tensor<1x2x?x8x4xf32>, %t: index) {
  %gamma = arith.constant dense<[0.5, 1.5]> : tensor<2xf64>
  // expected-error @+1 {{expected every 'gamma' in (0, 1), got 1.500000e+00 for head 1}}
  %s, %f = retention.chunk_scan %d gamma %gamma length %t {chunk_size = 16} : tensor<1x2x?x8x4xf32>, tensor<2xf64> -> tensor<1x2x?x8x4xf32>, tensor<1x2x8x4xf32>
  return
}

// -----

func.func @chunk_outputs_starts(%q: tensor<1x1x20x8xf32>, %v: tensor<1x1x20x4xf32>, %starts: tensor<1x1x2x8x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{expected 'starts' of shape [B, H, N, dk, dv] = [1, 1, 3, 8, 4] and element type 'f32', got 'tensor<1x1x2x8x4xf32>'}}
  %o = retention.chunk_outputs %q, %q, %v, %starts gamma %gamma {chunk_size = 8} : tensor<1x1x20x8xf32>, tensor<1x1x20x8xf32>, tensor<1x1x20x4xf32>, tensor<1x1x2x8x4xf32>, tensor<1xf64> -> tensor<1x1x20x4xf32>
  return
}

// -----

func.func @chunk_outputs_chunk_size(%q: tensor<1x1x20x8xf32>, %v: tensor<1x1x20x4xf32>, %starts: tensor<1x1x3x8x4xf32>) {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  // expected-error @+1 {{attribute 'chunk_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o = retention.chunk_outputs %q, %q, %v, %starts gamma %gamma {chunk_size = 0} : tensor<1x1x20x8xf32>, tensor<1x1x20x8xf32>, tensor<1x1x20x4xf32>, tensor<1x1x3x8x4xf32>, tensor<1xf64> -> tensor<1x1x20x4xf32>
  return
}
