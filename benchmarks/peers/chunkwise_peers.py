#!/usr/bin/env python3
"""Peers of the chunkwise retention kernel on a GPU, for scripts/gpu-check.sh.

  chunkwise_peers.py [--shape B,H,T,DK,DV] [--chunk C] [--dtype bf16|f16|f32]
                     [--runs N] [--device cuda|cpu] [--check]

Times, on the same shape and decays as retention-bench --gpu-shapes
(gamma_h = 1 - 2^(-5 - h), the torchscale/RetNet decays, zero initial
state, no output scaling):

  - torch: chunkwise retention written in PyTorch, every product a batched
    matmul on cuBLAS (the intra-chunk (Q K^T * D) V, the chunk states
    (K * zeta)^T V, the cross-chunk (Q * xi) S) and a loop over chunks for
    the scan of the states (f32 states);
  - fla: flash-linear-attention's chunk_retention (Triton), if the package
    imports (its source carried along and put on PYTHONPATH), else a line
    saying why not.

Each prints one line `peer=NAME ... ms=MEDIAN` (CUDA events around each
call, after two warm-up calls). --check compares the torch peer with the
parallel form in float64 on a small shape first and exits non-zero if they
differ (it runs on the CPU too).
"""

import argparse
import statistics
import sys

import torch


def decays(heads, device):
    exponents = -5.0 - torch.arange(heads, dtype=torch.float64, device=device)
    return 1.0 - torch.pow(2.0, exponents)


def parallel_retention(q, k, v, gamma):
    """The parallel form, o_n = sum_{m <= n} gamma^(n-m) (q_n . k_m) v_m."""
    t = q.shape[2]
    n = torch.arange(t, device=q.device, dtype=torch.float64)
    distance = n[:, None] - n[None, :]
    mask = torch.where(distance >= 0,
                       gamma[:, None, None] ** distance.clamp(min=0),
                       torch.zeros((), dtype=torch.float64, device=q.device))
    scores = (q @ k.transpose(-1, -2)) * mask.to(q.dtype)
    return scores @ v


def chunkwise_retention(q, k, v, gamma, chunk):
    """Chunkwise retention on batched matmuls; states in f32."""
    b, h, t, dk = q.shape
    dv = v.shape[-1]
    assert t % chunk == 0, "T must be a multiple of the chunk size"
    n = t // chunk
    device = q.device
    i = torch.arange(chunk, device=device, dtype=torch.float64)
    g = gamma[:, None]
    distance = i[:, None] - i[None, :]
    inner_mask = torch.where(distance >= 0,
                             gamma[:, None, None] ** distance.clamp(min=0),
                             torch.zeros((), dtype=torch.float64,
                                         device=device))
    xi = (g ** (i + 1)).to(q.dtype)                      # [H, C]
    zeta = (g ** (chunk - 1 - i)).to(q.dtype)            # [H, C]
    chunk_decay = (gamma ** chunk).float()               # [H]

    qc = q.view(b, h, n, chunk, dk)
    kc = k.view(b, h, n, chunk, dk)
    vc = v.view(b, h, n, chunk, dv)
    scores = (qc @ kc.transpose(-1, -2)) * \
        inner_mask.to(q.dtype)[None, :, None]
    inner = scores @ vc                                  # [B, H, N, C, dv]
    deltas = ((kc * zeta[None, :, None, :, None]).transpose(-1, -2)
              @ vc).float()                              # [B, H, N, dk, dv]
    starts = torch.empty_like(deltas)
    state = torch.zeros(b, h, dk, dv, dtype=torch.float32, device=device)
    for c in range(n):
        starts[:, :, c] = state
        state = chunk_decay[None, :, None, None] * state + deltas[:, :, c]
    cross = (qc * xi[None, :, None, :, None]).float() @ starts
    return (inner.float() + cross).to(q.dtype).view(b, h, t, dv)


def check(device):
    torch.manual_seed(1)
    b, h, t, dk, dv, chunk = 2, 3, 96, 16, 24, 32
    q, k, v = (torch.randn(b, h, t, d, dtype=torch.float64, device=device)
               for d in (dk, dk, dv))
    gamma = decays(h, device)
    expected = parallel_retention(q, k, v, gamma)
    got = chunkwise_retention(q, k, v, gamma, chunk).double()
    error = ((got - expected).abs().max() / expected.abs().max()).item()
    # The states are f32: about 2^-24 per operation, a few hundred of them.
    ok = error < 1e-5
    print(f"check torch chunkwise vs parallel (float64 inputs, f32 states): "
          f"max error {error:.2e} of max |o| -> {'PASS' if ok else 'FAIL'}")
    return ok


def time_calls(fn, runs, device):
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        if device == "cuda":
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        else:
            import time
            begin = time.perf_counter()
            fn()
            times.append((time.perf_counter() - begin) * 1e3)
    return statistics.median(times)


def fla_call(q, k, v, gamma):
    """flash-linear-attention's chunk_retention, or the reason it is not
    there. Its decays are the same RetNet ones, fixed per head."""
    try:
        from fla.ops.retention import chunk_retention
    except Exception as error:  # the package or Triton is missing
        return None, f"unavailable ({type(error).__name__}: {error})"
    # Newer fla takes [B, T, H, D]; older [B, H, T, D] (head_first).
    try:
        qt, kt, vt = (x.transpose(1, 2).contiguous() for x in (q, k, v))
        chunk_retention(qt, kt, vt)
        return (lambda: chunk_retention(qt, kt, vt)), "layout [B, T, H, D]"
    except Exception:
        pass
    try:
        chunk_retention(q, k, v, head_first=True)
        return (lambda: chunk_retention(q, k, v, head_first=True)), \
            "layout [B, H, T, D]"
    except Exception as error:
        return None, f"failed ({type(error).__name__}: {error})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="8,16,8192,128,256")
    parser.add_argument("--chunk", type=int, default=64)
    parser.add_argument("--dtype", default="bf16",
                        choices=["bf16", "f16", "f32"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device=cuda but torch sees no CUDA device",
              file=sys.stderr)
        return 2
    if args.check and not check(args.device):
        return 1
    b, h, t, dk, dv = (int(x) for x in args.shape.split(","))
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16,
             "f32": torch.float32}[args.dtype]
    torch.manual_seed(0)
    q, k, v = (torch.randn(b, h, t, d, device=args.device).div(d ** 0.5)
               .to(dtype) for d in (dk, dk, dv))
    gamma = decays(h, args.device)
    shape = f"B={b} H={h} T={t} dk={dk} dv={dv} type={args.dtype}"
    ms = time_calls(lambda: chunkwise_retention(q, k, v, gamma, args.chunk),
                    args.runs, args.device)
    print(f"peer=torch form=chunkwise C={args.chunk} {shape} ms={ms:.3f}")
    call, how = fla_call(q, k, v, gamma)
    if call is None:
        print(f"peer=fla form=chunk_retention {shape} {how}")
    else:
        ms = time_calls(call, args.runs, args.device)
        print(f"peer=fla form=chunk_retention {shape} ({how}) ms={ms:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
