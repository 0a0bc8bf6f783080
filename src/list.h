/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "hwdb.h"
#include "pci.h"
#include "runtime.h"
#include "select.h"

struct list_filter {
	bool gpus;		/* display functions and the other functions of their slots */
	int group;		/* -1: every group */
	bool has_device;
	struct pci_addr device;
};

/*
 * `vfio-binder list --config-lines`: a device line pinned to the IDs of each
 * display function shown (the boot VGA commented out), for [devices].
 */
void list_print_config(FILE *f, const struct pci_table *t, const struct list_filter *flt, struct hwdb *names);
/*
 * `vfio-binder list`: every function by IOMMU group, with what the policy
 * would do and what reserve or release changed since the boot (rt, may be
 * NULL).
 */
void list_print(FILE *f, const struct pci_table *t, const struct plan *plan, const struct list_filter *flt,
		struct hwdb *names, const struct runtime *rt, bool json);
/*
 * `vfio-binder status`: what is bound now against what the plan wants. A
 * planned function that release gave back is where it was asked to be
 * ("released at runtime"); one that reserve took without the plan must be
 * on the driver. Returns the number of functions that are not where they
 * should be.
 */
int status_print(FILE *f, const struct pci_table *t, const struct plan *plan, const struct runtime *rt, bool json);
