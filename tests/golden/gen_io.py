#!/usr/bin/python3
"""gen_io.py: writes the file fixtures for the io tests from torch and numpy, and checks
that files dlt writes read back in Python.

  /usr/bin/python3 tests/golden/gen_io.py [build-dir/dltlua]

Writes tests/fixtures/io_torch.safetensors and tests/fixtures/io_*.npy. The Python
`safetensors` package is not installed here (Debian does not package it), so the
safetensors file is written and read by the few lines below that follow the format's
specification: an 8-byte little-endian header length, a JSON header (tensor name ->
dtype, shape, data_offsets; optional "__metadata__"), spaces padding the header to a
multiple of 8, then the tensors' bytes back to back. With a dltlua path, it also runs
dlt.save / dlt.save_npy and checks the files with that reader and with numpy.load.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")

ST_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
             torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the raw 16-bit words
        t = t.view(torch.int16)
    return t.numpy().tobytes()  # little-endian: checked below


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    """The spec's reader: validates the length, the header and the exact data cover."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert 8 + n <= len(data), "header length beyond the file"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    buf = data[8 + n:]
    meta = header.pop("__metadata__", None)
    out, spans = {}, []
    np_dtypes = {"F32": "<f4", "F64": "<f8"}
    for name, e in header.items():
        assert set(e) == {"dtype", "shape", "data_offsets"}, e
        b, end = e["data_offsets"]
        spans.append((b, end))
        a = np.frombuffer(buf[b:end], dtype=np_dtypes[e["dtype"]])
        out[name] = a.reshape(e["shape"])
    at = 0
    for b, end in sorted(spans):
        assert b == at, "gap or overlap"
        at = end
    assert at == len(buf), "data not covered exactly"
    return out, meta


def fixtures():
    os.makedirs(FIX, exist_ok=True)
    write_safetensors(os.path.join(FIX, "io_torch.safetensors"), {
        "f32": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.5,
        "f64": torch.arange(6, dtype=torch.float64) / 3,
        "f16": (torch.arange(4) * 0.25 - 1).half(),
        "bf16": (torch.arange(4) * 2.0 - 3).bfloat16(),
        "num_batches_tracked": torch.tensor(7, dtype=torch.int64),
    }, metadata={"format": "pt"})
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4  # value k/4 at flat index k
    np.save(os.path.join(FIX, "io_f4.npy"), a)
    b = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4) / 3)
    assert b.flags.f_contiguous and not b.flags.c_contiguous
    np.save(os.path.join(FIX, "io_f8_fortran.npy"), b)
    np.save(os.path.join(FIX, "io_f8_be.npy"), (np.arange(5) / 7).astype(">f8"))
    np.save(os.path.join(FIX, "io_i8.npy"), np.array([-3, 0, 2**40], dtype="<i8"))
    np.save(os.path.join(FIX, "io_b1.npy"), np.array([True, False, True]))
    np.save(os.path.join(FIX, "io_f2.npy"), (np.arange(4) * 0.5).astype("<f2"))
    np.save(os.path.join(FIX, "io_scalar.npy"), np.float64(2.5))
    for v in (2, 3):
        with open(os.path.join(FIX, "io_v%d.npy" % v), "wb") as f:
            np.lib.format.write_array(f, np.arange(3, dtype="<f4"), version=(v, 0))
    np.save(os.path.join(FIX, "io_c8.npy"), np.zeros(2, dtype=np.complex64))
    np.save(os.path.join(FIX, "io_struct.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))


LUA = r"""
local dlt = require "dlt"
local dir = arg[1]
local a = dlt.arange(0, 12):view(3, 4) / 8
local b = dlt.arange(0, 6, 1, {dtype = "float64"}) / 3
dlt.save(dir .. "/m.safetensors", {a = a, ["b.weight"] = b})
dlt.save_npy(dir .. "/a.npy", a)
dlt.save_npy(dir .. "/b.npy", b)
dlt.save_npy(dir .. "/s.npy", dlt.tensor(1.5, {dtype = "float64"}))
"""


def interop(dltlua):
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "w.lua")
        with open(script, "w") as f:
            f.write(LUA)
        subprocess.run([dltlua, script, d], check=True, cwd=ROOT)
        st, meta = read_safetensors(os.path.join(d, "m.safetensors"))
        want_a = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
        want_b = np.arange(6, dtype=np.float64) / 3
        assert st["a"].dtype == np.float32 and np.array_equal(st["a"], want_a)
        assert st["b.weight"].dtype == np.float64 and np.array_equal(st["b.weight"], want_b)
        assert meta is None
        na = np.load(os.path.join(d, "a.npy"))
        nb = np.load(os.path.join(d, "b.npy"))
        ns = np.load(os.path.join(d, "s.npy"))
        assert na.dtype == np.float32 and np.array_equal(na, want_a)
        assert nb.dtype == np.float64 and np.array_equal(nb, want_b)
        assert ns.shape == () and ns == 1.5
    print("interop: dlt's safetensors and npy files read back in Python")


if __name__ == "__main__":
    assert sys.byteorder == "little"
    fixtures()
    if len(sys.argv) > 1:
        interop(sys.argv[1])
