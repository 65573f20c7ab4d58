#!/usr/bin/env python3
"""Hugging Face tokenizer.json (byte-level BPE) against an independent
reference (byte_level_bpe.py):
  - three tokenizers trained here in GPT-2's, Llama 3's and RoBERTa's
    styles (regexes, merges as strings or pairs, ignore_merges, prefix
    space, digits, BOS through a template or tokenizer_config.json);
  - retnet-tokenize gives the reference's ids for texts with contractions,
    numbers, runs of spaces, newlines, accents, CJK, emoji and special
    tokens, and decodes them back to the text;
  - retnet-run --tokenizer prints the text of the ids that the same greedy
    generation gives from the reference's prompt ids.
Usage: check-hf-tokenizer.py WORKDIR MODEL.json (tools on PATH)."""

import json
import os
import random
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from byte_level_bpe import (LLAMA3_PATTERN, Reference, tokenizer_json,  # noqa
                            train)
from text_fixture import check, compile_model, run  # noqa

work, model_json = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)

rng = random.Random(7)
words = ("the cat sat on a mat while dogs ran far away into green fields "
         "and bright mornings bring joy über café naïve 東京 日本語 it's "
         "we'll 2024 3.14 hello, world! x+y=z").split()
corpus = "\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
                   for _ in range(800))

texts = [
    "the cat sat on a mat",
    "  two  spaces,\ttabs\tand\nnew lines\n\n",
    "it's we'll THEY'RE don't 12345 3.14159 x+y=z",
    "naïve café über 東京 日本語 🙂 ok",
    "before<|endoftext|>after <|end_of_text|>",
    "",
]

gpt2_vocab, gpt2_merges = train(corpus, 300)
llama_vocab, llama_merges = train(corpus, 300, LLAMA3_PATTERN)
styles = {
    "gpt2": tokenizer_json(
        gpt2_vocab, gpt2_merges, ["<|endoftext|>"],
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
         "use_regex": True}),
    "llama3": tokenizer_json(
        llama_vocab, llama_merges, ["<|begin_of_text|>", "<|end_of_text|>"],
        {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False,
             "trim_offsets": True, "use_regex": False}]},
        merges_as_pairs=True, ignore_merges=True,
        post_processor={"type": "TemplateProcessing", "single": [
            {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}}]}),
    "roberta": tokenizer_json(
        gpt2_vocab, gpt2_merges, ["<s>", "</s>"],
        {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": True,
             "trim_offsets": True, "use_regex": True}]}),
}
expected_special = {  # (bos, eos) names; None: none
    "gpt2": (None, "<|endoftext|>"),
    "llama3": ("<|begin_of_text|>", "<|end_of_text|>"),
    "roberta": ("<s>", "</s>"),
}
paths = {}
for name, spec in styles.items():
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    paths[name] = os.path.join(folder, "tokenizer.json")
    with open(paths[name], "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    if name == "roberta":  # BOS and EOS from tokenizer_config.json
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump({"bos_token": "<s>", "add_bos_token": True,
                       "eos_token": {"content": "</s>"}}, f)

checked = 0
for name, spec in styles.items():
    reference = Reference(spec)
    # The folder works as well as the file.
    for path in (paths[name], os.path.dirname(paths[name])):
        info = dict(line.split(": ") for line in
                    run(["retnet-tokenize", path, "--info"]).stdout.split("\n")
                    if line)
        bos, eos = expected_special[name]
        want = {"vocab_size": str(len(reference.vocab)),
                "bos_id": str(reference.vocab[bos] if bos else -1),
                "eos_id": str(reference.vocab[eos])}
        check(info == want, "%s --info: %s, expected %s" % (name, info, want))
    for text in texts:
        want = reference.encode(text)
        got = run(["retnet-tokenize", paths[name], "--text", text]).stdout
        got = [int(i) for i in got.strip().split(",") if i]
        check(got == want, "%s %r: ids %s, reference %s" %
              (name, text, got, want))
        if not want:
            continue
        ids = ",".join(map(str, want))
        decoded = run(["retnet-tokenize", paths[name], "--ids", ids]).stdout
        check(decoded[:-1] == reference.decode(want),
              "%s %r: decoded %r, reference %r" %
              (name, text, decoded[:-1], reference.decode(want)))
        checked += 1
    # A byte sequence cut in the middle decodes to U+FFFD.
    emoji = reference.encode("🙂")
    cuts = [emoji[:k] for k in range(1, len(emoji))
            if "\ufffd" in reference.decode(emoji[:k])]
    check(cuts, "%s: the emoji is one token %s" % (name, emoji))
    cut = run(["retnet-tokenize", paths[name], "--ids",
               ",".join(map(str, cuts[0]))]).stdout[:-1]
    check(cut == reference.decode(cuts[0]),
          "%s: a cut character decodes to %r" % (name, cut))
print("PASS: %d texts tokenize and detokenize as the reference "
      "(GPT-2, Llama 3 and RoBERTa styles)" % checked)

# Generation with text in and out equals generation from the reference's
# ids, decoded by the reference.
spec = styles["llama3"]
reference = Reference(spec)
library, weights = compile_model(work, model_json, len(reference.vocab),
                                 "hfbpe")
prompt = "the cat sat on"
prompt_ids = [reference.vocab["<|begin_of_text|>"]] + reference.encode(prompt)
common = [library, "--weights", weights, "--max-new-tokens", "12",
          "--temperature", "0"]
ids = run(["retnet-run"] + common + ["--prompt",
                                     ",".join(map(str, prompt_ids))]).stdout
generated = [int(i) for i in ids.strip().split(",")]
text = run(["retnet-run"] + common + ["--tokenizer", paths["llama3"],
                                      "--text", prompt, "--ignore-eos"]).stdout
want = reference.decode(generated)
check(text.rstrip("\n") == want.rstrip("\n") or text == want + "\n",
      "generated text %r, reference %r (ids %s)" % (text, want, generated))
print("PASS: retnet-run --tokenizer tokenizer.json prints the text of the "
      "reference's generation")

# Tokenizer files that are not supported get a clear error.
bad = {
    "unigram": ({"model": {"type": "Unigram", "vocab": []}},
                "model type 'Unigram' is not supported"),
    "metaspace": (dict(styles["gpt2"], pre_tokenizer={
        "type": "Metaspace", "replacement": "\u2581"}),
        "pre-tokenizer 'Metaspace' is not supported"),
    "normalizer": (dict(styles["gpt2"], normalizer={"type": "NFKC"}),
                   "normalizer 'NFKC' is not supported"),
    "merge": (dict(styles["gpt2"], model=dict(
        styles["gpt2"]["model"], merges=["zz qq"])),
        "merge 'zz qq' has a token outside the vocabulary"),
    "negative": (dict(styles["gpt2"], added_tokens=[
        {"id": -3, "content": "<x>", "special": True}]),
        "token '<x>' has the id -3, not an integer from 0 to 16777215"),
    "huge": (dict(styles["gpt2"], added_tokens=[
        {"id": 1 << 40, "content": "<x>", "special": True}]),
        "token '<x>' has the id 1099511627776"),
    "notjson": (None, "not a JSON object"),
}
for name, (spec, message) in bad.items():
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        f.write(json.dumps(spec) if spec else "{not json")
    result = run(["retnet-tokenize", path, "--info"], expect_ok=False)
    check(result.returncode == 1 and message in result.stderr,
          "%s: exit %d, %r" % (name, result.returncode, result.stderr))
print("PASS: %d unsupported or broken tokenizer.json files get a clear "
      "error" % len(bad))
