/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "access.h"
#include "modload.h"
#include "record.h"
#include "runtime.h"
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
	/*
	 * How long the read-back waits for a probe the kernel has not finished
	 * (another process's modprobe of the same driver returns early while
	 * the first still initialises it), in milliseconds. 0 on fake trees.
	 */
	unsigned settle_ms;
	/*
	 * A card that turns out split (a companion kept by a native driver)
	 * gets its functions already on the driver back to the host. The
	 * monitor's, whose devices appear one function at a time.
	 */
	bool give_back;
	/* Quiet about functions that are where the plan wants them: a monitor pass logs what changed. */
	bool changes_only;
	/* When set, each planned function's outcome is added to it (bind's boot record). */
	struct boot_record *record;
	/* driver = auto: the kernel modules to look the variants up in; NULL the running kernel's */
	const char *modules_dir;
	/* After the read-back: who may open /dev/vfio/N of the groups bound ([access]); NULL: nobody's business */
	const struct access_opts *access;
	/*
	 * The runtime record (runtime.h), or NULL: a planned function that
	 * `release` gave back is left alone until `reserve` takes it again.
	 * The monitor's: a uevent or a reload must not undo a release.
	 */
	const struct runtime *runtime;
};

/*
 * Carries out a plan: driver_override for each function, unbind where the
 * policy allows, the driver loaded, drivers_probe, and a read-back of where
 * each function ended. Every planned function is judged before the first
 * write, so a card or an IOMMU group is taken whole or not at all. Returns
 * the number of planned functions that did not end on the driver (0:
 * everything as planned), or a negative errno.
 */
int apply_plan(const struct sysfs *s, struct pci_table *t, const struct plan *plan, const struct apply_opts *o);

/*
 * Gives a function back to the host: driver_override cleared, unbound from
 * driver (when it is on it), and a probe so its native driver can bind.
 */
int apply_give_back(const struct sysfs *s, const struct apply_opts *o, struct pci_func *f, const char *driver);

/*
 * A whole bind: read the PCI functions, plan, log the plan's notes, apply.
 * Same return as apply_plan; -EINVAL when the plan holds a configuration
 * error (nothing is written then).
 */
int bind_pass(const struct sysfs *s, const struct policy *p, const struct apply_opts *o);
