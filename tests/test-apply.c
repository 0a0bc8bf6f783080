// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "select.h"
#include "testutil.h"

static char *dir;
static struct sysfs sfs = { .root_fd = -1 };
static struct pci_table table;
static struct policy pol;
static struct plan plan;

/* What the code asked of libkmod. */
static struct {
	int calls;
	char module[64];
	char options[256];
	unsigned flags;
	int result;
	const char *refuse;	/* the fake kernel does not bind this one */
} kmod;

static int fake_modload(void *userdata, const char *module, const char *options, unsigned flags)
{
	kmod.calls++;
	kmod.flags = flags;
	snprintf(kmod.module, sizeof(kmod.module), "%s", module);
	snprintf(kmod.options, sizeof(kmod.options), "%s", options ? options : "(none)");
	if (kmod.result < 0)
		return kmod.result;
	/* > 0: like the binder on a fake tree, nothing was loaded into a kernel */
	if (!userdata)
		return 1;
	/* Like the kernel when a driver registers: bind every device whose override names it. */
	for (size_t i = 0; i < table.n; i++) {
		char addr[PCI_ADDR_STRLEN], rel[128], *ov, *link;

		pci_addr_fmt(&table.v[i].addr, addr);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
		ov = fakesys_read(dir, rel);
		if (ov && !strcmp(ov, module) && (!kmod.refuse || strcmp(kmod.refuse, addr))) {
			ck_assert_int_ge(asprintf(&link, "%s/bus/pci/devices/%s/driver", dir, addr), 0);
			ck_assert_int_eq(symlink("../../../bus/pci/drivers/vfio-pci", link), 0);
			free(link);
		}
		free(ov);
	}
	return 0;
}

static void setup(void)
{
	memset(&kmod, 0, sizeof(kmod));
}

static void teardown(void)
{
	plan_free(&plan);
	policy_free(&pol);
	pci_table_free(&table);
	sysfs_close(&sfs);
	fakesys_remove(dir);
	dir = NULL;
}

static void prepare(const char *topology, const char *extra, const char *conf)
{
	char *path = topology_path(topology), *text = fakesys_read("/", path), *all;
	struct pci_scan scan;

	ck_assert_int_ge(asprintf(&all, "%s\n%s", text, extra ? extra : ""), 0);
	dir = fakesys_new_text(all);
	ck_assert_ptr_nonnull(dir);
	free(all);
	free(text);
	free(path);
	policy_init(&pol);
	ck_assert_int_eq(config_parse(&pol, "vfio.conf", conf, strlen(conf)), 0);
	ck_assert_int_eq(sysfs_open(&sfs, dir), 0);
	plan_scan_needs(&pol, &scan);
	ck_assert_int_eq(pci_table_load(&sfs, &scan, &table), 0);
	ck_assert_int_eq(plan_build(&table, &pol, &plan), 0);
}

static int apply(bool load, bool kernel_binds)
{
	struct apply_opts o = {
		.load = load,
		.out = stdout,
		.load_fn = fake_modload,
		.load_data = kernel_binds ? dir : NULL,
	};

	return apply_plan(&sfs, &table, &plan, &o);
}

/*
 * A kernel whose driver is already there: the module load fails, and each
 * probe request binds the function its override names (checked when the
 * read-back looks, which is after the probe requests).
 */
static int probe_binds_modload(void *userdata, const char *module, const char *options, unsigned flags)
{
	int r = kmod.result;

	kmod.calls++;
	kmod.result = 0;
	fake_modload(dir, module, options, flags);
	kmod.result = r;
	return r;
}

static int apply_with_probe_binding(void)
{
	struct apply_opts o = { .load = true, .out = stdout, .load_fn = probe_binds_modload };

	return apply_plan(&sfs, &table, &plan, &o);
}

static char *attr(const char *addr, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", addr, name);
	return fakesys_read(dir, rel);
}

#define ck_assert_attr(addr, name, expected) do { \
		char *_v = attr(addr, name); \
		ck_assert_msg(_v && !strcmp(_v, expected), "%s/%s is '%s', expected '%s'", addr, name, _v ? _v : "(missing)", expected); \
		free(_v); \
	} while (0)

static void assert_probed(const char *expected)
{
	char *v = fakesys_read(dir, "bus/pci/drivers_probe");

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, expected);
	free(v);
}

/* Lines of the snapshot that differ: what the run changed. */
static char *changes(const char *before, const char *after)
{
	char *out = NULL, *a = strdup(after), *b, *save = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	ck_assert_int_ge(asprintf(&b, "\n%s", before), 0);
	for (char *l = strtok_r(a, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *needle;

		ck_assert_int_ge(asprintf(&needle, "\n%s\n", l), 0);
		if (!strstr(b, needle))
			fprintf(f, "%s\n", l);
		free(needle);
	}
	fclose(f);
	free(a);
	free(b);
	return out;
}

static const char turing_conf[] = "[binder]\npolicy = boot_vga\n[options]\ndisable_vga = 1\n";

START_TEST(test_writes_exactly_the_plan)
{
	char *before, *after, *diff;

	prepare("turing-4fn-amd-host", NULL, turing_conf);
	before = fakesys_snapshot(dir);
	capture_start();
	ck_assert_int_eq(apply(true, false), 0);
	capture_end();
	after = fakesys_snapshot(dir);
	diff = changes(before, after);
	ck_assert_str_eq(diff,
			 "/bus/pci/drivers_probe 100644 [0000:2d:00.0\\n0000:2d:00.1\\n0000:2d:00.2\\n0000:2d:00.3\\n]\n"
			 "/devices/pci0000:00/0000:2d:00.0/driver_override 100644 [vfio-pci\\n]\n"
			 "/devices/pci0000:00/0000:2d:00.1/driver_override 100644 [vfio-pci\\n]\n"
			 "/devices/pci0000:00/0000:2d:00.2/driver_override 100644 [vfio-pci\\n]\n"
			 "/devices/pci0000:00/0000:2d:00.3/driver_override 100644 [vfio-pci\\n]\n");
	free(diff);
	for (const char *a = "0000:2d:00.0\0" "0000:2d:00.1\0" "0000:2d:00.2\0" "0000:2d:00.3\0"; *a; a += strlen(a) + 1)
		ck_assert_attr(a, "driver_override", "vfio-pci");
	ck_assert_attr("0000:2e:00.0", "driver_override", "(null)");
	ck_assert_attr("0000:2e:00.1", "driver_override", "(null)");
	assert_probed("0000:2d:00.0\n0000:2d:00.1\n0000:2d:00.2\n0000:2d:00.3");
	ck_assert_int_eq(kmod.calls, 1);
	ck_assert_str_eq(kmod.module, "vfio-pci");
	ck_assert_str_eq(kmod.options, "disable_vga=1");
	/* modprobe -i: the install command that may have started us is never run again */
	ck_assert_uint_eq(kmod.flags, MODLOAD_IGNORE_INSTALL);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_only_planned_files_change)
{
	char *before, *after, *diff;
	size_t lines = 0;

	prepare("turing-4fn-amd-host", NULL, turing_conf);
	before = fakesys_snapshot(dir);
	capture_start();
	ck_assert_int_eq(apply(false, false), 0);
	capture_end();
	after = fakesys_snapshot(dir);
	diff = changes(before, after);
	for (const char *p = diff; (p = strchr(p, '\n')); p++)
		lines++;
	/* four overrides and nothing else; no module asked for, nothing probed */
	ck_assert_msg(lines == 4, "changed:\n%s", diff);
	ck_assert_contains(diff, "/devices/pci0000:00/0000:2d:00.0/driver_override 100644 [vfio-pci\\n]");
	ck_assert_contains(diff, "/devices/pci0000:00/0000:2d:00.3/driver_override 100644 [vfio-pci\\n]");
	ck_assert_int_eq(kmod.calls, 0);
	assert_probed("");
	free(diff);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_idempotent)
{
	char *first, *second;

	prepare("turing-4fn-amd-host", NULL, turing_conf);
	capture_start();
	ck_assert_int_eq(apply(false, false), 0);
	first = fakesys_snapshot(dir);
	plan_free(&plan);
	pci_table_free(&table);
	{
		struct pci_scan scan;

		plan_scan_needs(&pol, &scan);
		ck_assert_int_eq(pci_table_load(&sfs, &scan, &table), 0);
		ck_assert_int_eq(plan_build(&table, &pol, &plan), 0);
	}
	ck_assert_int_eq(apply(false, false), 0);
	capture_end();
	second = fakesys_snapshot(dir);
	ck_assert_str_eq(first, second);
	free(first);
	free(second);
}
END_TEST

START_TEST(test_already_bound_changes_nothing)
{
	char *before, *after;
	const char *log;

	prepare("skylake-gtx1070-igd-host", "@driver 0000:01:00.0 vfio-pci\n@driver 0000:01:00.1 vfio-pci\n",
		"[binder]\npolicy = boot_vga\n");
	before = fakesys_snapshot(dir);
	capture_start();
	ck_assert_int_eq(apply(true, false), 0);
	log = capture_end();
	after = fakesys_snapshot(dir);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(kmod.calls, 0);
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> vfio-pci (boot_vga policy)");
	free(before);
	free(after);
}
END_TEST

START_TEST(test_kernel_binds_and_is_verified)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", NULL, "[binder]\npolicy = boot_vga\n");
	capture_start();
	ck_assert_int_eq(apply(true, true), 0);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> vfio-pci (boot_vga policy)");
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0] -> vfio-pci (companion of 0000:01:00.0)");
	/* bound by the load itself: no probe needed */
	assert_probed("");
}
END_TEST

START_TEST(test_driver_refuses_one)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", NULL, "[binder]\npolicy = boot_vga\n");
	kmod.refuse = "0000:01:00.1";
	capture_start();
	ck_assert_int_eq(apply(true, true), 1);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> vfio-pci (boot_vga policy)");
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0]: not on vfio-pci, the kernel shows no driver (companion of 0000:01:00.0; see dmesg for why the driver refused it)");
	assert_probed("0000:01:00.1");
}
END_TEST

START_TEST(test_native_driver_kept_without_unbind)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", "@driver 0000:01:00.1 snd_hda_intel\n", "[binder]\npolicy = boot_vga\n");
	capture_start();
	ck_assert_int_eq(apply(false, false), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0]: bound to snd_hda_intel, not taken: set unbind = yes in [binder]");
	ck_assert_attr("0000:01:00.1", "driver_override", "(null)");
	/* the GPU shares its IOMMU group: a guest could not have it, so the host keeps it too */
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: not taken: 0000:01:00.1 of its IOMMU group 1 is not taken either");
	ck_assert_attr("0000:01:00.0", "driver_override", "(null)");
	{
		char *v = fakesys_read(dir, "bus/pci/drivers/snd_hda_intel/unbind");

		ck_assert_str_eq(v, "");
		free(v);
	}
}
END_TEST

START_TEST(test_unbind)
{
	const char *log;
	char *v;

	prepare("skylake-gtx1070-igd-host", "@driver 0000:01:00.0 nouveau\n",
		"[binder]\npolicy = boot_vga\nunbind = yes\n");
	capture_start();
	/* the fake kernel does not drop the driver link, so the read-back still sees nouveau */
	ck_assert_int_eq(apply(true, false), 1);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: unbound from nouveau");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: not on vfio-pci, the kernel shows driver nouveau (boot_vga policy)");
	ck_assert_attr("0000:01:00.0", "driver_override", "vfio-pci");
	v = fakesys_read(dir, "bus/pci/drivers/nouveau/unbind");
	ck_assert_str_eq(v, "0000:01:00.0");
	free(v);
	/* the fake tree keeps the driver link, so it is not probed */
	assert_probed("0000:01:00.1");
}
END_TEST

START_TEST(test_no_driver_override)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", "@no-override 0000:01:00.0\n", "[binder]\npolicy = boot_vga\n");
	capture_start();
	ck_assert_int_eq(apply(true, false), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: no driver_override attribute (kernel older than 3.16?); skipped");
	/* its audio function does not go without it */
	ck_assert_attr("0000:01:00.1", "driver_override", "(null)");
	assert_probed("");
	ck_assert_int_eq(kmod.calls, 0);
}
END_TEST

START_TEST(test_companion_follows_its_gpu)
{
	const char *log;

	/* group = ignore leaves only the companion rule: the GPU is held by nouveau, its audio is free */
	prepare("skylake-gtx1070-igd-host", "@driver 0000:01:00.0 nouveau\n",
		"[binder]\npolicy = boot_vga\ngroup = ignore\n");
	capture_start();
	ck_assert_int_eq(apply(false, false), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0]: not taken: its GPU 0000:01:00.0 is not taken either");
	ck_assert_attr("0000:01:00.1", "driver_override", "(null)");
}
END_TEST

START_TEST(test_card_whole_even_with_group_ignore)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", "@driver 0000:01:00.1 snd_hda_intel\n",
		"[binder]\npolicy = boot_vga\ngroup = ignore\n");
	capture_start();
	/* the audio function is held: group = ignore does not split the card, the GPU stays too */
	ck_assert_int_eq(apply(false, false), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: not taken: its card's 0000:01:00.1 is not taken either");
	ck_assert_attr("0000:01:00.0", "driver_override", "(null)");
	ck_assert_attr("0000:01:00.1", "driver_override", "(null)");
}
END_TEST

/*
 * A native driver binds the audio function while the binder writes its
 * override (the kernel's probe held the device lock the write waited for):
 * under unbind = no it keeps it, and the GPU's override is taken back
 * before any probe, so the card is never split, not even for a moment.
 */
static int bind_audio_on_readlink(enum sysfs_step step, const char *rel, void *data)
{
	int *done = data;
	char *ov, *link;

	if (step != SYSFS_STEP_READLINK || *done || strcmp(rel, "bus/pci/devices/0000:01:00.1/driver"))
		return 0;
	ov = attr("0000:01:00.1", "driver_override");
	if (ov && !strcmp(ov, "vfio-pci")) {
		ck_assert_int_ge(asprintf(&link, "%s/%s", dir, rel), 0);
		ck_assert_int_eq(symlink("../../../bus/pci/drivers/snd_hda_intel", link), 0);
		free(link);
		*done = 1;
	}
	free(ov);
	return 0;
}

START_TEST(test_native_driver_wins_during_the_write)
{
	const char *log;
	int done = 0;

	prepare("skylake-gtx1070-igd-host", NULL, "[binder]\npolicy = boot_vga\n");
	sysfs_set_fault(bind_audio_on_readlink, &done);
	capture_start();
	ck_assert_int_eq(apply(true, true), 2);
	log = capture_end();
	sysfs_set_fault(NULL, NULL);
	ck_assert_int_eq(done, 1);
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0]: snd_hda_intel bound it while the binder took it, not taken");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: not taken: 0000:01:00.1 of its IOMMU group 1 is not taken either");
	/* both overrides cleared (the fake tree keeps the empty line the kernel would show as "(null)"),
	 * and vfio-pci was never loaded, so nothing was bound to it */
	ck_assert_attr("0000:01:00.0", "driver_override", "");
	ck_assert_attr("0000:01:00.1", "driver_override", "");
	ck_assert_int_eq(kmod.calls, 0);
	ck_assert_ptr_null(attr("0000:01:00.0", "driver"));
}
END_TEST

START_TEST(test_device_vanishes)
{
	char *path;
	const char *log;

	prepare("turing-4fn-amd-host", NULL, turing_conf);
	/* removed between plan and write, as a hot-unplug would */
	ck_assert_int_ge(asprintf(&path, "%s/devices/pci0000:00/0000:2d:00.2/driver_override", dir), 0);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	ck_assert_int_ge(asprintf(&path, "%s/bus/pci/devices/0000:2d:00.3", dir), 0);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	capture_start();
	ck_assert_int_eq(apply(false, false), 4);
	log = capture_end();
	ck_assert_contains(log, "0000:2d:00.2 [10de:1ad8]: cannot write 'vfio-pci' to driver_override: No such file or directory; skipped");
	ck_assert_contains(log, "0000:2d:00.3 [10de:1ad9]: cannot write 'vfio-pci' to driver_override: No such file or directory; skipped");
	/* the rest of the card (one IOMMU group) is not left half on the driver: its overrides are taken back */
	ck_assert_contains(log, "0000:2d:00.0 [10de:1e87]: not taken: 0000:2d:00.2 of its IOMMU group 14 is not taken either");
	ck_assert_attr("0000:2d:00.0", "driver_override", "");
	ck_assert_attr("0000:2d:00.1", "driver_override", "");
}
END_TEST

/*
 * The companion's unbind fails after its override was written (unbind =
 * yes): the GPU, whose own override went in first, must not be probed onto
 * vfio-pci alone, and the companion must not keep an override that would
 * take it alone at its next probe.
 */
START_TEST(test_companion_unbind_fails)
{
	const char *log;
	char *path;

	prepare("twin-gtx1070", "@driver 0000:02:00.1 snd_hda_intel\n", "[binder]\nunbind = yes\n[devices]\ndevice = 02:00.0\n");
	/* an unbind file that cannot be written */
	ck_assert_int_ge(asprintf(&path, "%s/bus/pci/drivers/snd_hda_intel/unbind", dir), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	free(path);
	capture_start();
	ck_assert_int_eq(apply(true, true), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:02:00.1 [10de:10f0]: cannot unbind it from snd_hda_intel: Is a directory");
	ck_assert_contains(log, "0000:02:00.0 [10de:1b81]: not taken: 0000:02:00.1 of its IOMMU group 2 is not taken either");
	ck_assert_attr("0000:02:00.0", "driver_override", "");
	ck_assert_attr("0000:02:00.1", "driver_override", "");
	/* vfio-pci was never loaded, so nothing was bound to it */
	ck_assert_int_eq(kmod.calls, 0);
	ck_assert_ptr_null(attr("0000:02:00.0", "driver"));
}
END_TEST

START_TEST(test_read_only_sysfs)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", NULL, "[binder]\npolicy = boot_vga\n");
	/* A private mount namespace: the tree itself becomes read-only, as sysfs can be. */
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
	    mount("none", dir, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) {
		if (getenv("VFIO_BINDER_REQUIRE_ALL"))
			ck_abort_msg("cannot make a read-only mount for this test (needs root)");
		return;
	}
	sysfs_close(&sfs);
	ck_assert_int_eq(sysfs_open(&sfs, dir), 0);
	capture_start();
	ck_assert_int_eq(apply(true, false), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: cannot write 'vfio-pci' to driver_override: Read-only file system; skipped");
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0]: cannot write 'vfio-pci' to driver_override: Read-only file system; skipped");
	ck_assert_int_eq(kmod.calls, 0);
	umount(dir);
}
END_TEST

START_TEST(test_module_fails_to_load)
{
	const char *log;

	prepare("skylake-gtx1070-igd-host", NULL, "[binder]\npolicy = boot_vga\n");
	kmod.result = -ENOENT;
	capture_start();
	ck_assert_int_ge(apply(true, false), 1);
	log = capture_end();
	ck_assert_contains(log, "vfio-pci was not loaded (No such file or directory): the overrides written stay, and a later 'modprobe vfio-pci' binds them");
	ck_assert_attr("0000:01:00.0", "driver_override", "vfio-pci");
	ck_assert_attr("0000:01:00.1", "driver_override", "vfio-pci");
	ck_assert_str_eq(kmod.options, "(none)");
}
END_TEST

START_TEST(test_module_lookup_fails_yet_all_bound)
{
	const char *log;

	/* vfio-pci built in or loaded by other means: the lookup failing changes nothing */
	prepare("skylake-gtx1070-igd-host", NULL, "[binder]\npolicy = boot_vga\n");
	kmod.result = -ENOENT;
	capture_start();
	/* the fake kernel binds at the probe request, as a built-in driver does */
	ck_assert_int_eq(apply_with_probe_binding(), 0);
	log = capture_end();
	ck_assert_contains(log, "vfio-pci: module not loaded (No such file or directory), yet every planned function is on the driver");
	ck_assert_not_contains(log, "did not end on");
}
END_TEST

START_TEST(test_dry_run_changes_nothing)
{
	char *before, *after, *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	struct apply_opts o = { .dry_run = true, .load = true, .out = f, .load_fn = fake_modload };
	char *expected;

	prepare("skylake-gtx1070-igd-host", "@driver 0000:01:00.1 snd_hda_intel\n",
		"[binder]\npolicy = boot_vga\nunbind = yes\n[options]\ndisable_vga = 1\n");
	before = fakesys_snapshot(dir);
	ck_assert_int_eq(apply_plan(&sfs, &table, &plan, &o), 0);
	fclose(f);
	after = fakesys_snapshot(dir);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(kmod.calls, 0);
	ck_assert_int_ge(asprintf(&expected,
		"would write \"vfio-pci\" to %1$s/bus/pci/devices/0000:01:00.0/driver_override\n"
		"would write \"vfio-pci\" to %1$s/bus/pci/devices/0000:01:00.1/driver_override\n"
		"would write \"0000:01:00.1\" to %1$s/bus/pci/devices/0000:01:00.1/driver/unbind\n"
		"would load module vfio-pci with disable_vga=1, install commands ignored\n"
		"would write \"0000:01:00.0\" to %1$s/bus/pci/drivers_probe\n"
		"would write \"0000:01:00.1\" to %1$s/bus/pci/drivers_probe\n", dir), 0);
	ck_assert_str_eq(out, expected);
	free(expected);
	free(out);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_group_members_read_before_bind)
{
	/* group = bind takes functions the lazy scan did not read in full */
	prepare("turing-4fn-amd-host", NULL, "[binder]\npolicy = boot_vga\ncompanions = audio\ngroup = bind\n");
	capture_start();
	ck_assert_int_eq(apply(false, false), 0);
	ck_assert_contains(capture_end(), "0000:2d:00.2 [10de:1ad8] -> vfio-pci (IOMMU group 14 with 0000:2d:00.0;");
	ck_assert_attr("0000:2d:00.2", "driver_override", "vfio-pci");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apply");
	TCase *tc = tcase_create("bind");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_writes_exactly_the_plan);
	tcase_add_test(tc, test_only_planned_files_change);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_already_bound_changes_nothing);
	tcase_add_test(tc, test_kernel_binds_and_is_verified);
	tcase_add_test(tc, test_driver_refuses_one);
	tcase_add_test(tc, test_native_driver_kept_without_unbind);
	tcase_add_test(tc, test_unbind);
	tcase_add_test(tc, test_no_driver_override);
	tcase_add_test(tc, test_companion_follows_its_gpu);
	tcase_add_test(tc, test_card_whole_even_with_group_ignore);
	tcase_add_test(tc, test_native_driver_wins_during_the_write);
	tcase_add_test(tc, test_device_vanishes);
	tcase_add_test(tc, test_companion_unbind_fails);
	tcase_add_test(tc, test_read_only_sysfs);
	tcase_add_test(tc, test_module_fails_to_load);
	tcase_add_test(tc, test_module_lookup_fails_yet_all_bound);
	tcase_add_test(tc, test_dry_run_changes_nothing);
	tcase_add_test(tc, test_group_members_read_before_bind);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
