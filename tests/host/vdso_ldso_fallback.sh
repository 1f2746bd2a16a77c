#!/bin/sh
# `softsgx run` where ptrace is refused (a seccomp filter, as in a container): the run goes on
# without the ptrace launcher, says so in one line (unless SOFTSGX_QUIET=1), and the getauxval
# lookups still work.  Also shows that the ld.so-style test program depends on the launcher:
# without it ld.so cannot bind __vdso_sgx_enter_enclave and the program does not start.
# usage: vdso_ldso_fallback.sh SOFTSGX NO_PTRACE_EXEC LDSO_TEST VDSO_TEST CONF WORKDIR ENCLAVE-ARGS...
set -u
softsgx=$1 noptrace=$2 ldso=$3 vdso=$4 conf=$5 work=$6
shift 6
rm -rf "$work"
mkdir -p "$work"
unset SOFTSGX_QUIET
# LeakSanitizer stops threads with ptrace: under the seccomp filter it could not run.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
fail=0
run() { # run DESCRIPTION EXPECTED-STATUS COMMAND...: status and stderr in $work/err
	what=$1 want=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$want" = nonzero ] && [ "$got" != 0 ] || [ "$got" = "$want" ]; then
		echo "ok: $what (exit $got)"
	else
		echo "FAILED: $what: exit $got, expected $want"; cat "$work/out" "$work/err"; fail=1
	fi
}
contains() { # contains TEXT DESCRIPTION
	if grep -qF -- "$1" "$work/err"; then echo "ok: $2"; else echo "FAILED: $2"; cat "$work/err"; fail=1; fi
}
lacks() { # lacks TEXT DESCRIPTION
	if grep -qF -- "$1" "$work/err"; then echo "FAILED: $2"; cat "$work/err"; fail=1; else echo "ok: $2"; fi
}

"$noptrace" true 2>"$work/err"
if [ $? = 77 ]; then
	echo "SKIP: seccomp filters are not available here: $(cat "$work/err")"
	exit 77
fi

notice="the substitute vDSO is not advertised to ld.so in this run (ptrace: Operation not permitted)"
run "getauxval lookups work when ptrace is refused" 0 \
	"$noptrace" "$softsgx" run --conf "$conf" -- "$vdso" "$@"
contains "$notice" "the run says once that ptrace was refused"
[ "$(grep -cF "not advertised to ld.so" "$work/err")" = 1 ] && echo "ok: one line" ||
	{ echo "FAILED: the notice is not one line"; fail=1; }

run "SOFTSGX_QUIET=1 silences the notice" 0 \
	env SOFTSGX_QUIET=1 "$noptrace" "$softsgx" run --conf "$conf" -- "$vdso" "$@"
lacks "not advertised to ld.so" "no notice when quiet"

run "--no-ptrace runs without the launcher and without a notice" 0 \
	"$softsgx" run --no-ptrace --conf "$conf" -- "$vdso" "$@"
lacks "not advertised to ld.so" "no notice when asked for"

run "the run goes on when the seccomp filter kills the ptrace helper" 0 \
	"$noptrace" --kill "$softsgx" run --conf "$conf" -- "$vdso" "$@"
contains "the ptrace helper ended before attaching" "the run says the helper ended"

run "an ld.so-resolved program cannot start without the launcher" nonzero \
	"$softsgx" run --no-ptrace --conf "$conf" -- "$ldso" "$@"
contains "__vdso_sgx_enter_enclave" "ld.so names the symbol it could not bind"
lacks "vdso_stub:" "ld.so never took the link-time stand-in"

run "nor when ptrace is refused" nonzero \
	"$noptrace" "$softsgx" run --conf "$conf" -- "$ldso" "$@"
contains "$notice" "the run said why"
exit $fail
