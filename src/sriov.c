// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SR-IOV at bind time: virtual functions do not survive a reboot, and the
 * native driver of a physical function probes each VF it creates unless
 * told not to. Before a pass reads the devices, for every PF that vfs =
 * names, sriov_drivers_autoprobe is set to 0 (the VFs then wait for their
 * override), and every [sriov] PF whose driver is bound gets its number of
 * VFs (VFs can be created only through the PF's driver). A PF without its
 * driver yet is left to the monitor, which acts when the driver binds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "pci.h"
#include "sriov.h"

static int read_uint(const struct sysfs *s, const char *addr, const char *attr, unsigned *ret)
{
	char path[96], buf[32], *end;
	unsigned long v;
	ssize_t n;

	snprintf(path, sizeof(path), "bus/pci/devices/%s/%s", addr, attr);
	n = sysfs_read(s, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end || v > 65535)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int write_attr(const struct sysfs *s, bool dry_run, FILE *out, const char *addr, const char *attr,
		      const char *val)
{
	char path[96];

	snprintf(path, sizeof(path), "bus/pci/devices/%s/%s", addr, attr);
	if (dry_run) {
		fprintf(out, "would write \"%s\" to %s/%s\n", val, s->path, path);
		return 0;
	}
	return sysfs_write(s, path, val, false);
}

/* The identity a pinned entry asks for, against what the function says. */
static bool pin_ok(const struct sysfs *s, const struct policy_entry *e, const char *addr)
{
	char path[96], buf[16];
	unsigned v = 0, d = 0;

	if (!e->pinned)
		return true;
	snprintf(path, sizeof(path), "bus/pci/devices/%s/vendor", addr);
	if (sysfs_read(s, path, buf, sizeof(buf)) < 0 || sscanf(buf, "0x%x", &v) != 1)
		return false;
	snprintf(path, sizeof(path), "bus/pci/devices/%s/device", addr);
	if (sysfs_read(s, path, buf, sizeof(buf)) < 0 || sscanf(buf, "0x%x", &d) != 1)
		return false;
	if (v == e->pin.vendor && d == e->pin.device)
		return true;
	log_warning("[sriov] %s is %04x:%04x, the entry expects %04x:%04x: the address moved? no virtual functions made",
		    addr, v, d, e->pin.vendor, e->pin.device);
	return false;
}

static void autoprobe_off(const struct sysfs *s, const struct sriov_opts *o, const struct policy_entry *e)
{
	char addr[PCI_ADDR_STRLEN];
	unsigned v;
	int r;

	pci_addr_fmt(&e->addr, addr);
	if (o->only && !pci_addr_eq(o->only, &e->addr))
		return;
	r = read_uint(s, addr, "sriov_drivers_autoprobe", &v);
	if (r == -ENOENT) {
		/* no such function, or no SR-IOV: plan says which */
		return;
	}
	if (r == 0 && v == 0)
		return;
	r = write_attr(s, o->dry_run, o->out, addr, "sriov_drivers_autoprobe", "0");
	if (r < 0)
		log_warning("vfs = %s: cannot set sriov_drivers_autoprobe to 0: %s; the PF's driver will probe new virtual functions first",
			    addr, strerror(-r));
	else if (!o->dry_run)
		log_info("%s: sriov_drivers_autoprobe 0: new virtual functions wait for their override (vfs =)", addr);
}

static void make_vfs(const struct sysfs *s, const struct sriov_opts *o, const struct policy_entry *e)
{
	char addr[PCI_ADDR_STRLEN], drv[DRIVER_NAME_MAX], where[256], num[16];
	unsigned total, now;
	int r, rd;

	pci_addr_fmt(&e->addr, addr);
	origin_fmt(&e->origin, where, sizeof(where));
	if (o->only && !pci_addr_eq(o->only, &e->addr))
		return;
	{
		char dir[64];
		_cleanup_close_ int fd = -1;

		snprintf(dir, sizeof(dir), "bus/pci/devices/%s", addr);
		fd = sysfs_openat(s, dir, O_RDONLY | O_DIRECTORY);
		if (fd == -ENOENT) {
			log_warning("[sriov] %s (%s): no such PCI function", addr, where);
			return;
		}
	}
	rd = pci_func_read_driver(s, &e->addr, drv, sizeof(drv));
	if (!pin_ok(s, e, addr))
		return;
	r = read_uint(s, addr, "sriov_totalvfs", &total);
	if (r < 0) {
		log_warning("[sriov] %s (%s): not an SR-IOV physical function (sriov_totalvfs: %s)", addr, where,
			    strerror(-r));
		return;
	}
	if (e->vfs > total) {
		log_warning("[sriov] %s (%s): %u virtual functions asked, the device offers %u; none made", addr, where,
			    e->vfs, total);
		return;
	}
	if (rd < 0 || !drv[0]) {
		log_notice("[sriov] %s: its driver is not bound yet, and virtual functions are made through it: "
			   "vfio-binder monitor makes the %u when the driver binds", addr, e->vfs);
		return;
	}
	r = read_uint(s, addr, "sriov_numvfs", &now);
	if (r < 0) {
		log_warning("[sriov] %s: cannot read sriov_numvfs: %s", addr, strerror(-r));
		return;
	}
	if (now == e->vfs)
		return;
	/* The kernel takes a new number only from 0. */
	if (now) {
		r = write_attr(s, o->dry_run, o->out, addr, "sriov_numvfs", "0");
		if (r < 0) {
			log_warning("[sriov] %s: cannot remove its %u virtual functions: %s", addr, now, strerror(-r));
			return;
		}
	}
	snprintf(num, sizeof(num), "%u", e->vfs);
	r = write_attr(s, o->dry_run, o->out, addr, "sriov_numvfs", num);
	if (r < 0)
		log_warning("[sriov] %s: %s refused %u virtual functions: %s (see dmesg)", addr, drv, e->vfs, strerror(-r));
	else if (!o->dry_run)
		log_info("[sriov] %s: %u virtual functions made (driver %s)", addr, e->vfs, drv);
}

int sriov_prepare(const struct sysfs *s, const struct policy *p, const struct sriov_opts *o)
{
	for (size_t i = 0; i < p->vfs.n; i++)
		autoprobe_off(s, o, &p->vfs.v[i]);
	for (size_t i = 0; i < p->sriov.n; i++)
		make_vfs(s, o, &p->sriov.v[i]);
	return 0;
}
