// A retention kernel with the memref C interface used by the compile tests.
func.func @retention(%q: memref<?x2x?x16xf32>, %k: memref<?x2x?x16xf32>, %v: memref<?x2x?x32xf32>, %s0: memref<?x2x16x32xf32>, %pos: index, %o: memref<?x2x?x32xf32>, %sT: memref<?x2x16x32xf32>) attributes {llvm.emit_c_interface} {
  %qt = bufferization.to_tensor %q restrict : memref<?x2x?x16xf32> to tensor<?x2x?x16xf32>
  %kt = bufferization.to_tensor %k restrict : memref<?x2x?x16xf32> to tensor<?x2x?x16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<?x2x?x32xf32> to tensor<?x2x?x32xf32>
  %st = bufferization.to_tensor %s0 restrict : memref<?x2x16x32xf32> to tensor<?x2x16x32xf32>
  %gamma = arith.constant dense<[0.96875, 0.984375]> : tensor<2xf64>
  %out, %state = retention.chunkwise %qt, %kt, %vt gamma %gamma state %st offset %pos {scaling = #retention.scaling<decay_sqrt_sum>, chunk_size = 16} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x32xf32>, tensor<2xf64>, tensor<?x2x16x32xf32> -> tensor<?x2x?x32xf32>, tensor<?x2x16x32xf32>
  bufferization.materialize_in_destination %out in restrict writable %o : (tensor<?x2x?x32xf32>, memref<?x2x?x32xf32>) -> ()
  bufferization.materialize_in_destination %state in restrict writable %sT : (tensor<?x2x16x32xf32>, memref<?x2x16x32xf32>) -> ()
  return
}
