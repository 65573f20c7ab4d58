// RUN: retnet-opt --help | FileCheck %s --check-prefix=HELP
// RUN: not retnet-opt %s 2>&1 | FileCheck %s --check-prefix=BAD

// HELP: Available Dialects:{{.*}} retention,

// A malformed file gets a located diagnostic and a non-zero exit.
// BAD: retnet-opt.mlir:[[@LINE+3]]:{{[0-9]+}}: error: 'retention.parallel' op expected 'gamma' of shape [H] = [2] and element type 'f64', got 'tensor<1xf64>'
func.func @bad(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %gamma = arith.constant dense<[0.5]> : tensor<1xf64>
  %o = retention.parallel %q, %q, %q gamma %gamma : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1xf64> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
