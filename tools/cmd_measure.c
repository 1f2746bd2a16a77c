/* SPDX-License-Identifier: MIT */
/* softsgx measure FILE: the MRENCLAVE of an ELF enclave or an .sgxs stream. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "softsgx/image.h"

#include "commands.h"
#include "tool_util.h"

static void measure_usage(FILE *out)
{
	fprintf(out,
		"usage: softsgx measure [--verbose] FILE\n\n"
		"Print the MRENCLAVE of FILE, an ELF enclave (docs/elf-enclave.md) or an .sgxs\n"
		"stream, as lower-case hex.  --verbose also prints SECS.SIZE, SSAFRAMESIZE and\n"
		"the pages.\n");
}

static void print_pages(const struct sgx_image *img)
{
	printf("size 0x%llx ssaframesize %u pages %zu\n", (unsigned long long)img->size,
	       img->ssa_frame_size, img->nr_pages);
	for (size_t i = 0; i < img->nr_pages; i++)
		printf("page 0x%08llx flags 0x%03llx measured 0x%04x\n",
		       (unsigned long long)img->pages[i].offset,
		       (unsigned long long)img->pages[i].secinfo_flags, img->pages[i].measured);
}

int cmd_measure(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t mr[32];
	char hex[65];
	bool verbose = false;
	int c;

	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		if (c == 'h') {
			measure_usage(stdout);
			return 0;
		}
		if (c != 'v')
			return tool_usage_error("measure", "unknown option");
		verbose = true;
	}
	if (optind != argc - 1)
		return tool_usage_error("measure", "expected one FILE");
	if (sgx_image_load_file(argv[optind], &img, &err))
		return tool_lib_error("measure", &err);
	if (sgx_image_measure(&img, mr, &err)) {
		sgx_image_free(&img);
		return tool_lib_error(argv[optind], &err);
	}
	if (verbose)
		print_pages(&img);
	sgx_image_free(&img);
	softsgx_hex(hex, mr, sizeof(mr));
	printf("%s%s\n", verbose ? "mrenclave " : "", hex);
	return 0;
}
