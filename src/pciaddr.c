// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pciaddr.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly n hex digits at s; no sign, no prefix, no whitespace. */
static int hexn(const char *s, unsigned n, unsigned *ret)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)d;
	}
	*ret = v;
	return 0;
}

int pci_addr_parse(const char *s, bool allow_short, struct pci_addr *ret)
{
	unsigned domain = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12) {
		if (hexn(s, 4, &domain) < 0 || s[4] != ':')
			return -EINVAL;
		s += 5;
	} else if (len != 7 || !allow_short) {
		return -EINVAL;
	}
	if (hexn(s, 2, &bus) < 0 || s[2] != ':' ||
	    hexn(s + 3, 2, &dev) < 0 || s[5] != '.' ||
	    hexn(s + 6, 1, &fn) < 0)
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -ERANGE;
	*ret = (struct pci_addr){ (uint16_t)domain, (uint8_t)bus, (uint8_t)dev, (uint8_t)fn };
	return 0;
}

int pci_id_parse(const char *s, struct pci_id *ret)
{
	unsigned v, d;

	if (strlen(s) != 9 || hexn(s, 4, &v) < 0 || s[4] != ':' || hexn(s + 5, 4, &d) < 0)
		return -EINVAL;
	*ret = (struct pci_id){ (uint16_t)v, (uint16_t)d };
	return 0;
}

const char *pci_addr_fmt(const struct pci_addr *a, char buf[static PCI_ADDR_STRLEN])
{
	static const char hex[] = "0123456789abcdef";

	buf[0] = hex[a->domain >> 12 & 0xf];
	buf[1] = hex[a->domain >> 8 & 0xf];
	buf[2] = hex[a->domain >> 4 & 0xf];
	buf[3] = hex[a->domain & 0xf];
	buf[4] = ':';
	buf[5] = hex[a->bus >> 4];
	buf[6] = hex[a->bus & 0xf];
	buf[7] = ':';
	buf[8] = hex[a->dev >> 4 & 0xf];
	buf[9] = hex[a->dev & 0xf];
	buf[10] = '.';
	buf[11] = hex[a->fn & 0xf];
	buf[12] = '\0';
	return buf;
}

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->fn != b->fn)
		return a->fn < b->fn ? -1 : 1;
	return 0;
}
