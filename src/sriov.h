/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "pciaddr.h"
#include "policy.h"
#include "sysfs.h"

struct sriov_opts {
	bool dry_run;		/* print the writes to out instead */
	FILE *out;
	const struct pci_addr *only;	/* this physical function only (its driver just bound), or NULL */
};

/*
 * Before a pass reads the devices: sriov_drivers_autoprobe = 0 on each PF
 * that vfs = names, and the [sriov] number of virtual functions made on each
 * PF whose driver is bound. Never fatal: every failure is a message.
 */
int sriov_prepare(const struct sysfs *s, const struct policy *p, const struct sriov_opts *o);
