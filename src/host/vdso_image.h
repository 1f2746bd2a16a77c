/* SPDX-License-Identifier: MIT */
/* The linked substitute vDSO, embedded by vdso_embed.py, and the offsets of its labels. */
#ifndef SOFTSGX_VDSO_IMAGE_H
#define SOFTSGX_VDSO_IMAGE_H

struct softsgx_vdso_labels {
	unsigned long aep, eexit_return, handle_exception;
	unsigned long slot_eenter, slot_clock_gettime, slot_clock_getres, slot_gettimeofday;
	unsigned long slot_time, slot_getcpu, slots_end;
};

extern const unsigned char softsgx_vdso_image[];
extern const unsigned long softsgx_vdso_image_size;
extern const struct softsgx_vdso_labels softsgx_vdso_labels;

#endif
