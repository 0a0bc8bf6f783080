// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads that fail, injected at the sysfs layer's test seam: EAGAIN once
 * (openat2 raced by a rename elsewhere: retried), EAGAIN that does not stop
 * (the userspace resolver takes over), EAGAIN from both (the attribute
 * cannot be read), and EIO. For every attribute a rule rests on, the last
 * two must leave the function refused, never bound on a guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "conf.h"
#include "select.h"
#include "sysfs.h"
#include "testutil.h"

/* Twin cards: the boot VGA 01:00.0 and 02:00.0 share vendor:device, each with its HDMI audio. */
static const char twins[] =
	"0 0000:00:01.0 0x060400 8086:1901 - root port\n"
	"0 0000:00:01.1 0x060400 8086:1905 - root port\n"
	"1 0000:01:00.0 0x030000 10de:1b81 1 GTX 1070 (host)\n"
	"1 0000:01:00.1 0x040300 10de:10f0 - audio\n"
	"2 0000:02:00.0 0x030000 10de:1b81 0 GTX 1070 (guest)\n"
	"2 0000:02:00.1 0x040300 10de:10f0 - audio\n";

static struct {
	enum sysfs_step step;
	const char *path;	/* the path, as the layer names it */
	int err;
	int times;		/* -1: always */
	int hits;
} fault;

static int inject(enum sysfs_step step, const char *rel, void *data)
{
	if (step != fault.step || strcmp(rel, fault.path) != 0)
		return 0;
	if (fault.times >= 0 && fault.hits >= fault.times)
		return 0;
	fault.hits++;
	return -fault.err;
}

/* Faults at two steps: openat2 and the resolver after it. */
static struct {
	const char *path;
	int err;
} both;

static int inject_both(enum sysfs_step step, const char *rel, void *data)
{
	if ((step == SYSFS_STEP_OPENAT2 || step == SYSFS_STEP_RESOLVE) && !strcmp(rel, both.path))
		return -both.err;
	return 0;
}

static char *dir;
static struct sysfs sfs = { .root_fd = -1 };
static struct pci_table table;
static struct policy pol;
static struct plan plan;

static void teardown(void)
{
	sysfs_set_fault(NULL, NULL);
	plan_free(&plan);
	policy_free(&pol);
	pci_table_free(&table);
	sysfs_close(&sfs);
	fakesys_remove(dir);
	dir = NULL;
	memset(&fault, 0, sizeof(fault));
}

/* The plan as "bind|skip ADDRESS: reason" lines. */
static const char *plan_for_topology(const char *topology, const char *conf)
{
	static char buf[4096];
	struct pci_scan scan;
	char addr[PCI_ADDR_STRLEN];
	size_t n = 0;

	dir = fakesys_new_text(topology);
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(sysfs_open(&sfs, dir), 0);
	policy_init(&pol);
	ck_assert_int_eq(config_parse(&pol, "vfio.conf", conf, strlen(conf)), 0);
	plan_scan_needs(&pol, &scan);
	ck_assert_int_eq(pci_table_load(&sfs, &scan, &table), 0);
	ck_assert_int_eq(plan_build(&table, &pol, &plan), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < plan.n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s: %s\n",
				      plan.v[i].action == PLAN_BIND ? "bind" : "skip",
				      pci_addr_fmt(&table.v[plan.v[i].func].addr, addr), plan.v[i].reason);
	return buf;
}

static const char *plan_for(const char *conf)
{
	return plan_for_topology(twins, conf);
}

static const char id_conf[] = "[devices]\nid = 10de:1b81\n";
static const char id_plan[] =
	"skip 0000:01:00.0: boot VGA, the host's console (only a device entry takes it)\n"
	"bind 0000:02:00.0: id 10de:1b81\n"
	"bind 0000:02:00.1: companion of 0000:02:00.0\n";

/* An attribute of a function, as the layer is asked for it. */
static const char *const attrs[] = { "class", "vendor", "device", "boot_vga", "sriov_numvfs" };

static void set_fault(enum sysfs_step step, const char *addr, const char *attr, int err, int times)
{
	static char path[128];

	snprintf(path, sizeof(path), "bus/pci/devices/%s%s%s", addr, attr ? "/" : "", attr ? attr : "");
	fault.step = step;
	fault.path = path;
	fault.err = err;
	fault.times = times;
	fault.hits = 0;
	sysfs_set_fault(inject, NULL);
}

/* EAGAIN once, and EAGAIN on every openat2: the read succeeds, the plan is the plain one. */
START_TEST(test_eagain_is_retried)
{
	const char *attr = attrs[_i];
	const char *addrs[] = { "0000:01:00.0", "0000:02:00.0", "0000:02:00.1" };

	for (size_t a = 0; a < ELEMENTSOF(addrs); a++) {
		for (int times = 1; times >= -1; times -= 2) {
			set_fault(SYSFS_STEP_OPENAT2, addrs[a], attr, EAGAIN, times);
			ck_assert_msg(!strcmp(plan_for(id_conf), id_plan), "%s of %s, EAGAIN %s:\n%s", attr, addrs[a],
				      times < 0 ? "always" : "once", plan_for(id_conf));
			/* sriov_numvfs is not there to read on these; the others are read once at least */
			if (strcmp(attr, "sriov_numvfs") && strcmp(attr, "boot_vga"))
				ck_assert_int_ge(fault.hits, 1);
			teardown();
		}
	}
}
END_TEST

/* EAGAIN from openat2 and the resolver, or EIO on the read: refused, with the reason. */
START_TEST(test_unreadable_is_refused)
{
	const char *attr = attrs[_i];
	static const struct { enum sysfs_step step; int err; const char *text; } how[] = {
		{ SYSFS_STEP_RESOLVE, EAGAIN, "Resource temporarily unavailable" },
		{ SYSFS_STEP_READ, EIO, "Input/output error" },
	};

	for (size_t h = 0; h < ELEMENTSOF(how); h++) {
		char want[160];
		const char *out;

		/* The guest's GPU: refused, and its audio with it (the card goes whole or not at all). */
		if (how[h].step == SYSFS_STEP_RESOLVE) {
			static char path[128];

			snprintf(path, sizeof(path), "bus/pci/devices/0000:02:00.0/%s", attr);
			both.path = path;
			both.err = how[h].err;
			sysfs_set_fault(inject_both, NULL);
		} else {
			set_fault(how[h].step, "0000:02:00.0", attr, how[h].err, -1);
		}
		out = plan_for(id_conf);
		if (!strcmp(attr, "sriov_numvfs") && how[h].step == SYSFS_STEP_READ) {
			/* No such file on these: nothing to read, nothing to fail */
			ck_assert_str_eq(out, id_plan);
			teardown();
			continue;
		}
		if (!strcmp(attr, "class") || !strcmp(attr, "vendor") || !strcmp(attr, "device")) {
			/* No longer matches id 10de:1b81, or no longer a GPU: not selected, or refused. */
			ck_assert_msg(!strstr(out, "bind 0000:02:00.0"), "%s:\n%s", attr, out);
			ck_assert_msg(!strstr(out, "bind 0000:02:00.1"), "%s:\n%s", attr, out);
		} else {
			snprintf(want, sizeof(want), "skip 0000:02:00.0: cannot read %s: %s\n", attr, how[h].text);
			ck_assert_msg(strstr(out, want), "expected '%s' in:\n%s", want, out);
			/* its audio goes nowhere without it (its group or its card says why) */
			ck_assert_msg(strstr(out, "skip 0000:02:00.1: "), "%s:\n%s", attr, out);
		}
		/* Whatever failed, the boot VGA is never bound. */
		ck_assert_msg(!strstr(out, "bind 0000:01:00.0"), "%s:\n%s", attr, out);
		teardown();
	}
}
END_TEST

/* The boot VGA's own boot_vga cannot be read: neither twin is known to be the host's. */
START_TEST(test_boot_vga_unreadable)
{
	const char *out;

	set_fault(SYSFS_STEP_READ, "0000:01:00.0", "boot_vga", EIO, -1);
	out = plan_for(id_conf);
	ck_assert_contains(out, "skip 0000:01:00.0: cannot read boot_vga: Input/output error\n");
	ck_assert_not_contains(out, "bind 0000:01:00.");
	teardown();

	/* the boot_vga policy selects nothing at all, and says why */
	set_fault(SYSFS_STEP_READ, "0000:02:00.0", "boot_vga", EAGAIN, -1);
	out = plan_for("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(out,
			 "skip 0000:01:00.0: boot VGA, the host's console\n"
			 "skip 0000:02:00.0: cannot read boot_vga of 0000:02:00.0: cannot tell which GPU is the host's\n");
	ck_assert_uint_eq(plan.n_bind, 0);
	ck_assert_uint_eq(plan.n_notes, 1);
	ck_assert_contains(plan.notes[0].text, "cannot read boot_vga of 0000:02:00.0, so it cannot tell which GPU is the host's; selecting none");
}
END_TEST

/*
 * Whether this process can call openat2 at all: valgrind 3.19 answers
 * ENOSYS, and the layer then uses its resolver only, so faults injected at
 * the openat2 step never fire.
 */
static bool have_openat2(void)
{
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd >= 0) {
		close(fd);
		return true;
	}
#endif
	return false;
}

/*
 * A GPU behind its card's own switch, its audio behind the switch's second
 * port, and that port's link unreadable: whether the audio is the card's
 * cannot be told, so the GPU is held back rather than bound without it
 * (the property test's seed 1796416617).
 */
START_TEST(test_card_port_unreadable)
{
	static const char switched[] =
		"0 0000:00:01.0 0x060400 8086:1901 - root port\n"
		"1 0000:01:00.0 0x030000 1002:73ff 1 host GPU\n"
		"0 0000:00:01.1 0x060400 8086:1901 - root port\n"
		"2 0000:02:00.0 0x060400 10de:4fa1 - parent=0000:00:01.1 upstream port\n"
		"2 0000:03:01.0 0x060400 10de:4fa4 - parent=0000:02:00.0 downstream port\n"
		"2 0000:04:00.0 0x030000 10de:2204 0 parent=0000:03:01.0 GPU\n"
		"2 0000:03:02.0 0x060400 10de:4fa4 - parent=0000:02:00.0 downstream port\n"
		"2 0000:05:00.0 0x040300 10de:2205 - parent=0000:03:02.0 its audio\n";
	static const char conf[] = "[binder]\ncompanions = audio\ngroup = ignore\n[devices]\ndevice = 04:00.0\n";
	const char *out;

	out = plan_for_topology(switched, conf);
	ck_assert_contains(out, "bind 0000:04:00.0: device entry\n");
	ck_assert_contains(out, "bind 0000:05:00.0: companion of 0000:04:00.0\n");
	teardown();

	set_fault(SYSFS_STEP_READLINK, "0000:03:02.0", NULL, EIO, -1);
	out = plan_for_topology(switched, conf);
	ck_assert_contains(out, "skip 0000:04:00.0: cannot tell whether 0000:05:00.0 belongs to its card");
	ck_assert_not_contains(out, "bind ");
	teardown();
}
END_TEST

/* Links: the iommu_group link, the group's listing, the function's own place in the tree. */
START_TEST(test_links_unreadable)
{
	const char *out;

	set_fault(SYSFS_STEP_READLINK, "0000:02:00.0", "iommu_group", EIO, -1);
	out = plan_for(id_conf);
	ck_assert_contains(out, "skip 0000:02:00.0: cannot read iommu_group: Input/output error\n");
	ck_assert_contains(out, "skip 0000:02:00.1: ");
	teardown();

	set_fault(SYSFS_STEP_READLINK, "0000:02:00.1", NULL, EIO, -1);
	out = plan_for(id_conf);
	ck_assert_contains(out, "skip 0000:02:00.1: cannot read its place in the PCI hierarchy: Input/output error\n");
	ck_assert_contains(out, "skip 0000:02:00.0: IOMMU group 2 also holds 0000:02:00.1 (unreadable)\n");
	teardown();

	/* The lazy scan lists the group to learn its members: a listing that fails refuses its functions. */
	fault.step = have_openat2() ? SYSFS_STEP_OPENAT2 : SYSFS_STEP_RESOLVE;
	fault.path = "kernel/iommu_groups/2/devices";
	fault.err = EIO;
	fault.times = -1;
	sysfs_set_fault(inject, NULL);
	out = plan_for("[devices]\ndevice = 02:00.0\n");
	ck_assert_contains(out, "skip 0000:02:00.0: cannot read the devices of its IOMMU group: Input/output error\n");
	ck_assert_int_ge(fault.hits, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("sysfs");

	tcase_add_checked_fixture(tc, NULL, teardown);
	if (have_openat2())
		tcase_add_loop_test(tc, test_eagain_is_retried, 0, ELEMENTSOF(attrs));
	else
		printf("# openat2 is not available here (valgrind?): the openat2 EAGAIN cases are left out\n");
	tcase_add_loop_test(tc, test_unreadable_is_refused, 0, ELEMENTSOF(attrs));
	tcase_add_test(tc, test_boot_vga_unreadable);
	tcase_add_test(tc, test_links_unreadable);
	tcase_add_test(tc, test_card_port_unreadable);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
