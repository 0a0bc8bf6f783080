// SPDX-License-Identifier: GPL-2.0-or-later
#include "cmdline.h"
#include "testutil.h"

static struct policy p;

static void setup(void)
{
	policy_init(&p);
}

static void teardown(void)
{
	policy_free(&p);
}

static const char *addr_at(const struct entry_list *l, size_t i)
{
	static char buf[PCI_ADDR_STRLEN];

	ck_assert_uint_gt(l->n, i);
	return pci_addr_fmt(&l->v[i].addr, buf);
}

START_TEST(test_overrides)
{
	ck_assert_int_eq(cmdline_apply(&p, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet "
				       "vfio_binder.policy=boot_vga vfio_binder.driver=pci-stub "
				       "vfio_binder.companions=none vfio-binder.group=ignore "
				       "vfio_binder.unbind=1 vfio_binder.require_iommu=no vfio_binder.load=0\n"), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	ck_assert_str_eq(p.driver, "pci-stub");
	ck_assert_int_eq(p.companions, COMPANIONS_NONE);
	ck_assert_int_eq(p.group, GROUP_IGNORE);
	ck_assert(p.unbind);
	ck_assert(!p.require_iommu);
	ck_assert(!p.load);
}
END_TEST

START_TEST(test_lists_add)
{
	struct policy_entry e = { .origin = { "vfio.conf", 3 } };

	pci_addr_parse("0000:05:00.0", false, &e.addr);
	policy_add_entry(&p.devices, &e);
	ck_assert_int_eq(cmdline_apply(&p, "vfio_binder.device=01:00.0,0000:02:00.1 vfio_binder.id=10de:1b81,1002:73ff "
				       "vfio_binder.exclude=03:00.0 vfio_binder.device=04:00.0"), 0);
	ck_assert_uint_eq(p.devices.n, 4);
	ck_assert_str_eq(addr_at(&p.devices, 0), "0000:05:00.0");
	ck_assert_str_eq(addr_at(&p.devices, 1), "0000:01:00.0");
	ck_assert_str_eq(addr_at(&p.devices, 2), "0000:02:00.1");
	ck_assert_str_eq(addr_at(&p.devices, 3), "0000:04:00.0");
	ck_assert_ptr_null(p.devices.v[1].origin.file);
	ck_assert_uint_eq(p.ids.n, 2);
	ck_assert_uint_eq(p.ids.v[1].id.vendor, 0x1002);
	ck_assert_uint_eq(p.ids.v[1].id.device, 0x73ff);
	ck_assert_str_eq(addr_at(&p.excludes, 0), "0000:03:00.0");
}
END_TEST

START_TEST(test_kill_switch)
{
	p.mode = POLICY_BOOT_VGA;
	ck_assert_int_eq(cmdline_apply(&p, "quiet vfio_binder=off splash"), 0);
	ck_assert_int_eq(p.mode, POLICY_OFF);
	ck_assert(p.kill_switch);
}
END_TEST

START_TEST(test_kill_switch_wins)
{
	/* whatever comes after it, and whatever lists ride along */
	ck_assert_int_eq(cmdline_apply(&p, "vfio_binder=off vfio_binder.policy=boot_vga vfio_binder.device=01:00.0"), 0);
	ck_assert_int_eq(p.mode, POLICY_OFF);
	policy_free(&p);
	policy_init(&p);
	ck_assert_int_eq(cmdline_apply(&p, "vfio_binder.device=01:00.0 vfio-binder.policy=off vfio_binder.policy=list"), 0);
	ck_assert_int_eq(p.mode, POLICY_OFF);
}
END_TEST

START_TEST(test_quotes)
{
	ck_assert_int_eq(cmdline_apply(&p, "\"vfio_binder.policy=boot_vga\" vfio_binder.driver=\"pci-stub\" "
				       "acpi_osi=\"Windows 2015\" vfio_binder.device=\"01:00.0,02:00.0\""), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	ck_assert_str_eq(p.driver, "pci-stub");
	ck_assert_uint_eq(p.devices.n, 2);
}
END_TEST

START_TEST(test_quoted_space_is_not_a_separator)
{
	/* the space inside the quotes keeps "vfio_binder.policy=off" inside another parameter's value */
	ck_assert_int_eq(cmdline_apply(&p, "foo=\"bar vfio_binder.policy=off\" vfio_binder.policy=boot_vga"), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
}
END_TEST

START_TEST(test_unbalanced_quote)
{
	const char *log;

	capture_start();
	/* like the kernel, the open quote swallows the rest of the line */
	ck_assert_int_eq(cmdline_apply(&p, "vfio_binder.policy=boot_vga foo=\"bar vfio_binder.driver=pci-stub"), 1);
	log = capture_end();
	ck_assert_contains(log, "kernel command line: unbalanced '\"'");
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	ck_assert_str_eq(p.driver, "vfio-pci");
}
END_TEST

START_TEST(test_after_double_dash_is_init_s)
{
	ck_assert_int_eq(cmdline_apply(&p, "quiet -- vfio_binder.policy=boot_vga"), 0);
	ck_assert_int_eq(p.mode, POLICY_LIST);
}
END_TEST

static const struct {
	const char *cmdline;
	const char *message;
} bad[] = {
	{ "vfio_binder.policy=bootvga", "kernel command line: vfio_binder.policy=bootvga: unknown policy (expected list, boot_vga or off); ignored" },
	{ "vfio_binder.driver=a/b", "vfio_binder.driver=a/b: invalid driver name" },
	{ "vfio_binder.companions=some", "vfio_binder.companions=some: unknown companions" },
	{ "vfio_binder.group=x", "vfio_binder.group=x: unknown group" },
	{ "vfio_binder.unbind=perhaps", "vfio_binder.unbind=perhaps: expected yes or no" },
	{ "vfio_binder.policy=", "vfio_binder.policy=: empty value; ignored" },
	{ "vfio_binder.policy", "vfio_binder.policy=: empty value; ignored" },
	{ "vfio_binder=on", "vfio_binder=on: the only value is 'off' (the kill switch); ignored" },
	{ "vfio_binder.bogus=1", "vfio_binder.bogus=1: unknown parameter" },
	{ "vfio_binder.device=01:00.0,,02:00.0", "vfio_binder.device=01:00.0,,02:00.0: empty item in the list; ignored" },
	{ "vfio_binder.device=,01:00.0", "empty item in the list" },
	{ "vfio_binder.device=01:00.0,", "empty item in the list" },
	{ "vfio_binder.device=../x", "vfio_binder.device=../x: invalid PCI address" },
	{ "vfio_binder.device=0000:01:00.8", "vfio_binder.device=0000:01:00.8: invalid PCI address" },
	{ "vfio_binder.id=10de:1b8", "vfio_binder.id=10de:1b8: invalid vendor:device ID" },
	{ "vfio_binder.exclude=1:0.0", "vfio_binder.exclude=1:0.0: invalid PCI address" },
};

START_TEST(test_bad_values_ignored)
{
	const char *log;
	int r;

	capture_start();
	r = cmdline_apply(&p, bad[_i].cmdline);
	log = capture_end();
	ck_assert_int_ge(r, 1);
	ck_assert_contains(log, bad[_i].message);
	ck_assert_int_eq(p.mode, POLICY_LIST);
	ck_assert_str_eq(p.driver, "vfio-pci");
}
END_TEST

START_TEST(test_good_items_of_a_bad_list_kept)
{
	capture_start();
	ck_assert_int_eq(cmdline_apply(&p, "vfio_binder.device=01:00.0,zz,,02:00.0"), 2);
	capture_end();
	ck_assert_uint_eq(p.devices.n, 2);
	ck_assert_str_eq(addr_at(&p.devices, 1), "0000:02:00.0");
}
END_TEST

START_TEST(test_very_long_cmdline)
{
	size_t n = CMDLINE_SIZE_MAX + 4096;
	char *s = malloc(n + 1);
	const char *log;

	memset(s, 'a', n);
	memcpy(s, "vfio_binder.policy=boot_vga ", 28);
	s[n] = '\0';
	capture_start();
	ck_assert_int_ge(cmdline_apply(&p, s), 1);
	log = capture_end();
	ck_assert_contains(log, "longer than 65536 bytes; the rest is ignored");
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	free(s);
}
END_TEST

START_TEST(test_unrelated_parameters_untouched)
{
	ck_assert_int_eq(cmdline_apply(&p, "vfio_binder_x=1 vfio-pci.ids=10de:1b81 xvfio_binder.policy=off vfio_binderpolicy=off"), 0);
	ck_assert_int_eq(p.mode, POLICY_LIST);
}
END_TEST

START_TEST(test_load_file)
{
	char path[] = "/tmp/test-cmdline.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "ro vfio_binder.policy=boot_vga\n", 31), 31);
	close(fd);
	ck_assert_int_eq(cmdline_load(&p, path), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	unlink(path);
	capture_start();
	ck_assert_int_lt(cmdline_load(&p, path), 0);
	ck_assert_contains(capture_end(), "cannot open: No such file or directory; no vfio_binder.* parameters applied");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_lists_add);
	tcase_add_test(tc, test_kill_switch);
	tcase_add_test(tc, test_kill_switch_wins);
	tcase_add_test(tc, test_quotes);
	tcase_add_test(tc, test_quoted_space_is_not_a_separator);
	tcase_add_test(tc, test_unbalanced_quote);
	tcase_add_test(tc, test_after_double_dash_is_init_s);
	tcase_add_loop_test(tc, test_bad_values_ignored, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_good_items_of_a_bad_list_kept);
	tcase_add_test(tc, test_very_long_cmdline);
	tcase_add_test(tc, test_unrelated_parameters_untouched);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
