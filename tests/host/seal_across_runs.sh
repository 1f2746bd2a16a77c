#!/bin/sh
# Sealing keys survive restarts and differ between platforms: run examples/attest twice on one
# platform (state_dir) and once on another, and compare the SEAL keys each run printed.
# usage: seal_across_runs.sh SOFTSGX SGX-ATTEST ENCLAVE.sgxs ENCLAVE.sig WORKDIR
set -eu
softsgx=$1 attest=$2 sgxs=$3 sig=$4 work=$5
rm -rf "$work"
mkdir -p "$work"
for p in one two; do
	printf 'platform.epc_size = 16M\nplatform.state_dir = %s/state-%s\n' "$work" "$p" \
		>"$work/$p.conf"
done
run() {
	SOFTSGX_QUIET=1 "$softsgx" run --conf "$work/$1.conf" -- "$attest" "$sgxs" "$sig" \
		>"$work/$2.out"
	grep '^seal-' "$work/$2.out"
}
first=$(run one first)
second=$(run one second)
other=$(run two other)
secret=$work/state-one/root-secret
fail=0
[ "$(stat -c %a "$secret")" = 600 ] || { echo "FAILED: $secret is not mode 600"; fail=1; }
[ "$(stat -c %s "$secret")" = 32 ] || { echo "FAILED: $secret is not 32 bytes"; fail=1; }
if [ "$first" = "$second" ]; then
	echo "ok: the seal keys are the same in a second run on the same platform"
else
	echo "FAILED: seal keys changed across runs:"; echo "$first"; echo "$second"; fail=1
fi
for policy in mrenclave mrsigner; do
	a=$(echo "$first" | grep "^seal-$policy ")
	b=$(echo "$other" | grep "^seal-$policy ")
	if [ -n "$a" ] && [ "$a" != "$b" ]; then
		echo "ok: the $policy seal key differs on another platform"
	else
		echo "FAILED: the $policy seal key is the same on two platforms: $a"; fail=1
	fi
done
exit $fail
