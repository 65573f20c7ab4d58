"""What the text tests share: a SentencePiece tokenizer trained here on a
seeded corpus, and tiny models compiled for it (tools on PATH)."""

import json
import os
import random
import subprocess
import sys


def run(args, stdin=None, expect_ok=True):
    """Runs a tool; its output is decoded as UTF-8 without newline
    translation (generated text may hold a carriage return)."""
    result = subprocess.run(args, input=None if stdin is None else
                            stdin.encode(), capture_output=True)
    result.stdout = result.stdout.decode("utf-8", "replace")
    result.stderr = result.stderr.decode("utf-8", "replace")
    if expect_ok and result.returncode != 0:
        sys.exit("FAIL: %s exited with %d: %s" %
                 (" ".join(args), result.returncode, result.stderr))
    return result


def check(condition, message):
    if not condition:
        sys.exit("FAIL: " + message)


def make_tokenizer(work):
    """A tokenizer of 400 pieces with byte fallback, from a seeded corpus
    that has multi-byte characters; returns the .model path."""
    rng = random.Random(5)
    words = ("the cat sat on a mat while dogs ran far away into green fields "
             "and bright mornings bring joy über café naïve 東京 日本語").split()
    corpus = os.path.join(work, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for _ in range(2000):
            f.write(" ".join(rng.choice(words)
                             for _ in range(rng.randint(3, 12))) + "\n")
    prefix = os.path.join(work, "tok")
    run(["spm_train", "--input=" + corpus, "--model_prefix=" + prefix,
         "--vocab_size=400", "--model_type=bpe", "--byte_fallback=true",
         "--character_coverage=0.99", "--minloglevel=2"])
    return prefix + ".model"


def compile_model(work, model_json, vocab, name):
    """The description `model_json` with `vocab` tokens, compiled, and its
    seeded random weights: (library, weights)."""
    with open(model_json) as f:
        config = json.load(f)
    config["vocab_size"] = vocab
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        json.dump(config, f)
    library = os.path.join(work, "lib" + name + ".so")
    weights = os.path.join(work, name + ".safetensors")
    run(["retnet-compile", path, "-o", library])
    run(["retnet-weights", path, "-o", weights, "--seed", "3"])
    return library, weights
