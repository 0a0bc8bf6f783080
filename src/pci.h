/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pciaddr.h"
#include "policy.h"
#include "sysfs.h"

#define PCI_CLASS_UNKNOWN UINT32_MAX
#define PCI_BOOT_VGA_NONE (-1)		/* no boot_vga file: not a VGA function */
#define PCI_BOOT_VGA_UNKNOWN (-2)	/* there should be one, and it could not be read */
#define PCI_GROUP_NONE (-1)
#define PCI_GROUP_UNKNOWN (-2)		/* the iommu_group link could not be read */

/*
 * The attributes a safety rule rests on. When one of them cannot be read,
 * the function is refused, never guessed to be harmless.
 */
enum pci_attr {
	PCI_ATTR_NONE,
	PCI_ATTR_CLASS,
	PCI_ATTR_VENDOR,
	PCI_ATTR_DEVICE,
	PCI_ATTR_BOOT_VGA,
	PCI_ATTR_IOMMU_GROUP,
	PCI_ATTR_GROUP_DEVICES,	/* kernel/iommu_groups/N/devices, listing its members */
	PCI_ATTR_PARENT,	/* the bus/pci/devices link: where it sits in the hierarchy */
	PCI_ATTR_SRIOV_NUMVFS,
};

/* One PCI function as sysfs shows it. */
struct pci_func {
	struct pci_addr addr;
	struct pci_addr parent;	/* the bridge above it, when has_parent */
	uint32_t class;		/* 24-bit class code, or PCI_CLASS_UNKNOWN */
	uint16_t vendor, device;
	int iommu_group;	/* or PCI_GROUP_NONE, PCI_GROUP_UNKNOWN */
	uint16_t sriov_numvfs;	/* virtual functions enabled on this physical function */
	uint16_t subvendor, subdevice;	/* when the scan asked for them (0xffff: not read) */
	uint16_t reset_methods;	/* 1 << enum reset_method the function offers, when the scan asked */
	struct pci_addr physfn;	/* the physical function of a virtual function, when has_physfn */
	int8_t boot_vga;	/* 0, 1, PCI_BOOT_VGA_NONE or PCI_BOOT_VGA_UNKNOWN */
	uint8_t bad_attr;	/* enum pci_attr: the first one a rule needs that could not be read */
	uint8_t bad_errno;	/* and why (EINVAL: unexpected content) */
	bool detailed : 1;	/* vendor, device, boot_vga, driver and override were read */
	bool has_override : 1;	/* driver_override exists (kernel 3.16 and later) */
	bool has_parent : 1;	/* parent is a PCI function (not a host bridge) */
	bool parent_unknown : 1;	/* its place in the hierarchy could not be read */
	bool has_physfn : 1;	/* an SR-IOV virtual function */
	bool has_children : 1;	/* some function sits below it: a bridge whatever its class says */
	/*
	 * Owned strings, never NULL: "" when unbound or "(null)". Kept out of
	 * the struct itself, because hosts have thousands of functions and
	 * only the few the policy looks at have names to keep.
	 */
	const char *driver;
	const char *override;
	/* a vfio variant driver for it (driver = auto), "" when none or not looked up */
	const char *variant;
};

struct pci_table {
	struct pci_func *v;	/* sorted by address */
	size_t n;
	bool iommu;		/* kernel/iommu_groups holds at least one group */
};

/*
 * What to read besides each function's class. Reading every attribute of
 * every function would multiply the syscalls of a boot-time run on hosts
 * with thousands of functions; the details are read for display functions,
 * the addresses asked for, the other functions of their slots, and the
 * members of their IOMMU groups get their group number.
 */
struct pci_scan {
	bool all;		/* every detail of every function (list, id matches) */
	const struct entry_list *extra;	/* device entries */
	const struct entry_list *pfs;	/* vfs = PF entries: their virtual functions are read too */
	bool subsystem;		/* subsystem IDs (pinned entries) */
	bool reset_methods;	/* the reset methods each function offers (list) */
};

static inline bool pci_class_is_display(uint32_t c)
{
	return c != PCI_CLASS_UNKNOWN && (c >> 16) == 0x03;
}

static inline bool pci_class_is_vga(uint32_t c)
{
	return c != PCI_CLASS_UNKNOWN && (c >> 8) == 0x0300;
}

static inline bool pci_class_is_audio(uint32_t c)
{
	return c != PCI_CLASS_UNKNOWN && (c >> 8) == 0x0403;
}

/*
 * A function other functions sit behind: a PCI-to-PCI bridge (root port,
 * switch port), by its class or by what the hierarchy shows, or a host
 * bridge. Never given to a guest (unbinding pcieport from a port takes AER,
 * hot-plug and PME), and never an endpoint that keeps a group from one.
 */
static inline bool pci_func_is_bridge(const struct pci_func *f)
{
	uint32_t c = f->class >> 8;

	/* host bridges (0x0600) too: never an endpoint, never a guest's */
	return f->has_children ||
	       (f->class != PCI_CLASS_UNKNOWN && (c == 0x0600 || c == 0x0604 || c == 0x0607 || c == 0x0609));
}

/* Marks the first attribute that could not be read; later ones add nothing. */
static inline void pci_func_set_bad(struct pci_func *f, enum pci_attr a, int err)
{
	if (f->bad_attr != PCI_ATTR_NONE)
		return;
	f->bad_attr = (uint8_t)a;
	f->bad_errno = (uint8_t)(err < 0 ? -err : err);
}

int pci_table_load(const struct sysfs *s, const struct pci_scan *scan, struct pci_table *t);
/* Reads vendor, device, boot_vga, driver and driver_override of one function. */
int pci_func_load_details(const struct sysfs *s, struct pci_func *f);
/* Replaces f->driver or f->override with a copy of name; -ENOMEM leaves "". */
int pci_func_set_driver(struct pci_func *f, const char *name);
int pci_func_set_override(struct pci_func *f, const char *name);
int pci_func_set_variant(struct pci_func *f, const char *name);
/* Re-reads the driver link, after a bind. */
int pci_func_read_driver(const struct sysfs *s, const struct pci_addr *a, char *buf, size_t size);
void pci_table_free(struct pci_table *t);
struct pci_func *pci_table_find(const struct pci_table *t, const struct pci_addr *a);
/* The function's parent bridge in the table, or NULL. */
const struct pci_func *pci_table_parent(const struct pci_table *t, const struct pci_func *f);
const char *pci_class_name(uint32_t class);
/* "boot_vga", "iommu_group"...: what a refusal reason names. */
const char *pci_attr_name(enum pci_attr a);
