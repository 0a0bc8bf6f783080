/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "pci.h"
#include "select.h"

struct access_opts {
	const char *run;	/* the rule goes to RUN/udev/rules.d; NULL: /run */
	const char *dev;	/* the nodes are DEV/vfio/N; NULL: /dev */
	const char *etc;	/* names resolve through ETC/passwd and ETC/group; NULL: /etc */
	bool dry_run;
	FILE *out;
};

/*
 * [access] owner/group/mode for /dev/vfio/N of every group the plan bound:
 * a udev rule, and the node now when it exists. Never fatal.
 */
int access_apply(const struct access_opts *a, const struct pci_table *t, const struct plan *plan);
/* A name (or number) through ETC/passwd or ETC/group; -ENOENT when there is none. */
int access_resolve(const char *etc, const char *name, bool group, unsigned *ret);
