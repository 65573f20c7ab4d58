// Retention of a two-head layer in each of the three forms (same semantics).
func.func @forms(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>,
                 %v: tensor<1x2x?x32xf32>, %s0: tensor<1x2x16x32xf32>,
                 %pos: index)
    -> (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>,
        tensor<1x2x16x32xf32>) {
  %o1 = retention.parallel %q, %k, %v {gamma = array<f64: 0.96875, 0.984375>}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>
      -> tensor<1x2x?x32xf32>
  %o2 = retention.recurrent %q, %k, %v state %s0 offset %pos
      {gamma = array<f64: 0.96875, 0.984375>,
       scaling = #retention.scaling<decay_sqrt_sum>}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>,
        tensor<1x2x16x32xf32> -> tensor<1x2x?x32xf32>
  %o3, %s = retention.chunkwise %q, %k, %v
      {gamma = array<f64: 0.96875, 0.984375>, chunk_size = 64}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32>
      -> tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
  return %o1, %o2, %o3, %s : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>,
      tensor<1x2x?x32xf32>, tensor<1x2x16x32xf32>
}
