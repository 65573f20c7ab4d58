"""Reads safetensors files of F32 tensors with numpy alone: the Python test
helpers' reader, independent of retnet-convert's."""
import json
import struct

import numpy as np


def read_safetensors(path):
    """The tensors of `path`, by name, as float32 arrays."""
    with open(path, "rb") as handle:
        data = handle.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    payload = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", "the tests save F32 weights"
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(payload[begin:end], dtype="<f4").reshape(
            entry["shape"])
    return tensors
