// End to end: seeded weights (retnet-weights), a compiled model library and
// program (retnet-compile), greedy generation (retnet-run and the program),
// and every kind of bad input to the run.

// RUN: rm -rf %t && mkdir -p %t
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/w.safetensors
// RUN: retnet-compile %S/Inputs/tiny.json -o %t/libtiny.so
// RUN: retnet-compile %S/Inputs/tiny.json --emit=exe -o %t/tiny

// One prompt, five new tokens; the same ids again when the logits of every
// position are written too (prefill_all instead of prefill_last), the last
// position's argmax in that file is the first id, and the program made with
// --emit=exe prints the same ids.
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,2,3 --max-new-tokens 5 > %t/gen.txt 2> %t/gen.err
// RUN: retnet-run %t/libtiny.so --weights=%t/w.safetensors --prompt=1,2,3 --max-new-tokens=5 --logits-out %t/logits.npy >> %t/gen.txt
// RUN: od -A n -c -N 8 %t/logits.npy >> %t/gen.txt
// RUN: %python -c "import array, sys; d = open(sys.argv[1], 'rb').read(); n = d[8] + 256 * d[9]; a = array.array('f'); a.frombytes(d[10 + n:]); last = a[-100:]; print('header', d[10:10 + n].decode().strip()); print('floats', len(a)); print('argmax', max(range(100), key=lambda i: last[i]))" %t/logits.npy >> %t/gen.txt
// RUN: %t/tiny --weights %t/w.safetensors --prompt 1,2,3 --max-new-tokens 5 >> %t/gen.txt
// RUN: FileCheck %s --check-prefix=GEN < %t/gen.txt
// RUN: FileCheck %s --check-prefix=TIMING < %t/gen.err
// GEN: {{^}}[[FIRST:[0-9]+]][[REST:(,[0-9]+){4}]]{{$}}
// GEN-NEXT: {{^}}[[FIRST]][[REST]]{{$}}
// GEN-NEXT: {{^}} 223   N   U   M   P   Y 001  \0{{$}}
// GEN-NEXT: header {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 100), }
// GEN-NEXT: floats 300
// GEN-NEXT: argmax [[FIRST]]{{$}}
// GEN-NEXT: {{^}}[[FIRST]][[REST]]{{$}}
// GEN-NOT: {{.}}
// TIMING: prefill: 3 tokens in {{.*}} ms ({{.*}} tokens/s); decode: 4 steps in {{.*}} ms
// TIMING-NEXT: memory: peak_resident_MB={{[0-9]+\.[0-9]}}

// Two sequences (rows separated by ';') print one line each, equal to the
// ids of each row run alone; the program does the same.
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 5 > %t/batch.txt
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,2 --max-new-tokens 5 >> %t/batch.txt
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt " 3, 4" --max-new-tokens 5 >> %t/batch.txt
// RUN: %t/tiny --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 5 >> %t/batch.txt
// RUN: FileCheck %s --check-prefix=BATCH < %t/batch.txt
// BATCH: {{^}}[0] [[ROW0:[0-9]+(,[0-9]+){4}]]{{$}}
// BATCH-NEXT: {{^}}[1] [[ROW1:[0-9]+(,[0-9]+){4}]]{{$}}
// BATCH-NEXT: {{^}}[[ROW0]]{{$}}
// BATCH-NEXT: {{^}}[[ROW1]]{{$}}
// BATCH-NEXT: {{^}}[0] [[ROW0]]{{$}}
// BATCH-NEXT: {{^}}[1] [[ROW1]]{{$}}

// Sampling (lib/Runtime/Sampling.cpp; its distributions are checked by
// sampling-test): --temperature 0 is the greedy default; a seeded run is
// reproducible, in the program too; a high temperature with the filters
// off draws other tokens than greedy (8 tokens of a 100-token vocabulary at
// temperature 50 are all greedy's with negligible probability).
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 8 > %t/greedy.txt
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 8 --temperature 0 --top-k 3 > %t/greedy-again.txt
// RUN: diff %t/greedy.txt %t/greedy-again.txt
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 8 --temperature=50 --top-k=0 --top-p=1 --min-p=0 --seed=7 > %t/hot.txt
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 8 --temperature=50 --top-k=0 --top-p=1 --min-p=0 --seed=7 > %t/hot-again.txt
// RUN: %t/tiny --weights %t/w.safetensors --prompt "1,2;3,4" --max-new-tokens 8 --temperature=50 --top-k=0 --top-p=1 --min-p=0 --seed=7 > %t/hot-program.txt
// RUN: diff %t/hot.txt %t/hot-again.txt
// RUN: diff %t/hot.txt %t/hot-program.txt
// RUN: not diff %t/hot.txt %t/greedy.txt
// RUN: retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,2 --max-new-tokens 8 --temperature 0.8 --repeat-penalty 1.3 --seed 1 | FileCheck %s --check-prefix=SAMPLED
// SAMPLED: {{^[0-9]+(,[0-9]+){7}$}}
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --temperature -1 2>&1 | FileCheck %s --check-prefix=BAD-TEMPERATURE
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --top-p 1.5 2>&1 | FileCheck %s --check-prefix=BAD-TOP-P
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --min-p abc 2>&1 | FileCheck %s --check-prefix=BAD-MIN-P
// RUN: not %t/tiny --weights %t/w.safetensors --prompt 1 --seed -3 2>&1 | FileCheck %s --check-prefix=BAD-SEED
// BAD-TEMPERATURE: retnet-run: error: invalid sampling flags: temperature must be a finite number >= 0, got -1
// BAD-TOP-P: retnet-run: error: invalid sampling flags: top_p must be in (0, 1] (1 is off), got 1.5
// BAD-MIN-P: retnet-run: error: --min-p: expected a number, got 'abc'
// BAD-SEED: error: --seed: expected an integer from 0 to 9223372036854775807, got '-3'

// Help.
// RUN: retnet-run --help | FileCheck %s --check-prefix=HELP
// RUN: %t/tiny --help | FileCheck %s --check-prefix=EXE-HELP
// HELP: usage: retnet-run LIBMODEL.so --weights W.safetensors --prompt 1,2,3
// HELP: --logits-out FILE.npy
// HELP: --temperature=F
// EXE-HELP: usage: {{.*}}tiny --weights W.safetensors --prompt 1,2,3
// EXE-HELP: --top-p=F
// EXE-HELP: model: {"activation_fn":"gelu","decoder_embed_dim":64,{{.*}}"vocab_size":100}

// Bad command lines.
// RUN: not retnet-run 2>&1 | FileCheck %s --check-prefix=USAGE
// RUN: not retnet-run %t/libtiny.so --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=NO-WEIGHTS
// RUN: not %t/tiny --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=NO-WEIGHTS
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors 2>&1 | FileCheck %s --check-prefix=NO-PROMPT
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,x 2>&1 | FileCheck %s --check-prefix=PROMPT-TEXT
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,,2 2>&1 | FileCheck %s --check-prefix=PROMPT-EMPTY
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt -1 2>&1 | FileCheck %s --check-prefix=PROMPT-NEGATIVE
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt "1,2;3" 2>&1 | FileCheck %s --check-prefix=PROMPT-RAGGED
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --max-new-tokens many 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --max-new-tokens= 2>&1 | FileCheck %s --check-prefix=BLANK-COUNT
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --max-new-tokens 99999999999999999999 2>&1 | FileCheck %s --check-prefix=HUGE-COUNT
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,+5 2>&1 | FileCheck %s --check-prefix=PROMPT-PLUS
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1 --beam-width 2 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 2>&1 | FileCheck %s --check-prefix=NO-VALUE
// USAGE: usage: retnet-run LIBMODEL.so
// NO-WEIGHTS: error: --weights FILE.safetensors is required
// NO-PROMPT: retnet-run: error: --prompt is required
// PROMPT-TEXT: retnet-run: error: --prompt: 'x' is not a token id
// PROMPT-EMPTY: retnet-run: error: --prompt: empty token id in '1,,2'
// PROMPT-NEGATIVE: retnet-run: error: --prompt: '-1' is not a token id
// PROMPT-RAGGED: retnet-run: error: --prompt: every batch row (separated by ';') must have the same number of tokens
// COUNT: retnet-run: error: --max-new-tokens: expected an integer from 0 to 1073741824, got 'many'
// BLANK-COUNT: retnet-run: error: --max-new-tokens: expected an integer from 0 to 1073741824, got ''
// HUGE-COUNT: retnet-run: error: --max-new-tokens: expected an integer from 0 to 1073741824, got '99999999999999999999'
// PROMPT-PLUS: retnet-run: error: --prompt: '+5' is not a token id
// UNKNOWN: retnet-run: error: unknown argument '--beam-width'
// NO-VALUE: retnet-run: error: --prompt needs a value

// Token ids outside the vocabulary (100 tokens), in the prompt of either
// driver.
// RUN: not retnet-run %t/libtiny.so --weights %t/w.safetensors --prompt 1,100 2>&1 | FileCheck %s --check-prefix=VOCAB
// RUN: not %t/tiny --weights %t/w.safetensors --prompt "1,2;3,100" 2>&1 | FileCheck %s --check-prefix=VOCAB-ROW
// VOCAB: error: token 100 (batch row 0, position 1) is outside the vocabulary [0, 100)
// VOCAB-ROW: error: token 100 (batch row 1, position 1) is outside the vocabulary [0, 100)

// Broken weights files: each names the file, the tensor and the problem.
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/omit.safetensors --omit=layers.1.ffn.gate.weight
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/shape.safetensors --bad-shape=layers.0.retention.k_proj.weight
// RUN: retnet-weights %S/Inputs/tiny.json -o %t/dtype.safetensors --bad-dtype=layer_norm.weight
// RUN: head -c 1000 %t/w.safetensors > %t/header-cut.safetensors
// RUN: head -c 100000 %t/w.safetensors > %t/data-cut.safetensors
// RUN: not retnet-run %t/libtiny.so --weights %t/omit.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=OMIT
// RUN: not retnet-run %t/libtiny.so --weights %t/shape.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not retnet-run %t/libtiny.so --weights %t/dtype.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not retnet-run %t/libtiny.so --weights %t/header-cut.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=HEADER-CUT
// RUN: not retnet-run %t/libtiny.so --weights %t/data-cut.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=DATA-CUT
// RUN: not retnet-run %t/libtiny.so --weights %t/none.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=NO-FILE
// RUN: not %t/tiny --weights %t/omit.safetensors --prompt 1,2,3 2>&1 | FileCheck %s --check-prefix=OMIT
// OMIT: error: '{{.*}}omit.safetensors': missing tensor 'layers.1.ffn.gate.weight' (expected shape [128, 64])
// SHAPE: error: '{{.*}}shape.safetensors': tensor 'layers.0.retention.k_proj.weight' has shape [65, 64]; the model description expects [64, 64]
// DTYPE: error: '{{.*}}dtype.safetensors': tensor 'layer_norm.weight' has dtype I32; expected F32, F16 or BF16 (or I8 with scales, for a matrix)
// HEADER-CUT: error: '{{.*}}header-cut.safetensors': truncated: the header claims {{[0-9]+}} bytes but the file has 992 after the length
// DATA-CUT: error: '{{.*}}data-cut.safetensors': truncated: tensor '{{.+}}' needs bytes [{{[0-9]+}}, {{[0-9]+}}) of the data but the file has {{[0-9]+}}
// NO-FILE: error: '{{.*}}none.safetensors': cannot open: No such file or directory

// retnet-weights refuses names the model does not have.
// RUN: not retnet-weights %S/Inputs/tiny.json -o %t/x.safetensors --omit=layers.2.ffn.gate.weight 2>&1 | FileCheck %s --check-prefix=WEIGHTS-NAME
// WEIGHTS-NAME: retnet-weights: error: --omit=layers.2.ffn.gate.weight: the model has no tensor named 'layers.2.ffn.gate.weight'

// Libraries that are not there or are not model libraries.
// RUN: printf 'int answer(void) { return 42; }\n' > %t/other.c
// RUN: cc -shared -fPIC %t/other.c -o %t/libother.so
// RUN: not retnet-run %t/missing.so --weights %t/w.safetensors --prompt 1 2>&1 | FileCheck %s --check-prefix=NO-LIBRARY
// RUN: not retnet-run %S/Inputs/tiny.json --weights %t/w.safetensors --prompt 1 2>&1 | FileCheck %s --check-prefix=NOT-ELF
// RUN: not retnet-run %t/libother.so --weights %t/w.safetensors --prompt 1 2>&1 | FileCheck %s --check-prefix=NOT-MODEL
// NO-LIBRARY: retnet-run: error: cannot load '{{.*}}missing.so': {{.*}}missing.so: cannot open shared object file: No such file or directory
// NOT-ELF: retnet-run: error: cannot load '{{.*}}tiny.json': {{.*}}tiny.json: invalid ELF header
// NOT-MODEL: retnet-run: error: '{{.*}}libother.so' is not a model library made by retnet-compile (no symbol retnet_error_free; a library compiled with --api-prefix=NAME needs --api-prefix=NAME)
