/* SPDX-License-Identifier: MIT */
/*
 * softsgx sigstruct [--verify] [--json] FILE.sig [ENCLAVE]: every field of a SIGSTRUCT; with
 * --verify whether EINIT's format, signature and Q1/Q2 checks pass; with ENCLAVE whether
 * ENCLAVEHASH is that enclave's MRENCLAVE.  Exit status 0 only if every check asked for passes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/image.h"
#include "softsgx/sigstruct.h"

#include "commands.h"
#include "tool_util.h"

struct check {
	bool done;
	bool ok;
	char msg[sizeof(((struct softsgx_err *)0)->msg)];
};

struct report {
	const char *path;
	const struct sgx_sigstruct *s;
	struct check format, signature, enclave;
	char enclave_mr[65];
};

static void sigstruct_usage(FILE *out)
{
	fprintf(out,
		"usage: softsgx sigstruct [--verify] [--json] [--verbose] FILE.sig [ENCLAVE]\n\n"
		"Print every field of the SIGSTRUCT in FILE.sig.\n"
		"  --verify   check it as EINIT does: header constants, EXPONENT, reserved\n"
		"             bytes, the RSA-3072 signature and Q1/Q2\n"
		"  --json     print one JSON object instead of text\n"
		"  --verbose  also print MODULUS, SIGNATURE, Q1 and Q2 (little-endian hex)\n"
		"  ENCLAVE    an ELF enclave or .sgxs: check that ENCLAVEHASH is its MRENCLAVE\n"
		"Exit status: 0 when every check asked for passes, 1 otherwise, 2 on usage.\n");
}

static void hex_of(char *out, const void *p, size_t len)
{
	softsgx_hex(out, p, len);
}

static void attr_names(char *buf, size_t len, uint64_t f)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
	    {SGX_ATTR_INIT, "INIT"},
	    {SGX_ATTR_DEBUG, "DEBUG"},
	    {SGX_ATTR_MODE64BIT, "MODE64BIT"},
	    {SGX_ATTR_PROVISIONKEY, "PROVISIONKEY"},
	    {SGX_ATTR_EINITTOKENKEY, "EINITTOKENKEY"},
	    {SGX_ATTR_CET, "CET"},
	    {SGX_ATTR_KSS, "KSS"},
	    {SGX_ATTR_AEXNOTIFY, "AEXNOTIFY"},
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((f & names[i].bit) && n < len)
			n +=
			    (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i].name);
}

static void print_check(const char *name, const struct check *c)
{
	if (c->done)
		printf("%-18s %s%s%s\n", name, c->ok ? "valid" : "INVALID", c->ok ? "" : ": ",
		       c->ok ? "" : c->msg);
}

static void print_text(const struct report *r)
{
	const struct sgx_sigstruct *s = r->s;
	char h[129], names[128];
	uint8_t mrsigner[32];

	printf("%-18s %s\n", "file", r->path);
	printf("%-18s 0x%04x%s\n", "vendor", s->header.vendor,
	       s->header.vendor == SGX_SIGSTRUCT_VENDOR_INTEL ? " (Intel)" : "");
	printf("%-18s %04x-%02x-%02x\n", "date", s->header.date >> 16, s->header.date >> 8 & 0xFF,
	       s->header.date & 0xFF);
	printf("%-18s 0x%08x\n", "type", sgx_sigstruct_type(s));
	printf("%-18s 0x%08x\n", "swdefined", s->header.swdefined);
	printf("%-18s %u\n", "exponent", s->exponent);
	sgx_sigstruct_mrsigner(s, mrsigner);
	hex_of(h, mrsigner, 32);
	printf("%-18s %s\n", "mrsigner", h);
	hex_of(h, s->body.mrenclave, 32);
	printf("%-18s %s\n", "mrenclave", h);
	printf("%-18s %u\n%-18s %u\n", "isvprodid", s->body.isv_prod_id, "isvsvn", s->body.isv_svn);
	hex_of(h, s->body.isv_family_id, 16);
	printf("%-18s %s\n", "isvfamilyid", h);
	hex_of(h, s->body.isv_ext_prod_id, 16);
	printf("%-18s %s\n", "isvextprodid", h);
	attr_names(names, sizeof(names), s->body.attributes.flags);
	printf("%-18s 0x%016llx %s\n", "attributes", (unsigned long long)s->body.attributes.flags,
	       names);
	printf("%-18s 0x%016llx\n", "attributes_mask",
	       (unsigned long long)s->body.attributes_mask.flags);
	printf("%-18s 0x%016llx\n%-18s 0x%016llx\n", "xfrm",
	       (unsigned long long)s->body.attributes.xfrm, "xfrm_mask",
	       (unsigned long long)s->body.attributes_mask.xfrm);
	printf("%-18s 0x%08x\n%-18s 0x%08x\n", "miscselect", s->body.miscselect, "misc_mask",
	       s->body.misc_mask);
	printf("%-18s %s\n", "debug", s->body.attributes.flags & SGX_ATTR_DEBUG ? "yes" : "no");
	print_check("format", &r->format);
	print_check("signature", &r->signature);
	if (r->enclave.done)
		printf("%-18s %s (MRENCLAVE %s)\n", "enclavehash",
		       r->enclave.ok ? "matches" : "DIFFERS", r->enclave_mr);
}

static void json_check(const char *name, const struct check *c)
{
	if (!c->done)
		return;
	printf(",\n  \"%s_valid\": %s", name, c->ok ? "true" : "false");
	if (!c->ok) {
		/* Messages are ASCII from our own code; quotes and backslashes are escaped. */
		printf(",\n  \"%s_error\": \"", name);
		for (const char *p = c->msg; *p; p++) {
			if (*p == '"' || *p == '\\')
				putchar('\\');
			putchar((unsigned char)*p < 0x20 ? ' ' : *p);
		}
		printf("\"");
	}
}

/* The 384-byte numbers as stored (little-endian), in hex. */
static void print_json_hex(const char *name, const uint8_t *p, size_t len)
{
	char h[2 * SGX_MODULUS_SIZE + 1];

	hex_of(h, p, len);
	printf(",\n  \"%s\": \"%s\"", name, h);
}

static void print_numbers(const struct sgx_sigstruct *s)
{
	char h[2 * SGX_MODULUS_SIZE + 1];
	const struct {
		const char *name;
		const uint8_t *p;
	} nums[] = {
	    {"modulus", s->modulus}, {"signature", s->signature}, {"q1", s->q1}, {"q2", s->q2}};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		hex_of(h, nums[i].p, SGX_MODULUS_SIZE);
		printf("%-18s %s\n", nums[i].name, h);
	}
}

static void print_json(const struct report *r)
{
	const struct sgx_sigstruct *s = r->s;
	char h[65], fam[33], ext[33];
	uint8_t mrsigner[32];

	sgx_sigstruct_mrsigner(s, mrsigner);
	hex_of(h, mrsigner, 32);
	hex_of(fam, s->body.isv_family_id, 16);
	hex_of(ext, s->body.isv_ext_prod_id, 16);
	printf("{\n  \"vendor\": %u,\n  \"date\": \"%08x\",\n  \"type\": %u,\n"
	       "  \"swdefined\": %u,\n  \"exponent\": %u,\n  \"mrsigner\": \"%s\",\n",
	       s->header.vendor, s->header.date, sgx_sigstruct_type(s), s->header.swdefined,
	       s->exponent, h);
	hex_of(h, s->body.mrenclave, 32);
	printf("  \"mrenclave\": \"%s\",\n  \"isvprodid\": %u,\n  \"isvsvn\": %u,\n"
	       "  \"isvfamilyid\": \"%s\",\n  \"isvextprodid\": \"%s\",\n",
	       h, s->body.isv_prod_id, s->body.isv_svn, fam, ext);
	printf("  \"attributes\": \"0x%016llx\",\n  \"attributes_mask\": \"0x%016llx\",\n"
	       "  \"xfrm\": \"0x%016llx\",\n  \"xfrm_mask\": \"0x%016llx\",\n"
	       "  \"miscselect\": \"0x%08x\",\n  \"misc_mask\": \"0x%08x\",\n  \"debug\": %s",
	       (unsigned long long)s->body.attributes.flags,
	       (unsigned long long)s->body.attributes_mask.flags,
	       (unsigned long long)s->body.attributes.xfrm,
	       (unsigned long long)s->body.attributes_mask.xfrm, s->body.miscselect,
	       s->body.misc_mask, s->body.attributes.flags & SGX_ATTR_DEBUG ? "true" : "false");
	json_check("format", &r->format);
	json_check("signature", &r->signature);
	if (r->enclave.done)
		printf(",\n  \"enclave_mrenclave\": \"%s\",\n  \"enclavehash_matches\": %s",
		       r->enclave_mr, r->enclave.ok ? "true" : "false");
	print_json_hex("modulus", s->modulus, sizeof(s->modulus));
	print_json_hex("signature", s->signature, sizeof(s->signature));
	print_json_hex("q1", s->q1, sizeof(s->q1));
	print_json_hex("q2", s->q2, sizeof(s->q2));
	printf("\n}\n");
}

static void run_check(struct check *c, int rc, const struct softsgx_err *err)
{
	c->done = true;
	c->ok = !rc;
	if (rc)
		snprintf(c->msg, sizeof(c->msg), "%s", err->msg[0] ? err->msg : "failed");
}

static int check_enclave(struct report *r, const char *path)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t mr[32];
	int rc;

	if (sgx_image_load_file(path, &img, &err))
		return tool_lib_error("sigstruct", &err);
	rc = sgx_image_measure(&img, mr, &err);
	sgx_image_free(&img);
	if (rc)
		return tool_lib_error(path, &err);
	hex_of(r->enclave_mr, mr, 32);
	r->enclave.done = true;
	r->enclave.ok = !memcmp(mr, r->s->body.mrenclave, 32);
	return 0;
}

static int report_sigstruct(const char *path, const char *enclave, bool verify, bool json,
			    bool verbose)
{
	struct softsgx_err err = {0};
	struct report r = {.path = path};
	struct sgx_sigstruct s;
	uint8_t *buf;
	size_t len;
	int rc;

	if (tool_read_file(path, 1 << 20, &buf, &len))
		return 1;
	rc = sgx_sigstruct_from_bytes(&s, buf, len, &err);
	free(buf);
	if (rc)
		return tool_lib_error(path, &err);
	r.s = &s;
	if (verify) {
		run_check(&r.format, sgx_sigstruct_check_format(&s, &err), &err);
		memset(&err, 0, sizeof(err));
		run_check(&r.signature, sgx_sigstruct_verify_signature(&s, &err), &err);
	}
	if (enclave && check_enclave(&r, enclave))
		return 1;
	if (json)
		print_json(&r);
	else
		print_text(&r);
	if (verbose && !json)
		print_numbers(&s);
	if ((r.format.done && !r.format.ok) || (r.signature.done && !r.signature.ok))
		return tool_error("%s: %s", path, r.format.ok ? r.signature.msg : r.format.msg);
	if (r.enclave.done && !r.enclave.ok)
		return tool_error("%s: ENCLAVEHASH differs from the MRENCLAVE of %s (%s)", path,
				  enclave, r.enclave_mr);
	return 0;
}

int cmd_sigstruct(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"verify", no_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	bool verify = false, json = false, verbose = false;
	int c;

	while ((c = getopt_long(argc, argv, "hvjV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			sigstruct_usage(stdout);
			return 0;
		case 'v':
			verify = true;
			break;
		case 'j':
			json = true;
			break;
		case 'V':
			verbose = true;
			break;
		default:
			return tool_usage_error("sigstruct", "unknown option");
		}
	}
	if (optind != argc - 1 && optind != argc - 2)
		return tool_usage_error("sigstruct", "expected FILE.sig and optionally ENCLAVE");
	return report_sigstruct(argv[optind], optind == argc - 2 ? argv[optind + 1] : NULL, verify,
				json, verbose);
}
