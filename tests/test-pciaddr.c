// SPDX-License-Identifier: GPL-2.0-or-later
#include "pciaddr.h"
#include "testutil.h"

static const struct {
	const char *in;
	const char *out;	/* NULL: rejected */
} addrs[] = {
	{ "0000:01:00.0", "0000:01:00.0" },
	{ "01:00.0", "0000:01:00.0" },
	{ "0000:2D:00.3", "0000:2d:00.3" },
	{ "ffff:ff:1f.7", "ffff:ff:1f.7" },
	{ "0001:00:02.1", "0001:00:02.1" },
	{ "0000:01:00", NULL },		/* no function */
	{ "0000:100:00.0", NULL },	/* bus above ff */
	{ "0000:01:00.8", NULL },	/* function above 7 */
	{ "0000:01:20.0", NULL },	/* device above 1f */
	{ "10000:01:00.0", NULL },	/* domain with five digits */
	{ "000:01:00.0", NULL },
	{ "0000:1:00.0", NULL },
	{ "0000:01:0.0", NULL },
	{ "../01:00.0", NULL },
	{ "0000:01/00.0", NULL },
	{ "0000:01:00./", NULL },
	{ "..:01:00.0", NULL },
	{ "0000:01:00.0/", NULL },
	{ " 0000:01:00.0", NULL },
	{ "0000:01:00.0 ", NULL },
	{ "0x00:01:00.0", NULL },
	{ "0000:0g:00.0", NULL },
	{ "", NULL },
	{ "0000:01:00.-1", NULL },
	{ "0000:+1:00.0", NULL },
};

START_TEST(test_addr_table)
{
	struct pci_addr a;
	char buf[PCI_ADDR_STRLEN];
	int r = pci_addr_parse(addrs[_i].in, true, &a);

	if (!addrs[_i].out) {
		ck_assert_msg(r < 0, "'%s' was accepted", addrs[_i].in);
		return;
	}
	ck_assert_msg(r == 0, "'%s' was rejected", addrs[_i].in);
	ck_assert_str_eq(pci_addr_fmt(&a, buf), addrs[_i].out);
}
END_TEST

START_TEST(test_addr_short_form_only_when_allowed)
{
	struct pci_addr a;

	/* sysfs names are always the long form */
	ck_assert_int_lt(pci_addr_parse("01:00.0", false, &a), 0);
	ck_assert_int_eq(pci_addr_parse("0000:01:00.0", false, &a), 0);
}
END_TEST

START_TEST(test_addr_range_error)
{
	struct pci_addr a;

	ck_assert_int_eq(pci_addr_parse("0000:01:00.8", true, &a), -ERANGE);
	ck_assert_int_eq(pci_addr_parse("0000:01:20.0", true, &a), -ERANGE);
	ck_assert_int_eq(pci_addr_parse("0000:01/00.0", true, &a), -EINVAL);
}
END_TEST

static const struct {
	const char *in;
	int ok;
	unsigned vendor, device;
} ids[] = {
	{ "10de:1b81", 1, 0x10de, 0x1b81 },
	{ "10DE:1B81", 1, 0x10de, 0x1b81 },
	{ "0000:ffff", 1, 0x0000, 0xffff },
	{ "10d:1b81", 0, 0, 0 },	/* three hex digits */
	{ "10de:1b8", 0, 0, 0 },
	{ "10de0:1b81", 0, 0, 0 },	/* five hex digits */
	{ "10de:1b810", 0, 0, 0 },
	{ "10dg:1b81", 0, 0, 0 },	/* not hex */
	{ "10de-1b81", 0, 0, 0 },
	{ "10de:", 0, 0, 0 },
	{ "", 0, 0, 0 },
	{ "../1:1b81", 0, 0, 0 },
	{ "0x10:1b81", 0, 0, 0 },
};

START_TEST(test_id_table)
{
	struct pci_id id;
	int r = pci_id_parse(ids[_i].in, &id);

	if (!ids[_i].ok) {
		ck_assert_msg(r < 0, "'%s' was accepted", ids[_i].in);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(id.vendor, ids[_i].vendor);
	ck_assert_uint_eq(id.device, ids[_i].device);
}
END_TEST

START_TEST(test_addr_order_and_slots)
{
	struct pci_addr a, b, c;

	pci_addr_parse("0000:01:00.0", false, &a);
	pci_addr_parse("0000:01:00.3", false, &b);
	pci_addr_parse("0000:01:01.0", false, &c);
	ck_assert_int_lt(pci_addr_cmp(&a, &b), 0);
	ck_assert_int_lt(pci_addr_cmp(&b, &c), 0);
	ck_assert_int_gt(pci_addr_cmp(&c, &a), 0);
	ck_assert(pci_addr_same_slot(&a, &b));
	ck_assert(!pci_addr_same_slot(&a, &c));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pciaddr");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_addr_table, 0, (int)(sizeof(addrs) / sizeof(addrs[0])));
	tcase_add_test(tc, test_addr_short_form_only_when_allowed);
	tcase_add_test(tc, test_addr_range_error);
	tcase_add_loop_test(tc, test_id_table, 0, (int)(sizeof(ids) / sizeof(ids[0])));
	tcase_add_test(tc, test_addr_order_and_slots);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
