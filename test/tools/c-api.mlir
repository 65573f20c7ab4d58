// examples/c-api/generate.c, a C program using retnet.h, built with the
// system C compiler against a library made by retnet-compile (which writes
// retnet.h next to it), generates the same ids as retnet-run.

// RUN: rm -rf %t && mkdir -p %t
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/w.safetensors
// RUN: retnet-compile %S/Inputs/tiny.json -o %t/libmodel.so
// RUN: %cc -std=c99 -Wall -Wextra -Wpedantic -Werror %S/../../examples/c-api/generate.c -I%t -L%t -lmodel -Wl,-rpath,%t -o %t/generate

// RUN: %t/generate %t/w.safetensors 5 1 2 3 > %t/out.txt
// RUN: retnet-run %t/libmodel.so --weights %t/w.safetensors --prompt 1,2,3 --max-new-tokens 5 >> %t/out.txt
// RUN: %t/generate %t/w.safetensors 8 7 >> %t/out.txt
// RUN: retnet-run %t/libmodel.so --weights %t/w.safetensors --prompt 7 --max-new-tokens 8 >> %t/out.txt
// RUN: %t/generate %t/w.safetensors 0 1 2 >> %t/out.txt
// RUN: FileCheck %s < %t/out.txt
// CHECK: {{^}}[[IDS:[0-9]+(,[0-9]+){4}]]{{$}}
// CHECK-NEXT: {{^}}[[IDS]]{{$}}
// CHECK-NEXT: {{^}}[[LONG:[0-9]+(,[0-9]+){7}]]{{$}}
// CHECK-NEXT: {{^}}[[LONG]]{{$}}
// CHECK-EMPTY:
// CHECK-NOT: {{.}}

// Every failure of the C API comes back as a message, with a non-zero exit.
// RUN: not %t/generate %t/none.safetensors 5 1 2>&1 | FileCheck %s --check-prefix=NO-WEIGHTS
// RUN: not %t/generate %t/w.safetensors 5 1 100 2>&1 | FileCheck %s --check-prefix=VOCAB
// RUN: not %t/generate %t/w.safetensors five 1 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not %t/generate %t/w.safetensors 5 1 x 2>&1 | FileCheck %s --check-prefix=TOKEN
// RUN: not %t/generate %t/w.safetensors 2>&1 | FileCheck %s --check-prefix=USAGE
// NO-WEIGHTS: generate: error: cannot load the model: '{{.*}}none.safetensors': cannot open: No such file or directory
// VOCAB: generate: error: prefill failed: token 100 (batch row 0, position 1) is outside the vocabulary [0, 100)
// COUNT: generate: error: 'five' is not a number of tokens
// TOKEN: generate: error: 'x' is not a token id
// USAGE: usage: {{.*}}generate WEIGHTS.safetensors N TOKEN...
