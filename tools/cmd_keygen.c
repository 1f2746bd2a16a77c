/* SPDX-License-Identifier: MIT */
/* softsgx keygen -o KEY.pem: a new RSA-3072 signing key with public exponent 3. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "softsgx/sigstruct.h"

#include "commands.h"
#include "tool_util.h"

static void keygen_usage(FILE *out)
{
	fprintf(out,
		"usage: softsgx keygen [--force] -o KEY.pem\n\n"
		"Generate an RSA-3072 private key with public exponent 3, the only shape EINIT\n"
		"accepts, as PEM.  An existing KEY.pem is kept unless --force is given.\n"
		"Same as: openssl genrsa -3 -out KEY.pem 3072\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"output", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct softsgx_err err = {0};
	struct sgx_signing_key *key;
	const char *out = NULL;
	bool force = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ho:f", opts, NULL)) != -1) {
		if (c == 'h') {
			keygen_usage(stdout);
			return 0;
		}
		if (c == 'o')
			out = optarg;
		else if (c == 'f')
			force = true;
		else
			return tool_usage_error("keygen", "unknown option");
	}
	if (optind != argc || !out)
		return tool_usage_error("keygen", "expected -o KEY.pem and nothing else");
	if (sgx_signing_key_generate(&key, &err))
		return tool_lib_error("keygen", &err);
	/* The library never overwrites a key; --force is the explicit request to. */
	if (force)
		unlink(out);
	rc = sgx_signing_key_save(key, out, &err);
	sgx_signing_key_free(key);
	if (rc)
		return tool_lib_error(out, &err);
	return 0;
}
