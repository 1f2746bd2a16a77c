#!/bin/sh
# Programs exec'd under `softsgx run` degrade as the top-level run does: with --no-ptrace, or
# where ptrace is refused (a seccomp filter at the top, or one installed only by the program
# that execs), the exec'd program gets the getauxval lookup styles, and the run says so in one
# line at most (none with SOFTSGX_QUIET=1 or --no-ptrace).  exec_target --then-exec checks one
# program and the one it execs.
# usage: exec_degrade.sh SOFTSGX NO_PTRACE_EXEC EXEC_TARGET CONF WORKDIR ENCLAVE.sgxs ENCLAVE.sig
set -u
softsgx=$1 noptrace=$2 target=$3 conf=$4 work=$5
shift 5
rm -rf "$work"
mkdir -p "$work"
unset SOFTSGX_QUIET
# LeakSanitizer stops threads with ptrace: under the seccomp filter it could not run.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
fail=0
run() { # run DESCRIPTION COMMAND...: must exit 0; stderr in $work/err
	what=$1
	shift
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" = 0 ]; then
		echo "ok: $what"
	else
		echo "FAILED: $what: exit $got"; cat "$work/out" "$work/err"; fail=1
	fi
}
notices() { # notices COUNT DESCRIPTION: lines saying the vDSO is not advertised to ld.so
	n=$(grep -cF "not advertised to ld.so" "$work/err")
	if [ "$n" = "$1" ]; then echo "ok: $2"; else echo "FAILED: $2 ($n notices)"; cat "$work/err"; fail=1; fi
}

run "with ptrace: the program and the one it execs find the entry through ld.so" \
	"$softsgx" run --conf "$conf" -- "$target" --expect ldso --then-exec "$@"
notices 0 "no notice"

run "--no-ptrace: the exec'd program has the getauxval styles only" \
	"$softsgx" run --no-ptrace --conf "$conf" -- "$target" --expect getauxval --then-exec "$@"
notices 0 "no notice with --no-ptrace"

"$noptrace" true 2>"$work/err"
if [ $? = 77 ]; then
	echo "SKIP (the rest): seccomp filters are not available here: $(cat "$work/err")"
	exit $fail
fi

run "ptrace refused at the top: the exec'd program too has the getauxval styles" \
	"$noptrace" "$softsgx" run --conf "$conf" -- "$target" --expect getauxval --then-exec "$@"
notices 1 "one notice, from the top-level run"

# no_ptrace_exec is run armed (it needs no vDSO), installs the filter and execs the target,
# whose launcher is refused; the target execs itself once more, no longer trying.
run "ptrace refused only below: the exec'd programs have the getauxval styles" \
	"$softsgx" run --conf "$conf" -- "$noptrace" "$target" --expect getauxval --then-exec "$@"
notices 1 "one notice, from the first refused exec"
grep -qF "(ptrace: Operation not permitted)" "$work/err" && echo "ok: the notice says why" ||
	{ echo "FAILED: the notice does not name the refusal"; cat "$work/err"; fail=1; }

run "SOFTSGX_QUIET=1: the same, silently" \
	env SOFTSGX_QUIET=1 "$softsgx" run --conf "$conf" -- "$noptrace" "$target" \
	--expect getauxval --then-exec "$@"
notices 0 "no notice when quiet"
exit $fail
