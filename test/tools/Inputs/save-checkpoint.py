"""Saves the weights of a safetensors file the ways real RetNet checkpoints
are saved, for the tests of retnet-convert.

usage: save-checkpoint.py MODE IN.safetensors CONFIG.json OUT [--bf16]

MODE:
  fairseq        OUT.pt: {"model": {"decoder.<name>": tensor, ...,
                 "decoder.version"}, "cfg": {"model": Namespace}, ...} as
                 fairseq's trainer saves it, config values in cfg["model"]
                 among fairseq's own fields and without vocab_size
  fairseq-omegaconf  the same with cfg an omegaconf DictConfig
  fairseq-args   the same with a legacy "args" Namespace instead of "cfg"
  state-dict     OUT.pt: a plain state dict with torchscale's names
  hf-sharded     folder OUT: config.json in the Hugging Face port's fields
                 and model-0000i-of-00003.safetensors with
                 model.safetensors.index.json ("model." names, lm_head)
  hf-bin         folder OUT: config.json and pytorch_model.bin (HF names)

A tied model (share_decoder_input_output_embed) stores its embedding under
both names, as PyTorch's state_dict() does. --bf16 stores the tensors of the
torch modes as bfloat16. The safetensors file is read with numpy alone
(test/reference/safetensors_f32.py), so that the tests do not depend on the
converter's reader.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "reference"))
from safetensors_f32 import read_safetensors  # noqa: E402


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header)
    text += " " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text.encode())
        for blob in blobs:
            out.write(blob)


def hf_name(name):
    return "lm_head.weight" if name == "output_projection.weight" \
        else "model." + name


def hf_config(config):
    """The Hugging Face port's config.json: its metadata, tie_word_embeddings
    for the sharing flag, and the GLU flag it defaults to true."""
    result = dict(config)
    result["tie_word_embeddings"] = result.pop(
        "share_decoder_input_output_embed", False)
    result.update({"architectures": ["RetNetForCausalLM"],
                   "model_type": "retnet", "torch_dtype": "float32",
                   "transformers_version": "4.36.2", "use_glu": True,
                   "use_lm_decay": False, "forward_impl": "parallel",
                   "initializer_range": 0.02, "use_cache": True,
                   "pad_token_id": 0, "eos_token_id": 0, "is_decoder": True,
                   "output_retentions": False})
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("weights")
    parser.add_argument("config")
    parser.add_argument("out")
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    weights = read_safetensors(args.weights)
    config = json.load(open(args.config))
    if config.get("share_decoder_input_output_embed"):
        weights["output_projection.weight"] = weights["embed_tokens.weight"]

    if args.mode == "hf-sharded":
        os.makedirs(args.out, exist_ok=True)
        json.dump(hf_config(config), open(os.path.join(args.out,
                                                       "config.json"), "w"))
        names = sorted(weights)
        if config.get("share_decoder_input_output_embed"):
            names.remove("output_projection.weight")  # HF saves it once
        shards = [names[i::3] for i in range(3)]
        weight_map, total = {}, 0
        for i, shard in enumerate(shards):
            file = "model-%05d-of-%05d.safetensors" % (i + 1, len(shards))
            write_safetensors(os.path.join(args.out, file),
                              {hf_name(n): weights[n] for n in shard})
            for n in shard:
                weight_map[hf_name(n)] = file
                total += weights[n].size * 4
        json.dump({"metadata": {"total_size": total},
                   "weight_map": weight_map},
                  open(os.path.join(args.out, "model.safetensors.index.json"),
                       "w"), indent=2)
        return

    import torch
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    tensors = {n: torch.from_numpy(a.copy()).to(dtype)
               for n, a in weights.items()}
    if config.get("share_decoder_input_output_embed"):
        tensors["output_projection.weight"] = tensors["embed_tokens.weight"]

    if args.mode.startswith("fairseq"):
        fields = {k: v for k, v in config.items() if k != "vocab_size"}
        fields.update({"_name": "retnet_base", "tokens_per_sample": 512,
                       "adaptive_input": False, "character_embeddings": False})
        state = {"decoder." + n: t for n, t in tensors.items()}
        state["decoder.version"] = torch.tensor([3.0])
        checkpoint = {"model": state, "optimizer_history": [],
                      "extra_state": {"epoch": 1}, "criterion": None}
        if args.mode == "fairseq":
            checkpoint["cfg"] = {"model": argparse.Namespace(**fields),
                                 "task": {"_name": "language_modeling"}}
            checkpoint["args"] = None
        elif args.mode == "fairseq-omegaconf":
            from omegaconf import OmegaConf
            checkpoint["cfg"] = OmegaConf.create(
                {"model": fields, "task": {"_name": "language_modeling"}})
        elif args.mode == "fairseq-args":
            checkpoint["args"] = argparse.Namespace(**fields)
        else:
            sys.exit("unknown mode " + args.mode)
        torch.save(checkpoint, args.out)
    elif args.mode == "state-dict":
        torch.save(tensors, args.out)
    elif args.mode == "hf-bin":
        os.makedirs(args.out, exist_ok=True)
        json.dump(hf_config(config), open(os.path.join(args.out,
                                                       "config.json"), "w"))
        torch.save({hf_name(n): t for n, t in tensors.items()},
                   os.path.join(args.out, "pytorch_model.bin"))
    else:
        sys.exit("unknown mode " + args.mode)


main()
