"""Checks an int8 checkpoint against the F32 one it was made from, with numpy
alone: every matrix's row r is I8 with the F32 scale <name>_scale[r] =
max |row| / 127, each value round(w / scale) (|q| <= 127, off by at most half
a step), and every other tensor is copied unchanged.

Usage: check-quantized.py F32.safetensors INT8.safetensors"""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "reference"))
from safetensors_f32 import read_safetensors  # noqa: E402


def read(path):
    return read_safetensors(path, dtypes=("F32", "I8"))


def main(original_path, quantized_path):
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
        scale = quantized[name + "_scale"].astype(np.float64)
        largest = np.abs(weight.astype(np.float64)).max(axis=1)
        # The scale is max / 127, rounded to f32.
        assert np.allclose(scale, largest / 127, rtol=2**-23, atol=0), name
        assert np.abs(q.astype(np.int64)).max() <= 127, name
        # Each value within half a step (and an f32 rounding) of its weight.
        error = np.abs(q * scale[:, None] - weight)
        assert (error <= scale[:, None] * (0.5 + 2**-20)).all(), (
            name, float((error / scale[:, None]).max()))
        # The largest value of each row maps to +-127.
        assert (np.abs(q).max(axis=1) == 127)[largest > 0].all(), name
        matrices += 1
    print(f"check-quantized: {matrices} matrices quantized, "
          f"{len(original) - matrices} tensors copied")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
