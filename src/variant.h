/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "pci.h"
#include "policy.h"
#include "sysfs.h"

/*
 * Fills each detailed function's variant with the vfio variant driver
 * modules.alias has for it (driver = auto). modules_dir: the kernel's
 * module directory (/lib/modules/KVER), NULL for the running kernel's.
 * A function without one keeps "" and goes to vfio-pci.
 */
int variant_resolve(const struct sysfs *s, struct pci_table *t, const char *modules_dir);
/* driver = auto anywhere: globally or on a device line. */
bool policy_wants_variants(const struct policy *p);
