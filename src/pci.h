/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pciaddr.h"
#include "policy.h"
#include "sysfs.h"

#define PCI_CLASS_UNKNOWN UINT32_MAX

/* One PCI function as sysfs shows it. */
struct pci_func {
	struct pci_addr addr;
	uint32_t class;		/* 24-bit class code, or PCI_CLASS_UNKNOWN */
	uint16_t vendor, device;
	int8_t boot_vga;	/* -1: no boot_vga file (every non-VGA function) */
	bool detailed;		/* vendor, device, boot_vga, driver and override were read */
	bool has_override;	/* driver_override exists (kernel 3.16 and later) */
	int iommu_group;	/* -1: none */
	/*
	 * Owned strings, never NULL: "" when unbound or "(null)". Kept out of
	 * the struct itself, because hosts have thousands of functions and
	 * only the few the policy looks at have names to keep.
	 */
	const char *driver;
	const char *override;
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

/* Bridges never make an IOMMU group unusable for a guest. */
static inline bool pci_class_is_bridge(uint32_t c)
{
	return c != PCI_CLASS_UNKNOWN && ((c >> 8) == 0x0604 || (c >> 8) == 0x0600);
}

int pci_table_load(const struct sysfs *s, const struct pci_scan *scan, struct pci_table *t);
/* Reads vendor, device, boot_vga, driver and driver_override of one function. */
int pci_func_load_details(const struct sysfs *s, struct pci_func *f);
/* Replaces f->driver or f->override with a copy of name; -ENOMEM leaves "". */
int pci_func_set_driver(struct pci_func *f, const char *name);
int pci_func_set_override(struct pci_func *f, const char *name);
/* Re-reads the driver link, after a bind. */
int pci_func_read_driver(const struct sysfs *s, const struct pci_addr *a, char *buf, size_t size);
void pci_table_free(struct pci_table *t);
struct pci_func *pci_table_find(const struct pci_table *t, const struct pci_addr *a);
const char *pci_class_name(uint32_t class);
