"""Reads safetensors files of F32 tensors (and I8 ones, when asked) with
numpy alone: the Python test helpers' reader, independent of
retnet-convert's."""
import json
import struct

import numpy as np


NUMPY_DTYPES = {"F32": "<f4", "I8": "i1"}


def read_safetensors(path, dtypes=("F32",)):
    """The tensors of `path`, by name, as numpy arrays: float32, and int8
    where `dtypes` admits I8 (quantized matrices)."""
    with open(path, "rb") as handle:
        data = handle.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    payload = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] in dtypes, "the tests save F32 weights"
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(
            payload[begin:end],
            dtype=NUMPY_DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return tensors
