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
};

/*
 * Carries out a plan: driver_override for each function, unbind where the
 * policy allows, the driver loaded, drivers_probe, and a read-back of where
 * each function ended. One function's failure never stops the others.
 * Returns the number of planned functions that did not end on the driver
 * (0: everything as planned), or a negative errno.
 */
int apply_plan(const struct sysfs *s, struct pci_table *t, const struct plan *plan, const struct apply_opts *o);
