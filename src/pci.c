// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PCI functions of a machine, read from sysfs: an in-memory table that
 * selection works on without touching the filesystem. Missing optional
 * attributes are normal (boot_vga exists only on VGA functions, driver only
 * where bound); garbage is reported and the function kept with what could
 * be read, so one odd device never hides the others.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "pci.h"

#define DEVICES "bus/pci/devices/"

/*
 * One pass, no strlen()/strspn() and no snprintf() for the path: the class of
 * every function on the machine goes through here, and on a host with
 * thousands of functions the C library's general routines cost more
 * instructions than the rest of the scan.
 */
static int parse_hex(const char *s, unsigned maxdigits, uint32_t *ret)
{
	uint32_t v = 0;
	unsigned n = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	for (s += 2; *s; s++, n++) {
		char c = (char)(*s | 0x20);
		uint32_t digit;

		if (*s >= '0' && *s <= '9')
			digit = (uint32_t)(*s - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (uint32_t)(c - 'a' + 10);
		else
			return -EINVAL;
		if (n == maxdigits)
			return -EINVAL;
		v = v << 4 | digit;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* DEVICES "<addr>/<attr>"; an address from readdir that would not fit gives "", which no open finds. */
static void attr_path(char *path, size_t size, const char *addr, const char *attr)
{
	size_t d = sizeof(DEVICES) - 1, a = strlen(addr), b = strlen(attr);

	if (d + a + 1 + b >= size) {
		path[0] = '\0';
		return;
	}
	memcpy(path, DEVICES, d);
	memcpy(path + d, addr, a);
	path[d + a] = '/';
	memcpy(path + d + a + 1, attr, b + 1);
}

static int read_hex_attr(const struct sysfs *s, const char *addr, const char *attr, unsigned digits, uint32_t *ret)
{
	char path[64], buf[32];
	ssize_t n;

	attr_path(path, sizeof(path), addr, attr);
	n = sysfs_read(s, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_hex(buf, digits, ret);
}

static int parse_group(const char *s)
{
	long v = 0;

	if (!*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	for (; *s; s++)
		v = v * 10 + (*s - '0');
	return (int)v;
}

static int set_name(const char **field, const char *name)
{
	char *copy = NULL;
	bool empty = !*name;

	/* Copied (and looked at) before the old one is freed: name may be *field itself. */
	if (!empty)
		copy = strdup(name);
	if (*field && **field)
		free((char *)*field);
	*field = copy ? copy : "";
	/* copy is owned by *field now; cppcheck does not follow the store through the pointer. */
	/* cppcheck-suppress memleak */
	return copy || empty ? 0 : -ENOMEM;
}

int pci_func_set_driver(struct pci_func *f, const char *name)
{
	return set_name(&f->driver, name);
}

int pci_func_set_override(struct pci_func *f, const char *name)
{
	return set_name(&f->override, name);
}

int pci_func_set_variant(struct pci_func *f, const char *name)
{
	return set_name(&f->variant, name);
}

int pci_func_read_driver(const struct sysfs *s, const struct pci_addr *a, char *buf, size_t size)
{
	char path[64], addr[PCI_ADDR_STRLEN];
	int r;

	snprintf(path, sizeof(path), DEVICES "%s/driver", pci_addr_fmt(a, addr));
	r = sysfs_readlink_name(s, path, buf, size);
	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r;
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (unsigned)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*ret = v;
	return 0;
}

int pci_func_load_details(const struct sysfs *s, struct pci_func *f)
{
	char addr[PCI_ADDR_STRLEN], path[64], buf[DRIVER_NAME_MAX];
	uint32_t v;
	unsigned u;
	ssize_t n;
	int r;

	pci_addr_fmt(&f->addr, addr);
	f->detailed = true;
	f->vendor = f->device = 0xffff;
	r = read_hex_attr(s, addr, "vendor", 4, &v);
	if (r == 0)
		f->vendor = (uint16_t)v;
	else
		pci_func_set_bad(f, PCI_ATTR_VENDOR, r);
	r = read_hex_attr(s, addr, "device", 4, &v);
	if (r == 0)
		f->device = (uint16_t)v;
	else
		pci_func_set_bad(f, PCI_ATTR_DEVICE, r);

	/*
	 * The kernel creates boot_vga on every VGA-class function. One whose
	 * class could not be read may be the boot VGA: ask it too.
	 */
	f->boot_vga = PCI_BOOT_VGA_NONE;
	if (pci_class_is_vga(f->class) || f->class == PCI_CLASS_UNKNOWN) {
		snprintf(path, sizeof(path), DEVICES "%s/boot_vga", addr);
		n = sysfs_read(s, path, buf, sizeof(buf));
		if (n >= 0 && (streq(buf, "0") || streq(buf, "1"))) {
			f->boot_vga = (int8_t)(buf[0] - '0');
		} else if (n != -ENOENT || pci_class_is_vga(f->class)) {
			f->boot_vga = PCI_BOOT_VGA_UNKNOWN;
			pci_func_set_bad(f, PCI_ATTR_BOOT_VGA, n < 0 ? (int)n : -EINVAL);
			log_debug("%s: cannot read boot_vga: %s", addr, n < 0 ? strerror((int)-n) : "neither 0 nor 1");
		}
	}

	/* A physical function with virtual functions enabled: vfio-pci refuses it. */
	snprintf(path, sizeof(path), DEVICES "%s/sriov_numvfs", addr);
	n = sysfs_read(s, path, buf, sizeof(buf));
	if (n >= 0 && parse_uint(buf, UINT16_MAX, &u) == 0)
		f->sriov_numvfs = (uint16_t)u;
	else if (n != -ENOENT)
		pci_func_set_bad(f, PCI_ATTR_SRIOV_NUMVFS, n < 0 ? (int)n : -EINVAL);

	/* A virtual function names its physical function (vfs = PF selects by it). */
	snprintf(path, sizeof(path), DEVICES "%s/physfn", addr);
	r = sysfs_readlink_name(s, path, buf, sizeof(buf));
	f->has_physfn = r == 0 && pci_addr_parse(buf, false, &f->physfn) == 0;

	r = pci_func_read_driver(s, &f->addr, buf, sizeof(buf));
	if (r < 0)
		log_warning("%s: unreadable driver link: %s", addr, strerror(-r));
	pci_func_set_driver(f, r < 0 ? "" : buf);

	snprintf(path, sizeof(path), DEVICES "%s/driver_override", addr);
	n = sysfs_read(s, path, buf, sizeof(buf));
	/*
	 * Only a missing file means an old kernel; one that cannot be read (a
	 * link out of the root, EACCES) is there, and the write reports why.
	 */
	f->has_override = n != -ENOENT;
	if (n < 0 && n != -ENOENT)
		log_warning("%s: unreadable driver_override: %s", addr, strerror((int)-n));
	pci_func_set_override(f, n > 0 && !streq(buf, "(null)") ? buf : "");

	/* Last: when it is the only attribute that failed, the plan knows whether groups matter. */
	snprintf(path, sizeof(path), DEVICES "%s/iommu_group", addr);
	r = sysfs_readlink_name(s, path, buf, sizeof(buf));
	if (r == 0 && (f->iommu_group = parse_group(buf)) < 0)
		r = -EINVAL;
	if (r < 0 && r != -ENOENT) {
		f->iommu_group = PCI_GROUP_UNKNOWN;
		pci_func_set_bad(f, PCI_ATTR_IOMMU_GROUP, r);
	} else if (r == -ENOENT) {
		f->iommu_group = PCI_GROUP_NONE;
	}
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	return pci_addr_cmp(&((const struct pci_func *)a)->addr, &((const struct pci_func *)b)->addr);
}

struct pci_func *pci_table_find(const struct pci_table *t, const struct pci_addr *a)
{
	struct pci_func key = { .addr = *a };

	if (!t->n)
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(key), cmp_func);
}

static int table_add(struct pci_table *t, size_t *alloc, const struct pci_func *f)
{
	if (t->n == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 64;
		struct pci_func *v = reallocarray(t->v, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		*alloc = n;
	}
	t->v[t->n++] = *f;
	return 0;
}

static bool has_entries(const struct sysfs *s, const char *rel)
{
	_cleanup_closedir_ DIR *d = sysfs_opendir(s, rel);
	struct dirent *de;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			return true;
	return false;
}

/*
 * Members of a group learn its number without reading their own link. A
 * listing that fails leaves the group's make-up unknown: the functions
 * already known to be in it are marked, so none of them is bound on a
 * guess that the group is whole.
 */
static void load_group_members(const struct sysfs *s, struct pci_table *t, int group)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char path[64];

	snprintf(path, sizeof(path), "kernel/iommu_groups/%d/devices", group);
	d = sysfs_opendir(s, path);
	if (!d) {
		int err = errno;

		log_debug("%s: cannot list the group's devices: %s", path, strerror(err));
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].iommu_group == group)
				pci_func_set_bad(&t->v[i], PCI_ATTR_GROUP_DEVICES, err);
		return;
	}
	while ((de = readdir(d))) {
		struct pci_addr a;
		struct pci_func *f;

		if (pci_addr_parse(de->d_name, false, &a) < 0)
			continue;
		f = pci_table_find(t, &a);
		/* (one whose own link could not be read is where the listing says) */
		if (f && f->iommu_group < 0)
			f->iommu_group = group;
	}
}

/*
 * A function whose iommu_group link could not be read may sit in any group
 * and leave it incomplete: the listings of every group tell where it is.
 */
static void find_unknown_groups(const struct sysfs *s, struct pci_table *t)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	bool unknown = false;

	for (size_t i = 0; i < t->n && !unknown; i++)
		unknown = t->v[i].iommu_group == PCI_GROUP_UNKNOWN;
	if (!unknown || !(d = sysfs_opendir(s, "kernel/iommu_groups")))
		return;
	while ((de = readdir(d))) {
		int g = parse_group(de->d_name);

		if (g >= 0)
			load_group_members(s, t, g);
	}
}

static bool wanted(const struct pci_scan *scan, const struct pci_func *f)
{
	/* A class that could not be read may hide a GPU, the boot VGA even. */
	if (scan->all || pci_class_is_display(f->class) || f->class == PCI_CLASS_UNKNOWN)
		return true;
	for (size_t i = 0; scan->extra && i < scan->extra->n; i++)
		if (pci_addr_eq(&scan->extra->v[i].addr, &f->addr))
			return true;
	return false;
}

/*
 * Where the function sits: the link bus/pci/devices/ADDR points into
 * devices/pci0000:00/0000:00:01.0/0000:01:00.0, and the component before
 * the function's own is its parent bridge (or the host bridge, pciDDDD:BB).
 */
static void parse_parent(struct pci_func *f, const char *name, const char *target)
{
	const char *last = strrchr(target, '/'), *start;
	char buf[PCI_ADDR_STRLEN];

	if (!last || !streq(last + 1, name)) {
		f->parent_unknown = true;
		pci_func_set_bad(f, PCI_ATTR_PARENT, -EINVAL);
		return;
	}
	for (start = last; start > target && start[-1] != '/'; start--)
		;
	if ((size_t)(last - start) != PCI_ADDR_STRLEN - 1)
		return;
	memcpy(buf, start, PCI_ADDR_STRLEN - 1);
	buf[PCI_ADDR_STRLEN - 1] = '\0';
	f->has_parent = pci_addr_parse(buf, false, &f->parent) == 0;
}

const struct pci_func *pci_table_parent(const struct pci_table *t, const struct pci_func *f)
{
	return f->has_parent ? pci_table_find(t, &f->parent) : NULL;
}

/* Marks i and every other function of its slot (the table is sorted: they are neighbours). */
static void want_slot(const struct pci_table *t, bool *want, size_t i)
{
	for (size_t j = i; j > 0 && pci_addr_same_slot(&t->v[j - 1].addr, &t->v[i].addr); j--)
		want[j - 1] = true;
	for (size_t j = i; j < t->n && pci_addr_same_slot(&t->v[j].addr, &t->v[i].addr); j++)
		want[j] = true;
}

static void load_wanted(const struct sysfs *s, struct pci_table *t, const bool *want)
{
	for (size_t i = 0; i < t->n; i++)
		if (want[i] && !t->v[i].detailed)
			pci_func_load_details(s, &t->v[i]);
}

/* What only some callers need, for the detailed functions: subsystem IDs, reset methods. */
static void load_extras(const struct sysfs *s, struct pci_table *t, const struct pci_scan *scan)
{
	for (size_t i = 0; i < t->n && (scan->subsystem || scan->reset_methods); i++) {
		struct pci_func *f = &t->v[i];
		char addr[PCI_ADDR_STRLEN], buf[128];
		uint32_t v;

		if (!f->detailed)
			continue;
		pci_addr_fmt(&f->addr, addr);
		if (scan->subsystem) {
			if (read_hex_attr(s, addr, "subsystem_vendor", 4, &v) == 0)
				f->subvendor = (uint16_t)v;
			if (read_hex_attr(s, addr, "subsystem_device", 4, &v) == 0)
				f->subdevice = (uint16_t)v;
		}
		if (scan->reset_methods) {
			char path[64];

			snprintf(path, sizeof(path), DEVICES "%s/reset_method", addr);
			if (sysfs_read(s, path, buf, sizeof(buf)) < 0)
				continue;
			/* "flr bus", in the order the kernel tries them */
			for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
				enum reset_method m;

				if (reset_method_parse(w, &m) == 0)
					f->reset_methods |= (uint16_t)(1u << m);
			}
		}
	}
}

/* The virtual functions of the physical functions vfs = names (their virtfnN links), and their slots. */
static void want_vfs(const struct sysfs *s, struct pci_table *t, const struct entry_list *pfs, bool *want)
{
	for (size_t k = 0; pfs && k < pfs->n; k++) {
		_cleanup_closedir_ DIR *d = NULL;
		char path[64], addr[PCI_ADDR_STRLEN], buf[PATH_MAX];
		struct dirent *de;

		snprintf(path, sizeof(path), DEVICES "%s", pci_addr_fmt(&pfs->v[k].addr, addr));
		d = sysfs_opendir(s, path);
		while (d && (de = readdir(d))) {
			struct pci_addr a;
			struct pci_func *vf;

			if (strncmp(de->d_name, "virtfn", 6) != 0 ||
			    sysfs_readlinkat(s, dirfd(d), path, de->d_name, buf, sizeof(buf)) < 0)
				continue;
			/* "../0000:03:00.1" */
			if (pci_addr_parse(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, false, &a) < 0 ||
			    !(vf = pci_table_find(t, &a)))
				continue;
			want_slot(t, want, (size_t)(vf - t->v));
		}
		/* the PF itself: its identity, if the entry pins one */
		{
			struct pci_func *pf = pci_table_find(t, &pfs->v[k].addr);

			if (pf)
				want[pf - t->v] = true;
		}
	}
}

/*
 * A card with its own PCIe switch (Intel Arc, some Radeons) puts its HDMI
 * audio on another bus behind that switch: the selection needs the vendor
 * of the switch's upstream port above each GPU, and the functions below it.
 */
static void want_card_switches(const struct sysfs *s, struct pci_table *t, bool *want)
{
	_cleanup_free_ bool *card = NULL;
	bool any = false;

	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *dsp, *usp;

		if (want[i] && pci_class_is_display(t->v[i].class) && (dsp = pci_table_parent(t, &t->v[i])) &&
		    (usp = pci_table_parent(t, dsp)))
			want[usp - t->v] = any = true;
	}
	if (!any)
		return;
	load_wanted(s, t, want);
	card = calloc(t->n, sizeof(*card));
	if (!card)
		return;
	any = false;
	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *dsp, *usp;

		if (want[i] && pci_class_is_display(t->v[i].class) && (dsp = pci_table_parent(t, &t->v[i])) &&
		    (usp = pci_table_parent(t, dsp)) && usp->vendor == t->v[i].vendor)
			card[usp - t->v] = any = true;
	}
	if (!any)
		return;
	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *f = &t->v[i], *dsp, *usp;

		if (want[i])
			continue;
		dsp = pci_table_parent(t, f);
		usp = dsp ? pci_table_parent(t, dsp) : NULL;
		/*
		 * Below a card's switch, or maybe (its place, or its port's,
		 * could not be read): the selection must see its vendor to tell.
		 */
		if ((usp && card[usp - t->v]) || f->parent_unknown || (dsp && dsp->parent_unknown))
			want_slot(t, want, i);
	}
	load_wanted(s, t, want);
}

int pci_table_load(const struct sysfs *s, const struct pci_scan *scan, struct pci_table *t)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ bool *want = NULL;
	struct dirent *de;
	size_t alloc = 0;
	unsigned vmd = 0;
	int r;

	*t = (struct pci_table){ 0 };
	d = sysfs_opendir(s, "bus/pci/devices");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct pci_func f = {
			.iommu_group = PCI_GROUP_NONE, .boot_vga = PCI_BOOT_VGA_NONE, .class = PCI_CLASS_UNKNOWN,
			.driver = "", .override = "", .variant = "", .subvendor = 0xffff, .subdevice = 0xffff,
		};
		char target[PATH_MAX];
		uint32_t cls;

		if (de->d_name[0] == '.')
			continue;
		if (pci_addr_parse(de->d_name, false, &f.addr) < 0) {
			/* Intel VMD puts its NVMe drives in domains 10000 and up: never a GPU. */
			if (strlen(de->d_name) == PCI_ADDR_STRLEN && strspn(de->d_name, "0123456789abcdef") == 5)
				vmd++;
			else
				log_warning("bus/pci/devices/%.64s: not a PCI address; skipped", de->d_name);
			continue;
		}
		r = read_hex_attr(s, de->d_name, "class", 6, &cls);
		if (r == 0)
			f.class = cls;
		else
			pci_func_set_bad(&f, PCI_ATTR_CLASS, r);
		r = sysfs_readlinkat(s, dirfd(d), "bus/pci/devices", de->d_name, target, sizeof(target));
		if (r == 0) {
			parse_parent(&f, de->d_name, target);
		} else {
			f.parent_unknown = true;
			pci_func_set_bad(&f, PCI_ATTR_PARENT, r);
		}
		r = table_add(t, &alloc, &f);
		if (r < 0)
			goto fail;
	}
	if (vmd)
		log_debug("skipped %u function%s in Intel VMD domains (domain numbers of five digits)", vmd,
			  vmd == 1 ? "" : "s");
	/* No function at all leaves t->v NULL, which qsort() must not be given even for n = 0. */
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_func);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_func *p = t->v[i].has_parent ? pci_table_find(t, &t->v[i].parent) : NULL;

		if (p)
			p->has_children = true;
	}
	t->iommu = has_entries(s, "kernel/iommu_groups");

	want = calloc(t->n ? t->n : 1, sizeof(*want));
	if (!want) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < t->n; i++)
		if (wanted(scan, &t->v[i]))
			want_slot(t, want, i);
	if (!scan->all)
		want_vfs(s, t, scan->pfs, want);
	load_wanted(s, t, want);
	if (t->iommu)
		find_unknown_groups(s, t);
	if (scan->all) {
		load_extras(s, t, scan);
		return 0;
	}
	want_card_switches(s, t, want);
	for (size_t i = 0; i < t->n; i++) {
		int g = t->v[i].iommu_group;
		bool seen = false;

		if (!want[i] || g < 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = want[j] && t->v[j].iommu_group == g;
		if (!seen)
			load_group_members(s, t, g);
	}
	load_extras(s, t, scan);
	return 0;
fail:
	pci_table_free(t);
	return r;
}

void pci_table_free(struct pci_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		pci_func_set_driver(&t->v[i], "");
		pci_func_set_override(&t->v[i], "");
		pci_func_set_variant(&t->v[i], "");
	}
	free(t->v);
	*t = (struct pci_table){ 0 };
}

const char *pci_attr_name(enum pci_attr a)
{
	static const char *const names[] = {
		[PCI_ATTR_NONE] = "nothing",
		[PCI_ATTR_CLASS] = "class",
		[PCI_ATTR_VENDOR] = "vendor",
		[PCI_ATTR_DEVICE] = "device",
		[PCI_ATTR_BOOT_VGA] = "boot_vga",
		[PCI_ATTR_IOMMU_GROUP] = "iommu_group",
		[PCI_ATTR_GROUP_DEVICES] = "the devices of its IOMMU group",
		[PCI_ATTR_PARENT] = "its place in the PCI hierarchy",
		[PCI_ATTR_SRIOV_NUMVFS] = "sriov_numvfs",
	};

	return (size_t)a < ELEMENTSOF(names) ? names[a] : "an attribute";
}

const char *pci_class_name(uint32_t class)
{
	static const struct {
		uint16_t code;
		const char *name;
	} names[] = {
		{ 0x0100, "SCSI storage controller" }, { 0x0101, "IDE interface" },
		{ 0x0104, "RAID bus controller" }, { 0x0106, "SATA controller" },
		{ 0x0107, "Serial Attached SCSI controller" }, { 0x0108, "Non-Volatile memory controller" },
		{ 0x0200, "Ethernet controller" }, { 0x0280, "Network controller" },
		{ 0x0300, "VGA compatible controller" }, { 0x0301, "XGA compatible controller" },
		{ 0x0302, "3D controller" }, { 0x0380, "Display controller" },
		{ 0x0401, "Multimedia audio controller" }, { 0x0403, "Audio device" },
		{ 0x0480, "Multimedia controller" },
		{ 0x0500, "RAM memory" }, { 0x0580, "Memory controller" },
		{ 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" }, { 0x0604, "PCI bridge" },
		{ 0x0680, "Bridge" },
		{ 0x0700, "Serial controller" }, { 0x0780, "Communication controller" },
		{ 0x0805, "SD Host controller" }, { 0x0806, "IOMMU" }, { 0x0880, "System peripheral" },
		{ 0x0c03, "USB controller" }, { 0x0c05, "SMBus" }, { 0x0c80, "Serial bus controller" },
		{ 0x1080, "Encryption controller" }, { 0x1101, "Performance counters" },
		{ 0x1180, "Signal processing controller" }, { 0x1200, "Processing accelerators" },
	};
	static const char *const bases[] = {
		"Unclassified device", "Mass storage controller", "Network controller",
		"Display controller", "Multimedia controller", "Memory controller", "Bridge",
		"Communication controller", "Generic system peripheral", "Input device controller",
		"Docking station", "Processor", "Serial bus controller", "Wireless controller",
		"Intelligent controller", "Satellite communications controller",
		"Encryption controller", "Signal processing controller", "Processing accelerators",
	};

	if (class == PCI_CLASS_UNKNOWN)
		return "Unknown class";
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (names[i].code == class >> 8)
			return names[i].name;
	if ((class >> 16) < ELEMENTSOF(bases))
		return bases[class >> 16];
	/* what lspci calls 0xff, e.g. virtio devices in some VMs */
	if ((class >> 16) == 0xff)
		return "Unassigned class";
	return "Unknown class";
}
