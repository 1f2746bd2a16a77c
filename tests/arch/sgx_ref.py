#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference values for the arch tests, written from the spec
(sgx-architecture.md, "Measurement" and "SIGSTRUCT") with Python's hashlib and struct only.

  sgx_ref.py sha256 FILE                 SHA-256 of a file
  sgx_ref.py sha256-range FILE OFF LEN   SHA-256 of LEN bytes of FILE at OFF
  sgx_ref.py record ecreate SSA SIZE     one 64-byte record, hex
  sgx_ref.py record eadd OFFSET FLAGS
  sgx_ref.py record eextend OFFSET
  sgx_ref.py synthetic SEED NPAGES       MRENCLAVE of the synthetic enclave the C test builds
"""
import hashlib
import struct
import sys


def rec_ecreate(ssa, size):
    return b"ECREATE\0" + struct.pack("<IQ", ssa, size) + bytes(44)


def rec_eadd(off, flags):
    return b"EADD\0\0\0\0" + struct.pack("<QQ", off, flags) + bytes(40)


def rec_eextend(off):
    return b"EEXTEND\0" + struct.pack("<Q", off) + bytes(48)


def page(seed, index):
    # Same pattern as synthetic_page() in test_measure.c.
    return bytes(((seed + index * 131 + i * 7 + (i >> 8)) & 0xFF) for i in range(4096))


def synthetic(seed, npages):
    """ECREATE, then per page EADD (REG|R|W, TCS for page 0) and its 16 EEXTENDs;
    every third page is added unmeasured."""
    h = hashlib.sha256()
    h.update(rec_ecreate(2, 1 << 24))
    for p in range(npages):
        off = p * 4096
        flags = 0x100 if p == 0 else 0x203
        h.update(rec_eadd(off, flags))
        if p % 3 == 2:
            continue
        data = page(seed, p)
        for c in range(16):
            h.update(rec_eextend(off + c * 256))
            h.update(data[c * 256:(c + 1) * 256])
    return h.hexdigest()


def main(argv):
    cmd = argv[1]
    if cmd == "sha256":
        with open(argv[2], "rb") as f:
            print(hashlib.sha256(f.read()).hexdigest())
    elif cmd == "sha256-range":
        with open(argv[2], "rb") as f:
            data = f.read()
        off, n = int(argv[3], 0), int(argv[4], 0)
        print(hashlib.sha256(data[off:off + n]).hexdigest())
    elif cmd == "record":
        fn, nargs = {"ecreate": (rec_ecreate, 2), "eadd": (rec_eadd, 2),
                     "eextend": (rec_eextend, 1)}[argv[2]]
        rec = fn(*[int(a, 0) for a in argv[3:3 + nargs]])
        assert len(rec) == 64
        print(rec.hex())
    elif cmd == "synthetic":
        print(synthetic(int(argv[2], 0), int(argv[3], 0)))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
