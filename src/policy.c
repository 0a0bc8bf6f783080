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
	free(p->vfs.v);
	free(p->sriov.v);
	free(p->preload);
	free(p->owner);
	free(p->group_owner);
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

static int copy_list(struct entry_list *dst, const struct entry_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (policy_add_entry(dst, &src->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int copy_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int policy_copy(struct policy *dst, const struct policy *src)
{
	*dst = *src;
	dst->devices = dst->ids = dst->excludes = dst->vfs = dst->sriov = (struct entry_list){ 0 };
	dst->preload = dst->owner = dst->group_owner = dst->options = dst->config_file = NULL;
	if (copy_list(&dst->devices, &src->devices) < 0 || copy_list(&dst->ids, &src->ids) < 0 ||
	    copy_list(&dst->excludes, &src->excludes) < 0 || copy_list(&dst->vfs, &src->vfs) < 0 ||
	    copy_list(&dst->sriov, &src->sriov) < 0 || copy_str(&dst->preload, src->preload) < 0 ||
	    copy_str(&dst->owner, src->owner) < 0 || copy_str(&dst->group_owner, src->group_owner) < 0 ||
	    copy_str(&dst->options, src->options) < 0 || copy_str(&dst->config_file, src->config_file) < 0) {
		policy_free(dst);
		return -ENOMEM;
	}
	return 0;
}

bool policy_is_empty(const struct policy *p)
{
	return p->mode == POLICY_LIST && p->devices.n == 0 && p->ids.n == 0 && p->vfs.n == 0 && p->sriov.n == 0;
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
	return driver_needs_iommu(p, p->driver);
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

void driver_name_set(struct driver_name *d, const char *name)
{
	static const struct {
		const char *module, *driver;
	} known[] = {
		/* drivers/vfio/pci/vfio_pci.c and drivers/pci/pci-stub.c name their drivers with a dash */
		{ "vfio_pci", "vfio-pci" },
		{ "pci_stub", "pci-stub" },
	};
	char norm[DRIVER_NAME_MAX];

	d->automatic = streq(name, "auto");
	if (d->automatic)
		name = "vfio-pci";
	snprintf(d->module, sizeof(d->module), "%s", name);
	snprintf(norm, sizeof(norm), "%s", name);
	for (char *c = norm; *c; c++)
		if (*c == '-')
			*c = '_';
	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (streq(norm, known[i].module)) {
			snprintf(d->driver, sizeof(d->driver), "%s", known[i].driver);
			snprintf(d->module, sizeof(d->module), "%s", known[i].driver);
			return;
		}
	snprintf(d->driver, sizeof(d->driver), "%s", norm);
}

void policy_set_driver(struct policy *p, const char *name)
{
	struct driver_name d;

	driver_name_set(&d, name);
	memcpy(p->driver, d.driver, sizeof(p->driver));
	memcpy(p->module, d.module, sizeof(p->module));
	p->auto_driver = d.automatic;
}

bool driver_needs_iommu(const struct policy *p, const char *driver)
{
	return p->require_iommu && !streq(driver, "pci-stub");
}

static const char *const reset_names[RESET_COUNT] = {
	[RESET_UNSET] = "", [RESET_DEFAULT] = "default", [RESET_DEVICE_SPECIFIC] = "device_specific",
	[RESET_ACPI] = "acpi", [RESET_FLR] = "flr", [RESET_AF_FLR] = "af_flr", [RESET_PM] = "pm",
	[RESET_BUS] = "bus", [RESET_CXL_BUS] = "cxl_bus",
};

int reset_method_parse(const char *s, enum reset_method *ret)
{
	for (size_t i = 1; i < RESET_COUNT; i++)
		if (streq(s, reset_names[i])) {
			*ret = (enum reset_method)i;
			return 0;
		}
	return -EINVAL;
}

const char *reset_method_str(enum reset_method m)
{
	return m < RESET_COUNT ? reset_names[m] : "";
}

/* The next word of s (blanks end it; '@' too when at_ends), copied into buf; s moves past it. */
static bool next_word(const char **s, char *buf, size_t size, bool at_ends)
{
	size_t n;

	*s += strspn(*s, " \t");
	if (**s == '@' && at_ends) {
		snprintf(buf, size, "@");
		(*s)++;
		return true;
	}
	n = at_ends ? strcspn(*s, " \t@") : strcspn(*s, " \t");
	if (n == 0)
		return false;
	snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), *s);
	*s += n;
	return n < size;
}

int policy_entry_parse(const char *s, const char *what, unsigned keys, struct policy_entry *e, char *err,
		       size_t errsize)
{
	char w[DRIVER_NAME_MAX + 32] = "", addr[PCI_ADDR_STRLEN];
	int r;

	if (!next_word(&s, w, sizeof(w), true) || streq(w, "@"))
		return snprintf(err, errsize, "expected a PCI address for %s", what), -EINVAL;
	r = pci_addr_parse(w, true, &e->addr);
	if (r == -ERANGE)
		return snprintf(err, errsize, "invalid PCI address '%s' for %s (device is at most 1f, function at most 7)", w,
				what), -EINVAL;
	if (r < 0)
		return snprintf(err, errsize, "invalid PCI address '%s' for %s (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0)",
				w, what), -EINVAL;
	s += strspn(s, " \t");
	if (*s == '@') {
		s++;
		w[0] = '\0';
		if (!next_word(&s, w, sizeof(w), true) || pci_id_parse(w, &e->pin) < 0)
			return snprintf(err, errsize, "expected the vendor:device ID the function must have after '@' (e.g. @ 10de:1b81), got '%s'",
					w), -EINVAL;
		e->pinned = true;
		s += strspn(s, " \t");
		if (*s == '@')
			s++;
		/* optional subsystem IDs: a word without '=' */
		{
			const char *save = s;

			if (next_word(&s, w, sizeof(w), true) && !strchr(w, '=')) {
				if (pci_id_parse(w, &e->pin_subsystem) < 0)
					return snprintf(err, errsize, "expected the subsystem ID (e.g. 1458:3771) after the ID, got '%s'",
							w), -EINVAL;
				e->pinned_subsystem = true;
			} else {
				s = save;
			}
		}
	}
	pci_addr_fmt(&e->addr, addr);
	while (next_word(&s, w, sizeof(w), false)) {
		char *v = strchr(w, '=');

		if (!v || !keys)
			return snprintf(err, errsize, "unexpected '%s' after the address %s (expected %s)", w, addr,
					keys ? "KEY=VALUE: driver=, reset_method=, return_to_host=" : "nothing"), -EINVAL;
		*v++ = '\0';
		if ((keys & ENTRY_KEY_DRIVER) && streq(w, "driver")) {
			if (!streq(v, "auto") && !driver_name_valid(v))
				return snprintf(err, errsize, "invalid driver name '%s' for device %s (a module name, or auto)", v,
						addr), -EINVAL;
			driver_name_set(&e->driver, v);
		} else if ((keys & ENTRY_KEY_RESET) && streq(w, "reset_method")) {
			if (reset_method_parse(v, &e->reset) < 0)
				return snprintf(err, errsize, "unknown reset_method '%s' for device %s (expected device_specific, acpi, flr, af_flr, pm, bus, cxl_bus or default)",
						v, addr), -EINVAL;
		} else if ((keys & ENTRY_KEY_RETURN) && streq(w, "return_to_host")) {
			bool b;

			if (e->return_to_host != SETTING_UNSET)
				return snprintf(err, errsize, "return_to_host given twice for device %s", addr), -EINVAL;
			if (bool_parse(v, &b) < 0)
				return snprintf(err, errsize, "invalid value '%s' for return_to_host of device %s (expected yes or no)",
						v, addr), -EINVAL;
			e->return_to_host = b ? SETTING_YES : SETTING_NO;
		} else {
			return snprintf(err, errsize, "unknown key '%s' for device %s (expected driver=, reset_method= or return_to_host=)",
					w, addr), -EINVAL;
		}
	}
	if (*s)
		return snprintf(err, errsize, "a word is too long: '%.40s'", s), -EINVAL;
	return 0;
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
