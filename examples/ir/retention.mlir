// Retention of a two-head layer in each of the three forms (same semantics).
func.func @forms(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>,
                 %v: tensor<1x2x?x32xf32>, %s0: tensor<1x2x16x32xf32>,
                 %pos: index)
    -> (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>,
        tensor<1x2x16x32xf32>) {
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %o1 = retention.parallel %q, %k, %v gamma %gamma 
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>, tensor<2xf64>
      -> tensor<1x2x?x32xf32>
  %gamma1 = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %o2 = retention.recurrent %q, %k, %v gamma %gamma1 state %s0 offset %pos
      {
       scaling = #retention.scaling<decay_sqrt_sum>}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>, tensor<2xf64>,
        tensor<1x2x16x32xf32> -> tensor<1x2x?x32xf32>
  %gamma2 = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %o3, %s = retention.chunkwise %q, %k, %v gamma %gamma2
      {chunk_size = 64}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>, tensor<2xf64>
      -> tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
  return %o1, %o2, %o3, %s : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>,
      tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
}
