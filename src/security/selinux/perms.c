// SPDX-License-Identifier: MIT
/* The module's class and permission names: the one place they are spelled. */
#include "perms.h"

const struct sel_class_def sel_classes[SEL_NR_CLASSES] = {
    [SEL_CHR_FILE] = {"chr_file", {"ioctl", "read", "write", "map", "execute", "open"}},
    [SEL_FILE] = {"file", {"sgx_execute"}},
    [SEL_PROCESS] = {"process", {"execmem"}},
    [SEL_PROCESS2] = {"process2", {"sgx_execdirty", "sgx_execunmr", "sgx_execanon", "sgx_mapwx"}},
    [SEL_ENCLAVE] = {"enclave", {"init", "debug", "provision"}},
};

int sel_nr_perms(enum sel_class cls)
{
	int n = 0;

	while (n < SEL_MAX_PERMS && sel_classes[cls].perms[n])
		n++;
	return n;
}

uint32_t sel_all_perms(enum sel_class cls)
{
	return (1u << sel_nr_perms(cls)) - 1;
}
