/* SPDX-License-Identifier: MIT */
/*
 * The security modules of this build, by the name the configuration gives them.  A module
 * joins by adding its ops table here (its file defines it; module.h declares it).
 */
#include <string.h>

#include "module.h"

static const struct lsm_module_ops *const lsm_modules[] = {
	&lsm_launch_module,
	&lsm_selinux_module,
	NULL,
};

const struct lsm_module_ops *lsm_module_find(const char *name)
{
	for (size_t i = 0; lsm_modules[i]; i++)
		if (!strcmp(lsm_modules[i]->name, name))
			return lsm_modules[i];
	return NULL;
}
