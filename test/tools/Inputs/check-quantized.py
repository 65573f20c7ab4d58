"""Checks an int8 checkpoint against the F32 one it was made from, with numpy
alone: every matrix's row r is I8, each group g of GROUP values of the row
with the F32 scale <name>_scale[r, g] = max |group| / 127 (GROUP 'channel':
the whole row, <name>_scale[r]), each value round(w / scale) (|q| <= 127,
off by at most half a step), and every other tensor is copied unchanged.

Usage: check-quantized.py F32.safetensors INT8.safetensors [GROUP]
(GROUP: a number of values, default 32, or 'channel')"""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "reference"))
from safetensors_f32 import read_safetensors  # noqa: E402


def read(path):
    return read_safetensors(path, dtypes=("F32", "I8"))


def main(original_path, quantized_path, group="32"):
    original, quantized = read(original_path), read(quantized_path)
    expected_names = set(original)
    expected_names |= {name + "_scale" for name, w in original.items()
                       if w.ndim == 2}
    assert set(quantized) == expected_names, sorted(
        set(quantized) ^ expected_names)
    matrices = 0
    for name, weight in original.items():
        if weight.ndim != 2:
            assert quantized[name].dtype == weight.dtype, name
            assert np.array_equal(quantized[name], weight), name
            continue
        q = quantized[name]
        assert q.dtype == np.int8 and q.shape == weight.shape, name
        rows, columns = weight.shape
        size = columns if group == "channel" else int(group)
        assert columns % size == 0, (name, columns, size)
        # Runs of values that share a scale: [rows, groups, size].
        runs = weight.astype(np.float64).reshape(rows, columns // size, size)
        q_runs = q.reshape(runs.shape)
        scale = quantized[name + "_scale"].astype(np.float64)
        expected_shape = (rows,) if group == "channel" else runs.shape[:2]
        assert scale.shape == expected_shape, (name, scale.shape)
        scale = scale.reshape(runs.shape[:2])
        largest = np.abs(runs).max(axis=2)
        # The scale is max / 127, rounded to f32.
        assert np.allclose(scale, largest / 127, rtol=2**-23, atol=0), name
        assert np.abs(q.astype(np.int64)).max() <= 127, name
        # Each value within half a step (and an f32 rounding) of its weight.
        error = np.abs(q_runs * scale[:, :, None] - runs)
        assert (error <= scale[:, :, None] * (0.5 + 2**-20)).all(), (
            name, float((error / scale[:, :, None]).max()))
        # The largest value of each run maps to +-127.
        assert (np.abs(q_runs).max(axis=2) == 127)[largest > 0].all(), name
        matrices += 1
    print(f"check-quantized: {matrices} matrices quantized, "
          f"{len(original) - matrices} tensors copied")


if __name__ == "__main__":
    main(*sys.argv[1:])
