"""A RetNet decoder in PyTorch that follows torchscale's modules, in float64,
and the check of a compiled model's logits against it.

usage: torch_retnet.py CONFIG.json WEIGHTS.safetensors PROMPTS LOGITS.npy
                       [--tolerance T]

PROMPTS is "1,2,3;4,5,6" (rows of one length); LOGITS.npy is retnet-run's
--logits-out, [batch, length, vocab]. Exits 1 when the largest difference,
relative to the largest reference logit, exceeds T (default 1e-5, the
accuracy contract of docs/numerics.md: the model computes in f32, unit
roundoff 6e-8, and the test models' sums have at most a few hundred terms,
each of magnitude at most that of the largest logit after the norms).

The model mirrors torchscale/architecture/retnet.py (RetNetDecoder,
DecoderLayer, RetNetRelPos, with the Hugging Face port's use_lm_decay),
component/multiscale_retention.py (its
recurrent_forward, which the compiler matches exactly: see
docs/numerics.md, section 1), gate_linear_unit.py, feedforward_network.py
(the Hugging Face port's use_glu: false, with its subln LayerNorm) and
rms_norm.py, with RetNetConfig's settling of deepnorm, subln and
decoder_normalize_before.
It shares nothing with the C++ reference of test/reference.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_f32 import read_safetensors  # noqa: E402


class Config:
    """torchscale's RetNetConfig defaults and postprocessing."""

    def __init__(self, fields):
        self.embed_dim = fields["decoder_embed_dim"]
        self.value_dim = fields["decoder_value_embed_dim"]
        self.heads = fields["decoder_retention_heads"]
        self.layers = fields["decoder_layers"]
        self.activation = fields.get("activation_fn", "gelu")
        self.eps = fields.get("layernorm_eps", 1e-6)
        self.no_scale_embedding = fields.get("no_scale_embedding", True)
        self.layernorm_embedding = fields.get("layernorm_embedding", False)
        self.tied = fields.get("share_decoder_input_output_embed", False)
        self.deepnorm = fields.get("deepnorm", False)
        self.subln = fields.get("subln", True)
        self.normalize_before = fields.get("decoder_normalize_before", True)
        self.lm_decay = fields.get("use_lm_decay", False)
        self.glu = fields.get("use_glu", True)
        self.output_layer = not fields.get("no_output_layer", False)
        if self.deepnorm:
            self.normalize_before, self.subln = False, False
        if self.subln:
            self.normalize_before = True


def rms_norm(x, weight, eps):
    x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return x * weight if weight is not None else x


def rotate_every_two(x):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def theta_shift(x, sin, cos):
    return x * cos + rotate_every_two(x) * sin


def activation(name):
    return {"gelu": F.gelu, "swish": F.silu, "silu": F.silu,
            "relu": F.relu}[name]


class RetNet:
    def __init__(self, config, weights):
        self.c = config
        self.w = {n: torch.from_numpy(a.astype(np.float64))
                  for n, a in weights.items()}
        head_dim = config.embed_dim // config.heads
        # RetNetRelPos.
        angle = 1.0 / (10000 ** torch.linspace(0, 1, head_dim // 2,
                                               dtype=torch.float64))
        self.angle = angle.unsqueeze(-1).repeat(1, 2).flatten()
        if config.lm_decay:
            # The Hugging Face port's use_lm_decay.
            self.decay = torch.log(1 - torch.exp(torch.linspace(
                math.log(1 / 32), math.log(1 / 512), config.heads,
                dtype=torch.float64)))
        else:
            self.decay = torch.log(1 - 2 ** (-5 - torch.arange(
                config.heads, dtype=torch.float64)))
        # A stored buffer wins, as load_state_dict makes it.
        if "retnet_rel_pos.decay" in self.w:
            self.decay = self.w["retnet_rel_pos.decay"]
        self.alpha = math.pow(2.0 * config.layers, 0.25) \
            if config.deepnorm else 1.0

    def weight(self, name):
        return self.w[name]

    def retention(self, i, x, position, state):
        """MultiScaleRetention in its recurrent mode, one token: x [B, d]."""
        c, p = self.c, "layers.%d.retention." % i
        batch = x.shape[0]
        head_dim = c.embed_dim // c.heads
        value_head = c.value_dim // c.heads
        q = x @ self.weight(p + "q_proj.weight").T
        k = x @ self.weight(p + "k_proj.weight").T * head_dim ** -0.5
        v = x @ self.weight(p + "v_proj.weight").T
        g = x @ self.weight(p + "g_proj.weight").T
        sin = torch.sin(self.angle * position)
        cos = torch.cos(self.angle * position)
        qr = theta_shift(q.view(batch, c.heads, head_dim), sin, cos)
        kr = theta_shift(k.view(batch, c.heads, head_dim), sin, cos)
        v = v.view(batch, c.heads, value_head, 1)
        kv = kr.unsqueeze(2) * v  # [B, H, dv, dk], torchscale's layout
        decay = torch.exp(self.decay)
        if state[i] is not None:
            prev_kv, prev_scale = state[i]
            scale = prev_scale * decay + 1
            kv = (prev_kv * (prev_scale.sqrt() * decay / scale.sqrt())
                  .view(c.heads, 1, 1) + kv / scale.sqrt().view(c.heads, 1, 1))
        else:
            scale = torch.ones_like(decay)
        state[i] = (kv, scale)
        output = torch.sum(qr.unsqueeze(2) * kv, dim=3)  # [B, H, dv]
        output = rms_norm(output, None, c.eps).reshape(batch, c.value_dim)
        output = F.silu(g) * output
        return output @ self.weight(p + "out_proj.weight").T

    def ffn(self, i, x):
        p = "layers.%d.ffn." % i
        act = activation(self.c.activation)
        if self.c.glu:
            hidden = act(x @ self.weight(p + "fc1.weight").T) * (
                x @ self.weight(p + "gate.weight").T)
            return hidden @ self.weight(p + "fc2.weight").T
        # FeedForwardNetwork: fc1, activation, LayerNorm(ffn) with subln, fc2.
        hidden = act(F.linear(x, self.weight(p + "fc1.weight"),
                              self.weight(p + "fc1.bias")))
        if self.c.subln:
            hidden = F.layer_norm(hidden, hidden.shape[-1:],
                                  self.weight(p + "ffn_layernorm.weight"),
                                  self.weight(p + "ffn_layernorm.bias"),
                                  self.c.eps)
        return F.linear(hidden, self.weight(p + "fc2.weight"),
                        self.weight(p + "fc2.bias"))

    def step(self, tokens, position, state):
        """The logits after one token per row; tokens [B]."""
        c = self.c
        scale = 1.0 if c.no_scale_embedding else math.sqrt(c.embed_dim)
        x = scale * self.weight("embed_tokens.weight")[tokens]
        if c.layernorm_embedding:
            x = rms_norm(x, self.weight("layernorm_embedding.weight"), c.eps)
        for i in range(c.layers):
            p = "layers.%d." % i
            for norm, block in (
                    ("retention_layer_norm",
                     lambda h: self.retention(i, h, position, state)),
                    ("final_layer_norm", lambda h: self.ffn(i, h))):
                norm_weight = self.weight(p + norm + ".weight")
                residual = x
                if c.normalize_before:
                    x = rms_norm(x, norm_weight, c.eps)
                x = residual * self.alpha + block(x)
                if not c.normalize_before:
                    x = rms_norm(x, norm_weight, c.eps)
        if c.normalize_before:
            x = rms_norm(x, self.weight("layer_norm.weight"), c.eps)
        if not c.output_layer:
            return x  # RetNetDecoder's features: no output projection
        projection = self.weight("embed_tokens.weight" if c.tied
                                 else "output_projection.weight")
        return x @ projection.T


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("weights")
    parser.add_argument("prompts")
    parser.add_argument("logits")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    config = Config(json.load(open(args.config)))
    model = RetNet(config, read_safetensors(args.weights))
    rows = [[int(t) for t in row.split(",")] for row in args.prompts.split(";")]
    tokens = torch.tensor(rows)
    state = [None] * config.layers
    with torch.no_grad():
        reference = torch.stack([model.step(tokens[:, n], n, state)
                                 for n in range(tokens.shape[1])], dim=1)
    compiled = torch.from_numpy(np.load(args.logits).astype(np.float64))
    if compiled.shape != reference.shape:
        print("logits of shape %s; the reference has %s" %
              (list(compiled.shape), list(reference.shape)))
        return 1
    error = ((compiled - reference).abs().max() /
             reference.abs().max()).item()
    ok = error <= args.tolerance
    print("%s: largest difference %.2e of the largest logit (tolerance %.0e)"
          % ("PASS" if ok else "FAIL", error, args.tolerance))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
