"""A reference for the tokenizer.json tests, written from the format's
description independently of the C++ one: byte-level BPE trained on a
corpus (GPT-2's recipe: the most frequent pair merges first), written as a
Hugging Face tokenizer.json, and encoded and decoded the way GPT-2's own
encoder does (all occurrences of the best pair merge at once). Needs the
`regex` module (python3-regex) for \\p{L}."""

import collections

import regex

GPT2_PATTERN = (r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|"""
                r""" ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
LLAMA3_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"""
                  r"""\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"""
                  r"""\s+(?!\S)|\s+""")


def bytes_to_unicode():
    printable = (list(range(ord("!"), ord("~") + 1)) +
                 list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1)))
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def byte_chars(text):
    return "".join(BYTE_TO_CHAR[b] for b in text.encode("utf-8"))


def merge_pair(symbols, pair):
    """`symbols` with every occurrence of `pair` merged, left to right."""
    merged, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            merged.append(pair[0] + pair[1])
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return merged


def train(corpus, merges_wanted, pattern=GPT2_PATTERN):
    """(vocab {token: id}, merges [(a, b)]) learnt from `corpus`."""
    words = collections.Counter(byte_chars(piece) for piece in
                                regex.findall(pattern, corpus))
    spelled = {word: list(word) for word in words}
    vocab = {BYTE_TO_CHAR[b]: i for i, b in enumerate(range(256))}
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, count in words.items():
            symbols = spelled[word]
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda item: (item[1], item[0]))[0]
        merges.append(best)
        vocab.setdefault(best[0] + best[1], len(vocab))
        for word in words:
            spelled[word] = merge_pair(spelled[word], best)
    return vocab, merges


def bpe(word, ranks):
    symbols = list(word)
    while len(symbols) > 1:
        pairs = set(zip(symbols, symbols[1:]))
        best = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if best not in ranks:
            break
        symbols = merge_pair(symbols, best)
    return symbols


class Reference:
    """Encodes and decodes with a tokenizer.json (the parts the tests
    write)."""

    def __init__(self, spec):
        model = spec["model"]
        self.vocab = dict(model["vocab"])
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m)
                  for m in model["merges"]]
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.ignore_merges = model.get("ignore_merges", False)
        self.added = {t["content"]: t for t in spec["added_tokens"]}
        for token in spec["added_tokens"]:
            self.vocab[token["content"]] = token["id"]
        self.tokens = {i: t for t, i in self.vocab.items()}
        pre = spec["pre_tokenizer"]
        self.steps = pre["pretokenizers"] if pre["type"] == "Sequence" else [
            pre]

    def split(self, piece, step):
        kind = step["type"]
        if kind == "Split":
            pattern = step["pattern"]["Regex"]
        elif kind == "ByteLevel":
            if step.get("add_prefix_space") and not piece.startswith(" "):
                piece = " " + piece
            if not step.get("use_regex", True):
                return [piece]
            pattern = GPT2_PATTERN
        elif kind == "Digits":
            pattern = r"\d" if step["individual_digits"] else r"\d+"
        parts, last = [], 0
        for match in regex.finditer(pattern, piece):
            if match.end() == match.start():
                continue
            if match.start() > last:
                parts.append(piece[last:match.start()])
            parts.append(match.group())
            last = match.end()
        if last < len(piece):
            parts.append(piece[last:])
        return parts

    def encode(self, text):
        names = sorted(self.added, key=len, reverse=True)
        cut = "(" + "|".join(regex.escape(n) for n in names) + ")"
        ids = []
        for segment in regex.split(cut, text) if names else [text]:
            if segment in self.added:
                ids.append(self.added[segment]["id"])
                continue
            if not segment:
                continue
            pieces = [segment]
            for step in self.steps:
                pieces = [p for piece in pieces for p in self.split(piece, step)]
            for piece in pieces:
                word = byte_chars(piece)
                if self.ignore_merges and word in self.vocab:
                    ids.append(self.vocab[word])
                else:
                    ids.extend(self.vocab[s] for s in bpe(word, self.ranks))
        return ids

    def decode(self, ids):
        data = b""
        for i in ids:
            token = self.tokens[i]
            if token in self.added:
                if not self.added[token].get("special"):
                    data += token.encode("utf-8")
            else:
                data += bytes(CHAR_TO_BYTE[c] for c in token)
        return data.decode("utf-8", "replace")


def tokenizer_json(vocab, merges, added, pre_tokenizer, merges_as_pairs=False,
                   ignore_merges=False, post_processor=None):
    """A tokenizer.json as the tokenizers library writes it."""
    added_tokens = [{"id": len(vocab) + i, "content": name, "single_word": False,
                     "lstrip": False, "rstrip": False, "normalized": False,
                     "special": True} for i, name in enumerate(added)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": None,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": post_processor or {
            "type": "ByteLevel", "add_prefix_space": False,
            "trim_offsets": True, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True,
                    "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None,
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": ignore_merges,
            "vocab": vocab,
            "merges": [list(m) if merges_as_pairs else " ".join(m)
                       for m in merges],
        },
    }
