#!/usr/bin/env python3
"""Text in and out of retnet-run and retnet-tokenize, against SentencePiece's
own tools: trains a tokenizer with spm_train, then checks
  - retnet-tokenize's ids and text against spm_encode and spm_decode;
  - that retnet-run --text prints the text spm_decode gives for the ids the
    same run makes from token ids (greedy, and sampled with one seed);
  - seeds: the same seed gives the same text;
  - --eos-id and --stop: the output is the text before them;
  - a model vocabulary larger than the tokenizer's never yields an id the
    tokenizer lacks.
Usage: check-text-generation.py WORKDIR MODEL.json (tools on PATH)."""

import os
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from text_fixture import check, compile_model, make_tokenizer, run  # noqa

work, model_json = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
tokenizer = make_tokenizer(work)

# Encoding and decoding against spm_encode / spm_decode, with characters
# the tokenizer only has as bytes (ǅ, the emoji) and repeated spaces.
texts = ["the cat sat", "Über den café 東京 naïve", "dogs  ran ǅ 🙂 far",
         "x", "日本語 and the mat"]
for text in texts:
    ours = run(["retnet-tokenize", tokenizer, "--text", text]).stdout.strip()
    theirs = run(["spm_encode", "--model=" + tokenizer, "--output_format=id"],
                 stdin=text + "\n").stdout.strip().replace(" ", ",")
    check(ours == theirs, "ids of %r: %s, spm_encode %s" % (text, ours, theirs))
    ours_text = run(["retnet-tokenize", tokenizer, "--ids", ours]).stdout
    theirs_text = run(["spm_decode", "--model=" + tokenizer,
                       "--input_format=id"],
                      stdin=theirs.replace(",", " ") + "\n").stdout
    check(ours_text == theirs_text,
          "text of %s: %r, spm_decode %r" % (ours, ours_text, theirs_text))
print("PASS: %d texts tokenize and detokenize as spm_encode and spm_decode"
      % len(texts))


def spm_decode(ids):
    return run(["spm_decode", "--model=" + tokenizer, "--input_format=id"],
               stdin=" ".join(map(str, ids)) + "\n").stdout[:-1]


library, weights = compile_model(work, model_json, 400, "same-vocab")
prompt_text = "the cat sat on"
bos_ids = run(["retnet-tokenize", tokenizer, "--text", prompt_text,
               "--bos"]).stdout.strip()
prompt_ids = [int(i) for i in bos_ids.split(",")]
steps = "40"


def generate(extra, library=library, weights=weights):
    result = run(["retnet-run", library, "--weights", weights,
                  "--max-new-tokens", steps] + extra)
    check(result.stdout.endswith("\n"), "output ends with a newline")
    return result.stdout[:-1], result.stderr


def text_of(generated_ids):
    """The text of ids generated after the prompt, as spm_decode gives it."""
    whole, prompt = spm_decode(prompt_ids + generated_ids), spm_decode(
        prompt_ids)
    check(whole.startswith(prompt), "decoding keeps the prompt's text")
    return whole[len(prompt):]


# Greedy and sampled: the text equals the decoded ids of the same run.
for sampling in (["--temperature", "0"], ["--seed", "7", "--temperature",
                                          "0.8"]):
    ids, _ = generate(["--prompt", bos_ids, "--ignore-eos"] + sampling)
    ids = [int(i) for i in ids.split(",")]
    text, _ = generate(["--tokenizer", tokenizer, "--text", prompt_text,
                        "--ignore-eos"] + sampling)
    check(len(ids) == int(steps), "%s: %d ids" % (sampling, len(ids)))
    check(text == text_of(ids),
          "%s: retnet-run --text printed %r, spm_decode of its ids gives %r"
          % (sampling, text, text_of(ids)))
print("PASS: the text of greedy and sampled generations is spm_decode's")

# --text samples by default (llama.cpp's defaults): the seed decides.
texts = [generate(["--tokenizer", tokenizer, "--text", prompt_text,
                   "--ignore-eos", "--seed", seed])[0]
         for seed in ("11", "11", "12")]
check(texts[0] == texts[1], "the same seed gives the same text")
check(texts[0] != texts[2], "seeds 11 and 12 give the same text")
print("PASS: a seed gives the same text, another seed another")

# --eos-id: the row ends before that token.
greedy, _ = generate(["--prompt", bos_ids, "--temperature", "0",
                      "--ignore-eos"])
greedy = [int(i) for i in greedy.split(",")]
cut = next(k for k in range(5, len(greedy)) if greedy[k] not in greedy[:k])
ended, stats = generate(["--prompt", bos_ids, "--temperature", "0",
                         "--eos-id", str(greedy[cut])])
check(ended == ",".join(map(str, greedy[:cut])) and "finish: eos" in stats,
      "--eos-id %d: %r (%s), expected the %d tokens before it" %
      (greedy[cut], ended, stats, cut))
print("PASS: --eos-id ends the row before the EOS token")

# --stop: the text ends before the first occurrence of the stop string,
# which may span tokens; a stop string that never comes changes nothing.
full, _ = generate(["--tokenizer", tokenizer, "--text", prompt_text,
                    "--temperature", "0", "--ignore-eos"])
stop = full[len(full) // 2:len(full) // 2 + 3]
stopped, stats = generate(["--tokenizer", tokenizer, "--text", prompt_text,
                           "--temperature", "0", "--ignore-eos", "--stop",
                           "@@", "--stop", stop])
check(stopped == full[:full.index(stop)] and "finish: stop" in stats,
      "--stop %r: %r, expected %r" % (stop, stopped, full[:full.index(stop)]))
unstopped, stats = generate(["--tokenizer", tokenizer, "--text", prompt_text,
                             "--temperature", "0", "--ignore-eos", "--stop",
                             "@@"])
check(unstopped == full and "finish: length" in stats,
      "a stop string that does not come: %r" % unstopped)
print("PASS: --stop ends the text before the stop string")

# A model vocabulary larger than the tokenizer's: the 112 ids the tokenizer
# lacks are never drawn (decoding one would be an error).
wide_library, wide_weights = compile_model(work, model_json, 512,
                                           "wide-vocab")
for seed in ("1", "2", "3"):
    generate(["--tokenizer", tokenizer, "--text", prompt_text, "--ignore-eos",
              "--temperature", "2", "--top-k", "0", "--min-p", "0",
              "--top-p", "1", "--seed", seed],
             library=wide_library, weights=wide_weights)
print("PASS: a 512-token model with a 400-token tokenizer draws tokenizer ids")

# A smaller model vocabulary is an error.
small_library, small_weights = compile_model(work, model_json, 300,
                                             "narrow-vocab")
result = run(["retnet-run", small_library, "--weights", small_weights,
              "--tokenizer", tokenizer, "--text", prompt_text],
             expect_ok=False)
sys.stdout.write(result.stderr)
