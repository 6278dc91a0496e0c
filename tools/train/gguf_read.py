"""A small GGUF reader for the export checks: metadata, tensor infos, and
tensors dequantized to float32 (F32, F16, BF16, Q8_0, MXFP4) with numpy."""
import struct

import numpy as np

SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
KVALUES = np.array([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12], dtype=np.float32)


class Reader:
    def __init__(self, path):
        self.buf = open(path, "rb").read()
        self.pos = 4
        assert self.buf[:4] == b"GGUF", path
        self.version = self.u("I")
        n_tensors, n_kv = self.u("Q"), self.u("Q")
        self.meta = {}
        for _ in range(n_kv):
            key = self.s()
            self.meta[key] = self.value(self.u("I"))
        self.tensors = {}
        for _ in range(n_tensors):
            name = self.s()
            dims = [self.u("Q") for _ in range(self.u("I"))]
            self.tensors[name] = (dims, self.u("I"), self.u("Q"))
        align = self.meta.get("general.alignment", 32)
        self.data = (self.pos + align - 1) // align * align

    def u(self, fmt):
        v = struct.unpack_from("<" + fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def s(self):
        n = self.u("Q")
        v = self.buf[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return v

    def value(self, t):
        if t == 8:
            return self.s()
        if t == 9:
            et, n = self.u("I"), self.u("Q")
            return [self.value(et) for _ in range(n)]
        return self.u(SCALAR[t])

    def tensor(self, name):
        """float32 array in GGUF element order, shaped [..., ne1, ne0]."""
        dims, ty, off = self.tensors[name]
        n = int(np.prod(dims))
        at = self.data + off
        if ty == 0:
            v = np.frombuffer(self.buf, np.float32, n, at)
        elif ty == 1:
            v = np.frombuffer(self.buf, np.float16, n, at).astype(np.float32)
        elif ty == 30:
            v = (np.frombuffer(self.buf, np.uint16, n, at).astype(np.uint32) << 16).view(np.float32)
        elif ty == 8:  # Q8_0: f16 scale, 32 int8
            b = np.frombuffer(self.buf, np.uint8, n // 32 * 34, at).reshape(-1, 34)
            d = b[:, :2].copy().view(np.float16).astype(np.float32)
            v = (b[:, 2:].view(np.int8).astype(np.float32) * d).reshape(-1)
        elif ty == 39:  # MXFP4: e8m0 scale, 16 bytes of nibbles (low: 0..15, high: 16..31)
            b = np.frombuffer(self.buf, np.uint8, n // 32 * 17, at).reshape(-1, 17)
            e = b[:, 0].astype(np.int32)
            half = np.where(e < 2, (0x00200000 << e).astype(np.uint32).view(np.float32),
                            ((e - 1).astype(np.uint32) << 23).view(np.float32)).astype(np.float32)
            q = b[:, 1:]
            codes = np.concatenate([q & 15, q >> 4], axis=1)
            v = (KVALUES[codes] * half[:, None]).reshape(-1)
        else:
            raise ValueError(f"{name}: type {ty} not handled")
        return v.reshape(list(reversed(dims)))
