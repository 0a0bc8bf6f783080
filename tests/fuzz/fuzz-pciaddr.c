// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI addresses and vendor:device IDs: these strings become sysfs paths in
 * a program that runs as root. Besides not crashing, whatever is accepted
 * must be fixed-width hex that formats back to the same text (lower case,
 * long form), so no '/', '.', '..' or other path syntax can get through.
 */
#include <ctype.h>
#include <string.h>

#include "fuzz-common.h"
#include "pciaddr.h"

static void check_addr(const char *s, bool allow_short)
{
	struct pci_addr a, b;
	char buf[PCI_ADDR_STRLEN], want[PCI_ADDR_STRLEN];
	size_t len = strlen(s);

	if (pci_addr_parse(s, allow_short, &a) < 0)
		return;
	if (len == 7 && !allow_short)
		abort();
	if (len != 7 && len != 12)
		abort();
	if (a.dev > 0x1f || a.fn > 7)
		abort();
	snprintf(want, sizeof(want), "%s%s", len == 7 ? "0000:" : "", s);
	for (char *c = want; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	pci_addr_fmt(&a, buf);
	if (strcmp(buf, want) || strspn(buf, "0123456789abcdef:.") != 12 || strstr(buf, ".."))
		abort();
	if (pci_addr_parse(buf, false, &b) < 0 || !pci_addr_eq(&a, &b) || pci_addr_cmp(&a, &b))
		abort();
}

static void check_id(const char *s)
{
	struct pci_id id;
	char buf[16];

	if (pci_id_parse(s, &id) < 0)
		return;
	snprintf(buf, sizeof(buf), "%04x:%04x", id.vendor, id.device);
	if (strcasecmp(buf, s))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64];

	if (size >= sizeof(s))
		return -1;
	memcpy(s, data, size);
	s[size] = '\0';
	check_addr(s, false);
	check_addr(s, true);
	check_id(s);
	return 0;
}
