/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "hwdb.h"
#include "pci.h"
#include "select.h"

struct list_filter {
	bool gpus;		/* display functions and the other functions of their slots */
	int group;		/* -1: every group */
	bool has_device;
	struct pci_addr device;
};

/* `vfio-binder list`: every function by IOMMU group, with what the policy would do. */
void list_print(FILE *f, const struct pci_table *t, const struct plan *plan, const struct list_filter *flt,
		struct hwdb *names, bool json);
/*
 * `vfio-binder list --config-lines`: a device line pinned to the IDs of each
 * display function shown (the boot VGA commented out), for [devices].
 */
void list_print_config(FILE *f, const struct pci_table *t, const struct list_filter *flt, struct hwdb *names);
/*
 * `vfio-binder status`: what is bound now against what the plan wants.
 * Returns the number of planned functions that are not where the plan wants them.
 */
int status_print(FILE *f, const struct pci_table *t, const struct plan *plan, bool json);
