#!/bin/sh
# The end-to-end demo (`make demo`): take the example enclave through the whole tool chain and
# cross-check every answer against an independent implementation (python3 hashlib, the openssl
# CLI).  Prints each step; exits non-zero on the first mismatch.
#
# Steps are shell functions listed in STEPS; a later stage adds one by defining a function and
# appending its name.
set -eu

build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
vectors=${SOFTSGX_VECTORS:-$src/../shared/vectors/rust-sgx}
softsgx="$build/tools/softsgx"
enclave_dir="$build/examples/enclave"
work=$(mktemp -d "${TMPDIR:-/tmp}/softsgx-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
n=0

say() { printf '    %s\n' "$*"; }
fail() {
	printf 'demo: FAILED: %s\n' "$*" >&2
	exit 1
}
run() {
	say "\$ $*"
	"$@"
}
# softsgx sigstruct --verify SIG ENCLAVE must pass; prints its verdict lines.
verify() {
	say "\$ $softsgx sigstruct --verify $1 $2"
	"$softsgx" sigstruct --verify "$1" "$2" >"$work/verify.out" || fail "$1 does not verify"
	tail -3 "$work/verify.out" | sed 's/^/    /'
}
sha256() { python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

step_build() {
	echo "build: the softsgx tool and the example enclave (examples/enclave/)"
	[ -x "$softsgx" ] && [ -f "$enclave_dir/enclave.sig" ] || run ninja -C "$build"
	say "enclave: $enclave_dir/enclave.elf ($(wc -c <"$enclave_dir/enclave.elf") bytes)"
}

step_measure() {
	echo "measure: MRENCLAVE of the ELF and of its .sgxs stream must agree"
	run "$softsgx" elf2sgxs "$enclave_dir/enclave.elf" -o "$work/enclave.sgxs"
	mr_elf=$("$softsgx" measure "$enclave_dir/enclave.elf")
	mr_sgxs=$("$softsgx" measure "$work/enclave.sgxs")
	say "softsgx measure enclave.elf  = $mr_elf"
	say "softsgx measure enclave.sgxs = $mr_sgxs"
	[ "$mr_elf" = "$mr_sgxs" ] || fail "ELF and .sgxs measurements differ"
}

step_hashlib() {
	echo "cross-check: SHA-256 of the .sgxs file (python3 hashlib) is MRENCLAVE"
	py=$(sha256 "$work/enclave.sgxs")
	say "python3 hashlib.sha256(enclave.sgxs) = $py"
	[ "$py" = "$mr_elf" ] || fail "hashlib gives $py, softsgx measure gives $mr_elf"
}

step_keygen() {
	echo "keygen: a fresh RSA-3072 e=3 signing key"
	run "$softsgx" keygen -o "$work/key.pem"
	openssl rsa -in "$work/key.pem" -noout -text 2>/dev/null | grep -q 'publicExponent: 3 ' ||
		fail "openssl does not see exponent 3 in the new key"
	bits=$(openssl rsa -in "$work/key.pem" -noout -text 2>/dev/null | sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p')
	say "openssl: $bits-bit RSA key, public exponent 3"
	[ "$bits" = 3072 ] || fail "key has $bits bits"
}

step_sign() {
	echo "sign: a SIGSTRUCT for the enclave"
	run "$softsgx" sign --key "$work/key.pem" --isvprodid 1 --isvsvn 2 --date 20260101 \
		"$enclave_dir/enclave.elf" -o "$work/enclave.sig"
	[ "$(wc -c <"$work/enclave.sig")" -eq 1808 ] || fail "SIGSTRUCT is not 1808 bytes"
}

step_inspect() {
	echo "inspect: every field of the SIGSTRUCT"
	"$softsgx" sigstruct "$work/enclave.sig" | sed 's/^/    /'
	"$softsgx" sigstruct --json "$work/enclave.sig" >"$work/sig.json"
	[ "$(json_field "$work/sig.json" mrenclave)" = "$mr_elf" ] || fail "ENCLAVEHASH is not MRENCLAVE"
	[ "$(json_field "$work/sig.json" isvprodid)" = 1 ] || fail "ISVPRODID is not 1"
	[ "$(json_field "$work/sig.json" isvsvn)" = 2 ] || fail "ISVSVN is not 2"
}

step_mrsigner() {
	echo "cross-check: MRSIGNER = SHA-256 of the little-endian modulus (openssl + hashlib)"
	modulus=$(openssl rsa -in "$work/key.pem" -noout -modulus 2>/dev/null | sed 's/^Modulus=//')
	py=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1]).rjust(384, b"\0")[::-1]).hexdigest())' "$modulus")
	got=$(json_field "$work/sig.json" mrsigner)
	say "openssl modulus -> hashlib = $py"
	say "softsgx sigstruct mrsigner = $got"
	[ "$py" = "$got" ] || fail "MRSIGNER differs"
}

step_verify() {
	echo "verify: signature, Q1/Q2 and ENCLAVEHASH against the enclave"
	verify "$work/enclave.sig" "$enclave_dir/enclave.elf"
	cp "$work/enclave.sig" "$work/corrupt.sig"
	# Flip one bit of ISVSVN (offset 1026), which the signature covers.
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[1026]^=1; open(p,"wb").write(b)' "$work/corrupt.sig"
	if "$softsgx" sigstruct --verify "$work/corrupt.sig" >/dev/null 2>"$work/corrupt.err"; then
		fail "a SIGSTRUCT with one flipped bit verifies"
	fi
	say "one flipped bit (ISVSVN): rejected: $(cat "$work/corrupt.err")"
}

step_build_artifacts() {
	echo "build artifacts: the .sgxs, key and SIGSTRUCT the build made for tests and loaders"
	[ "$(sha256 "$enclave_dir/enclave.sgxs")" = "$mr_elf" ] || fail "the build's enclave.sgxs is stale"
	say "enclave.sgxs: hashlib = MRENCLAVE of enclave.elf"
	verify "$enclave_dir/enclave.sig" "$enclave_dir/enclave.elf"
}

step_vectors() {
	echo "vectors: a SIGSTRUCT and .sgxs produced by Fortanix's tools (used with real SGX)"
	if [ ! -f "$vectors/test_enclave.sig" ]; then
		say "skipped: no vectors at $vectors"
		return 0
	fi
	verify "$vectors/test_enclave.sig" "$vectors/test_enclave.sgxs"
	py=$(sha256 "$vectors/test_enclave.sgxs")
	[ "$py" = "$("$softsgx" measure "$vectors/test_enclave.sgxs")" ] || fail "test_enclave.sgxs measures wrong"
	say "test_enclave.sgxs: softsgx measure = hashlib = $py"
}

STEPS="step_build step_measure step_hashlib step_keygen step_sign step_inspect step_mrsigner step_verify step_build_artifacts step_vectors"

for s in $STEPS; do
	n=$((n + 1))
	printf '\n[%d] ' "$n"
	$s
done
printf '\ndemo: all %d steps passed\n' "$n"
