// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy.h"

static const char *const mode_names[] = {
	[POLICY_LIST] = "list", [POLICY_BOOT_VGA] = "boot_vga", [POLICY_OFF] = "off",
};
static const char *const companions_names[] = {
	[COMPANIONS_SLOT] = "slot", [COMPANIONS_AUDIO] = "audio", [COMPANIONS_NONE] = "none",
};
static const char *const group_names[] = {
	[GROUP_CHECK] = "check", [GROUP_BIND] = "bind", [GROUP_IGNORE] = "ignore",
};

void policy_init(struct policy *p)
{
	*p = (struct policy){
		.mode = POLICY_LIST,
		.driver = "vfio-pci",
		.module = "vfio-pci",
		.companions = COMPANIONS_SLOT,
		.group = GROUP_CHECK,
		.require_iommu = true,
		.load = true,
	};
}

void policy_free(struct policy *p)
{
	free(p->devices.v);
	free(p->ids.v);
	free(p->excludes.v);
	free(p->options);
	free(p->config_file);
	policy_init(p);
}

int policy_add_entry(struct entry_list *l, const struct policy_entry *e)
{
	if (l->n == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 8;
		struct policy_entry *v = reallocarray(l->v, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->alloc = n;
	}
	l->v[l->n++] = *e;
	return 0;
}

bool policy_is_empty(const struct policy *p)
{
	return p->mode == POLICY_LIST && p->devices.n == 0 && p->ids.n == 0;
}

bool policy_return_to_host(const struct policy *p, const struct pci_addr *a, const struct policy_entry **entry)
{
	if (entry)
		*entry = NULL;
	for (size_t i = 0; i < p->devices.n; i++) {
		const struct policy_entry *e = &p->devices.v[i];

		if (!pci_addr_eq(&e->addr, a) || e->return_to_host == SETTING_UNSET)
			continue;
		if (entry)
			*entry = e;
		return e->return_to_host == SETTING_YES;
	}
	return p->return_to_host;
}

bool policy_needs_iommu(const struct policy *p)
{
	return p->require_iommu && !streq(p->driver, "pci-stub");
}

static int lookup(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(s, names[i]))
			return (int)i;
	return -EINVAL;
}

int policy_mode_parse(const char *s, enum policy_mode *ret)
{
	int r = lookup(s, mode_names, ELEMENTSOF(mode_names));

	if (r < 0)
		return r;
	*ret = (enum policy_mode)r;
	return 0;
}

int companions_parse(const char *s, enum companions_mode *ret)
{
	int r = lookup(s, companions_names, ELEMENTSOF(companions_names));

	if (r < 0)
		return r;
	*ret = (enum companions_mode)r;
	return 0;
}

int group_mode_parse(const char *s, enum group_mode *ret)
{
	int r = lookup(s, group_names, ELEMENTSOF(group_names));

	if (r < 0)
		return r;
	*ret = (enum group_mode)r;
	return 0;
}

int bool_parse(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (lookup(s, yes, ELEMENTSOF(yes)) >= 0)
		*ret = true;
	else if (lookup(s, no, ELEMENTSOF(no)) >= 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

int driver_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DRIVER_NAME_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

void policy_set_driver(struct policy *p, const char *name)
{
	static const struct {
		const char *module, *driver;
	} known[] = {
		/* drivers/vfio/pci/vfio_pci.c and drivers/pci/pci-stub.c name their drivers with a dash */
		{ "vfio_pci", "vfio-pci" },
		{ "pci_stub", "pci-stub" },
	};
	char norm[DRIVER_NAME_MAX];

	snprintf(p->module, sizeof(p->module), "%s", name);
	snprintf(norm, sizeof(norm), "%s", name);
	for (char *c = norm; *c; c++)
		if (*c == '-')
			*c = '_';
	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (streq(norm, known[i].module)) {
			snprintf(p->driver, sizeof(p->driver), "%s", known[i].driver);
			snprintf(p->module, sizeof(p->module), "%s", known[i].driver);
			return;
		}
	snprintf(p->driver, sizeof(p->driver), "%s", norm);
}

const char *policy_mode_str(enum policy_mode m)
{
	return mode_names[m];
}

const char *companions_str(enum companions_mode m)
{
	return companions_names[m];
}

const char *group_mode_str(enum group_mode m)
{
	return group_names[m];
}

const char *origin_fmt(const struct origin *o, char *buf, size_t size)
{
	if (!o->file)
		snprintf(buf, size, "kernel command line");
	else
		snprintf(buf, size, "%s:%u", o->file, o->line);
	return buf;
}
