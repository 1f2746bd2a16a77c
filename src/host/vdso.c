/* SPDX-License-Identifier: MIT */
/*
 * The substitute vDSO, created on the first getauxval(AT_SYSINFO_EHDR): the embedded image
 * (vdso_image.S, linked by vdso.lds) is copied to fresh pages, its slots are pointed at the
 * EENTER path and at the real vDSO's time functions (libc's when the kernel gave none), and the
 * copy becomes read-only and executable, as the kernel maps its own.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>

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

static void create(void)
{
	const struct softsgx_vdso_labels *l = &softsgx_vdso_labels;
	unsigned long (*real_getauxval)(unsigned long) = dlsym(RTLD_NEXT, "getauxval");
	unsigned long real = real_getauxval ? real_getauxval(AT_SYSINFO_EHDR) : 0;
	size_t size = (softsgx_vdso_image_size + 4095) & ~(size_t)4095;
	uint8_t *img;

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
	host_vdso = (struct host_vdso){
	    .base = (uint64_t)img,
	    .size = size,
	    .aep = (uint64_t)img + l->aep,
	    .eexit_return = (uint64_t)img + l->eexit_return,
	    .handle_exception = (uint64_t)img + l->handle_exception,
	};
}

unsigned long host_vdso_base(void)
{
	pthread_once(&once, create);
	return host_vdso.base;
}
