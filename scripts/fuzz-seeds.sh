#!/usr/bin/env bash
# Rebuilds the fuzz seed corpora (fuzz/corpus/*) from the tests' inputs:
# the retention IR tests split at their `// -----` markers, the model
# descriptions of the tests and examples, and weights of fuzz/micro.json
# (valid in each dtype, and broken in each way the tests break them), and
# small tokenizer.json files in GPT-2's, Llama 3's and RoBERTa's styles
# (test/tools/Inputs/byte_level_bpe.py; needs python3-regex).
# Needs a build (build/ or RETNET_BUILD_DIR) for retnet-weights.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${RETNET_BUILD_DIR:-$root/build}"
corpus="$root/fuzz/corpus"
rm -rf "$corpus/ir" "$corpus/config" "$corpus/safetensors" "$corpus/tokenizer" \
  "$corpus/request"
mkdir -p "$corpus/ir" "$corpus/config" "$corpus/safetensors" "$corpus/tokenizer" \
  "$corpus/request"

/usr/bin/python3 - "$root" "$corpus/ir" <<'PY'
import pathlib, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for test in sorted(root.glob("test/Dialect/*/*/*.mlir")):
    cases = test.read_text().split("// -----")
    for index, case in enumerate(cases):
        lines = [l for l in case.splitlines() if not l.lstrip().startswith("//")]
        text = "\n".join(lines).strip()
        if text:
            # Dialect, folder and file: both dialects have IR/ops.mlir.
            name = "%s-%s-%s-%d.mlir" % (test.parent.parent.name,
                                         test.parent.name, test.stem, index)
            (out / name).write_text(text + "\n")
PY

for json in "$root"/test/tools/Inputs/*.json; do
  cp "$json" "$corpus/config/test-$(basename "$json")"
done
for json in "$root"/examples/*.json; do
  cp "$json" "$corpus/config/example-$(basename "$json")"
done
cp "$root/fuzz/micro.json" "$corpus/config/micro.json"

micro="$root/fuzz/micro.json"
st="$corpus/safetensors"
for dtype in f32 f16 bf16; do
  "$build/bin/retnet-weights" "$micro" -o "$st/micro-$dtype.safetensors" \
    --seed 1 --dtype "$dtype"
done
# int8 with a scale per group of 8 values (micro.json's d) and per channel.
for group in 8 channel; do
  "$build/bin/retnet-weights" "$micro" -o "$st/micro-int8-$group.safetensors" \
    --seed 1 --dtype int8 --group="$group"
done
"$build/bin/retnet-weights" "$micro" -o "$st/micro-missing.safetensors" \
  --omit=layers.0.ffn.fc1.weight
"$build/bin/retnet-weights" "$micro" -o "$st/micro-int8-no-scale.safetensors" \
  --dtype int8 --group=8 --omit=layers.0.ffn.fc1.weight_scale
for mode in short-header duplicate overlap gap nan-decay nan-weight huge-weight; do
  /usr/bin/python3 "$root/test/tools/Inputs/corrupt-safetensors.py" "$mode" \
    "$st/micro-f32.safetensors" "$st/micro-$mode.safetensors" 2
done
/usr/bin/python3 - "$root/test/tools/Inputs" "$corpus/tokenizer" <<'PY'
import json, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
from byte_level_bpe import LLAMA3_PATTERN, tokenizer_json, train
corpus = "the cat sat on a mat, it's 2024! naïve café 東京 🙂\n" * 4
vocab, merges = train(corpus, 40)
styles = {
    "gpt2": tokenizer_json(vocab, merges, ["<|endoftext|>"], {
        "type": "ByteLevel", "add_prefix_space": False, "use_regex": True}),
    "llama3": tokenizer_json(vocab, merges, ["<|begin_of_text|>"], {
        "type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False,
             "use_regex": False}]}, merges_as_pairs=True,
        ignore_merges=True),
    "roberta": tokenizer_json(vocab, merges, ["<s>", "</s>"], {
        "type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": True,
             "use_regex": True}]}),
}
for name, spec in styles.items():
    with open("%s/%s.json" % (sys.argv[2], name), "w") as f:
        json.dump(spec, f, ensure_ascii=False)
PY
# Request bodies for retnet-serve's parser: the fields it reads, each kind of
# prompt, and the refusals its tests check.
/usr/bin/python3 - "$corpus/request" <<'PY'
import json, sys
bodies = {
    "text": {"prompt": "the cat sat", "max_tokens": 8},
    "ids": {"prompt": [1, 2, 3], "max_tokens": 4, "ignore_eos": True},
    "sampling": {"prompt": "it's 2024", "temperature": 0.7, "top_k": 40,
                 "top_p": 0.9, "min_p": 0.05, "repetition_penalty": 1.1,
                 "seed": 7, "stream": True},
    "stops": {"prompt": "café", "stop": ["\n", "mat"], "max_tokens": 16},
    "stop-string": {"prompt": "東京", "stop": "!", "model": "retnet"},
    "defaults": {"prompt": "a", "n": 1, "best_of": 1, "echo": False,
                 "logprobs": None, "user": "extra fields are ignored"},
    "unsupported-n": {"prompt": "a", "n": 2},
    "unsupported-logprobs": {"prompt": "a", "logprobs": 1},
    "wrong-type": {"prompt": "a", "max_tokens": "8"},
    "out-of-range": {"prompt": [0], "top_p": 0, "max_tokens": 100000},
    "bad-id": {"prompt": [-1, 99999999999]},
    "empty-prompt": {"prompt": []},
    "long-prompt": {"prompt": list(range(40))},
    "too-many-stops": {"prompt": "a", "stop": ["a", "b", "c", "d", "e"]},
}
for name, body in bodies.items():
    with open("%s/%s.json" % (sys.argv[1], name), "w") as f:
        json.dump(body, f, ensure_ascii=False)
for name, text in {"not-json": "{\"prompt\": ", "array": "[1, 2]",
                   "bad-utf8": "{\"prompt\": \"\xff\"}"}.items():
    with open("%s/%s.json" % (sys.argv[1], name), "w",
              encoding="latin-1") as f:
        f.write(text)
PY
echo "fuzz-seeds: $(ls "$corpus/ir" | wc -l) IR, $(ls "$corpus/config" | wc -l) config, $(ls "$st" | wc -l) safetensors, $(ls "$corpus/tokenizer" | wc -l) tokenizer, $(ls "$corpus/request" | wc -l) request seeds"
