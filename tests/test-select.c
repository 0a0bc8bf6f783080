// SPDX-License-Identifier: GPL-2.0-or-later
#include <syslog.h>

#include "conf.h"
#include "select.h"
#include "testutil.h"

static struct pci_table table;
static struct policy pol;
static struct plan plan;

static char *read_topology(const char *name)
{
	char *path = topology_path(name), *text;

	text = fakesys_read("/", path);
	ck_assert_ptr_nonnull(text);
	free(path);
	return text;
}

static void load_table(const char *text)
{
	ck_assert_int_eq(fakesys_table(text, &table), 0);
}

static void load_topology(const char *name)
{
	char *text = read_topology(name);

	load_table(text);
	free(text);
}

static void set_conf(const char *conf)
{
	policy_init(&pol);
	ck_assert_int_eq(config_parse(&pol, "vfio.conf", conf, strlen(conf)), 0);
}

/* The plan, one "bind|skip ADDRESS: reason" line per function, for exact comparison. */
static const char *plan_lines(void)
{
	static char buf[8192];
	char addr[PCI_ADDR_STRLEN];
	size_t n = 0;

	plan_free(&plan);
	ck_assert_int_eq(plan_build(&table, &pol, &plan), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < plan.n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s: %s\n",
				      plan.v[i].action == PLAN_BIND ? "bind" : "skip",
				      pci_addr_fmt(&table.v[plan.v[i].func].addr, addr), plan.v[i].reason);
	return buf;
}

static const char *notes(void)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < plan.n_notes; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d %s\n", plan.notes[i].prio, plan.notes[i].text);
	return buf;
}

static void teardown(void)
{
	plan_free(&plan);
	policy_free(&pol);
	pci_table_free(&table);
}

/* The topologies' headers say what the plan must be. */

START_TEST(test_skylake_boot_vga)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[binder]\npolicy = boot_vga\n");
	/* the root port 00:01.0 shares group 1 but is a bridge */
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:02.0: boot VGA, the host's console\n"
			 "bind 0000:01:00.0: boot_vga policy\n"
			 "bind 0000:01:00.1: companion of 0000:01:00.0\n");
	ck_assert_uint_eq(plan.n_bind, 2);
}
END_TEST

START_TEST(test_skylake_device_list)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[devices]\ndevice = 01:00.0\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:01:00.0: device entry\n"
			 "bind 0000:01:00.1: companion of 0000:01:00.0\n");
}
END_TEST

START_TEST(test_turing_four_functions)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:2d:00.0: boot_vga policy\n"
			 "bind 0000:2d:00.1: companion of 0000:2d:00.0\n"
			 "bind 0000:2d:00.2: companion of 0000:2d:00.0\n"
			 "bind 0000:2d:00.3: companion of 0000:2d:00.0\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_turing_audio_only_breaks_the_group)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\ncompanions = audio\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:2d:00.0: IOMMU group 14 also holds 0000:2d:00.2 (not selected)\n"
			 "skip 0000:2d:00.1: IOMMU group 14 also holds 0000:2d:00.2 (not selected)\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
	ck_assert_uint_eq(plan.n_bind, 0);
}
END_TEST

START_TEST(test_group_bind_takes_the_rest)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\ncompanions = audio\ngroup = bind\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:2d:00.0: boot_vga policy\n"
			 "bind 0000:2d:00.1: companion of 0000:2d:00.0\n"
			 "bind 0000:2d:00.2: IOMMU group 14 with 0000:2d:00.0\n"
			 "bind 0000:2d:00.3: IOMMU group 14 with 0000:2d:00.0\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_group_ignore)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\ncompanions = audio\ngroup = ignore\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:2d:00.0: boot_vga policy\n"
			 "bind 0000:2d:00.1: companion of 0000:2d:00.0\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_companions_none)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[binder]\npolicy = boot_vga\ncompanions = none\ngroup = ignore\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:02.0: boot VGA, the host's console\n"
			 "bind 0000:01:00.0: boot_vga policy\n");
}
END_TEST

START_TEST(test_z77_boot_vga_selects_nothing)
{
	load_topology("z77-gtx1070-headless");
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(), "skip 0000:01:00.0: boot VGA, the host's console\n");
	ck_assert_uint_eq(plan.n_bind, 0);
}
END_TEST

START_TEST(test_z77_device_takes_boot_vga_with_warning)
{
	load_topology("z77-gtx1070-headless");
	set_conf("[devices]\ndevice = 0000:01:00.0\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:01:00.0: device entry\n"
			 "bind 0000:01:00.1: companion of 0000:01:00.0\n");
	ck_assert_str_eq(notes(), "4 device entry 0000:01:00.0 (vfio.conf:2) is the boot VGA: the host console goes dark when it is bound\n");
}
END_TEST

static const char identical[] =
	"1 0000:00:01.0 0x060400 8086:1901 - root port\n"
	"1 0000:01:00.0 0x030000 10de:1b81 1 GTX 1070 (host)\n"
	"1 0000:01:00.1 0x040300 10de:10f0 - audio\n"
	"2 0000:02:00.0 0x030000 10de:1b81 0 GTX 1070 (guest)\n"
	"2 0000:02:00.1 0x040300 10de:10f0 - audio\n";

START_TEST(test_id_never_takes_the_boot_vga)
{
	load_table(identical);
	set_conf("[devices]\nid = 10de:1b81\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:01:00.0: boot VGA, the host's console (only a device entry takes it)\n"
			 "bind 0000:02:00.0: id 10de:1b81\n"
			 "bind 0000:02:00.1: companion of 0000:02:00.0\n");
}
END_TEST

START_TEST(test_id_of_the_audio_function)
{
	/*
	 * An id entry for a non-display function takes it, and it brings no
	 * companions; but never the boot VGA's own audio, even when group =
	 * ignore (or an ACS override) would let it go alone.
	 */
	load_table(identical);
	set_conf("[devices]\nid = 10de:10f0\n[binder]\ngroup = ignore\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:01:00.1: companion of the boot VGA 0000:01:00.0 (the host's)\n"
			 "bind 0000:02:00.1: id 10de:10f0\n");
	ck_assert_uint_eq(plan.v[0].kind, PLAN_KIND_BOOT_VGA_CARD);
}
END_TEST

START_TEST(test_no_boot_vga_known)
{
	load_table("1 0000:01:00.0 0x030000 10de:1b81 0 a\n2 0000:02:00.0 0x030000 10de:1b81 0 b\n");
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:01:00.0: no function has boot_vga = 1: cannot tell which GPU is the host's\n"
			 "skip 0000:02:00.0: no function has boot_vga = 1: cannot tell which GPU is the host's\n");
	ck_assert_contains(notes(), "cannot tell which GPU is the host's; selecting none");
}
END_TEST

START_TEST(test_3d_controller_counts_as_display)
{
	load_table("1 0000:00:02.0 0x030000 8086:1912 1 igd\n"
		   "2 0000:3b:00.0 0x030200 10de:1db4 - Tesla V100\n"
		   "3 0000:3c:00.0 0x038000 1234:1111 - display controller\n");
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:02.0: boot VGA, the host's console\n"
			 "bind 0000:3b:00.0: boot_vga policy\n"
			 "bind 0000:3c:00.0: boot_vga policy\n");
}
END_TEST

START_TEST(test_exclude_gpu_brings_no_companions)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\n[devices]\nexclude = 2d:00.0\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:2d:00.0: excluded\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_exclude_wins_over_device_and_id)
{
	load_table(identical);
	set_conf("[devices]\ndevice = 02:00.0\nid = 10de:1b81\nexclude = 0000:02:00.0\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:01:00.0: boot VGA, the host's console (only a device entry takes it)\n"
			 "skip 0000:02:00.0: excluded\n");
}
END_TEST

START_TEST(test_excluded_companion_blocks_the_group)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\n[devices]\nexclude = 2d:00.3\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:2d:00.0: IOMMU group 14 also holds 0000:2d:00.3 (excluded)\n"
			 "skip 0000:2d:00.1: IOMMU group 14 also holds 0000:2d:00.3 (excluded)\n"
			 "skip 0000:2d:00.2: IOMMU group 14 also holds 0000:2d:00.3 (excluded)\n"
			 "skip 0000:2d:00.3: excluded\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_excluded_companion_with_group_ignore)
{
	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\ngroup = ignore\n[devices]\nexclude = 2d:00.3\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:2d:00.0: boot_vga policy\n"
			 "bind 0000:2d:00.1: companion of 0000:2d:00.0\n"
			 "bind 0000:2d:00.2: companion of 0000:2d:00.0\n"
			 "skip 0000:2d:00.3: excluded\n"
			 "skip 0000:2e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_group_bind_never_takes_the_boot_vga)
{
	/* a group that holds the host's own GPU cannot go to a guest */
	load_table("1 0000:00:02.0 0x030000 8086:1912 1 igd\n1 0000:00:03.0 0x030000 10de:1b81 0 dgpu\n");
	set_conf("[binder]\npolicy = boot_vga\ngroup = bind\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:02.0: boot VGA, the host's console\n"
			 "skip 0000:00:03.0: IOMMU group 1 also holds 0000:00:02.0 (the boot VGA)\n");
}
END_TEST

START_TEST(test_no_iommu)
{
	char *text = read_topology("skylake-gtx1070-igd-host");

	/* the same machine with the IOMMU off: every group column becomes '-' */
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l == '#')
			continue;
		memset(l, ' ', strcspn(l, " "));
		*l = '-';
	}
	load_table(text);
	free(text);
	ck_assert(!table.iommu);
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:02.0: boot VGA, the host's console\n"
			 "skip 0000:01:00.0: no IOMMU\n"
			 "skip 0000:01:00.1: no IOMMU\n");
	ck_assert_contains(notes(), "3 no IOMMU: kernel/iommu_groups is empty and vfio-pci cannot bind without one");

	/* pci-stub needs no IOMMU, and a function without a group has nothing to check */
	policy_free(&pol);
	set_conf("[binder]\npolicy = boot_vga\ndriver = pci-stub\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:02.0: boot VGA, the host's console\n"
			 "bind 0000:01:00.0: boot_vga policy\n"
			 "bind 0000:01:00.1: companion of 0000:01:00.0\n");
	policy_free(&pol);
	set_conf("[binder]\npolicy = boot_vga\nrequire_iommu = no\n");
	ck_assert_uint_eq((plan_lines(), plan.n_bind), 2);
}
END_TEST

START_TEST(test_off_and_empty)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[binder]\npolicy = off\n[devices]\ndevice = 01:00.0\n");
	ck_assert_str_eq(plan_lines(), "");
	ck_assert_contains(notes(), "policy off: nothing is bound and no driver is loaded");
	policy_free(&pol);
	set_conf("");
	ck_assert_str_eq(plan_lines(), "");
	ck_assert_contains(notes(), "nothing to do: no device, id or policy = boot_vga in vfio.conf");
}
END_TEST

START_TEST(test_missing_device_entry)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[devices]\n\ndevice = 0000:03:00.0\n");
	ck_assert_str_eq(plan_lines(), "");
	ck_assert_str_eq(notes(), "4 device entry 0000:03:00.0 (vfio.conf:3): no such PCI function\n");
}
END_TEST

START_TEST(test_selection_is_pure)
{
	struct pci_func *before;
	const char *first;
	char *copy;

	load_topology("turing-4fn-amd-host");
	set_conf("[binder]\npolicy = boot_vga\n");
	before = malloc(table.n * sizeof(*before));
	memcpy(before, table.v, table.n * sizeof(*before));
	first = plan_lines();
	copy = strdup(first);
	ck_assert_str_eq(plan_lines(), copy);
	ck_assert_int_eq(memcmp(before, table.v, table.n * sizeof(*before)), 0);
	free(copy);
	free(before);
}
END_TEST


/* An RX 7900 XT booting the console, its audio in a group of its own: the pair of ids takes neither. */
START_TEST(test_ids_never_take_the_boot_vga_card)
{
	load_table("1 0000:03:00.0 0x030000 1002:744c 1 RX 7900 XT (host)\n"
		   "2 0000:03:00.1 0x040300 1002:ab30 - its HDMI audio\n"
		   "3 0000:0b:00.0 0x030000 1002:744c 0 RX 7900 XT (guest)\n"
		   "3 0000:0b:00.1 0x040300 1002:ab30 - its HDMI audio\n");
	set_conf("[devices]\nid = 1002:744c\nid = 1002:ab30\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:03:00.0: boot VGA, the host's console (only a device entry takes it)\n"
			 "skip 0000:03:00.1: companion of the boot VGA 0000:03:00.0 (the host's)\n"
			 "bind 0000:0b:00.0: id 1002:744c\n"
			 "bind 0000:0b:00.1: id 1002:ab30\n");
	/* a device entry naming the boot VGA takes its card: single-GPU passthrough */
	policy_free(&pol);
	set_conf("[devices]\ndevice = 03:00.0\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:03:00.0: device entry\n"
			 "bind 0000:03:00.1: companion of 0000:03:00.0\n");
}
END_TEST

/* Renoir: the iGPU's slot holds the CPU's PSP, USB and audio; only the iGPU's HDMI audio is its card. */
START_TEST(test_apu_slot_companions_share_the_vendor)
{
	load_topology("renoir-apu-rx6600-host");
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:03:00.0: boot VGA, the host's console\n"
			 "bind 0000:07:00.0: boot_vga policy\n"
			 "bind 0000:07:00.1: companion of 0000:07:00.0\n");
	policy_free(&pol);
	set_conf("[devices]\ndevice = 07:00.0\n[binder]\ncompanions = audio\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:07:00.0: device entry\n"
			 "bind 0000:07:00.1: companion of 0000:07:00.0\n");
	/* the host card's audio sits behind the Navi card's own switch, in the same slot */
	policy_free(&pol);
	set_conf("[devices]\nid = 1002:ab28\n");
	ck_assert_str_eq(plan_lines(), "skip 0000:03:00.1: companion of the boot VGA 0000:03:00.0 (the host's)\n");
}
END_TEST

/* Intel Arc: the audio is another bus behind the card's own switch. */
START_TEST(test_arc_audio_behind_the_switch)
{
	load_topology("am5-arc-a310-b50");
	set_conf("[devices]\nid = 8086:56a6\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:09:00.0: id 8086:56a6\n"
			 "bind 0000:0a:00.0: companion of 0000:09:00.0\n");
	ck_assert_uint_eq(plan.n_groups, 1);
	ck_assert_int_eq(plan.groups[0].group, 16);
	ck_assert_uint_eq(plan.groups[0].n, 0);
	policy_free(&pol);
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "bind 0000:03:00.0: boot_vga policy\n"
			 "bind 0000:04:00.0: companion of 0000:03:00.0\n"
			 "bind 0000:09:00.0: boot_vga policy\n"
			 "bind 0000:0a:00.0: companion of 0000:09:00.0\n"
			 "skip 0000:0e:00.0: boot VGA, the host's console\n");
}
END_TEST

START_TEST(test_bmc_display)
{
	load_topology("epyc-aspeed-bmc");
	set_conf("[binder]\npolicy = boot_vga\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:02:00.0: BMC display (remote console; only a device entry takes it)\n"
			 "skip 0000:41:00.0: boot VGA, the host's console\n"
			 "bind 0000:81:00.0: boot_vga policy\n"
			 "bind 0000:81:00.1: companion of 0000:81:00.0\n");
	ck_assert_uint_eq(plan.v[0].kind, PLAN_KIND_BMC);
	policy_free(&pol);
	set_conf("[devices]\nid = 1a03:2000\n");
	ck_assert_str_eq(plan_lines(), "skip 0000:02:00.0: BMC display (remote console; only a device entry takes it)\n");
	/* a device entry takes it (the bridge above it is no endpoint of the group) */
	policy_free(&pol);
	set_conf("[devices]\ndevice = 02:00.0\n");
	ck_assert_str_eq(plan_lines(), "bind 0000:02:00.0: device entry\n");
	/* every Matrox G200e of the table, and the Huawei iBMC */
	ck_assert(pci_id_is_bmc_display(0x102b, 0x0522));
	ck_assert(pci_id_is_bmc_display(0x102b, 0x0538));
	ck_assert(pci_id_is_bmc_display(0x19e5, 0x1711));
	ck_assert(!pci_id_is_bmc_display(0x102b, 0x0525));	/* a G450, an ordinary card */
}
END_TEST

START_TEST(test_no_iommu_group)
{
	/* intel_iommu=on,igfx_off: the iGPU has no group on a machine that has groups */
	load_table("- 0000:00:02.0 0x030000 8086:3e92 0 UHD 630\n"
		   "1 0000:01:00.0 0x030000 10de:1b81 1 GTX 1070 (host)\n");
	set_conf("[devices]\ndevice = 00:02.0\n");
	ck_assert_str_eq(plan_lines(), "skip 0000:00:02.0: no IOMMU group: vfio-pci would refuse it\n");
	ck_assert_uint_eq(plan.v[0].kind, PLAN_KIND_NO_GROUP);
	/* pci-stub needs none */
	policy_free(&pol);
	set_conf("[devices]\ndevice = 00:02.0\n[binder]\ndriver = pci-stub\n");
	ck_assert_str_eq(plan_lines(), "bind 0000:00:02.0: device entry\n");
}
END_TEST

START_TEST(test_bridge_device_entry)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[devices]\ndevice = 00:01.0\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:00:01.0: a PCI bridge: never bound (AER, hot-plug and power management)\n");
	ck_assert_uint_eq(plan.config_errors, 1);
	ck_assert_str_eq(notes(), "3 device entry 0000:00:01.0 (vfio.conf:2) is a PCI bridge (class 0x060400), which is never bound; did you mean 0000:01:00.0?\n");
	/* with the hierarchy known, the device behind it is the hint */
	pci_table_free(&table);
	policy_free(&pol);
	load_topology("renoir-apu-rx6600-host");
	set_conf("[devices]\ndevice = 00:08.1\n");
	plan_lines();
	ck_assert_contains(notes(), "is a PCI bridge (class 0x060400), which is never bound; did you mean 0000:07:00.0?");
}
END_TEST

START_TEST(test_driver_module_name)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[devices]\ndevice = 01:00.0\n[binder]\ndriver = vfio_pci\n");
	ck_assert_str_eq(pol.driver, "vfio-pci");
	policy_free(&pol);
	set_conf("[binder]\ndriver = pci_stub\n");
	ck_assert_str_eq(pol.driver, "pci-stub");
	ck_assert(!policy_needs_iommu(&pol));
	policy_free(&pol);
	/* a variant driver is named like its module, with underscores */
	set_conf("[binder]\ndriver = mlx5-vfio-pci\n");
	ck_assert_str_eq(pol.driver, "mlx5_vfio_pci");
	ck_assert_str_eq(pol.module, "mlx5-vfio-pci");
}
END_TEST

START_TEST(test_sriov_pf)
{
	/* QEMU's NVMe: the VFs share the PF's ID. The PF with VFs on is refused, its VFs are not. */
	load_table("1 0000:01:00.0 0x010802 1b36:0010 - nvme PF\n"
		   "2 0000:01:00.1 0x010802 1b36:0010 - VF\n"
		   "3 0000:01:00.2 0x010802 1b36:0010 - VF\n"
		   "@attr 0000:01:00.0 sriov_numvfs 2\n");
	set_conf("[devices]\nid = 1b36:0010\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:01:00.0: SR-IOV on, 2 virtual functions: the kernel refuses vfio-pci on such a physical function\n"
			 "bind 0000:01:00.1: id 1b36:0010\n"
			 "bind 0000:01:00.2: id 1b36:0010\n");
}
END_TEST

START_TEST(test_entries_that_match_nothing)
{
	load_topology("skylake-gtx1070-igd-host");
	set_conf("[devices]\nid = 10de:1f09\n");
	ck_assert_str_eq(plan_lines(), "");
	ck_assert_str_eq(notes(), "4 id 10de:1f09 (vfio.conf:2) matches no PCI function: a typo?\n");
}
END_TEST

/* An attribute that could not be read: the function is refused whatever selected it. */
START_TEST(test_unreadable_refused)
{
	load_table(identical);
	/* 5 = EIO, PCI_ATTR_IOMMU_GROUP */
	{
		char *t;

		ck_assert_int_ge(asprintf(&t, "%s@unreadable 0000:02:00.0 %d 5\n", identical, PCI_ATTR_IOMMU_GROUP), 0);
		pci_table_free(&table);
		load_table(t);
		free(t);
	}
	set_conf("[devices]\nid = 10de:1b81\n");
	ck_assert_str_eq(plan_lines(),
			 "skip 0000:01:00.0: boot VGA, the host's console (only a device entry takes it)\n"
			 "skip 0000:02:00.0: cannot read iommu_group: Input/output error\n"
			 "skip 0000:02:00.1: IOMMU group 2 also holds 0000:02:00.0 (unreadable)\n");
	ck_assert_uint_eq(plan.v[1].kind, PLAN_KIND_UNREADABLE);
	ck_assert_uint_eq(plan.v[2].kind, PLAN_KIND_GROUP);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("select");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_skylake_boot_vga);
	tcase_add_test(tc, test_skylake_device_list);
	tcase_add_test(tc, test_turing_four_functions);
	tcase_add_test(tc, test_turing_audio_only_breaks_the_group);
	tcase_add_test(tc, test_group_bind_takes_the_rest);
	tcase_add_test(tc, test_group_ignore);
	tcase_add_test(tc, test_companions_none);
	tcase_add_test(tc, test_z77_boot_vga_selects_nothing);
	tcase_add_test(tc, test_z77_device_takes_boot_vga_with_warning);
	tcase_add_test(tc, test_id_never_takes_the_boot_vga);
	tcase_add_test(tc, test_id_of_the_audio_function);
	tcase_add_test(tc, test_no_boot_vga_known);
	tcase_add_test(tc, test_3d_controller_counts_as_display);
	tcase_add_test(tc, test_exclude_gpu_brings_no_companions);
	tcase_add_test(tc, test_exclude_wins_over_device_and_id);
	tcase_add_test(tc, test_excluded_companion_blocks_the_group);
	tcase_add_test(tc, test_excluded_companion_with_group_ignore);
	tcase_add_test(tc, test_group_bind_never_takes_the_boot_vga);
	tcase_add_test(tc, test_no_iommu);
	tcase_add_test(tc, test_off_and_empty);
	tcase_add_test(tc, test_missing_device_entry);
	tcase_add_test(tc, test_selection_is_pure);
	tcase_add_test(tc, test_ids_never_take_the_boot_vga_card);
	tcase_add_test(tc, test_apu_slot_companions_share_the_vendor);
	tcase_add_test(tc, test_arc_audio_behind_the_switch);
	tcase_add_test(tc, test_bmc_display);
	tcase_add_test(tc, test_no_iommu_group);
	tcase_add_test(tc, test_bridge_device_entry);
	tcase_add_test(tc, test_driver_module_name);
	tcase_add_test(tc, test_sriov_pf);
	tcase_add_test(tc, test_entries_that_match_nothing);
	tcase_add_test(tc, test_unreadable_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
