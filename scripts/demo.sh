#!/bin/sh
# The end-to-end demo (`make demo`): take the example enclave through the whole tool chain and
# cross-check every answer against an independent implementation (python3 hashlib, the openssl
# CLI); then run the unmodified example loader (examples/loader, written for the upstream driver
# and vDSO) on the emulated platform under `softsgx run`: with no security module, with the
# SELinux module enforcing the shipped policy (policy/) as an allowed and a denied domain, with
# audit2allow's rules for the denials, with the launch list, and local attestation and sealing
# (examples/attest).  Prints each step; exits non-zero on the first mismatch.
#
# Everything it writes (keys, configurations, audit logs, the platform's state directory) goes
# to a temporary directory removed on exit.
#
# Steps are shell functions listed in STEPS; a later stage adds one by defining a function and
# appending its name.
set -eu

build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
vectors=${SOFTSGX_VECTORS:-$src/../shared/vectors/rust-sgx}
softsgx="$build/tools/softsgx"
enclave_dir="$build/examples/enclave"
loader="$build/examples/loader/sgx-loader"
attest="$build/examples/attest/sgx-attest"
policy_bin="$build/policy/policy.bin"
policy_src="$src/policy"
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
# conf NAME KEY=VALUE-LINES...: a configuration in the work directory with a small EPC and the
# platform state (root secret) kept in the work directory too ($state if set: another platform).
conf() {
	f="$work/$1.conf"
	shift
	printf '%s\n' "$@" "platform.epc_size = 16M" "platform.state_dir = ${state:-$work/state}" >"$f"
}
# sgxrun CONF [--context SCON] -- PROGRAM ARGS: `softsgx run`, output in $work/out and
# $work/err, exit status in $rc.  Shows the command and the program's output.
sgxrun() {
	c="$work/$1.conf"
	shift
	say "\$ softsgx run --conf $(basename "$c") $*"
	rc=0
	SOFTSGX_QUIET=${SOFTSGX_QUIET:-1} "$softsgx" run --conf "$c" "$@" >"$work/out" 2>"$work/err" || rc=$?
	sed 's/^/      | /' "$work/out" "$work/err"
	say "exit status $rc"
}
# run_loader CONF SIG [OPTIONS...]: the example loader on the build's enclave with SIG, under
# `softsgx run --conf CONF OPTIONS...`.
run_loader() {
	c=$1 sig=$2
	shift 2
	sgxrun "$c" "$@" -- "$loader" "$enclave_dir/enclave.sgxs" "$sig"
}
# run_attest CONF: examples/attest on the build's enclave under `softsgx run --conf CONF`.
run_attest() { sgxrun "$1" -- "$attest" "$enclave_dir/enclave.sgxs" "$enclave_dir/enclave.sig"; }
# loader_ok: the loader put a value through TCS 0 and read it back through every TCS.
loader_ok() {
	[ "$rc" = 0 ] || fail "the loader exited with $rc"
	grep -qx ok "$work/out" || fail "the loader did not report ok"
	[ "$(grep -c '^TCS [0-9]*: got 0x1234567890abcdef$' "$work/out")" -ge 2 ] ||
		fail "the loader did not read the value back through both TCSs"
}
# avc_lines LOG: the audit records' bodies, with the pid and the record's time stamp removed.
avc_lines() {
	[ -f "$1" ] || return 0
	sed -e 's/^type=[A-Z_]* msg=audit([0-9.]*:[0-9]*): //' -e 's/ pid=[0-9]* / pid=PID /' "$1"
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
	mr_signer=$got
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
	"$softsgx" sigstruct --json "$enclave_dir/enclave.sig" >"$work/sig-build.json"
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

step_run() {
	echo "run: the unmodified example loader (examples/loader) under softsgx run, no security module"
	conf plain "modules = none"
	SOFTSGX_QUIET=0 run_loader plain "$enclave_dir/enclave.sig"
	loader_ok
	say "the loader built and initialized the enclave through /dev/sgx_enclave and entered it through"
	say "__vdso_sgx_enter_enclave: a value put through TCS 0 came back through TCS 0 and TCS 1"
}

# selinux_conf NAME MODE POLICY: the SELinux module with the shipped label files.  (Relative
# paths in a configuration are taken from its directory, so the policy's path is made absolute.)
selinux_conf() {
	conf "$1" "modules = selinux" "selinux.mode = $2" \
		"selinux.policy = $(cd "$(dirname "$3")" && pwd)/$(basename "$3")" \
		"selinux.file_contexts = $policy_src/file_contexts" \
		"selinux.enclave_contexts = $policy_src/enclave_contexts" "audit = $work/$1.log"
}

step_selinux_allowed() {
	echo "selinux: the shipped policy, enforcing; the loader as unconfined_t is allowed"
	selinux_conf unconfined enforcing "$policy_bin"
	run_loader unconfined "$enclave_dir/enclave.sig" --context u:r:unconfined_t
	loader_ok
	[ -z "$(avc_lines "$work/unconfined.log")" ] || fail "unconfined_t was audited: $(cat "$work/unconfined.log")"
	say "no AVC record"
}

step_selinux_denied() {
	echo "selinux: the loader as app_t (a confined domain) is denied opening the device for writing"
	selinux_conf app enforcing "$policy_bin"
	run_loader app "$enclave_dir/enclave.sig" --context u:r:app_t
	[ "$rc" != 0 ] || fail "app_t ran the loader"
	grep -q '/dev/sgx_enclave: Permission denied' "$work/err" || fail "the loader did not see EACCES"
	say "audit log:"
	sed 's/^/      | /' "$work/app.log"
	grep -c . "$work/app.log" | grep -qx 1 || fail "expected exactly one audit record"
	grep -Eq '^type=AVC msg=audit\([0-9]+\.[0-9]{3}:[0-9]+\): ' "$work/app.log" || fail "not an AVC record"
	want='avc:  denied  { write } for  pid=PID comm="sgx-loader" path="/dev/sgx_enclave" dev=DEV ino=INO scontext=u:r:app_t tcontext=u:object_r:sgx_enclave_device_t tclass=chr_file permissive=0'
	got=$(avc_lines "$work/app.log" | sed -e 's/ dev="[^"]*" / dev=DEV /' -e 's/ ino=[0-9]* / ino=INO /')
	[ "$got" = "$want" ] || fail "AVC record is $got, expected $want"
}

step_explain() {
	echo "policy: check and explain the denied access (the AVC record's scontext, tcontext, tclass, perm)"
	avc=$(cat "$work/app.log")
	scon=$(echo "$avc" | sed -n 's/.* scontext=\([^ ]*\) .*/\1/p')
	tcon=$(echo "$avc" | sed -n 's/.* tcontext=\([^ ]*\) .*/\1/p')
	tclass=$(echo "$avc" | sed -n 's/.* tclass=\([^ ]*\) .*/\1/p')
	perm=$(echo "$avc" | sed -n 's/.*{ \([^ ]*\) }.*/\1/p')
	say "\$ softsgx policy check --policy policy.bin --context $scon --target $tcon --class $tclass --perm $perm"
	rc=0
	"$softsgx" policy check --policy "$policy_bin" --context "$scon" --target "$tcon" \
		--class "$tclass" --perm "$perm" >"$work/out" 2>&1 || rc=$?
	sed 's/^/      | /' "$work/out"
	[ "$rc" = 1 ] && grep -q '^denied ' "$work/out" || fail "policy check does not say denied (exit $rc)"
	say "\$ softsgx policy explain --policy policy.bin --context $scon --target $tcon --class $tclass --perm $perm"
	rc=0
	"$softsgx" policy explain --policy "$policy_bin" --context "$scon" --target "$tcon" \
		--class "$tclass" --perm "$perm" >"$work/out" 2>&1 || rc=$?
	sed 's/^/      | /' "$work/out"
	[ "$rc" = 1 ] || fail "policy explain exited $rc"
	grep -q "allow ${scon##*:} ${tcon##*:}:$tclass { $perm };" "$work/out" ||
		fail "policy explain does not name the missing allow rule"
}

step_audit2allow() {
	echo "audit2allow: the rules the real audit2allow proposes for app_t's denials, and a run with them"
	if ! command -v audit2allow >/dev/null; then
		say "skipped: audit2allow (policycoreutils-python-utils) is not installed"
		return 0
	fi
	say "\$ audit2allow -p policy.bin -i app.log"
	audit2allow -p "$policy_bin" -i "$work/app.log" >"$work/a2a.out"
	grep . "$work/a2a.out" | sed 's/^/      | /'
	grep -q '^allow app_t sgx_enclave_device_t:chr_file write;$' "$work/a2a.out" ||
		fail "audit2allow proposes no rule for the AVC record"
	say "enforcing stops at the first denial; permissive mode lists everything app_t lacks:"
	selinux_conf app-permissive permissive "$policy_bin"
	run_loader app-permissive "$enclave_dir/enclave.sig" --context u:r:app_t
	loader_ok
	avc_lines "$work/app-permissive.log" | sed 's/^/      | /'
	[ "$(grep -c 'avc:  denied .* permissive=1$' "$work/app-permissive.log")" -ge 3 ] ||
		fail "expected the device's write, sgx_execanon and init denials"
	say "\$ audit2allow -p policy.bin -i app-permissive.log"
	audit2allow -p "$policy_bin" -i "$work/app-permissive.log" >"$work/a2a.out"
	grep . "$work/a2a.out" | sed 's/^/      | /'
	# audit2allow prints `allow a b:c { p q };`; the shipped policy is CIL: (allow a b (c (p q))).
	sed -n 's/^allow \([^ ]*\) \([^:]*\):\([^ ]*\) {* *\([^};]*[^ };]\) *}*;$/(allow \1 \2 (\3 (\4)))/p' \
		"$work/a2a.out" >"$work/loader.cil"
	[ "$(grep -c . "$work/loader.cil")" -ge 3 ] || fail "audit2allow proposed fewer than 3 rules"
	say "as CIL:"
	sed 's/^/      | /' "$work/loader.cil"
	run secilc -o "$work/fixed.bin" -f /dev/null "$policy_src/base.cil" "$policy_src/softsgx.cil" "$work/loader.cil"
	selinux_conf app-fixed enforcing "$work/fixed.bin"
	run_loader app-fixed "$enclave_dir/enclave.sig" --context u:r:app_t
	loader_ok
	[ -z "$(avc_lines "$work/app-fixed.log")" ] || fail "still audited: $(cat "$work/app-fixed.log")"
	say "with audit2allow's rules app_t runs the loader, enforcing, with no AVC record"
}

step_launch() {
	echo "launch list: the enclave's MRSIGNER is listed, so it launches; one signed by another key does not"
	signer=$(json_field "$work/sig-build.json" mrsigner)
	printf '# the key the build signed the example enclave with\nmrsigner %s\n' "$signer" >"$work/launch.list"
	say "launch.list:"
	sed 's/^/      | /' "$work/launch.list"
	conf launch "modules = launch" "launch.list = $work/launch.list" "audit = $work/launch.log"
	run_loader launch "$enclave_dir/enclave.sig"
	loader_ok
	[ ! -s "$work/launch.log" ] || fail "a listed enclave was audited: $(cat "$work/launch.log")"
	say "the same enclave signed with the demo's fresh key (MRSIGNER $mr_signer):"
	run_loader launch "$work/enclave.sig"
	[ "$rc" != 0 ] || fail "an unlisted enclave launched"
	grep -q 'SGX_IOC_ENCLAVE_INIT: Permission denied' "$work/err" || fail "EINIT did not fail with EACCES"
	say "audit log:"
	sed 's/^/      | /' "$work/launch.log"
	grep -q "^type=SGX_LAUNCH msg=audit(.*): launch:  denied  { init } for  pid=[0-9]* comm=\"sgx-loader\" mrenclave=$mr_elf mrsigner=$mr_signer isvprodid=1 isvsvn=2 .*reason=\"no rule names this MRENCLAVE or MRSIGNER\"$" \
		"$work/launch.log" || fail "no SGX_LAUNCH record naming the unlisted enclave"
}

step_attest() {
	echo "attestation and sealing (examples/attest): two enclave instances, EREPORT/EGETKEY"
	conf attest "modules = none"
	run_attest attest
	[ "$rc" = 0 ] || fail "sgx-attest exited with $rc"
	grep '^seal-' "$work/out" >"$work/seal1"
	[ "$(grep -c . "$work/seal1")" = 2 ] || fail "sgx-attest printed no seal keys"
	say "again, on the same platform (the root secret in the state directory):"
	run_attest attest
	grep '^seal-' "$work/out" >"$work/seal2"
	cmp -s "$work/seal1" "$work/seal2" || fail "the seal keys changed between two runs"
	say "the seal keys are the same across the two runs"
	say "on another platform (another state directory, so another root secret):"
	state="$work/state-other"
	conf attest-other "modules = none"
	state=
	run_attest attest-other
	[ "$rc" = 0 ] || fail "sgx-attest exited with $rc"
	grep '^seal-' "$work/out" >"$work/seal3"
	for policy in mrenclave mrsigner; do
		[ "$(grep "^seal-$policy " "$work/seal1")" != "$(grep "^seal-$policy " "$work/seal3")" ] ||
			fail "the $policy seal key is the same on two platforms"
	done
	say "both seal keys differ on the other platform"
}

STEPS="step_build step_measure step_hashlib step_keygen step_sign step_inspect step_mrsigner step_verify step_build_artifacts step_vectors"
STEPS="$STEPS step_run step_selinux_allowed step_selinux_denied step_explain step_audit2allow step_launch step_attest"

for s in $STEPS; do
	n=$((n + 1))
	printf '\n[%d] ' "$n"
	$s
done
printf '\ndemo: all %d steps passed\n' "$n"
