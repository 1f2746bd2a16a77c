/* SPDX-License-Identifier: MIT */
/*
 * The substitute vDSO, created on the first getauxval(AT_SYSINFO_EHDR): the embedded image
 * (vdso_image.S, linked by vdso.lds) is copied to fresh pages, its slots are pointed at the
 * EENTER path and at the real vDSO's time functions (libc's when the kernel gave none), and the
 * copy becomes read-only and executable, as the kernel maps its own.
 *
 * Under `softsgx run` the image is usually there already: the launcher (launch.c) wrote it
 * into the program at exec and advertised it in the auxiliary vector, so that ld.so took it for
 * the vDSO (linux-vdso.so.1) and its time functions serve libc from the start.  The library
 * then adopts that image at load time instead of creating one: fills its EENTER slot (empty
 * until then: EENTER executes ENCLU and traps) so that ld.so-resolved and getauxval callers
 * share one image and the trap-free EENTER.
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "vdso_image.h"

struct host_vdso host_vdso;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *real_function(unsigned long real_vdso, const char *vdso_name, const char *libc_name)
{
	void *fn = vdso_lookup(real_vdso, vdso_name);

	return fn ? fn : dlsym(RTLD_NEXT, libc_name);
}

static void set_slot(uint8_t *img, unsigned long off, const void *target)
{
	uint64_t v = (uint64_t)target;

	memcpy(img + off, &v, sizeof(v));
}

static unsigned long real_sysinfo_ehdr(void)
{
	unsigned long (*real_getauxval)(unsigned long) = dlsym(RTLD_NEXT, "getauxval");

	return real_getauxval ? real_getauxval(AT_SYSINFO_EHDR) : 0;
}

/*
 * Whether @base holds our image as `softsgx run` wrote it: the file's bytes everywhere but in
 * the slots.  The ELF header is compared first: a kernel vDSO differs there already, and may
 * be smaller than our image.
 */
static bool is_written_by_launcher(unsigned long base)
{
	const struct softsgx_vdso_labels *l = &softsgx_vdso_labels;
	const uint8_t *img = (const uint8_t *)base;

	return base && !memcmp(img, softsgx_vdso_image, sizeof(Elf64_Ehdr)) &&
	       !memcmp(img, softsgx_vdso_image, l->slot_eenter) &&
	       !memcmp(img + l->slots_end, softsgx_vdso_image + l->slots_end,
		       softsgx_vdso_image_size - l->slots_end);
}

static void set_instance(uint64_t base, uint64_t size)
{
	const struct softsgx_vdso_labels *l = &softsgx_vdso_labels;

	host_vdso = (struct host_vdso){
	    .base = base,
	    .size = size,
	    .aep = base + l->aep,
	    .eexit_return = base + l->eexit_return,
	    .handle_exception = base + l->handle_exception,
	};
}

/*
 * Fill a slot of the launcher's image without taking away its execute permission: ld.so and
 * libc already call its time functions, possibly from threads an earlier constructor started.
 * A write through /proc/self/mem (as a debugger writes breakpoints) changes no protection;
 * where /proc is missing, the page is made writable for the moment of the store.
 */
static bool set_slot_in_place(uint8_t *img, size_t size, unsigned long off, const void *target)
{
	uint64_t v = (uint64_t)target;
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	bool done = fd >= 0 &&
		    pwrite(fd, &v, sizeof(v), (off_t)(uintptr_t)(img + off)) == (ssize_t)sizeof(v);

	if (fd >= 0)
		close(fd);
	if (done)
		return true;
	if (mprotect(img, size, PROT_READ | PROT_WRITE))
		return false;
	set_slot(img, off, target);
	return !mprotect(img, size, PROT_READ | PROT_EXEC);
}

/*
 * Take over the launcher's image.  Without the EENTER slot (no /proc, mprotect refused),
 * EENTER goes through ENCLU and the trap handler: slower, same behaviour.
 */
static void adopt(unsigned long base)
{
	size_t size = (softsgx_vdso_image_size + 4095) & ~(size_t)4095;

	set_slot_in_place((uint8_t *)base, size, softsgx_vdso_labels.slot_eenter,
			  (const void *)softsgx_vdso_eenter);
	set_instance(base, size);
}

static void create(void)
{
	const struct softsgx_vdso_labels *l = &softsgx_vdso_labels;
	unsigned long real = real_sysinfo_ehdr();
	size_t size = (softsgx_vdso_image_size + 4095) & ~(size_t)4095;
	uint8_t *img;

	if (is_written_by_launcher(real)) {
		adopt(real);
		return;
	}
	img = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (img == MAP_FAILED)
		return;
	memcpy(img, softsgx_vdso_image, softsgx_vdso_image_size);
	set_slot(img, l->slot_eenter, (const void *)softsgx_vdso_eenter);
	set_slot(img, l->slot_clock_gettime,
		 real_function(real, "__vdso_clock_gettime", "clock_gettime"));
	set_slot(img, l->slot_clock_getres,
		 real_function(real, "__vdso_clock_getres", "clock_getres"));
	set_slot(img, l->slot_gettimeofday,
		 real_function(real, "__vdso_gettimeofday", "gettimeofday"));
	set_slot(img, l->slot_time, real_function(real, "__vdso_time", "time"));
	set_slot(img, l->slot_getcpu, real_function(real, "__vdso_getcpu", "getcpu"));
	if (mprotect(img, size, PROT_READ | PROT_EXEC)) {
		munmap(img, size);
		return;
	}
	set_instance((uint64_t)img, size);
}

unsigned long host_vdso_base(void)
{
	pthread_once(&once, create);
	return host_vdso.base;
}

/* The launcher's image is adopted before anything can call it (a program's constructors). */
__attribute__((constructor)) static void vdso_adopt_at_load(void)
{
	if (is_written_by_launcher(real_sysinfo_ehdr()))
		host_vdso_base();
}
