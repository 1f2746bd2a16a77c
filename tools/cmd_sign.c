/* SPDX-License-Identifier: MIT */
/*
 * softsgx sign --key KEY.pem [options] FILE -o FILE.sig: a SIGSTRUCT whose ENCLAVEHASH is
 * FILE's MRENCLAVE.  Defaults come from sgx_sigstruct_init (Fortanix sgxs-sign's), then from an
 * ELF enclave's note, then from the options.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "softsgx/image.h"
#include "softsgx/sigstruct.h"

#include "commands.h"
#include "tool_util.h"

enum {
	OPT_ISVPRODID = 256,
	OPT_ISVSVN,
	OPT_DEBUG,
	OPT_DATE,
	OPT_VENDOR,
	OPT_ATTRIBUTES,
	OPT_ATTRIBUTES_MASK,
	OPT_XFRM,
	OPT_XFRM_MASK,
	OPT_MISC,
	OPT_MISC_MASK,
	OPT_SWDEFINED,
	OPT_ISVFAMILYID,
	OPT_ISVEXTPRODID,
};

static const struct option sign_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"key", required_argument, NULL, 'k'},
    {"output", required_argument, NULL, 'o'},
    {"isvprodid", required_argument, NULL, OPT_ISVPRODID},
    {"isvsvn", required_argument, NULL, OPT_ISVSVN},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"date", required_argument, NULL, OPT_DATE},
    {"vendor", required_argument, NULL, OPT_VENDOR},
    {"attributes", required_argument, NULL, OPT_ATTRIBUTES},
    {"attributes-mask", required_argument, NULL, OPT_ATTRIBUTES_MASK},
    {"xfrm", required_argument, NULL, OPT_XFRM},
    {"xfrm-mask", required_argument, NULL, OPT_XFRM_MASK},
    {"misc", required_argument, NULL, OPT_MISC},
    {"misc-mask", required_argument, NULL, OPT_MISC_MASK},
    {"swdefined", required_argument, NULL, OPT_SWDEFINED},
    {"isvfamilyid", required_argument, NULL, OPT_ISVFAMILYID},
    {"isvextprodid", required_argument, NULL, OPT_ISVEXTPRODID},
    {NULL, 0, NULL, 0},
};

static void sign_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: softsgx sign --key KEY.pem [options] FILE -o FILE.sig\n\n"
	    "Sign the enclave FILE (ELF or .sgxs): a SIGSTRUCT with ENCLAVEHASH = its MRENCLAVE.\n"
	    "Defaults: ATTRIBUTES MODE64BIT, XFRM 0x3, ATTRIBUTEMASK all flags but DEBUG, XFRM\n"
	    "mask ~0xe4, MISCMASK 0xffffffff, vendor 0, today's date; an ELF enclave's note\n"
	    "(docs/elf-enclave.md) replaces the attributes, misc, masks and ISV fields.\n\n"
	    "  -k, --key KEY.pem        RSA-3072 e=3 private key (softsgx keygen)\n"
	    "  -o, --output FILE.sig    where to write the 1808-byte SIGSTRUCT\n"
	    "  --isvprodid N            ISVPRODID (0..65535)\n"
	    "  --isvsvn N               ISVSVN (0..65535)\n"
	    "  --debug                  set ATTRIBUTES.DEBUG and enforce it in the mask:\n"
	    "                           the enclave then launches only as a debug enclave\n"
	    "  --date YYYYMMDD          DATE (default today, UTC)\n"
	    "  --vendor intel|0         VENDOR 0x8086 or 0\n"
	    "  --attributes N           ATTRIBUTES.FLAGS      --attributes-mask N\n"
	    "  --xfrm N                 ATTRIBUTES.XFRM       --xfrm-mask N\n"
	    "  --misc N                 MISCSELECT            --misc-mask N\n"
	    "  --swdefined N            SWDEFINED\n"
	    "  --isvfamilyid HEX32      ISVFAMILYID (16 bytes, needs the KSS attribute)\n"
	    "  --isvextprodid HEX32     ISVEXTPRODID (16 bytes)\n"
	    "Numbers are decimal or 0x-hex.\n");
}

/* A BCD date yyyymmdd from "YYYYMMDD" with a plausible month and day. */
static bool parse_date(const char *s, uint32_t *bcd)
{
	uint64_t v;
	unsigned int month, day;

	if (strlen(s) != 8 || strspn(s, "0123456789") != 8 || !tool_parse_u64(s, 99999999, &v))
		return false;
	month = (unsigned int)(v / 100 % 100);
	day = (unsigned int)(v % 100);
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;
	*bcd = 0;
	for (int i = 0; i < 8; i++)
		*bcd = *bcd << 4 | (uint32_t)(s[i] - '0');
	return true;
}

static int set_number(struct sgx_sigstruct *s, int opt, const char *arg)
{
	uint64_t v, max = opt == OPT_ISVPRODID || opt == OPT_ISVSVN ? 0xFFFF
			  : opt == OPT_MISC || opt == OPT_MISC_MASK || opt == OPT_SWDEFINED
			      ? UINT32_MAX
			      : UINT64_MAX;

	if (!tool_parse_u64(arg, max, &v))
		return tool_usage_error("sign", "'%s' is not a number from 0 to 0x%llx", arg,
					(unsigned long long)max);
	switch (opt) {
	case OPT_ISVPRODID:
		s->body.isv_prod_id = (uint16_t)v;
		break;
	case OPT_ISVSVN:
		s->body.isv_svn = (uint16_t)v;
		break;
	case OPT_ATTRIBUTES:
		s->body.attributes.flags = v;
		break;
	case OPT_ATTRIBUTES_MASK:
		s->body.attributes_mask.flags = v;
		break;
	case OPT_XFRM:
		s->body.attributes.xfrm = v;
		break;
	case OPT_XFRM_MASK:
		s->body.attributes_mask.xfrm = v;
		break;
	case OPT_MISC:
		s->body.miscselect = (uint32_t)v;
		break;
	case OPT_MISC_MASK:
		s->body.misc_mask = (uint32_t)v;
		break;
	case OPT_SWDEFINED:
		s->header.swdefined = (uint32_t)v;
		break;
	}
	return 0;
}

static int set_option(struct sgx_sigstruct *s, int opt, const char *arg)
{
	uint32_t date;

	switch (opt) {
	case OPT_DEBUG:
		s->body.attributes.flags |= SGX_ATTR_DEBUG;
		s->body.attributes_mask.flags |= SGX_ATTR_DEBUG;
		return 0;
	case OPT_DATE:
		if (!parse_date(arg, &date))
			return tool_usage_error("sign", "--date '%s': expected YYYYMMDD", arg);
		s->header.date = date;
		return 0;
	case OPT_VENDOR:
		if (strcmp(arg, "intel") && strcmp(arg, "0"))
			return tool_usage_error("sign", "--vendor '%s': expected intel or 0", arg);
		s->header.vendor = strcmp(arg, "intel") ? 0 : SGX_SIGSTRUCT_VENDOR_INTEL;
		return 0;
	case OPT_ISVFAMILYID:
	case OPT_ISVEXTPRODID:
		if (softsgx_unhex(opt == OPT_ISVFAMILYID ? s->body.isv_family_id
							 : s->body.isv_ext_prod_id,
				  16, arg))
			return tool_usage_error("sign", "'%s': expected 32 hex digits", arg);
		return 0;
	}
	return set_number(s, opt, arg);
}

/* The note's values replace the defaults before any option is applied. */
static void apply_image_meta(struct sgx_sigstruct *s, const struct sgx_image *img)
{
	if (!img->has_meta)
		return;
	s->body.attributes = img->attributes;
	s->body.attributes_mask = img->attributes_mask;
	s->body.miscselect = img->miscselect;
	s->body.misc_mask = img->misc_mask;
	s->body.isv_prod_id = img->isv_prod_id;
	s->body.isv_svn = img->isv_svn;
}

static int check_body(const struct sgx_sigstruct *s)
{
	if (s->body.attributes.flags & (SGX_ATTR_RESERVED_MASK | SGX_ATTR_INIT))
		return tool_error("sign: ATTRIBUTES.FLAGS 0x%llx sets INIT or reserved bits: no "
				  "enclave could match it",
				  (unsigned long long)s->body.attributes.flags);
	if ((s->body.attributes.xfrm & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY)
		return tool_error("sign: ATTRIBUTES.XFRM 0x%llx lacks x87 and SSE (0x3)",
				  (unsigned long long)s->body.attributes.xfrm);
	if (s->body.miscselect & SGX_MISC_RESERVED_MASK)
		return tool_error("sign: MISCSELECT 0x%x sets reserved bits", s->body.miscselect);
	return 0;
}

static int sign_file(const char *in, const char *keyfile, const char *out, int argc, char **argv)
{
	struct softsgx_err err = {0};
	struct sgx_signing_key *key;
	struct sgx_sigstruct s;
	struct sgx_image img;
	int c, rc;

	if (sgx_image_load_file(in, &img, &err))
		return tool_lib_error("sign", &err);
	sgx_sigstruct_init(&s);
	apply_image_meta(&s, &img);
	rc = sgx_image_measure(&img, s.body.mrenclave, &err);
	sgx_image_free(&img);
	if (rc)
		return tool_lib_error(in, &err);
	/* Second pass over the options, now that the defaults are in place. */
	optind = 0; /* GNU getopt: 0 re-initialises the scan */
	while ((c = getopt_long(argc, argv, "hk:o:", sign_opts, NULL)) != -1)
		if (c >= OPT_ISVPRODID && (rc = set_option(&s, c, optarg)))
			return rc;
	if (check_body(&s))
		return 1;
	if (sgx_signing_key_load(keyfile, &key, &err))
		return tool_lib_error("sign", &err);
	rc = sgx_sigstruct_sign(&s, key, &err);
	sgx_signing_key_free(key);
	if (rc)
		return tool_lib_error("sign", &err);
	return tool_write_file(out, &s, sizeof(s));
}

int cmd_sign(int argc, char **argv)
{
	const char *key = NULL, *out = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "hk:o:", sign_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			sign_usage(stdout);
			return 0;
		case 'k':
			key = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case '?':
			return tool_usage_error("sign", "unknown option or missing argument");
		}
	}
	if (optind != argc - 1 || !key || !out)
		return tool_usage_error("sign", "expected --key KEY.pem, FILE and -o FILE.sig");
	return sign_file(argv[optind], key, out, argc, argv);
}
