#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The softsgx enclave commands, driven as a user would and checked against independent
implementations: python3 hashlib, the openssl CLI and the rust-sgx vectors.

usage: tools_test.py CASE   (one of the functions named case_*; meson registers each)
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

BUILD = os.environ["SOFTSGX_BUILD_ROOT"]
VECTORS = os.environ["SOFTSGX_VECTORS"]
SOFTSGX = os.path.join(BUILD, "tools", "softsgx")
ENCLAVE = os.path.join(BUILD, "examples", "enclave")
WORK = tempfile.mkdtemp(prefix="softsgx-tools-test.")


def run(*args, expect=0):
    p = subprocess.run([SOFTSGX, *args], capture_output=True, text=True)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"softsgx {' '.join(args)}: exit {p.returncode}, want {expect}\n"
                             f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def work(name):
    return os.path.join(WORK, name)


def key():
    """A fresh key from the openssl CLI, so signing does not rest on our keygen."""
    path = work("key.pem")
    if not os.path.exists(path):
        subprocess.run(["openssl", "genrsa", "-3", "-out", path, "3072"], check=True,
                       capture_output=True)
    return path


def signed(*extra):
    sig = work("enclave.sig")
    run("sign", "--key", key(), *extra, os.path.join(ENCLAVE, "enclave.elf"), "-o", sig)
    return sig


def sigstruct_json(sig, *extra):
    return json.loads(run("sigstruct", "--json", *extra, sig).stdout)


def case_sign_then_verify_passes():
    sig = signed()
    out = run("sigstruct", "--verify", sig, os.path.join(ENCLAVE, "enclave.elf")).stdout
    assert "signature          valid" in out, out
    assert "enclavehash        matches" in out, out


def case_one_byte_corruption_fails_verification():
    sig = signed()
    data = bytearray(open(sig, "rb").read())
    # A byte of each signed region and of the signature itself.
    for off in (20, 960, 1024, 600):
        bad = bytearray(data)
        bad[off] ^= 0x01
        path = work(f"bad{off}.sig")
        open(path, "wb").write(bad)
        p = run("sigstruct", "--verify", path, expect=1)
        assert path in p.stderr and "SIGSTRUCT" in p.stderr, (off, p.stderr)


def case_json_parses_and_names_every_field():
    doc = sigstruct_json(signed("--isvprodid", "0x1234", "--isvsvn", "7", "--date", "20240229",
                                "--vendor", "intel", "--debug"), "--verify")
    for field in ("vendor", "date", "mrsigner", "mrenclave", "isvprodid", "isvsvn",
                  "attributes", "attributes_mask", "xfrm", "xfrm_mask", "miscselect",
                  "misc_mask", "debug", "signature_valid", "format_valid"):
        assert field in doc, field
    assert doc["isvprodid"] == 0x1234 and doc["isvsvn"] == 7, doc
    assert doc["date"] == "20240229" and doc["vendor"] == 0x8086, doc
    assert doc["debug"] is True and int(doc["attributes"], 16) & 2, doc
    assert int(doc["attributes_mask"], 16) & 2, "--debug must be enforced by the mask"
    assert doc["signature_valid"] is True


def case_mrsigner_is_sha256_of_the_modulus():
    doc = sigstruct_json(signed())
    modulus = subprocess.run(["openssl", "rsa", "-in", key(), "-noout", "-modulus"],
                             check=True, capture_output=True, text=True).stdout
    n = bytes.fromhex(modulus.strip().split("=", 1)[1]).rjust(384, b"\0")
    assert doc["mrsigner"] == hashlib.sha256(n[::-1]).hexdigest(), doc["mrsigner"]
    assert doc["modulus"] == n[::-1].hex(), "MODULUS is the key's, little-endian"


def case_enclavehash_is_the_measurement_of_the_signed_file():
    doc = sigstruct_json(signed())
    sgxs = work("enclave.sgxs")
    run("elf2sgxs", os.path.join(ENCLAVE, "enclave.elf"), "-o", sgxs)
    assert doc["mrenclave"] == sha256_file(sgxs)


def case_vector_sigstruct_matches_vector_enclave():
    sig = os.path.join(VECTORS, "test_enclave.sig")
    sgxs = os.path.join(VECTORS, "test_enclave.sgxs")
    doc = json.loads(run("sigstruct", "--verify", "--json", sig, sgxs).stdout)
    assert doc["enclavehash_matches"] is True and doc["signature_valid"] is True, doc
    assert doc["enclave_mrenclave"] == sha256_file(sgxs)
    assert doc["mrsigner"] == ("fb4bab3d6036ac1d730fa83d7366df1dd2dfeac1"
                               "94ef335d6854d8a6c6475542"), doc["mrsigner"]
    assert doc["isvprodid"] == 65535


def case_enclavehash_mismatch_fails():
    p = run("sigstruct", os.path.join(VECTORS, "test_enclave.sig"),
            os.path.join(ENCLAVE, "enclave.elf"), expect=1)
    assert "ENCLAVEHASH differs" in p.stderr, p.stderr


def case_elf2sgxs_output_hashes_to_the_elf_measurement():
    sgxs = work("out.sgxs")
    run("elf2sgxs", os.path.join(ENCLAVE, "enclave.elf"), "-o", sgxs)
    elf_mr = run("measure", os.path.join(ENCLAVE, "enclave.elf")).stdout.strip()
    assert sha256_file(sgxs) == elf_mr, (sha256_file(sgxs), elf_mr)
    assert run("measure", sgxs).stdout.strip() == elf_mr


def case_measure_of_vector_is_sha256_of_the_file():
    sgxs = os.path.join(VECTORS, "test_enclave.sgxs")
    assert run("measure", sgxs).stdout.strip() == sha256_file(sgxs)


def case_keygen_makes_a_3072_bit_key_with_exponent_3():
    path = work("gen.pem")
    run("keygen", "-o", path)
    text = subprocess.run(["openssl", "rsa", "-in", path, "-noout", "-text"], check=True,
                          capture_output=True, text=True).stdout
    assert "Private-Key: (3072 bit" in text and "publicExponent: 3 " in text, text[:200]
    p = run("keygen", "-o", path, expect=1)
    assert "refusing to overwrite" in p.stderr, p.stderr


def case_sign_refuses_a_key_of_another_shape():
    path = work("e65537.pem")
    subprocess.run(["openssl", "genrsa", "-out", path, "3072"], check=True, capture_output=True)
    p = run("sign", "--key", path, os.path.join(ENCLAVE, "enclave.elf"), "-o", work("x.sig"),
            expect=1)
    assert "openssl genrsa -3" in p.stderr, p.stderr
    assert not os.path.exists(work("x.sig"))


def case_errors_name_the_file_and_the_offset():
    bad = work("bad.sgxs")
    data = bytearray(open(os.path.join(VECTORS, "test_enclave.sgxs"), "rb").read())
    data[64 + 8] = 0x80  # the first EADD's offset, now misaligned
    open(bad, "wb").write(data)
    p = run("measure", bad, expect=1)
    assert bad in p.stderr and "offset 64:" in p.stderr, p.stderr
    p = run("elf2sgxs", os.path.join(VECTORS, "test_enclave.sgxs"), "-o", work("o.sgxs"),
            expect=1)
    assert "not an ELF file" in p.stderr, p.stderr
    p = run("sigstruct", os.path.join(VECTORS, "test_enclave.sgxs"), expect=1)
    assert "1808" in p.stderr, p.stderr


def case_every_command_has_help_and_rejects_bad_usage():
    for cmd in ("measure", "sign", "sigstruct", "elf2sgxs", "keygen"):
        p = run(cmd, "--help")
        assert p.stdout.startswith("usage: softsgx " + cmd), p.stdout
        p = run(cmd, "--no-such-option", expect=2)
        assert f"softsgx {cmd}:" in p.stderr, p.stderr
    p = run("sign", "--key", key(), "--isvsvn", "65536", os.path.join(ENCLAVE, "enclave.elf"),
            "-o", work("y.sig"), expect=2)
    assert "65536" in p.stderr, p.stderr


def main():
    if len(sys.argv) != 2 or "case_" + sys.argv[1] not in globals():
        cases = [n[5:] for n in globals() if n.startswith("case_")]
        print(f"usage: {sys.argv[0]} CASE\ncases: {' '.join(cases)}", file=sys.stderr)
        return 2
    if shutil.which("openssl") is None:
        print("SKIP: the openssl CLI is missing (install openssl)")
        return 77
    try:
        globals()["case_" + sys.argv[1]]()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"ok: {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
