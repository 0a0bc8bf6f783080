/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* "0000:01:00.0" plus NUL */
#define PCI_ADDR_STRLEN 13

struct pci_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t dev;	/* 0..0x1f */
	uint8_t fn;	/* 0..7 */
};

struct pci_id {
	uint16_t vendor;
	uint16_t device;
};

/*
 * Strict parsers: these strings become sysfs paths in a program that runs as
 * root, so only fixed-width hex is accepted. "DDDD:BB:DD.F", or "BB:DD.F" for
 * domain 0000 when allow_short is set (sysfs names are always the long form).
 */
int pci_addr_parse(const char *s, bool allow_short, struct pci_addr *ret);
/* "vvvv:dddd" */
int pci_id_parse(const char *s, struct pci_id *ret);
/* Writes the canonical long form into buf[PCI_ADDR_STRLEN]. */
const char *pci_addr_fmt(const struct pci_addr *a, char buf[static PCI_ADDR_STRLEN]);
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);
static inline bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b)
{
	return pci_addr_cmp(a, b) == 0;
}
/* Same domain, bus and device: the functions of one slot. */
static inline bool pci_addr_same_slot(const struct pci_addr *a, const struct pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}
