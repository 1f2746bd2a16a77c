#!/bin/sh
# Run commands in a QEMU guest whose (emulated) CPU has protection keys, as this host's may not.
#
# usage: run_in_vm.sh WORKDIR [--copy PATH]... --run COMMAND [ARG]... [--run COMMAND [ARG]...]...
#
# QEMU's TCG with `-cpu max` implements PKU/OSPKE and FSGSBASE; the guest kernel is Debian's
# (its vmlinuz, taken out of the linux-image package with apt-get download, cached in
# WORKDIR/kernel), the root file system an initramfs made here: busybox as /bin/sh, every
# COMMAND, ARG and --copy PATH that names a file at the same absolute path as on the host (so a
# build tree's relative lookups hold), the shared libraries they need and the dynamic loader.
# The guest's /init checks that the CPU really has protection keys, runs each COMMAND, prints
# its output and exit status on the serial console, and powers off.
#
# Exit: 0 when every COMMAND exited 0 in the guest; 1 when one did not (a skip inside the guest,
# 77, is a failure: the guest is there to have protection keys), the guest has no protection
# keys, or the guest did not finish; 77 (skip, saying why) when QEMU, busybox, cpio or the
# kernel cannot be had on this machine.  SOFTSGX_VM_KERNEL=PATH uses that kernel image instead
# of Debian's; SOFTSGX_VM_TIMEOUT (seconds, default 500) bounds the guest's run;
# SOFTSGX_VM_APPEND replaces "quiet" on the kernel command line (e.g. "print-fatal-signals=1
# loglevel=7" to see the registers of a thread the guest kernel kills).
set -eu

work=$1
shift
kernel_dir=$work/kernel
root=$work/root
timeout_s=${SOFTSGX_VM_TIMEOUT:-500}

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAILED: $*"
	exit 1
}

# Debian's current kernel package for this release: what linux-image-amd64 depends on.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

# WORKDIR/kernel/vmlinuz, fetched once: a second run finds it there.
fetch_kernel() {
	if [ -n "${SOFTSGX_VM_KERNEL:-}" ]; then
		[ -r "$SOFTSGX_VM_KERNEL" ] || fail "SOFTSGX_VM_KERNEL=$SOFTSGX_VM_KERNEL is not readable"
		kernel=$SOFTSGX_VM_KERNEL
		return
	fi
	kernel=$kernel_dir/vmlinuz
	[ -s "$kernel" ] && return
	command -v apt-get >/dev/null || skip "no apt-get to fetch a guest kernel (set SOFTSGX_VM_KERNEL)"
	pkg=$(kernel_package)
	if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(kernel_package)
	fi
	[ -n "$pkg" ] || skip "apt knows no linux-image-amd64 (no Debian package lists, or offline):" \
		"cannot fetch a guest kernel (set SOFTSGX_VM_KERNEL to a vmlinuz with PKU support)"
	rm -rf "$kernel_dir"
	mkdir -p "$kernel_dir"
	(cd "$kernel_dir" && apt-get download "$pkg" >download.log 2>&1) ||
		skip "apt-get download $pkg failed (offline?): $(tail -n 1 "$kernel_dir/download.log")"
	# Only /boot: the modules are not needed (serial console and initramfs are built in).
	dpkg-deb --fsys-tarfile "$kernel_dir"/"$pkg"_*.deb |
		tar -x -C "$kernel_dir" --wildcards './boot/vmlinuz-*' './boot/config-*' ||
		fail "cannot extract /boot from $pkg"
	grep -q '^CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y' "$kernel_dir"/boot/config-* ||
		fail "$pkg is built without CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS"
	rm -f "$kernel_dir"/"$pkg"_*.deb
	mv "$kernel_dir"/boot/vmlinuz-* "$kernel_dir/vmlinuz.tmp"
	mv "$kernel_dir/vmlinuz.tmp" "$kernel"
	echo "$pkg" >"$kernel_dir/package"
}

# Copy @1 into the guest's root at its own path, with the shared libraries it needs (ldd lists
# the dynamic loader too).  Symbolic links are followed: the guest gets the files.
copy_in() {
	[ -e "$root$1" ] && return
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
	# ldd prints "name => /path (addr)" and "/path (addr)" (the loader); the vDSO has no path.
	ldd "$1" 2>/dev/null | sed -n 's/^[^/]*\(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p' | while read -r lib; do
		copy_in "$lib"
	done
}

# A shell word for /init: single-quoted, with its single quotes escaped.
quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (scripts/install-deps.sh installs qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio is not installed (scripts/install-deps.sh installs it)"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || skip "busybox is not installed (scripts/install-deps.sh installs busybox-static)"

rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc"
copy_in "$busybox"
[ "$busybox" = /bin/busybox ] || ln -s "$busybox" "$root/bin/busybox"
# glibc dlopens libgcc_s for pthread_exit and pthread_cancel (the unwinder): ldd cannot list it.
libgcc_s=$(ldconfig -p 2>/dev/null | sed -n 's/^[[:space:]]*libgcc_s\.so\.1 (libc6,x86-64) => //p' | head -n 1)
if [ -n "$libgcc_s" ]; then copy_in "$libgcc_s"; fi

# /init: mount, check the CPU, run the commands, power off.  Every line the harness reads
# starts with "softsgx-vm:".  /tmp stays the initramfs's own (writable): a tmpfs there would
# hide the files of a build tree under /tmp.
init=$root/init
cat >"$init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || mount -t tmpfs dev /dev
echo "softsgx-vm: kernel $(uname -r)"
flags=$(grep -m 1 '^flags' /proc/cpuinfo)
for f in pku ospke fsgsbase; do
	case " $flags " in
	*" $f "*) ;;
	*) echo "softsgx-vm: FAILED: the guest CPU has no $f (/proc/cpuinfo flags: $flags)"
	   poweroff -f ;;
	esac
done
echo "softsgx-vm: the guest CPU has pku, ospke and fsgsbase"
EOF

n=0
want=0
copy=0
while [ $# -gt 0 ]; do
	case $1 in
	--copy)
		[ $# -ge 2 ] || fail "--copy needs a path"
		copy_in "$(realpath "$2")"
		shift 2
		continue
		;;
	--run)
		[ $n -eq 0 ] || printf '\n' >>"$init"
		n=$((n + 1))
		printf 'echo "softsgx-vm: [%d] start"\n' "$n" >>"$init"
		shift
		continue
		;;
	esac
	[ $n -gt 0 ] || fail "$1: a command starts with --run"
	# Files named on a command line (meson names build outputs relative to the build
	# directory) are copied in, at their absolute paths, with what they need.
	word=$1
	case $word in
	*/*) if [ -f "$word" ]; then
		word=$(realpath "$word")
		copy_in "$word"
	fi ;;
	esac
	printf '%s ' "$(quote "$word")" >>"$init"
	shift
	# The end of this command: its output goes to the console, then its status.
	if [ $# -eq 0 ] || [ "$1" = --run ]; then
		printf '</dev/null 2>&1\necho "softsgx-vm: [%d] exit $?"\n' "$n" >>"$init"
	fi
done
[ $n -gt 0 ] || fail "no command to run (--run COMMAND ...)"
printf 'echo "softsgx-vm: done"\npoweroff -f\n' >>"$init"
chmod +x "$init"

(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd.cpio" ||
	fail "cpio could not pack $root"
fetch_kernel

log=$work/console.log
start=$(date +%s)
set +e
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 panic=-1 ${SOFTSGX_VM_APPEND:-quiet}" </dev/null >"$log" 2>&1
qemu=$?
set -e
# The console's CRs and the firmware's escape sequences out of the way.
tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$log.txt"
sed -n '/softsgx-vm: kernel/,$p' "$log.txt"
echo "softsgx-vm: the guest ran $(($(date +%s) - start)) s (qemu exit $qemu)"
[ $qemu -ne 124 ] || fail "the guest did not finish in ${timeout_s} s (SOFTSGX_VM_TIMEOUT)"
grep -q '^softsgx-vm: done$' "$log.txt" ||
	fail "the guest stopped before running every command (console: $log)"
failed=$(sed -n 's/^softsgx-vm: \[\([0-9]*\)\] exit \([0-9]*\)$/\1 \2/p' "$log.txt" |
	awk '$2 != 0 { printf " [%s] exit %s", $1, $2 } END { if (NR != '"$n"') print " (missing)" }')
[ -z "$failed" ] || fail "in the guest:$failed (77 is a skip, which the guest is there to avoid)"
echo "ok: $n command(s) passed in a guest with protection keys"
