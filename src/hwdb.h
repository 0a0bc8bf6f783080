/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/*
 * Vendor and device names from the udev hardware database (the same data
 * lspci shows), so no pciutils is needed. Without a hwdb every lookup
 * simply finds nothing and callers print the IDs alone.
 */
struct hwdb;

struct hwdb *hwdb_open(void);
void hwdb_close(struct hwdb *h);
/* Names for vendor:device; each NULL when the database has none. Valid until the next lookup. */
void hwdb_pci_names(struct hwdb *h, uint16_t vendor, uint16_t device, const char **vendor_name,
		    const char **device_name);
