// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A randomized test of the selection rules: seeded topologies (a boot VGA or
 * none, twin cards, APU slots, cards with their own PCIe switch, BMC
 * displays, split and shared IOMMU groups, functions without a group, SR-IOV
 * physical functions) and random configurations, with invariants checked on
 * every plan against what the generator knows to be true. One run in ten
 * builds the tree on disk and reads it through the sysfs layer with faults
 * injected (EAGAIN, EIO, EACCES, ENOMEM on random attributes and links): whatever
 * the reads say, the invariants hold.
 *
 * VFIO_BINDER_PROPERTY_RUNS (default 3000) and VFIO_BINDER_PROPERTY_SEED
 * (default 1) set the count and the seed; a failure prints the seed, run,
 * topology and configuration to reproduce it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>

#include "conf.h"
#include "select.h"
#include "sysfs.h"
#include "testutil.h"

#define MAXF 96

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: reproducible from the seed on every platform */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 33) % (n ? n : 1);
}

static bool chance(unsigned percent)
{
	return rnd(100) < percent;
}

/* What the generator knows of each function: the truth the plan is held to. */
struct truth {
	char addr[16];
	char parent[16];	/* the bridge above it, "" below the host bridge */
	unsigned vendor, device, cls;
	int group;		/* -1: none */
	int boot_vga;		/* -1 none, 0, 1 */
	int card;		/* the card (index of its GPU) or -1 */
	bool gpu, bridge, bmc, audio;
	unsigned numvfs;
};

static struct truth tv[MAXF];
static size_t tn;
static char topo[16384];
static size_t topo_len;
static char conf[4096];
static size_t conf_len;
static bool iommu;

_printf_(1, 2) static void topo_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	topo_len += (size_t)vsnprintf(topo + topo_len, sizeof(topo) - topo_len, fmt, ap);
	va_end(ap);
}

_printf_(1, 2) static void conf_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_len += (size_t)vsnprintf(conf + conf_len, sizeof(conf) - conf_len, fmt, ap);
	va_end(ap);
}

static int next_group;

static struct truth *fn(unsigned bus, unsigned dev, unsigned f, unsigned cls, unsigned vendor, unsigned device,
			int boot_vga, const char *parent, int group)
{
	struct truth *t = &tv[tn++];

	*t = (struct truth){ .vendor = vendor, .device = device, .cls = cls, .boot_vga = boot_vga, .card = -1,
			     .group = iommu ? group : -1 };
	snprintf(t->addr, sizeof(t->addr), "0000:%02x:%02x.%x", bus & 0xff, dev & 0x1f, f & 7);
	t->bridge = (cls >> 8) == 0x0604 || (cls >> 8) == 0x0600;
	t->gpu = (cls >> 16) == 0x03;
	t->audio = (cls >> 8) == 0x0403;
	t->bmc = t->gpu && pci_id_is_bmc_display((uint16_t)vendor, (uint16_t)device);
	snprintf(t->parent, sizeof(t->parent), "%s", parent ? parent : "");
	return t;
}

static int group_for(int slot_group)
{
	/* split (each function its own), per slot, or shared with the previous slot */
	switch (rnd(4)) {
	case 0:
		return next_group++;
	case 1:
		return slot_group > 0 && chance(30) ? slot_group - 1 : slot_group;
	default:
		return slot_group;
	}
}

/* One card in a slot of bus, behind a root port on bus 0. */
static void gen_card(unsigned *bus, unsigned rp, unsigned vendor, unsigned device, bool twin_of_prev)
{
	char rpaddr[16], usp[16], dsp[16];
	struct truth *gpu, *t;
	unsigned b = (*bus)++, f = 0;
	int sg = next_group++, gi;
	const char *parent = rpaddr;
	bool sw = chance(30);

	snprintf(rpaddr, sizeof(rpaddr), "0000:00:%02x.%x", 1 + rp / 8, rp % 8);
	fn(0, 1 + rp / 8, rp % 8, 0x060400, 0x8086, 0x1901, -1, NULL, group_for(sg));
	if (sw) {
		/* the card's own switch: upstream port, downstream ports, GPU and audio on buses of their own */
		snprintf(usp, sizeof(usp), "0000:%02x:00.0", b);
		t = fn(b, 0, 0, 0x060400, vendor, 0x4fa1, -1, rpaddr, sg);
		b = (*bus)++;
		snprintf(dsp, sizeof(dsp), "0000:%02x:01.0", b);
		t = fn(b, 1, 0, 0x060400, vendor, 0x4fa4, -1, usp, sg);
		parent = dsp;
		b = (*bus)++;
	}
	(void)twin_of_prev;
	gi = (int)tn;
	gpu = fn(b, 0, f++, chance(15) ? 0x030200 : 0x030000, vendor, device, 0, parent, sg);
	if (gpu->cls == 0x030200)
		gpu->boot_vga = -1;
	gpu->card = gi;
	if (sw && chance(70)) {
		/* audio behind another downstream port of the same switch */
		char dsp2[16];
		unsigned b2 = (*bus)++, b3 = (*bus)++;

		snprintf(dsp2, sizeof(dsp2), "0000:%02x:04.0", b2);
		fn(b2, 4, 0, 0x060400, vendor, 0x4fa4, -1, usp, sg);
		t = fn(b3, 0, 0, 0x040300, vendor, device + 1, -1, dsp2, group_for(sg));
		t->card = gi;
	}
	if (chance(80)) {
		t = fn(b, 0, f++, 0x040300, vendor, device + 1, -1, parent, group_for(sg));
		t->card = gi;
	}
	if (chance(25)) {
		t = fn(b, 0, f++, 0x0c0330, vendor, device + 2, -1, parent, group_for(sg));
		t->card = gi;
		t = fn(b, 0, f++, 0x0c8000, vendor, device + 3, -1, parent, group_for(sg));
		t->card = gi;
	}
}

/* An AMD APU's slot: the iGPU and its audio (1002), the CPU's PSP, USB and HD audio (1022). */
static void gen_apu(unsigned *bus)
{
	static const unsigned host[][2] = { { 0x108000, 0x15df }, { 0x0c0330, 0x1639 }, { 0x048000, 0x15e2 },
					    { 0x040300, 0x15e3 } };
	unsigned b = (*bus)++, f = 0;
	int sg = next_group++, gi;
	struct truth *t;

	fn(0, 8, 1, 0x060400, 0x1022, 0x1635, -1, NULL, group_for(sg));
	gi = (int)tn;
	t = fn(b, 0, f++, 0x030000, 0x1002, 0x1636, 0, "0000:00:08.1", group_for(sg));
	t->card = gi;
	t = fn(b, 0, f++, 0x040300, 0x1002, 0x1637, -1, "0000:00:08.1", group_for(sg));
	t->card = gi;
	for (size_t k = 0; k < ELEMENTSOF(host); k++)
		fn(b, 0, f++, host[k][0], 0x1022, host[k][1], -1, "0000:00:08.1", group_for(sg));
}

static void generate(void)
{
	static const unsigned vendors[][2] = { { 0x10de, 0x1e87 }, { 0x1002, 0x73ff }, { 0x8086, 0x56a6 },
					       { 0x10de, 0x2204 } };
	unsigned bus = 1, rp = 0, cards = 1 + rnd(4), k = 0;
	size_t gpus[MAXF], ng = 0;

	tn = 0;
	topo_len = 0;
	topo[0] = '\0';
	next_group = 1;
	iommu = !chance(8);
	fn(0, 0, 0, 0x060000, 0x8086, 0x3e30, -1, NULL, 0);
	if (chance(50)) {
		fn(0, 2, 0, 0x030000, 0x8086, 0x3e92, 0, NULL, next_group++);
		tv[tn - 1].card = (int)tn - 1;
		/* intel_iommu=igfx_off: the iGPU without a group on a machine with groups */
		if (iommu && chance(15))
			tv[tn - 1].group = -1;
	}
	if (chance(40))
		gen_apu(&bus);
	for (unsigned c = 0; c < cards; c++) {
		/* twin cards: the previous card's vendor:device again */
		bool twin = c > 0 && chance(40);

		if (!twin)
			k = rnd(ELEMENTSOF(vendors));
		gen_card(&bus, rp++, vendors[k][0], vendors[k][1], twin);
	}
	if (chance(30)) {
		/* a BMC display behind the BMC's own bridge */
		unsigned b = bus++;
		char bmcbr[16];

		snprintf(bmcbr, sizeof(bmcbr), "0000:%02x:00.0", b);
		fn(0, 7, 1, 0x060400, 0x1022, 0x1484, -1, NULL, next_group);
		fn(b, 0, 0, 0x060400, 0x1a03, 0x1150, -1, "0000:00:07.1", next_group);
		fn(b + 1, 0, 0, 0x030000, chance(70) ? 0x1a03 : 0x102b, chance(70) ? 0x2000 : 0x0536, 0, bmcbr,
		   next_group++);
		bus++;
	}
	/* a NIC, an NVMe drive, and an NVMe PF with VFs that share its ID */
	fn(bus++, 0, 0, 0x020000, 0x8086, 0x1533, -1, NULL, next_group++);
	if (chance(40)) {
		unsigned b = bus++;
		struct truth *pf = fn(b, 0, 0, 0x010802, 0x1b36, 0x0010, -1, NULL, next_group++);

		pf->numvfs = chance(70) ? 2 : 0;
		for (unsigned v = 1; v <= pf->numvfs; v++)
			fn(b, 0, v, 0x010802, 0x1b36, 0x0010, -1, NULL, next_group++);
	}
	/* the boot VGA: one display function, or none (hybrid laptops, headless) */
	for (size_t i = 0; i < tn; i++)
		if (tv[i].gpu && tv[i].boot_vga >= 0)
			gpus[ng++] = i;
	if (ng && chance(85)) {
		size_t b = gpus[rnd((uint32_t)ng)];

		tv[b].boot_vga = 1;
	}
}

/* The truth as a topology, in the format of tests/topologies/. */
static void write_topology(void)
{
	topo_len = 0;
	topo[0] = '\0';
	for (size_t i = 0; i < tn; i++) {
		const struct truth *t = &tv[i];
		char g[12], bv[4];

		snprintf(g, sizeof(g), "%d", t->group);
		snprintf(bv, sizeof(bv), "%d", t->boot_vga);
		topo_add("%s %s 0x%06x %04x:%04x %s%s%s x\n", t->group < 0 ? "-" : g, t->addr, t->cls, t->vendor,
			 t->device, t->boot_vga < 0 ? "-" : bv, t->parent[0] ? " parent=" : "", t->parent);
	}
	for (size_t i = 0; i < tn; i++)
		if (tv[i].numvfs)
			topo_add("@attr %s sriov_numvfs %u\n", tv[i].addr, tv[i].numvfs);
}

static const char *pick_addr(void)
{
	return tv[rnd((uint32_t)tn)].addr + 5;
}

static void random_conf(void)
{
	static const char *const comp[] = { "slot", "audio", "none" };
	static const char *const grp[] = { "check", "bind", "ignore" };

	conf_len = 0;
	conf[0] = '\0';
	conf_add("[binder]\n");
	if (chance(50))
		conf_add("policy = boot_vga\n");
	conf_add("companions = %s\n", comp[rnd(3)]);
	conf_add("group = %s\n", grp[rnd(3)]);
	if (chance(15))
		conf_add("driver = pci-stub\n");
	if (chance(10))
		conf_add("require_iommu = no\n");
	conf_add("[devices]\n");
	for (unsigned k = rnd(3); k > 0; k--)
		conf_add("device = %s\n", pick_addr());
	for (unsigned k = rnd(3); k > 0; k--) {
		const struct truth *t = &tv[rnd((uint32_t)tn)];

		conf_add("id = %04x:%04x\n", t->vendor, t->device);
	}
	for (unsigned k = chance(30) ? 1 + rnd(2) : 0; k > 0; k--)
		conf_add("exclude = %s\n", pick_addr());
}

static const struct truth *truth_of(const struct pci_addr *a)
{
	char s[PCI_ADDR_STRLEN];

	pci_addr_fmt(a, s);
	for (size_t i = 0; i < tn; i++)
		if (!strcmp(tv[i].addr, s))
			return &tv[i];
	return NULL;
}

static bool named(const struct entry_list *l, const char *addr)
{
	struct pci_addr a;

	if (pci_addr_parse(addr, false, &a) < 0)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (pci_addr_eq(&l->v[i].addr, &a))
			return true;
	return false;
}

static uint64_t seed;
static unsigned run_no;

#define HOLD(cond, fmt, ...) do { \
		if (!(cond)) \
			ck_abort_msg("seed %" PRIu64 " run %u: " fmt "\n%s%s", seed, run_no, __VA_ARGS__, topo, conf); \
	} while (0)

/* The invariants, against the truth. faults: the table may hold wrong values. */
static void check_invariants(const struct pci_table *t, const struct policy *p, const struct plan *plan)
{
	const struct truth *boot = NULL;

	for (size_t i = 0; i < tn; i++)
		if (tv[i].boot_vga == 1)
			boot = &tv[i];
	for (size_t k = 0; k < plan->n; k++) {
		const struct plan_entry *e = &plan->v[k];
		const struct pci_func *f = &t->v[e->func];
		const struct truth *tr = truth_of(&f->addr);

		HOLD(tr, "the plan names %04x:%02x:%02x.%x, which the topology does not have", f->addr.domain,
		     f->addr.bus, f->addr.dev, f->addr.fn);
		if (e->action != PLAN_BIND)
			continue;
		HOLD(!named(&p->excludes, tr->addr), "%s bound, though excluded", tr->addr);
		HOLD(!tr->bridge, "%s, a bridge, bound", tr->addr);
		HOLD(!tr->numvfs, "%s, a PF with %u VFs on, bound", tr->addr, tr->numvfs);
		HOLD(!tr->bmc || named(&p->devices, tr->addr), "%s, a BMC display, bound without a device entry",
		     tr->addr);
		HOLD(!(policy_needs_iommu(p) && iommu && tr->group < 0), "%s bound without an IOMMU group", tr->addr);
		HOLD(!(policy_needs_iommu(p) && !iommu), "%s bound without an IOMMU", tr->addr);
		HOLD(f->bad_attr == PCI_ATTR_NONE || ((f->bad_attr == PCI_ATTR_IOMMU_GROUP ||
						       f->bad_attr == PCI_ATTR_GROUP_DEVICES) && !t->iommu),
		     "%s bound, though its %s could not be read", tr->addr, pci_attr_name(f->bad_attr));
		if (boot && tr == boot)
			HOLD(named(&p->devices, tr->addr), "the boot VGA %s bound without a device entry", tr->addr);
		if (boot && tr != boot && tr->card >= 0 && &tv[tr->card] == boot)
			HOLD(named(&p->devices, tr->addr) || named(&p->devices, boot->addr),
			     "%s of the boot VGA's card bound without a device entry", tr->addr);
		if (e->leader != SIZE_MAX && e->leader != e->func) {
			const struct truth *g = truth_of(&t->v[e->leader].addr);

			HOLD(g && g->vendor == tr->vendor, "%s bound as a companion of %s, another vendor", tr->addr,
			     g ? g->addr : "?");
			HOLD(tr->card >= 0 && &tv[tr->card] == g, "%s bound as a companion of %s, not its card",
			     tr->addr, g ? g->addr : "?");
		}
		/* a group goes whole or not at all */
		if (p->group != GROUP_IGNORE && tr->group >= 0 && t->iommu) {
			for (size_t j = 0; j < tn; j++) {
				const struct plan_entry *o;
				struct pci_addr a;
				const struct pci_func *of;

				if (tv[j].group != tr->group || tv[j].bridge)
					continue;
				pci_addr_parse(tv[j].addr, false, &a);
				of = pci_table_find(t, &a);
				o = of ? plan_find(plan, (size_t)(of - t->v)) : NULL;
				HOLD(o && o->action == PLAN_BIND, "IOMMU group %d bound in part: %s bound, %s not",
				     tr->group, tr->addr, tv[j].addr);
			}
		}
		/* a card goes whole: every companion the mode takes is bound too, unless excluded */
		if (tr->gpu && tr->card == tr - tv && p->companions != COMPANIONS_NONE) {
			for (size_t j = 0; j < tn; j++) {
				const struct plan_entry *o;
				struct pci_addr a;
				const struct pci_func *of;

				if (tv[j].card != tr->card || &tv[j] == tr || named(&p->excludes, tv[j].addr) ||
				    (p->companions == COMPANIONS_AUDIO && !tv[j].audio))
					continue;
				pci_addr_parse(tv[j].addr, false, &a);
				of = pci_table_find(t, &a);
				o = of ? plan_find(plan, (size_t)(of - t->v)) : NULL;
				HOLD(o && o->action == PLAN_BIND, "card of %s split: %s not bound", tr->addr, tv[j].addr);
			}
		}
	}
}

/* Faults for the on-disk runs: a random step fails on a random path, once or always. */
static struct {
	char path[128];
	enum sysfs_step step;
	int err;
	int left;		/* -1: always */
} faults[4];
static size_t nfaults;

static int inject(enum sysfs_step step, const char *rel, void *data)
{
	for (size_t i = 0; i < nfaults; i++) {
		if (faults[i].step != step || !strstr(rel, faults[i].path) || faults[i].left == 0)
			continue;
		if (faults[i].left > 0)
			faults[i].left--;
		return -faults[i].err;
	}
	return 0;
}

static void random_faults(void)
{
	static const char *const attrs[] = { "class", "vendor", "device", "boot_vga", "iommu_group", "sriov_numvfs", "" };
	/*
	 * Not ENOENT: sysfs says so of an attribute that is not there (no
	 * sriov_numvfs on a function without SR-IOV), and the rules take it so.
	 */
	static const int errs[] = { EAGAIN, EIO, EACCES, ENOMEM };

	nfaults = rnd(ELEMENTSOF(faults) + 1);
	for (size_t i = 0; i < nfaults; i++) {
		const char *attr = attrs[rnd(ELEMENTSOF(attrs))];

		snprintf(faults[i].path, sizeof(faults[i].path), "%s%s%s", tv[rnd((uint32_t)tn)].addr,
			 *attr ? "/" : "", attr);
		faults[i].step = (enum sysfs_step)rnd(4);
		faults[i].err = errs[rnd(ELEMENTSOF(errs))];
		faults[i].left = chance(50) ? -1 : 1 + (int)rnd(10);
	}
	sysfs_set_fault(inject, NULL);
}

static void one_run(bool on_disk)
{
	struct pci_table t;
	struct policy p;
	struct plan plan, again;
	char *dir = NULL;
	struct sysfs s = { .root_fd = -1 };

	generate();
	write_topology();
	random_conf();
	policy_init(&p);
	capture_start();
	ck_assert_msg(config_parse(&p, "vfio.conf", conf, strlen(conf)) == 0, "seed %" PRIu64 " run %u: config:\n%s",
		      seed, run_no, conf);
	if (on_disk) {
		struct pci_scan scan;

		dir = fakesys_new_text(topo);
		ck_assert_ptr_nonnull(dir);
		ck_assert_int_eq(sysfs_open(&s, dir), 0);
		random_faults();
		plan_scan_needs(&p, &scan);
		ck_assert_int_eq(pci_table_load(&s, &scan, &t), 0);
		sysfs_set_fault(NULL, NULL);
	} else {
		ck_assert_msg(fakesys_table(topo, &t) == 0, "seed %" PRIu64 " run %u: topology:\n%s", seed, run_no, topo);
	}
	ck_assert_int_eq(plan_build(&t, &p, &plan), 0);
	capture_end();
	if (getenv("VFIO_BINDER_PROPERTY_VERBOSE")) {
		fprintf(stderr, "run %u\n%s%s", run_no, topo, conf);
		for (size_t i = 0; i < nfaults && on_disk; i++)
			fprintf(stderr, "fault: step %d on %s: %s, %d times\n", faults[i].step, faults[i].path,
				strerror(faults[i].err), faults[i].left);
		for (size_t k = 0; k < plan.n; k++) {
			char a[PCI_ADDR_STRLEN];

			fprintf(stderr, "%s %s: %s\n", plan.v[k].action == PLAN_BIND ? "bind" : "skip",
				pci_addr_fmt(&t.v[plan.v[k].func].addr, a), plan.v[k].reason);
		}
	}
	check_invariants(&t, &p, &plan);
	/* pure: the same table and policy give the same plan */
	ck_assert_int_eq(plan_build(&t, &p, &again), 0);
	ck_assert_uint_eq(again.n, plan.n);
	for (size_t k = 0; k < plan.n; k++) {
		ck_assert_uint_eq(again.v[k].func, plan.v[k].func);
		ck_assert_int_eq(again.v[k].action, plan.v[k].action);
		ck_assert_str_eq(again.v[k].reason, plan.v[k].reason);
	}
	plan_free(&again);
	plan_free(&plan);
	pci_table_free(&t);
	policy_free(&p);
	sysfs_close(&s);
	fakesys_remove(dir);
}

START_TEST(test_invariants)
{
	const char *e = getenv("VFIO_BINDER_PROPERTY_RUNS");
	unsigned runs = e ? (unsigned)strtoul(e, NULL, 10) : 3000;

	e = getenv("VFIO_BINDER_PROPERTY_SEED");
	seed = e ? strtoull(e, NULL, 10) : 1;
	for (run_no = 0; run_no < runs; run_no++) {
		/* each run from its own seed, so one run can be replayed alone */
		rng = (seed * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)run_no + 1) * 0xBF58476D1CE4E5B9ULL;
		if (!rng)
			rng = 1;
		one_run(run_no % 10 == 9);
	}
	fprintf(stderr, "property: %u runs from seed %" PRIu64 ", every invariant held\n", runs, seed);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("property");
	TCase *tc = tcase_create("plans");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_invariants);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
