"""The only format that crosses between a learner's sandbox and the grader: plain data, no code.

A message is a length-prefixed frame::

    [u64 frame length][u32 header length][header: JSON][blob: raw array bytes]

The JSON header holds the value tree. Arrays are ``{"__a__": [offset, dtype, shape]}``
pointing into the blob, tuples ``{"__t__": [...]}``, dicts ``{"__d__": [[key, value], ...]}``
(string keys only). Numbers, strings, booleans and None are plain JSON.

Decoding never executes anything: dtypes come from a fixed allow-list (no object arrays),
shapes and offsets are checked against the blob, depth and counts are bounded. This module
is imported by the grader *and* copied into the sandbox, so it imports only numpy and the
standard library. (No pickle anywhere: unpickling learner bytes would run learner code in
the grader.)
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

MAX_FRAME = 32 * 2**20  # bytes; a reply or a result larger than this is refused
MAX_DEPTH = 16
MAX_NODES = 20_000
DTYPES = {np.dtype(t).str: np.dtype(t) for t in (
    "float64", "float32", "float16", "int64", "int32", "int16", "int8",
    "uint64", "uint32", "uint16", "uint8", "bool")}


class WireError(ValueError):
    """A value that cannot be sent, or bytes that are not a valid message."""


def encode(obj) -> bytes:
    """Serialize ``obj`` (arrays, numbers, str, None, and lists/tuples/dicts of them) to a frame."""
    blobs: list[bytes] = []
    size = [0]

    def enc(o, depth):
        if depth > MAX_DEPTH:
            raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
        if o is None or isinstance(o, (bool, str)):
            return o
        if isinstance(o, (int, float)) and type(o) in (int, float, bool):
            return o
        if isinstance(o, np.generic):
            o = np.asarray(o)
        if isinstance(o, np.ndarray):
            if o.dtype.str not in DTYPES:
                raise WireError(f"arrays of dtype {o.dtype} cannot be sent; use a float or integer dtype")
            if size[0] + o.nbytes > MAX_FRAME:  # before copying: a huge array must fail fast
                raise WireError(f"value too large to send (more than {MAX_FRAME} bytes)")
            data = np.ascontiguousarray(o).tobytes()
            off = size[0]
            blobs.append(data)
            size[0] += len(data)
            return {"__a__": [off, o.dtype.str, list(o.shape)]}
        if type(o) is tuple:
            return {"__t__": [enc(v, depth + 1) for v in o]}
        if type(o) is list:
            return [enc(v, depth + 1) for v in o]
        if type(o) is dict:
            if not all(type(k) is str for k in o):
                raise WireError("dict keys must be strings")
            return {"__d__": [[k, enc(v, depth + 1)] for k, v in o.items()]}
        raise WireError(f"a value of type {type(o).__name__} cannot be sent; return NumPy arrays, numbers, "
                        "tuples, lists or dicts of them")

    header = json.dumps(enc(obj, 0), allow_nan=True, separators=(",", ":")).encode()
    payload = struct.pack(">I", len(header)) + header + b"".join(blobs)
    if len(payload) > MAX_FRAME:
        raise WireError(f"value too large to send ({len(payload)} bytes > {MAX_FRAME})")
    return struct.pack(">Q", len(payload)) + payload


def decode(payload: bytes):
    """Inverse of :func:`encode` for a frame's payload (without its 8-byte length)."""
    if len(payload) < 4:
        raise WireError("truncated message")
    (hlen,) = struct.unpack(">I", payload[:4])
    if hlen > len(payload) - 4:
        raise WireError("header length beyond the message")
    try:
        tree = json.loads(payload[4:4 + hlen])
    except (ValueError, RecursionError) as e:
        raise WireError(f"header is not valid JSON: {e}") from None
    blob = memoryview(payload)[4 + hlen:]
    nodes = [0]

    def dec(o, depth):
        nodes[0] += 1
        if depth > MAX_DEPTH or nodes[0] > MAX_NODES:
            raise WireError("value too deep or too large")
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if isinstance(o, list):
            return [dec(v, depth + 1) for v in o]
        if isinstance(o, dict) and len(o) == 1:
            (tag, v), = o.items()
            if tag == "__t__" and isinstance(v, list):
                return tuple(dec(x, depth + 1) for x in v)
            if tag == "__d__" and isinstance(v, list):
                out = {}
                for pair in v:
                    if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                        raise WireError("malformed dict entry")
                    out[pair[0]] = dec(pair[1], depth + 1)
                return out
            if tag == "__a__" and isinstance(v, list) and len(v) == 3:
                off, dt, shape = v
                if dt not in DTYPES or not isinstance(off, int) or not isinstance(shape, list) \
                        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape) \
                        or len(shape) > 8:
                    raise WireError("malformed array")
                dtype = DTYPES[dt]
                count = math.prod(shape)
                end = off + count * dtype.itemsize
                if off < 0 or end > len(blob):
                    raise WireError("array data beyond the message")
                return np.frombuffer(blob[off:end], dtype=dtype, count=count).reshape(shape).copy()
        raise WireError("unknown value in message")

    return dec(tree, 0)
