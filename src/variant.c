// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * driver = auto: vendor variant drivers of vfio-pci (mlx5_vfio_pci,
 * hisi_acc_vfio_pci, pds_vfio_pci, nvgrace_gpu_vfio_pci, virtio_vfio_pci)
 * must be used instead of plain vfio-pci for their devices. Their device
 * tables use PCI_DRIVER_OVERRIDE_DEVICE_VFIO, which depmod publishes as
 * "vfio_pci:" aliases in modules.alias (Linux 5.16 and later). As libvirt
 * does, the variant for a function is the module whose vfio_pci alias
 * matches "vfio_pci:" plus the function's modalias with the fewest
 * wildcards; vfio-pci's own catch-all alias means "no variant".
 */
#include <errno.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "variant.h"

static unsigned wildcards(const char *pattern)
{
	unsigned n = 0;

	for (; *pattern; pattern++)
		n += *pattern == '*' || *pattern == '?' || *pattern == '[';
	return n;
}

/* The best variant module for one alias string, into best (empty when none beats vfio-pci). */
static void best_variant(struct kmod_ctx *ctx, const char *alias, char *best, size_t size)
{
	struct kmod_list *list = NULL, *l;
	unsigned best_wild = ~0u;

	best[0] = '\0';
	if (kmod_module_new_from_lookup(ctx, alias, &list) < 0 || !list)
		return;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		struct kmod_list *info = NULL, *i;
		const char *name = kmod_module_get_name(mod);

		if (streq(name, "vfio_pci") || kmod_module_get_info(mod, &info) < 0) {
			kmod_module_unref(mod);
			continue;
		}
		kmod_list_foreach(i, info) {
			const char *key = kmod_module_info_get_key(i), *val = kmod_module_info_get_value(i);

			if (!key || !val || !streq(key, "alias") || strncmp(val, "vfio_pci:", 9) != 0 ||
			    fnmatch(val, alias, 0) != 0 || wildcards(val) >= best_wild)
				continue;
			best_wild = wildcards(val);
			snprintf(best, size, "%s", name);
		}
		kmod_module_info_free_list(info);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
}

int variant_resolve(const struct sysfs *s, struct pci_table *t, const char *modules_dir)
{
	struct kmod_ctx *ctx = kmod_new(modules_dir, NULL);

	if (!ctx) {
		log_warning("driver = auto: libkmod cannot read the modules of %s; every function goes to vfio-pci",
			    modules_dir ? modules_dir : "the running kernel");
		return -ENOENT;
	}
	kmod_set_log_priority(ctx, LOG_ERR);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_func *f = &t->v[i];
		char path[64], addr[PCI_ADDR_STRLEN], modalias[128], alias[160], best[DRIVER_NAME_MAX];
		ssize_t n;

		if (!f->detailed)
			continue;
		snprintf(path, sizeof(path), "bus/pci/devices/%s/modalias", pci_addr_fmt(&f->addr, addr));
		n = sysfs_read(s, path, modalias, sizeof(modalias));
		if (n < 0 || strncmp(modalias, "pci:", 4) != 0) {
			/* plain vfio-pci is safe, but not what driver = auto asked for: say so */
			log_warning("%s: driver = auto: cannot read its modalias (%s): no variant driver is looked up, plain "
				    "vfio-pci if it is bound", addr, n < 0 ? strerror((int)-n) : "unexpected content");
			continue;
		}
		snprintf(alias, sizeof(alias), "vfio_pci:%s", modalias + 4);
		best_variant(ctx, alias, best, sizeof(best));
		if (best[0]) {
			log_debug("%s: vfio variant driver %s (vfio_pci alias of %s)", addr, best, modalias);
			pci_func_set_variant(f, best);
		}
	}
	kmod_unref(ctx);
	return 0;
}

bool policy_wants_variants(const struct policy *p)
{
	if (p->auto_driver)
		return true;
	for (size_t i = 0; i < p->devices.n; i++)
		if (p->devices.v[i].driver.automatic)
			return true;
	return false;
}
