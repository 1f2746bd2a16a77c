/* SPDX-License-Identifier: MIT */
/* softsgx elf2sgxs IN.elf -o OUT.sgxs: the canonical measurement stream of an ELF enclave. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/image.h"

#include "commands.h"
#include "tool_util.h"

static void elf2sgxs_usage(FILE *out)
{
	fprintf(out, "usage: softsgx elf2sgxs IN.elf -o OUT.sgxs\n\n"
		     "Convert an ELF enclave (docs/elf-enclave.md) into the .sgxs stream a loader\n"
		     "replays; SHA-256 of OUT.sgxs is the enclave's MRENCLAVE.\n");
}

static int convert(const char *in, const char *out)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t *buf, *sgxs;
	size_t len, sgxs_len;
	int rc;

	if (tool_read_file(in, (size_t)1 << 31, &buf, &len))
		return 1;
	if (len < 4 || memcmp(buf, "\177ELF", 4)) {
		free(buf);
		return tool_error("%s: not an ELF file (no ELF magic at offset 0)", in);
	}
	rc = elf_enclave_parse(buf, len, &img, &err);
	free(buf);
	if (rc)
		return tool_lib_error(in, &err);
	rc = sgxs_write(&img, &sgxs, &sgxs_len, &err);
	sgx_image_free(&img);
	if (rc)
		return tool_lib_error(in, &err);
	rc = tool_write_file(out, sgxs, sgxs_len);
	free(sgxs);
	return rc;
}

int cmd_elf2sgxs(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'h') {
			elf2sgxs_usage(stdout);
			return 0;
		}
		if (c != 'o')
			return tool_usage_error("elf2sgxs", "unknown option");
		out = optarg;
	}
	if (optind != argc - 1 || !out)
		return tool_usage_error("elf2sgxs", "expected IN.elf and -o OUT.sgxs");
	return convert(argv[optind], out);
}
