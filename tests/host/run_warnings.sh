#!/bin/sh
# The security stack's start-up warnings reach the user: under `softsgx run`, a configuration
# whose launch module has an empty launch list says once, on stderr and prefixed "softsgx:",
# that every enclave is denied, when the program starts using SGX; and the enclave is denied.
# usage: run_warnings.sh SOFTSGX LOADER ENCLAVE.sgxs ENCLAVE.sig WORKDIR
set -u
softsgx=$1 loader=$2 sgxs=$3 sig=$4 work=$5
rm -rf "$work"
mkdir -p "$work"
fail=0
: >"$work/empty.list"
printf 'platform.epc_size = 16M\nplatform.state_dir = %s/state\nmodules = launch\nlaunch.list = %s\naudit = %s\n' \
	"$work" "$work/empty.list" "$work/audit.log" >"$work/launch.conf"
want="softsgx: launch: the launch list $work/empty.list has no rule: every enclave is denied"

"$softsgx" run --conf "$work/launch.conf" -- "$loader" "$sgxs" "$sig" >"$work/out" 2>"$work/err"
status=$?
if [ "$status" = 0 ]; then
	echo "FAILED: the loader succeeded although the launch list denies every enclave"; fail=1
else
	echo "ok: the enclave is denied (loader exit $status)"
fi
count=$(grep -cxF -- "$want" "$work/err")
if [ "$count" = 1 ]; then
	echo "ok: the warning is printed once: $want"
else
	echo "FAILED: expected the line '$want' once on stderr, found it $count times; stderr was:"
	cat "$work/err"; fail=1
fi

# SOFTSGX_QUIET silences host-feature warnings, never a configuration that denies everything.
SOFTSGX_QUIET=1 "$softsgx" run --conf "$work/launch.conf" -- "$loader" "$sgxs" "$sig" \
	>"$work/out" 2>"$work/err"
count=$(grep -cxF -- "$want" "$work/err")
if [ "$count" = 1 ]; then
	echo "ok: SOFTSGX_QUIET=1 does not silence it"
else
	echo "FAILED: with SOFTSGX_QUIET=1 the warning appeared $count times; stderr was:"
	cat "$work/err"; fail=1
fi

# A program that never opens the device starts no emulation and hears nothing of it.
"$softsgx" run --conf "$work/launch.conf" -- true >"$work/out" 2>"$work/err"
if grep -qF "every enclave is denied" "$work/err"; then
	echo "FAILED: a program that does not use SGX got the security warning"; cat "$work/err"; fail=1
else
	echo "ok: no warning for a program that does not use SGX"
fi
# Host-feature warnings (no protection keys, no CPUID faulting...) are said once per run, also
# when the program execs another with an explicit environment that lacks our variables.
"$softsgx" run -- "$loader" "$sgxs" "$sig" >"$work/out" 2>"$work/err.top"
"$softsgx" run -- python3 -c 'import os, sys; os.execve(sys.argv[1], sys.argv[1:], {})' \
	"$loader" "$sgxs" "$sig" >"$work/out" 2>"$work/err.exec"
status=$?
top=$(grep -c '^softsgx: ' "$work/err.top")
execd=$(grep -c '^softsgx: ' "$work/err.exec")
if [ "$status" = 0 ] && [ "$execd" = "$top" ]; then
	echo "ok: a program exec'd with an empty environment runs emulated and repeats no warning ($top line(s) on this host)"
else
	echo "FAILED: exec'd with an empty environment: exit $status, $execd warning line(s) against $top for the program run directly:"
	cat "$work/err.exec"; fail=1
fi
exit $fail
