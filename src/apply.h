/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "modload.h"
#include "pci.h"
#include "select.h"
#include "sysfs.h"

struct apply_opts {
	bool dry_run;		/* print the writes to out instead of making them */
	bool load;		/* load the driver and ask the kernel to probe */
	FILE *out;
	modload_fn load_fn;
	void *load_data;
	const struct pci_addr *slot;	/* only the functions of this slot (a device that appeared) */
};

/*
 * Carries out a plan: driver_override for each function, unbind where the
 * policy allows, the driver loaded, drivers_probe, and a read-back of where
 * each function ended. One function's failure never stops the others.
 * Returns the number of planned functions that did not end on the driver
 * (0: everything as planned), or a negative errno.
 */
int apply_plan(const struct sysfs *s, struct pci_table *t, const struct plan *plan, const struct apply_opts *o);

/*
 * A whole bind: read the PCI functions, plan, log the plan's notes, apply.
 * Same return as apply_plan.
 */
int bind_pass(const struct sysfs *s, const struct policy *p, const struct apply_opts *o);
