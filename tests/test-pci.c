// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci.h"
#include "sysfs.h"
#include "testutil.h"

static char *dir;
static struct sysfs sfs = { .root_fd = -1 };
static struct pci_table table;

static void teardown(void)
{
	pci_table_free(&table);
	sysfs_close(&sfs);
	fakesys_remove(dir);
	dir = NULL;
}

static void open_tree(const char *topology, const char *extra)
{
	char *path = topology_path(topology), *text = fakesys_read("/", path), *all;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_ge(asprintf(&all, "%s\n%s", text, extra ? extra : ""), 0);
	dir = fakesys_new_text(all);
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(sysfs_open(&sfs, dir), 0);
	ck_assert(!sfs.real);
	free(all);
	free(text);
	free(path);
}

static struct pci_func *find(const char *addr)
{
	struct pci_addr a;

	ck_assert_int_eq(pci_addr_parse(addr, false, &a), 0);
	return pci_table_find(&table, &a);
}

static void write_attr(const char *rel, const char *content)
{
	char *path;
	int fd;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, rel), 0);
	fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	free(path);
}

START_TEST(test_load_all)
{
	static const struct pci_scan all = { .all = true };
	struct pci_func *f;

	open_tree("skylake-gtx1070-igd-host", "@driver 0000:00:1f.6 e1000e\n@override 0000:01:00.1 pci-stub\n");
	ck_assert_int_eq(pci_table_load(&sfs, &all, &table), 0);
	ck_assert_uint_eq(table.n, 25);
	ck_assert(table.iommu);
	for (size_t i = 1; i < table.n; i++)
		ck_assert_int_lt(pci_addr_cmp(&table.v[i - 1].addr, &table.v[i].addr), 0);

	f = find("0000:01:00.0");
	ck_assert_ptr_nonnull(f);
	ck_assert(f->detailed);
	ck_assert_uint_eq(f->class, 0x030000);
	ck_assert_uint_eq(f->vendor, 0x10de);
	ck_assert_uint_eq(f->device, 0x1b81);
	ck_assert_int_eq(f->boot_vga, 0);
	ck_assert_int_eq(f->iommu_group, 1);
	ck_assert_str_eq(f->driver, "");
	ck_assert(f->has_override);
	ck_assert_str_eq(f->override, "");

	ck_assert_int_eq(find("0000:00:02.0")->boot_vga, 1);
	/* boot_vga exists only on VGA functions */
	ck_assert_int_eq(find("0000:01:00.1")->boot_vga, -1);
	ck_assert_str_eq(find("0000:01:00.1")->override, "pci-stub");
	ck_assert_str_eq(find("0000:00:1f.6")->driver, "e1000e");
	ck_assert_int_eq(find("0000:09:00.0")->iommu_group, 17);
}
END_TEST

START_TEST(test_load_only_what_selection_needs)
{
	static const struct pci_scan lazy = { 0 };
	struct pci_func *f;

	open_tree("skylake-gtx1070-igd-host", NULL);
	ck_assert_int_eq(pci_table_load(&sfs, &lazy, &table), 0);
	ck_assert_uint_eq(table.n, 25);
	/* every function has its class; the GPUs and their slots have the rest */
	ck_assert_uint_eq(find("0000:00:17.0")->class, 0x010601);
	ck_assert(!find("0000:00:17.0")->detailed);
	ck_assert(find("0000:01:00.0")->detailed);
	ck_assert(find("0000:01:00.1")->detailed);
	ck_assert(find("0000:00:02.0")->detailed);
	/* the root port learns its group from the GPU's group, without being read itself */
	f = find("0000:00:01.0");
	ck_assert(!f->detailed);
	ck_assert_int_eq(f->iommu_group, 1);
	ck_assert_int_eq(find("0000:00:14.0")->iommu_group, -1);
}
END_TEST

START_TEST(test_device_entries_are_detailed)
{
	struct entry_list devs = { 0 };
	struct policy_entry e = { 0 };
	struct pci_scan scan = { .extra = &devs };

	open_tree("skylake-gtx1070-igd-host", NULL);
	pci_addr_parse("0000:00:1f.3", false, &e.addr);
	policy_add_entry(&devs, &e);
	ck_assert_int_eq(pci_table_load(&sfs, &scan, &table), 0);
	ck_assert(find("0000:00:1f.3")->detailed);
	ck_assert_uint_eq(find("0000:00:1f.3")->vendor, 0x8086);
	/* and the other functions of its slot */
	ck_assert(find("0000:00:1f.0")->detailed);
	ck_assert(!find("0000:00:1d.0")->detailed);
	free(devs.v);
}
END_TEST

START_TEST(test_no_iommu)
{
	static const struct pci_scan all = { .all = true };

	dir = fakesys_new_text("- 0000:00:02.0 0x030000 8086:1912 1 igd\n- 0000:01:00.0 0x030000 10de:1b81 0 gpu\n");
	ck_assert_int_eq(sysfs_open(&sfs, dir), 0);
	ck_assert_int_eq(pci_table_load(&sfs, &all, &table), 0);
	ck_assert(!table.iommu);
	ck_assert_int_eq(find("0000:01:00.0")->iommu_group, -1);
}
END_TEST

START_TEST(test_hostile_attributes)
{
	static const struct pci_scan all = { .all = true };
	char *link;
	const char *log;

	open_tree("skylake-gtx1070-igd-host", "@no-override 0000:01:00.1\n");
	write_attr("bus/pci/devices/0000:00:17.0/class", "garbage\n");
	write_attr("bus/pci/devices/0000:00:14.0/class", "0x1234567\n");
	write_attr("bus/pci/devices/0000:01:00.0/vendor", "0x10de0\n");
	write_attr("bus/pci/devices/0000:01:00.0/boot_vga", "2\n");
	write_attr("bus/pci/devices/0000:00:02.0/device", "");
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/0000:00:1f.6/iommu_group", dir), 0);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink("../../../kernel/iommu_groups/../x", link), 0);
	free(link);
	/* a device entry that is not a PCI address, and one that points outside the tree */
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/../../x", dir), 0);
	free(link);
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/not-an-address", dir), 0);
	ck_assert_int_eq(symlink("/etc", link), 0);
	free(link);
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/0000:07:00.0", dir), 0);
	ck_assert_int_eq(symlink("/proc/self", link), 0);
	free(link);

	/* An Intel VMD domain: five hex digits, skipped quietly (at debug level, once) */
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/10000:e1:00.0", dir), 0);
	ck_assert_int_eq(symlink("../../../devices/pci0000:00/0000:01:00.0", link), 0);
	free(link);
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/10000:e2:00.0", dir), 0);
	ck_assert_int_eq(symlink("../../../devices/pci0000:00/0000:01:00.0", link), 0);
	free(link);

	capture_start();
	log_set_max_level(LOG_INFO);
	ck_assert_int_eq(pci_table_load(&sfs, &all, &table), 0);
	log = capture_end();
	ck_assert_not_contains(log, "10000:e1");
	ck_assert_not_contains(log, "VMD");
	ck_assert_contains(log, "bus/pci/devices/not-an-address: not a PCI address; skipped");
	pci_table_free(&table);
	capture_start();
	ck_assert_int_eq(pci_table_load(&sfs, &all, &table), 0);
	log = capture_end();
	ck_assert_contains(log, "skipped 2 functions in Intel VMD domains");
	/* What could not be read is recorded, with why, for the plan to refuse */
	ck_assert_uint_eq(find("0000:00:17.0")->class, PCI_CLASS_UNKNOWN);
	ck_assert_uint_eq(find("0000:00:17.0")->bad_attr, PCI_ATTR_CLASS);
	ck_assert_uint_eq(find("0000:00:17.0")->bad_errno, EINVAL);
	ck_assert_uint_eq(find("0000:00:14.0")->bad_attr, PCI_ATTR_CLASS);
	ck_assert_uint_eq(find("0000:01:00.0")->vendor, 0xffff);
	ck_assert_uint_eq(find("0000:01:00.0")->bad_attr, PCI_ATTR_VENDOR);
	/* a boot_vga that is neither 0 nor 1 may be the boot VGA: unknown, not "no" */
	ck_assert_int_eq(find("0000:01:00.0")->boot_vga, PCI_BOOT_VGA_UNKNOWN);
	ck_assert_uint_eq(find("0000:00:02.0")->bad_attr, PCI_ATTR_DEVICE);
	/* its own link is garbage, but the group's listing says where it is; it stays marked */
	ck_assert_int_eq(find("0000:00:1f.6")->iommu_group, 13);
	ck_assert_uint_eq(find("0000:00:1f.6")->bad_attr, PCI_ATTR_IOMMU_GROUP);
	ck_assert(!find("0000:01:00.1")->has_override);
	/* the link out of the tree is not followed */
	ck_assert_uint_eq(find("0000:07:00.0")->bad_attr, PCI_ATTR_CLASS);
	ck_assert_uint_eq(find("0000:07:00.0")->bad_errno, EXDEV);
	/* and what was read whole has nothing marked */
	ck_assert_uint_eq(find("0000:01:00.1")->bad_attr, PCI_ATTR_NONE);
	/* everything else is still there */
	ck_assert_uint_eq(table.n, 26);
	ck_assert_uint_eq(find("0000:01:00.1")->device, 0x10f0);
}
END_TEST

START_TEST(test_missing_bus)
{
	static const struct pci_scan all = { .all = true };
	char tmp[] = "/tmp/test-pci.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_int_eq(sysfs_open(&sfs, tmp), 0);
	ck_assert_int_eq(pci_table_load(&sfs, &all, &table), -ENOENT);
	rmdir(tmp);
}
END_TEST

START_TEST(test_write_stays_inside_the_root)
{
	char *outside, *link;
	int fd;

	open_tree("skylake-gtx1070-igd-host", NULL);
	ck_assert_int_ge(asprintf(&outside, "%s.outside", dir), 0);
	fd = open(outside, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/0000:01:00.0/driver_override", dir), 0);
	unlink(link);
	ck_assert_int_eq(symlink(outside, link), 0);
	/* an absolute link, a relative link out of the root, and a link as last component */
	ck_assert_int_lt(sysfs_write(&sfs, "bus/pci/devices/0000:01:00.0/driver_override", "vfio-pci", false), 0);
	ck_assert_int_eq(sysfs_write(&sfs, "../x", "vfio-pci", false), -EXDEV);
	ck_assert_int_lt(sysfs_write(&sfs, "/etc/passwd", "vfio-pci", false), 0);
	{
		char *content = fakesys_read("/", outside);

		ck_assert_str_eq(content, "");
		free(content);
	}
	/* a directory where an attribute should be */
	ck_assert_int_eq(sysfs_write(&sfs, "bus/pci/devices", "x", false), -EISDIR);
	unlink(outside);
	free(outside);
	free(link);
}
END_TEST

START_TEST(test_class_names)
{
	ck_assert_str_eq(pci_class_name(0x030000), "VGA compatible controller");
	ck_assert_str_eq(pci_class_name(0x030200), "3D controller");
	ck_assert_str_eq(pci_class_name(0x040300), "Audio device");
	ck_assert_str_eq(pci_class_name(0x0c0330), "USB controller");
	ck_assert_str_eq(pci_class_name(0x0c8000), "Serial bus controller");
	ck_assert_str_eq(pci_class_name(0x123456), "Processing accelerators");
	ck_assert_str_eq(pci_class_name(0xffff00), "Unassigned class");
	ck_assert_str_eq(pci_class_name(0x400000), "Unknown class");
	ck_assert_str_eq(pci_class_name(PCI_CLASS_UNKNOWN), "Unknown class");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("sysfs");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_load_all);
	tcase_add_test(tc, test_load_only_what_selection_needs);
	tcase_add_test(tc, test_device_entries_are_detailed);
	tcase_add_test(tc, test_no_iommu);
	tcase_add_test(tc, test_hostile_attributes);
	tcase_add_test(tc, test_missing_bus);
	tcase_add_test(tc, test_write_stays_inside_the_root);
	tcase_add_test(tc, test_class_names);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
