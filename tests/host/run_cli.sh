#!/bin/sh
# `softsgx run` as a command: what it sets up for the program and how it refuses bad input.
# usage: run_cli.sh SOFTSGX WORKDIR
set -u
softsgx=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") work=$2
rm -rf "$work"
mkdir -p "$work"
fail=0
expect() { # expect STATUS DESCRIPTION COMMAND...
	want=$1 what=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok: $what (exit $got)"
	else
		echo "FAILED: $what: exit $got, expected $want"; cat "$work/err"; fail=1
	fi
}
contains() { # contains FILE TEXT DESCRIPTION
	if grep -qF -- "$2" "$1"; then echo "ok: $3"; else echo "FAILED: $3"; cat "$1"; fail=1; fi
}

expect 0 "--help" "$softsgx" run --help
expect 2 "no program is a usage error" "$softsgx" run
expect 127 "a missing program" "$softsgx" run -- "$work/no-such-program"

printf 'platform.epc_size = 16M\nplatform.sgx2 = maybe\n' >"$work/bad.conf"
expect 1 "a malformed configuration is refused before running" "$softsgx" run --conf "$work/bad.conf" -- true
contains "$work/err" "bad.conf:2" "the refusal names the file and line"

printf 'platform.epc_size = 16M\nplatform.state_dir = %s/state\n' "$work" >"$work/good.conf"
cd "$work"
expect 0 "the program runs with the emulation in its environment" \
	"$softsgx" run --conf good.conf --context system_u:system_r:app_t:s0 -- \
	sh -c 'echo "$LD_PRELOAD"; echo "$SOFTSGX_CONF"; echo "$SOFTSGX_CONTEXT"'
contains "$work/out" "libsoftsgx-preload.so" "LD_PRELOAD names the preload library"
contains "$work/out" "$work/good.conf" "SOFTSGX_CONF is the absolute path of --conf"
contains "$work/out" "system_u:system_r:app_t:s0" "SOFTSGX_CONTEXT carries --context"
expect 3 "the program's exit status is returned" "$softsgx" run -- sh -c 'exit 3'
if printf 'int main(void){return 0;}\n' | cc -static -x c - -o "$work/static" 2>/dev/null; then
	expect 1 "a statically linked program is refused" "$softsgx" run -- "$work/static"
	contains "$work/err" "statically linked" "the refusal says why"
else
	echo "note: no static libc to build a static program; that check is not run"
fi
exit $fail
