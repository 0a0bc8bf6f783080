// SPDX-License-Identifier: GPL-2.0-or-later
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwdb.h"
#include "log.h"
#include "macro.h"

struct hwdb {
	struct udev *udev;
	struct udev_hwdb *hwdb;
	char vendor[256], device[256];
};

struct hwdb *hwdb_open(void)
{
	struct hwdb *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->udev = udev_new();
	if (h->udev)
		h->hwdb = udev_hwdb_new(h->udev);
	if (!h->hwdb)
		log_debug("no udev hardware database; devices are shown by their IDs");
	return h;
}

void hwdb_close(struct hwdb *h)
{
	if (!h)
		return;
	if (h->hwdb)
		udev_hwdb_unref(h->hwdb);
	if (h->udev)
		udev_unref(h->udev);
	free(h);
}

void hwdb_pci_names(struct hwdb *h, uint16_t vendor, uint16_t device, const char **vendor_name,
		    const char **device_name)
{
	struct udev_list_entry *e;
	char modalias[64];

	*vendor_name = *device_name = NULL;
	if (!h || !h->hwdb)
		return;
	/* hwdb keys are globs over the modalias; "pci:vXdY" matches both the vendor and the device entry */
	snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08X", vendor, device);
	udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(h->hwdb, modalias, 0)) {
		const char *name = udev_list_entry_get_name(e), *value = udev_list_entry_get_value(e);

		if (!value)
			continue;
		if (streq(name, "ID_VENDOR_FROM_DATABASE")) {
			snprintf(h->vendor, sizeof(h->vendor), "%s", value);
			*vendor_name = h->vendor;
		} else if (streq(name, "ID_MODEL_FROM_DATABASE")) {
			snprintf(h->device, sizeof(h->device), "%s", value);
			*device_name = h->device;
		}
	}
}
