"""Writes a safetensors file broken or changed in one way, from a valid one.

usage: corrupt-safetensors.py MODE IN OUT [ARGS]

MODE: short-header (the length field one byte short of a padded header),
duplicate (a second entry with the first tensor's name), overlap (the last
tensor starts 4 bytes inside the one before it), gap (4 bytes after the last
tensor), deep (__metadata__ nests 100000 arrays), nan-decay (adds
retnet_rel_pos.decay with a NaN for head 1; HEADS decays), nan-weight (a NaN
in the first F32 tensor), huge-weight (the output projection all 1e38),
add-zeros NAME DIMS (a zero F32 tensor of shape DIMS, "2,3"), add-copy NAME
SOURCE [SCALE] (a copy of tensor SOURCE, times SCALE), add-angles DK [SCALE]
(torchscale's retnet_rel_pos.angle for head width DK, times SCALE),
add-decays V,V,... (retnet_rel_pos.decay holding these ln(gamma)), prefix P
(every name prefixed with P), rename FROM TO.
"""
import json
import math
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + length]), data[8 + length:]


def write(path, header_text, payload, length=None):
    # Spaces pad the header to a multiple of 8 bytes, as safetensors does.
    header_text += " " * (-len(header_text) % 8)
    raw = header_text.encode()
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(raw) if length is None else length))
        out.write(raw)
        out.write(payload)


def by_offset(header):
    return sorted((k for k in header if k != "__metadata__"),
                  key=lambda k: header[k]["data_offsets"][0])


def main():
    mode, source, target = sys.argv[1:4]
    header, payload = read(source)
    text = json.dumps(header)
    if mode == "short-header":
        text += " " * (-len(text) % 8 or 8)
        write(target, text, payload, length=len(text) - 1)
    elif mode == "duplicate":
        name = by_offset(header)[0]
        entry = json.dumps({name: header[name]})[1:-1]
        write(target, "{" + entry + ", " + text[1:], payload)
    elif mode == "overlap":
        last = by_offset(header)[-1]
        begin, end = header[last]["data_offsets"]
        header[last]["data_offsets"] = [begin - 4, end - 4]
        write(target, json.dumps(header), payload[:-4])
    elif mode == "gap":
        write(target, text, payload + b"\0" * 4)
    elif mode == "deep":
        header["__metadata__"] = "PLACEHOLDER"
        deep = "[" * 100000 + "]" * 100000
        write(target, json.dumps(header).replace('"PLACEHOLDER"', deep),
              payload)
    elif mode == "nan-decay":
        heads = int(sys.argv[4])
        # torchscale's decays, ln(1 - 2^(-5-h)), but a NaN for head 1.
        values = [float("nan") if h == 1 else math.log(1 - 2.0 ** (-5 - h))
                  for h in range(heads)]
        header["retnet_rel_pos.decay"] = {
            "dtype": "F32", "shape": [heads],
            "data_offsets": [len(payload), len(payload) + 4 * heads]}
        write(target, json.dumps(header),
              payload + struct.pack("<%df" % heads, *values))
    elif mode in ("nan-weight", "huge-weight"):
        # One NaN in the first F32 tensor, or 1e38 for every element of the
        # output projection (finite, but its products overflow).
        name = (next(k for k in by_offset(header)
                     if header[k]["dtype"] == "F32")
                if mode == "nan-weight" else "output_projection.weight")
        begin, end = header[name]["data_offsets"]
        count = (end - begin) // 4
        values = ([float("nan")] + [0.0] * (count - 1)
                  if mode == "nan-weight" else [1e38] * count)
        data = bytearray(payload)
        data[begin:end] = struct.pack("<%df" % count, *values)
        write(target, text, bytes(data))
    elif mode in ("add-zeros", "add-copy", "add-angles", "add-decays"):
        if mode == "add-decays":
            name = "retnet_rel_pos.decay"
            values = [float(v) for v in sys.argv[4].split(",")]
            count, dims = len(values), [len(values)]
        elif mode == "add-zeros":
            name, dims = sys.argv[4], [int(d) for d in sys.argv[5].split(",")]
            count = math.prod(dims)
            values = [0.0] * count
        elif mode == "add-copy":
            name, source = sys.argv[4], sys.argv[5]
            scale = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
            entry = header[source]
            assert entry["dtype"] == "F32", "add-copy reads F32 tensors"
            begin, end = entry["data_offsets"]
            count = (end - begin) // 4
            dims = entry["shape"]
            values = [v * scale for v in
                      struct.unpack("<%df" % count, payload[begin:end])]
        else:
            # 1 / 10000^linspace(0, 1, dk/2), each value twice.
            name, dk = "retnet_rel_pos.angle", int(sys.argv[4])
            scale = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
            pairs = dk // 2
            values = [scale * 10000.0 ** -((i // 2) / max(pairs - 1, 1))
                      for i in range(dk)]
            count, dims = dk, [dk]
        header[name] = {"dtype": "F32", "shape": dims,
                        "data_offsets": [len(payload),
                                         len(payload) + 4 * count]}
        write(target, json.dumps(header),
              payload + struct.pack("<%df" % count, *values))
    elif mode == "prefix":
        renamed = {(k if k == "__metadata__" else sys.argv[4] + k): v
                   for k, v in header.items()}
        write(target, json.dumps(renamed), payload)
    elif mode == "rename":
        header[sys.argv[5]] = header.pop(sys.argv[4])
        write(target, json.dumps(header), payload)
    else:
        sys.exit("unknown mode " + mode)


main()
