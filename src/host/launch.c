/* SPDX-License-Identifier: MIT */
/*
 * The ld.so lookup style of the vDSO entry.  ld.so maps the vDSO named by AT_SYSINFO_EHDR in
 * the auxiliary vector as linux-vdso.so.1 before any preloaded library runs, so a program that
 * lets ld.so resolve __vdso_sgx_enter_enclave (DT_NEEDED linux-vdso.so.1, or dlopen with
 * RTLD_NOLOAD and dlsym) sees the kernel's vDSO unless the vector itself names ours.  This file
 * rewrites it, at the exec, from a helper process that traces the launcher:
 *
 *   launcher (becomes the program)          helper (double-forked: not the program's child)
 *   fork ---------------------------------> fork again, report its pid, exit
 *   prctl(PR_SET_PTRACER, helper); "go" --> PTRACE_SEIZE(launcher, TRACEEXEC|EXITKILL)
 *   <------------------------------------- the result
 *   execve(PROGRAM) -----------------------> exec stop: registers at ld.so's entry
 *                                           mmap + mprotect injected, image written, slots
 *                                           filled with the kernel vDSO's functions,
 *                                           AT_SYSINFO_EHDR rewritten, registers and text
 *                                           restored, PTRACE_DETACH, exit
 *
 * The program keeps the launcher's pid, parent, session and exit status, and runs untraced from
 * its first instruction.  The kernel's own vDSO stays mapped, just not advertised; the kernel's
 * copy of the vector (/proc/PID/auxv) is unchanged.  The image is the host layer's
 * (vdso_image.S) with an empty EENTER slot, so EENTER executes ENCLU until the preloaded library
 * adopts the image (vdso.c); its time functions forward to the kernel's vDSO from the start.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "vdso_image.h"

#define USER_CS_64	0x33	    /* __USER_CS: a 64-bit program */
#define MAX_STACK_WORDS (1ul << 22) /* argv + envp pointers: far above the kernel's limits */
#define MAX_AUXV	512
#define MAX_VDSO	(1ul << 20)
#define X86_SYSCALL	0x050f /* 0f 05, little-endian */

struct tracee {
	pid_t pid;
	struct user_regs_struct regs; /* as the kernel left them after execve */
	long text_word;		      /* the original 8 bytes at regs.rip */
	bool text_patched;
	int pending_sig; /* a signal that arrived meanwhile: delivered at detach */
};

/* ---- memory of the tracee ---- */

static int peek(const struct tracee *t, uint64_t addr, uint64_t *word)
{
	long v;

	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, t->pid, (void *)addr, NULL);
	if (v == -1 && errno)
		return -errno;
	*word = (uint64_t)v;
	return 0;
}

static int poke(const struct tracee *t, uint64_t addr, uint64_t word)
{
	return ptrace(PTRACE_POKEDATA, t->pid, (void *)addr, (void *)word) ? -errno : 0;
}

/* @len is a multiple of 8. */
static int read_mem(const struct tracee *t, uint64_t addr, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;
		int ret = peek(t, addr + i, &w);

		if (ret)
			return ret;
		memcpy((char *)buf + i, &w, 8);
	}
	return 0;
}

/* @len is a multiple of 8; process_vm_writev, else word by word. */
static int write_mem(const struct tracee *t, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};

	if (process_vm_writev(t->pid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return 0;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;
		int ret;

		memcpy(&w, (const char *)buf + i, 8);
		ret = poke(t, addr + i, w);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- stops ---- */

/* Wait for the next stop of the tracee; 0, -ESRCH when it is gone. */
static int wait_stop(struct tracee *t, int *status)
{
	for (;;) {
		if (waitpid(t->pid, status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (WIFEXITED(*status) || WIFSIGNALED(*status))
			return -ESRCH;
		if (WIFSTOPPED(*status))
			return 0;
	}
}

/* Until the exec stop: other signals are delivered, a group stop is kept. */
static int wait_exec(struct tracee *t)
{
	int st, ret;

	while (!(ret = wait_stop(t, &st))) {
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
			return 0;
		if (st >> 16 == PTRACE_EVENT_STOP)
			ret = ptrace(PTRACE_LISTEN, t->pid, NULL, NULL);
		else
			ret = ptrace(PTRACE_CONT, t->pid, NULL, (void *)(long)WSTOPSIG(st));
		if (ret)
			return -errno;
	}
	return ret;
}

/*
 * Resume with @request until the tracee stops with SIGTRAP (a step or the system-call exit);
 * another signal is kept for the detach.
 */
static int run_until_trap(struct tracee *t, enum __ptrace_request request)
{
	int st, ret;

	for (;;) {
		if (ptrace(request, t->pid, NULL, NULL))
			return -errno;
		ret = wait_stop(t, &st);
		if (ret)
			return ret;
		if ((WSTOPSIG(st) & 0x7f) == SIGTRAP)
			return 0;
		if (st >> 16 == PTRACE_EVENT_STOP)
			return -EINTR; /* a group stop in the middle: give up */
		t->pending_sig = WSTOPSIG(st);
	}
}

/*
 * The exec stop is inside execve: the system call's return would overwrite RAX.  Run to its
 * exit first; from there the registers we set are the ones the tracee resumes with.
 */
static int leave_execve(struct tracee *t)
{
	struct user_regs_struct at_exec;
	int ret;

	if (ptrace(PTRACE_GETREGS, t->pid, NULL, &at_exec))
		return -errno;
	ret = run_until_trap(t, PTRACE_SYSCALL);
	if (ret)
		return ret;
	if (ptrace(PTRACE_GETREGS, t->pid, NULL, &t->regs))
		return -errno;
	if (t->regs.cs != USER_CS_64)
		return -ENOEXEC;
	/* Still before the program's first instruction (the stop was execve's exit)? */
	if (t->regs.rip != at_exec.rip || t->regs.rsp != at_exec.rsp)
		return -EPROTO;
	t->regs.orig_rax = -1; /* no system call to restart when restored */
	return 0;
}

/* One system call in the tracee, at its entry point (patched with SYSCALL); its return value. */
static long inject_syscall(struct tracee *t, long nr, long a, long b, long c, long d, long e,
			   long f)
{
	struct user_regs_struct r = t->regs;
	uint64_t w;
	int ret;

	if (!t->text_patched) {
		ret = peek(t, t->regs.rip, &w);
		if (ret)
			return ret;
		t->text_word = (long)w;
		ret = poke(t, t->regs.rip, (w & ~0xffffull) | X86_SYSCALL);
		if (ret)
			return ret;
		t->text_patched = true;
	}
	r.rax = nr;
	r.rdi = a;
	r.rsi = b;
	r.rdx = c;
	r.r10 = d;
	r.r8 = e;
	r.r9 = f;
	if (ptrace(PTRACE_SETREGS, t->pid, NULL, &r))
		return -errno;
	ret = run_until_trap(t, PTRACE_SINGLESTEP);
	if (ret)
		return ret;
	if (ptrace(PTRACE_GETREGS, t->pid, NULL, &r))
		return -errno;
	if (r.rip != t->regs.rip + 2)
		return -EFAULT;
	return (long)r.rax;
}

/* Text and registers as the kernel left them; then let go. */
static int restore_and_detach(struct tracee *t)
{
	int ret = 0;

	if (t->text_patched && poke(t, t->regs.rip, (uint64_t)t->text_word))
		ret = -errno;
	if (ptrace(PTRACE_SETREGS, t->pid, NULL, &t->regs) && !ret)
		ret = -errno;
	if (ptrace(PTRACE_DETACH, t->pid, NULL, (void *)(long)t->pending_sig) && !ret)
		ret = -errno;
	return ret;
}

/* ---- the auxiliary vector and the kernel's vDSO ---- */

/* RSP at ld.so's entry: argc, argv[argc], NULL, envp..., NULL, auxv pairs, AT_NULL. */
static int find_sysinfo_ehdr(const struct tracee *t, uint64_t *entry, uint64_t *value,
			     struct softsgx_err *err)
{
	uint64_t p = t->regs.rsp, w, type;
	int ret;

	ret = peek(t, p, &w);
	if (ret)
		return softsgx_fail(err, ret, "reading argc at %#llx: %s", (unsigned long long)p,
				    strerror(-ret));
	p += (w + 2) * 8; /* argc, argv, NULL */
	for (unsigned long n = 0; n < MAX_STACK_WORDS; n++, p += 8) {
		if ((ret = peek(t, p, &w)))
			return softsgx_fail(err, ret, "reading envp: %s", strerror(-ret));
		if (!w)
			break;
	}
	p += 8;
	for (int n = 0; n < MAX_AUXV; n++, p += 16) {
		if ((ret = peek(t, p, &type)) || (ret = peek(t, p + 8, &w)))
			return softsgx_fail(err, ret, "reading the auxiliary vector: %s",
					    strerror(-ret));
		if (type == AT_NULL)
			break;
		if (type == AT_SYSINFO_EHDR) {
			*entry = p + 8;
			*value = w;
			return 0;
		}
	}
	return softsgx_fail(err, -ENOENT,
			    "the kernel gave the program no vDSO "
			    "(no AT_SYSINFO_EHDR)");
}

/* ---- symbols of a vDSO image, every table bounds-checked ---- */

/* The file offset of address @addr in an image with one PT_LOAD @load, if inside @size. */
static bool image_offset(const Elf64_Phdr *load, size_t size, uint64_t addr, size_t len,
			 size_t *off)
{
	uint64_t o = addr - load->p_vaddr + load->p_offset;

	if (addr < load->p_vaddr || o > size || len > size - o)
		return false;
	*off = o;
	return true;
}

struct dyn_tables {
	const Elf64_Phdr *load;
	size_t symtab, strtab, hash, strsz;
	uint32_t nbucket, nchain;
};

static int program_headers(const uint8_t *img, size_t size, struct dyn_tables *d,
			   const Elf64_Phdr **dyn, struct softsgx_err *err)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Phdr *ph;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return softsgx_fail(err, -ENOEXEC, "offset 0: not an ELF64 header");
	if (eh->e_phentsize != sizeof(*ph) || eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(*ph) < eh->e_phnum)
		return softsgx_fail(err, -ENOEXEC,
				    "e_phoff %#llx: %u program headers of %u bytes do not fit in "
				    "%zu bytes",
				    (unsigned long long)eh->e_phoff, eh->e_phnum, eh->e_phentsize,
				    size);
	ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	*dyn = NULL;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !d->load)
			d->load = &ph[i];
		else if (ph[i].p_type == PT_DYNAMIC)
			*dyn = &ph[i];
	}
	if (!d->load || !*dyn)
		return softsgx_fail(err, -ENOEXEC, "no %s program header",
				    d->load ? "PT_DYNAMIC" : "PT_LOAD");
	if ((*dyn)->p_offset > size || (*dyn)->p_filesz > size - (*dyn)->p_offset)
		return softsgx_fail(err, -ENOEXEC, "PT_DYNAMIC at offset %#llx: past the end",
				    (unsigned long long)(*dyn)->p_offset);
	return 0;
}

static int dyn_tables(const uint8_t *img, size_t size, struct dyn_tables *d,
		      struct softsgx_err *err)
{
	uint64_t symtab = 0, strtab = 0, hash = 0;
	const Elf64_Phdr *dyn = NULL;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = program_headers(img, size, d, &dyn, err);
	if (ret)
		return ret;
	for (size_t o = dyn->p_offset; o + sizeof(Elf64_Dyn) <= dyn->p_offset + dyn->p_filesz;
	     o += sizeof(Elf64_Dyn)) {
		const Elf64_Dyn *e = (const Elf64_Dyn *)(img + o);

		if (e->d_tag == DT_NULL)
			break;
		if (e->d_tag == DT_SYMTAB)
			symtab = e->d_un.d_ptr;
		else if (e->d_tag == DT_STRTAB)
			strtab = e->d_un.d_ptr;
		else if (e->d_tag == DT_STRSZ)
			d->strsz = e->d_un.d_val;
		else if (e->d_tag == DT_HASH)
			hash = e->d_un.d_ptr;
	}
	if (!image_offset(d->load, size, hash, 8, &d->hash))
		return softsgx_fail(err, -ENOEXEC, "DT_HASH %#llx: outside the image",
				    (unsigned long long)hash);
	if (!image_offset(d->load, size, strtab, d->strsz, &d->strtab))
		return softsgx_fail(err, -ENOEXEC,
				    "DT_STRTAB %#llx + DT_STRSZ %zu: outside the image",
				    (unsigned long long)strtab, d->strsz);
	if (!image_offset(d->load, size, symtab, 0, &d->symtab))
		return softsgx_fail(err, -ENOEXEC, "DT_SYMTAB %#llx: outside the image",
				    (unsigned long long)symtab);
	memcpy(&d->nbucket, img + d->hash, 4);
	memcpy(&d->nchain, img + d->hash + 4, 4);
	if (!d->nbucket || (size - d->hash - 8) / 4 < (uint64_t)d->nbucket + d->nchain)
		return softsgx_fail(err, -ENOEXEC,
				    "DT_HASH at offset %#zx: %u buckets and %u chains do not fit",
				    d->hash, d->nbucket, d->nchain);
	if ((size - d->symtab) / sizeof(Elf64_Sym) < d->nchain)
		return softsgx_fail(err, -ENOEXEC,
				    "DT_SYMTAB at offset %#zx: %u symbols do not fit", d->symtab,
				    d->nchain);
	return 0;
}

/* @name's offset from the image base by a SysV hash walk (the chain bounded); -ENOENT. */
static int dyn_lookup(const uint8_t *img, const struct dyn_tables *d, const char *name,
		      uint64_t *off)
{
	const uint32_t *hash = (const uint32_t *)(img + d->hash);
	const Elf64_Sym *syms = (const Elf64_Sym *)(img + d->symtab);
	size_t len = strlen(name);
	uint32_t h = 0, g;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		g = h & 0xf0000000;
		h ^= g >> 24;
		h &= ~g;
	}
	for (uint32_t i = hash[2 + h % d->nbucket], n = 0; i && i < d->nchain && n < d->nchain;
	     i = hash[2 + d->nbucket + i], n++) {
		const Elf64_Sym *s = &syms[i];

		if (s->st_shndx != SHN_UNDEF && s->st_name < d->strsz &&
		    d->strsz - s->st_name > len &&
		    !memcmp(img + d->strtab + s->st_name, name, len + 1) &&
		    s->st_value >= d->load->p_vaddr) {
			*off = s->st_value - d->load->p_vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int launch_vdso_symbol(const void *img, size_t size, const char *name, uint64_t *off,
		       struct softsgx_err *err)
{
	struct dyn_tables d;
	int ret = dyn_tables(img, size, &d, err);

	if (ret)
		return ret;
	if (dyn_lookup(img, &d, name, off))
		return softsgx_fail(err, -ENOENT, "%s: no such dynamic symbol", name);
	return 0;
}

/* The kernel vDSO at @base in the tracee: its size from the ELF headers, then its bytes. */
static int read_kernel_vdso(const struct tracee *t, uint64_t base, uint8_t **img, size_t *size)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	size_t end = 0;
	int ret = read_mem(t, base, &eh, sizeof(eh));

	if (ret)
		return ret;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phentsize != sizeof(ph) ||
	    eh.e_phnum > 64 || eh.e_phoff > MAX_VDSO)
		return -ENOEXEC;
	for (int i = 0; i < eh.e_phnum; i++) {
		if ((ret = read_mem(t, base + eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph))))
			return ret;
		if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > end)
			end = ph.p_offset + ph.p_filesz;
	}
	end = (end + 7) & ~(size_t)7;
	if (!end || end > MAX_VDSO)
		return -ENOEXEC;
	*img = malloc(end);
	if (!*img)
		return -ENOMEM;
	ret = read_mem(t, base, *img, end);
	if (ret) {
		free(*img);
		return ret;
	}
	*size = end;
	return 0;
}

/* Our image for address @at in the tracee, its time slots pointing into the kernel's vDSO. */
static int build_image(const struct tracee *t, uint64_t kernel_vdso, uint8_t *out,
		       struct softsgx_err *err)
{
	static const struct {
		const char *name;
		size_t slot;
	} forward[] = {
	    {"__vdso_clock_gettime", offsetof(struct softsgx_vdso_labels, slot_clock_gettime)},
	    {"__vdso_clock_getres", offsetof(struct softsgx_vdso_labels, slot_clock_getres)},
	    {"__vdso_gettimeofday", offsetof(struct softsgx_vdso_labels, slot_gettimeofday)},
	    {"__vdso_time", offsetof(struct softsgx_vdso_labels, slot_time)},
	    {"__vdso_getcpu", offsetof(struct softsgx_vdso_labels, slot_getcpu)},
	};
	const char *labels = (const char *)&softsgx_vdso_labels;
	struct dyn_tables d;
	uint8_t *kimg;
	size_t ksize;
	int ret;

	ret = read_kernel_vdso(t, kernel_vdso, &kimg, &ksize);
	if (ret)
		return softsgx_fail(err, ret, "reading the kernel's vDSO at %#llx: %s",
				    (unsigned long long)kernel_vdso, strerror(-ret));
	ret = dyn_tables(kimg, ksize, &d, err);
	if (ret) {
		free(kimg);
		return softsgx_err_prefix(err, "the kernel's vDSO: ");
	}
	memcpy(out, softsgx_vdso_image, softsgx_vdso_image_size);
	for (size_t i = 0; i < sizeof(forward) / sizeof(forward[0]); i++) {
		uint64_t off, target = 0;
		unsigned long slot;

		/* An absent function stays 0: the image makes the system call instead. */
		if (!dyn_lookup(kimg, &d, forward[i].name, &off))
			target = kernel_vdso + off;
		memcpy(&slot, labels + forward[i].slot, sizeof(slot));
		memcpy(out + slot, &target, sizeof(target));
	}
	free(kimg);
	return 0;
}

static bool syscall_failed(long ret)
{
	return (unsigned long)ret >= -4095ul;
}

/* Map, fill and protect the image in the tracee; its address in @at. */
static int place_image(struct tracee *t, uint64_t kernel_vdso, uint64_t *at,
		       struct softsgx_err *err)
{
	size_t size = (softsgx_vdso_image_size + 4095) & ~(size_t)4095;
	uint8_t *img = calloc(1, size);
	long addr, ret;

	if (!img)
		return softsgx_fail(err, -ENOMEM, "out of memory");
	ret = build_image(t, kernel_vdso, img, err);
	if (ret) {
		free(img);
		return (int)ret;
	}
	addr = inject_syscall(t, SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (syscall_failed(addr)) {
		free(img);
		return softsgx_fail(err, (int)addr, "mmap in the program: %s",
				    strerror((int)-addr));
	}
	ret = write_mem(t, (uint64_t)addr, img, size);
	free(img);
	if (!ret)
		ret = inject_syscall(t, SYS_mprotect, addr, (long)size, PROT_READ | PROT_EXEC, 0, 0,
				     0);
	if (ret) {
		inject_syscall(t, SYS_munmap, addr, (long)size, 0, 0, 0, 0);
		return softsgx_fail(err, (int)ret, "writing the image into the program: %s",
				    strerror((int)-ret));
	}
	*at = (uint64_t)addr;
	return 0;
}

/* At the exec stop: the image in place and advertised, or nothing changed. */
static int inject(struct tracee *t, struct softsgx_err *err)
{
	uint64_t entry = 0, kernel_vdso = 0, image = 0;
	int ret, ret2;

	ret = leave_execve(t);
	if (ret == -ENOEXEC)
		return softsgx_fail(err, ret, "not a 64-bit program");
	if (ret)
		return softsgx_fail(err, ret, "stopping the program after execve: %s",
				    strerror(-ret));
	ret = find_sysinfo_ehdr(t, &entry, &kernel_vdso, err);
	if (!ret)
		ret = place_image(t, kernel_vdso, &image, err);
	if (!ret && (ret = poke(t, entry, image)))
		softsgx_fail(err, ret, "rewriting AT_SYSINFO_EHDR: %s", strerror(-ret));
	ret2 = restore_and_detach(t);
	if (!ret && ret2)
		ret = softsgx_fail(err, ret2, "restoring the program's registers: %s",
				   strerror(-ret2));
	return ret;
}

/* ---- the helper process ---- */

/* The helper has no caller to return to: it says it itself, as `softsgx run` would. */
static void say(bool quiet, const struct softsgx_err *err)
{
	if (!quiet)
		fprintf(stderr, LAUNCH_VDSO_UNAVAILABLE "\n", err->msg);
}

/*
 * Out of the way of the program: no terminal signals (^C must not kill the helper in the middle
 * of its work), and none of the launcher's descriptors but stderr (a pipe the program's reader
 * waits on must not stay open here).
 */
static void helper_leave_program_alone(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	if (syscall(SYS_close_range, 3, ~0u, 0))
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
}

static void helper_main(pid_t target, int go, int report, bool quiet)
{
	struct tracee t = {.pid = target};
	struct softsgx_err err = {0};
	sigset_t all;
	int res = 0;
	char c;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	res = getpid();
	if (write(report, &res, sizeof(res)) != sizeof(res) || read(go, &c, 1) != 1)
		_exit(0);
	res = 0;
	if (ptrace(PTRACE_SEIZE, target, NULL,
		   (void *)(long)(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)))
		res = -errno;
	if (write(report, &res, sizeof(res)) != sizeof(res) || res)
		_exit(0);
	helper_leave_program_alone();
	/* The launcher exits without exec'ing when the program cannot be run: nothing to do. */
	if (wait_exec(&t))
		_exit(0);
	if (inject(&t, &err))
		say(quiet, &err);
	_exit(0);
}

/*
 * Fork the helper through an intermediate process that exits at once (so the helper is not
 * the program's child); the helper reports its own pid.  On return only the helper holds
 * go[0] and report[1] (closed here): its death reads as EOF, never as a hang.
 */
static pid_t spawn_helper(int go[2], int report[2], bool quiet)
{
	pid_t target = getpid(), mid;
	int st, helper = -1;

	mid = fork();
	if (mid == 0) {
		if (fork() == 0) {
			close(go[1]);
			close(report[0]);
			helper_main(target, go[0], report[1], quiet);
		}
		_exit(0);
	}
	close(go[0]);
	close(report[1]);
	if (mid < 0)
		return -1;
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	if (read(report[0], &helper, sizeof(helper)) != sizeof(helper))
		return -1;
	return helper;
}

/* Who traces this process (a debugger, strace): TracerPid in /proc/self/status, 0 if none. */
static int tracer_pid(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	int pid = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* "go" to the helper; a dead helper is EPIPE, not a SIGPIPE that kills the launcher. */
static int write_go(int fd)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int ret;

	sigaction(SIGPIPE, &ign, &old);
	ret = write(fd, "g", 1) == 1 ? 0 : -EPIPE;
	sigaction(SIGPIPE, &old, NULL); /* the program inherits the disposition */
	return ret;
}

int launch_vdso_arm(bool quiet, struct softsgx_err *err)
{
	int go[2], report[2], res = -ECHILD;
	pid_t helper;

	if (pipe2(go, O_CLOEXEC))
		return softsgx_fail(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(report, O_CLOEXEC)) {
		res = -errno;
		close(go[0]);
		close(go[1]);
		return softsgx_fail(err, res, "pipe: %s", strerror(-res));
	}
	helper = spawn_helper(go, report, quiet);
	if (helper > 0) {
		/* Under Yama ptrace_scope 1 only a named non-descendant may attach. */
		prctl(PR_SET_PTRACER, helper, 0, 0, 0);
		if (write_go(go[1]) || read(report[0], &res, sizeof(res)) != sizeof(res))
			res = -ECHILD;
	}
	close(go[1]);
	close(report[0]);
	if (helper <= 0)
		return softsgx_fail(err, -EAGAIN, "cannot start the ptrace helper");
	if (res == -ECHILD)
		return softsgx_fail(err, res,
				    "the ptrace helper ended before attaching (killed "
				    "by a seccomp filter?)");
	if (res == -EPERM && tracer_pid() > 0)
		return softsgx_fail(err, res, "already traced by process %d", tracer_pid());
	if (res)
		return softsgx_fail(err, res, "ptrace: %s", strerror(-res));
	return 0;
}
