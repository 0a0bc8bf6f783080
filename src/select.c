// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which functions go to the driver, and why. The rules, in order:
 *  1. device entries, id matches, and under policy boot_vga every display
 *     function except the boot VGA and a BMC's display;
 *  2. the boot VGA, its card and a BMC's display are taken only by a device
 *     entry: an id or the policy never takes the host's console;
 *  3. a GPU's card follows it: its companions are the other functions of its
 *     slot, and the endpoints behind the card's own PCIe switch, that carry
 *     the GPU's vendor ID;
 *  4. nothing that cannot work is planned: a function that could not be read
 *     whole, a bridge, a physical function with SR-IOV on, a function
 *     without an IOMMU group (when the driver needs one);
 *  5. an IOMMU group is usable by a guest only whole: group = check refuses
 *     a group with an endpoint left behind, group = bind takes them all;
 *  6. a card goes whole or not at all;
 *  exclude wins over all of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"
#include "select.h"

enum state { S_NONE, S_BIND, S_SKIP };

struct sel {
	const struct pci_table *t;
	const struct policy *p;
	enum state *state;
	enum plan_kind *kind;
	char (*reason)[160];
	size_t *leader;		/* the GPU whose card a function belongs to, or SIZE_MAX */
	size_t *host;		/* the boot VGA (or a GPU that may be it) whose card a function is, or SIZE_MAX */
	const struct policy_entry **entry;	/* the device entry that selected it, or NULL */
	struct plan *plan;
	bool have_boot_vga;	/* some function reads boot_vga = 1 */
	size_t boot_vga_unknown;	/* the first display function whose boot_vga could not be read, or SIZE_MAX */
};

/*
 * Displays of baseboard management controllers: the remote console of a
 * server. Under policy boot_vga they would be "another GPU".
 */
static const struct pci_id bmc_displays[] = {
	{ 0x1a03, 0x2000 },	/* ASPEED Graphics Family (AST2x00) */
	{ 0x102b, 0x0522 },	/* Matrox MGA G200e [Pilot] ServerEngines (SEP1) */
	{ 0x102b, 0x0530 },	/* Matrox MGA G200EV */
	{ 0x102b, 0x0532 },	/* Matrox MGA G200eW (Nuvoton WPCM450) */
	{ 0x102b, 0x0533 },	/* Matrox MGA G200EH (HPE iLO) */
	{ 0x102b, 0x0534 },	/* Matrox G200eR2 */
	{ 0x102b, 0x0536 },	/* Matrox G200eW3 (Nuvoton) */
	{ 0x102b, 0x0538 },	/* Matrox G200eH3 (HPE iLO 5) */
	{ 0x19e5, 0x1711 },	/* Huawei Hi171x iBMC */
};

bool pci_id_is_bmc_display(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < ELEMENTSOF(bmc_displays); i++)
		if (bmc_displays[i].vendor == vendor && bmc_displays[i].device == device)
			return true;
	return false;
}

static const char *const kind_names[PLAN_KIND_COUNT] = {
	[PLAN_KIND_SELECTED] = "selected",
	[PLAN_KIND_BOOT_VGA] = "boot-vga",
	[PLAN_KIND_BOOT_VGA_CARD] = "boot-vga-card",
	[PLAN_KIND_NO_BOOT_VGA] = "no-boot-vga",
	[PLAN_KIND_BMC] = "bmc-display",
	[PLAN_KIND_EXCLUDED] = "excluded",
	[PLAN_KIND_GROUP] = "group",
	[PLAN_KIND_CARD] = "card",
	[PLAN_KIND_NO_IOMMU] = "no-iommu",
	[PLAN_KIND_NO_GROUP] = "no-iommu-group",
	[PLAN_KIND_UNREADABLE] = "unreadable",
	[PLAN_KIND_BRIDGE] = "bridge",
	[PLAN_KIND_SRIOV_PF] = "sriov-pf",
	[PLAN_KIND_NOT_PINNED] = "not-pinned",
};

/* How a refused function is named where it blocks another: "IOMMU group 1 also holds X (...)". */
static const char *const kind_phrases[PLAN_KIND_COUNT] = {
	[PLAN_KIND_SELECTED] = "selected",
	[PLAN_KIND_BOOT_VGA] = "the boot VGA",
	[PLAN_KIND_BOOT_VGA_CARD] = "the boot VGA's card",
	[PLAN_KIND_NO_BOOT_VGA] = "not selected",
	[PLAN_KIND_BMC] = "a BMC display",
	[PLAN_KIND_EXCLUDED] = "excluded",
	[PLAN_KIND_GROUP] = "refused for its group",
	[PLAN_KIND_CARD] = "refused with its card",
	[PLAN_KIND_NO_IOMMU] = "no IOMMU",
	[PLAN_KIND_NO_GROUP] = "no IOMMU group",
	[PLAN_KIND_UNREADABLE] = "unreadable",
	[PLAN_KIND_BRIDGE] = "a bridge",
	[PLAN_KIND_SRIOV_PF] = "SR-IOV enabled",
	[PLAN_KIND_NOT_PINNED] = "not the pinned device",
};

const char *plan_kind_str(enum plan_kind k)
{
	return k < PLAN_KIND_COUNT ? kind_names[k] : "unknown";
}

_printf_(3, 4) static int note(struct plan *plan, int prio, const char *fmt, ...)
{
	struct plan_note *v = reallocarray(plan->notes, plan->n_notes + 1, sizeof(*v));
	va_list ap;

	if (!v)
		return -ENOMEM;
	plan->notes = v;
	v[plan->n_notes].prio = prio;
	va_start(ap, fmt);
	vsnprintf(v[plan->n_notes].text, sizeof(v->text), fmt, ap);
	va_end(ap);
	plan->n_notes++;
	return 0;
}

_printf_(5, 6) static void mark(struct sel *s, size_t i, enum state st, enum plan_kind kind, const char *fmt, ...)
{
	va_list ap;

	s->state[i] = st;
	s->kind[i] = kind;
	va_start(ap, fmt);
	vsnprintf(s->reason[i], sizeof(s->reason[i]), fmt, ap);
	va_end(ap);
}

static const struct policy_entry *find_addr(const struct entry_list *l, const struct pci_addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (pci_addr_eq(&l->v[i].addr, a))
			return &l->v[i];
	return NULL;
}

static bool in_addr_list(const struct entry_list *l, const struct pci_addr *a)
{
	return find_addr(l, a) != NULL;
}

static bool id_matches(const struct policy_entry *e, const struct pci_func *f)
{
	return f->detailed && e->id.vendor == f->vendor && e->id.device == f->device;
}

static const struct policy_entry *match_id(const struct entry_list *l, const struct pci_func *f)
{
	for (size_t i = 0; i < l->n; i++)
		if (id_matches(&l->v[i], f))
			return &l->v[i];
	return NULL;
}

static bool is_bmc(const struct pci_func *f)
{
	return f->detailed && pci_class_is_display(f->class) && pci_id_is_bmc_display(f->vendor, f->device);
}

/* The boot VGA, or a display function that may be it because its boot_vga could not be read. */
static bool maybe_boot_vga(const struct sel *s, const struct pci_func *f)
{
	return f->boot_vga == 1 || (f->boot_vga == PCI_BOOT_VGA_UNKNOWN && !s->have_boot_vga);
}

/*
 * The upstream port of the GPU's own PCIe switch: its parent is a
 * downstream port whose parent is an upstream port (a bridge that itself
 * sits below a bridge: a root port sits below the host bridge), with the
 * GPU's vendor ID. Intel Arc and Navi cards carry one.
 */
static const struct pci_func *card_switch(const struct pci_table *t, const struct pci_func *gpu)
{
	const struct pci_func *dsp = pci_table_parent(t, gpu), *usp = dsp ? pci_table_parent(t, dsp) : NULL;

	if (!usp || !usp->has_parent || !usp->detailed || usp->vendor != gpu->vendor)
		return NULL;
	return usp;
}

/*
 * Whether the GPU sits behind a switch of its own cannot be told: a bridge
 * above it whose place in the hierarchy, or whose vendor, could not be read.
 * Returns that bridge, or NULL.
 */
static const struct pci_func *switch_unknown(const struct pci_table *t, const struct pci_func *gpu)
{
	const struct pci_func *dsp = pci_table_parent(t, gpu), *usp = dsp ? pci_table_parent(t, dsp) : NULL;

	if (dsp && dsp->parent_unknown)
		return dsp;
	if (usp && (usp->parent_unknown || (usp->has_parent && (!usp->detailed || usp->vendor == 0xffff))))
		return usp;
	return NULL;
}

/* ffff is what no device has: a vendor that could not be read, which may be the same */
static bool maybe_same_vendor(const struct pci_func *gpu, const struct pci_func *f)
{
	return f->detailed && (f->vendor == gpu->vendor || f->vendor == 0xffff || gpu->vendor == 0xffff);
}

/*
 * A function of the GPU's card: in its slot or behind its own switch, with
 * its vendor ID. An AMD APU's slot also holds the CPU's PSP, USB and audio
 * (vendor 1022 beside the iGPU's 1002): those are the host's. A function
 * whose vendor could not be read may be part of the card; one whose place in
 * the hierarchy could not be read may be too, and maybe says whether such a
 * guess counts (it does for the host's card, which it protects).
 */
static bool is_companion(const struct pci_table *t, const struct pci_func *gpu, const struct pci_func *sw,
			 const struct pci_func *f, bool maybe)
{
	const struct pci_func *dsp;
	bool vendor = maybe_same_vendor(gpu, f);

	if (f == gpu || !vendor || pci_func_is_bridge(f))
		return false;
	if (pci_addr_same_slot(&f->addr, &gpu->addr))
		return true;
	/* Another GPU behind the same switch (a dual-GPU card) is a GPU of its own. */
	if (!sw || pci_class_is_display(f->class))
		return false;
	/* Where it sits could not be read: it may be behind the card's switch (maybe: count it). */
	if (f->parent_unknown)
		return maybe;
	dsp = pci_table_parent(t, f);
	/* its port could not be read at all: it may be the card's */
	if (!dsp)
		return f->has_parent ? maybe : false;
	/* (the same one level up: its port's place could not be read) */
	if (dsp->parent_unknown || (dsp->has_parent && !pci_table_parent(t, dsp)))
		return maybe;
	return pci_table_parent(t, dsp) == sw;
}

/*
 * For the boot VGA's card the switch need not be proven the card's own: any
 * switch above it counts (its vendor may not have been readable), so what
 * might belong to the host's card is protected. Over-inclusion keeps more
 * with the host, which is the safe side.
 */
static const struct pci_func *host_switch(const struct pci_table *t, const struct pci_func *gpu)
{
	const struct pci_func *dsp = pci_table_parent(t, gpu), *usp = dsp ? pci_table_parent(t, dsp) : NULL;

	return usp && (usp->has_parent || usp->parent_unknown) ? usp : NULL;
}

/* The boot VGA's card stays with the host unless a device entry says otherwise. */
static void find_host_cards(struct sel *s)
{
	const struct pci_table *t = s->t;

	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *gpu = &t->v[i], *sw;
		bool lost;

		if (!pci_class_is_display(gpu->class) && gpu->class != PCI_CLASS_UNKNOWN)
			continue;
		if (!maybe_boot_vga(s, gpu))
			continue;
		s->host[i] = i;
		sw = host_switch(t, gpu);
		/*
		 * Where the host's card ends cannot be told (a link above the
		 * boot VGA could not be read): any endpoint of its vendor may be
		 * on it, so each stays with the host unless a device entry says
		 * otherwise.
		 */
		lost = gpu->parent_unknown || switch_unknown(t, gpu);
		for (size_t j = 0; j < t->n; j++) {
			const struct pci_func *f = &t->v[j];

			if (s->host[j] != SIZE_MAX || f == gpu)
				continue;
			if (is_companion(t, gpu, sw, f, true) ||
			    (lost && maybe_same_vendor(gpu, f) && !pci_func_is_bridge(f) && !pci_class_is_display(f->class)))
				s->host[j] = i;
		}
	}
}

/*
 * A pinned entry's identity against the function at its address: NULL when
 * they agree, else why not ("is 144d:a808 (...), the entry expects 10de:1b81").
 */
static const char *pin_mismatch(const struct policy_entry *e, const struct pci_func *f, char *buf, size_t size)
{
	/* (a vendor that could not be read: the function is refused as unreadable) */
	if (!e->pinned || f->vendor == 0xffff)
		return NULL;
	if (f->vendor == e->pin.vendor && f->device == e->pin.device &&
	    (!e->pinned_subsystem || (f->subvendor == e->pin_subsystem.vendor && f->subdevice == e->pin_subsystem.device)))
		return NULL;
	if (f->vendor != e->pin.vendor || f->device != e->pin.device)
		snprintf(buf, size, "is %04x:%04x (%s), the entry expects %04x:%04x", f->vendor, f->device,
			 pci_class_name(f->class), e->pin.vendor, e->pin.device);
	else
		snprintf(buf, size, "has subsystem %04x:%04x, the entry expects %04x:%04x", f->subvendor, f->subdevice,
			 e->pin_subsystem.vendor, e->pin_subsystem.device);
	return buf;
}

static void select_primary(struct sel *s)
{
	const struct policy *p = s->p;
	const struct pci_table *t = s->t;
	char addr[PCI_ADDR_STRLEN];

	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *f = &t->v[i];
		const struct policy_entry *id = match_id(&p->ids, f);
		const struct policy_entry *dev = find_addr(&p->devices, &f->addr), *pf;
		bool display = pci_class_is_display(f->class);
		char why[128];

		if (dev && pin_mismatch(dev, f, why, sizeof(why))) {
			mark(s, i, S_SKIP, PLAN_KIND_NOT_PINNED, "%s %s: the address moved? nothing bound",
			     pci_addr_fmt(&f->addr, addr), why);
		} else if (dev) {
			mark(s, i, S_BIND, PLAN_KIND_SELECTED, "device entry");
			s->entry[i] = dev;
		} else if (f->has_physfn && (pf = find_addr(&p->vfs, &f->physfn))) {
			const struct pci_func *pff = pci_table_find(t, &f->physfn);

			if (pff && pin_mismatch(pf, pff, why, sizeof(why)))
				mark(s, i, S_SKIP, PLAN_KIND_NOT_PINNED, "its physical function %s %s: the address moved? nothing bound",
				     pci_addr_fmt(&pff->addr, addr), why);
			else
				mark(s, i, S_BIND, PLAN_KIND_SELECTED, "virtual function of %s (vfs)",
				     pci_addr_fmt(&f->physfn, addr));
		} else if (!id && (p->mode != POLICY_BOOT_VGA || !display)) {
			continue;
		} else if (f->boot_vga == 1) {
			mark(s, i, S_SKIP, PLAN_KIND_BOOT_VGA, id ? "boot VGA, the host's console (only a device entry takes it)" :
			     "boot VGA, the host's console");
		} else if (s->host[i] != SIZE_MAX && s->host[i] != i &&
			   !in_addr_list(&p->devices, &t->v[s->host[i]].addr)) {
			/* (a device entry naming the boot VGA takes its card: single-GPU passthrough) */
			mark(s, i, S_SKIP, PLAN_KIND_BOOT_VGA_CARD, "companion of the boot VGA %s (the host's)",
			     pci_addr_fmt(&t->v[s->host[i]].addr, addr));
		} else if (is_bmc(f)) {
			mark(s, i, S_SKIP, PLAN_KIND_BMC, "BMC display (remote console; only a device entry takes it)");
		} else if (id) {
			mark(s, i, S_BIND, PLAN_KIND_SELECTED, "id %04x:%04x", id->id.vendor, id->id.device);
		} else if (s->boot_vga_unknown != SIZE_MAX) {
			mark(s, i, S_SKIP, PLAN_KIND_NO_BOOT_VGA, "cannot read boot_vga of %s: cannot tell which GPU is the host's",
			     pci_addr_fmt(&t->v[s->boot_vga_unknown].addr, addr));
		} else if (!s->have_boot_vga) {
			mark(s, i, S_SKIP, PLAN_KIND_NO_BOOT_VGA, "no function has boot_vga = 1: cannot tell which GPU is the host's");
		} else {
			mark(s, i, S_BIND, PLAN_KIND_SELECTED, "boot_vga policy");
		}

		if (in_addr_list(&p->excludes, &f->addr))
			mark(s, i, S_SKIP, PLAN_KIND_EXCLUDED, "excluded");
	}
}

/* Returns whether it selected a function that was not selected before. */
static bool select_companions(struct sel *s)
{
	const struct pci_table *t = s->t;
	char addr[PCI_ADDR_STRLEN];
	bool changed = false;

	if (s->p->companions == COMPANIONS_NONE)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *gpu = &t->v[i], *sw;

		if (s->state[i] != S_BIND || !pci_class_is_display(gpu->class))
			continue;
		s->leader[i] = i;
		sw = card_switch(t, gpu);
		pci_addr_fmt(&gpu->addr, addr);
		for (size_t j = 0; j < t->n; j++) {
			const struct pci_func *f = &t->v[j];

			if (s->leader[j] != SIZE_MAX || !is_companion(t, gpu, sw, f, false))
				continue;
			/* (a class that could not be read may be the audio function's) */
			if (s->p->companions == COMPANIONS_AUDIO && !pci_class_is_audio(f->class) &&
			    f->class != PCI_CLASS_UNKNOWN)
				continue;
			/*
			 * A companion the host's card may claim (its place could not be
			 * read): a member of this card that stays with the host, so
			 * check_cards() holds the GPU back rather than split the card.
			 */
			if (s->state[j] == S_SKIP) {
				if (s->kind[j] == PLAN_KIND_BOOT_VGA_CARD)
					s->leader[j] = i;
				continue;
			}
			/* Selected in its own right (an id): still part of the card, which goes whole. */
			if (s->state[j] == S_BIND) {
				s->leader[j] = i;
				continue;
			}
			if (in_addr_list(&s->p->excludes, &f->addr)) {
				mark(s, j, S_SKIP, PLAN_KIND_EXCLUDED, "excluded");
				continue;
			}
			mark(s, j, S_BIND, PLAN_KIND_SELECTED, "companion of %s", addr);
			s->leader[j] = i;
			s->entry[j] = s->entry[i];
			changed = true;
		}
	}
	return changed;
}

static const char *errno_text(int err)
{
	return err == EINVAL ? "unexpected content" : strerror(err);
}

/* A function that may sit behind the GPU's own switch, but whose place could not be read; or NULL. */
static const struct pci_func *unknown_member(const struct pci_table *t, const struct pci_func *gpu)
{
	const struct pci_func *sw = card_switch(t, gpu);

	for (size_t j = 0; sw && j < t->n; j++) {
		const struct pci_func *f = &t->v[j];

		/* a companion only maybe: its place, or its port's, could not be read */
		if (!pci_addr_same_slot(&f->addr, &gpu->addr) && is_companion(t, gpu, sw, f, true) &&
		    !is_companion(t, gpu, sw, f, false))
			return f;
	}
	return NULL;
}

/* A device entry that names a bridge is a mistake in the configuration: say what was probably meant. */
static int bridge_entry(struct sel *s, size_t i)
{
	const struct pci_table *t = s->t;
	const struct pci_func *f = &t->v[i], *child = NULL, *swapped;
	const struct policy_entry *e = find_addr(&s->p->devices, &f->addr);
	struct pci_addr sw = { f->addr.domain, f->addr.dev, f->addr.bus, f->addr.fn };
	char addr[PCI_ADDR_STRLEN], hint[PCI_ADDR_STRLEN], where[256];

	for (size_t j = 0; j < t->n && !child; j++)
		if (t->v[j].has_parent && pci_addr_eq(&t->v[j].parent, &f->addr))
			child = &t->v[j];
	/* 00:01.0 typed for 01:00.0: bus and device swapped */
	swapped = sw.dev < 32 ? pci_table_find(t, &sw) : NULL;
	if (!child && swapped && !pci_func_is_bridge(swapped))
		child = swapped;
	s->plan->config_errors++;
	return note(s->plan, LOG_ERR, "device entry %s (%s) is a PCI bridge (class 0x%06x), which is never bound; %s%s%s",
		    pci_addr_fmt(&f->addr, addr), origin_fmt(&e->origin, where, sizeof(where)),
		    f->class == PCI_CLASS_UNKNOWN ? 0 : f->class,
		    child ? "did you mean " : "name the device behind it",
		    child ? pci_addr_fmt(&child->addr, hint) : "", child ? "?" : "");
}

/*
 * The driver of each selected function: its device entry's driver= (the
 * entry that named it or its GPU), else the policy's; "auto" takes the vfio
 * variant driver the table found for it (vfio_pci aliases in
 * modules.alias), else vfio-pci.
 */
static void choose_driver(const struct sel *s, size_t i, struct driver_name *d, const char **why)
{
	const struct policy_entry *e = s->entry[i];
	const struct pci_func *f = &s->t->v[i];
	bool automatic;

	if (e && e->driver.driver[0]) {
		*d = e->driver;
		*why = "driver= of its device entry";
	} else {
		snprintf(d->driver, sizeof(d->driver), "%s", s->p->driver);
		snprintf(d->module, sizeof(d->module), "%s", s->p->module);
		d->automatic = s->p->auto_driver;
		*why = "driver =";
	}
	automatic = d->automatic;
	if (!automatic)
		return;
	if (f->variant[0]) {
		snprintf(d->driver, sizeof(d->driver), "%s", f->variant);
		snprintf(d->module, sizeof(d->module), "%s", f->variant);
		*why = "driver = auto: the vfio variant driver for its modalias";
	} else {
		*why = "driver = auto: no vfio variant driver for it, so vfio-pci";
	}
}

/* Rule 4: what cannot work is refused before groups and cards are weighed. */
static int refuse_unusable(struct sel *s)
{
	const struct pci_table *t = s->t;
	const struct policy *p = s->p;
	bool iommu = t->iommu, needs;
	const struct pci_func *sw;
	char addr[PCI_ADDR_STRLEN];
	int r;

	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *f = &t->v[i];
		enum pci_attr bad = (enum pci_attr)f->bad_attr;

		struct driver_name d;
		const char *why;

		if (s->state[i] != S_BIND)
			continue;
		choose_driver(s, i, &d, &why);
		needs = driver_needs_iommu(p, d.driver);
		/* Group attributes mean nothing on a machine without groups. */
		if ((bad == PCI_ATTR_IOMMU_GROUP || bad == PCI_ATTR_GROUP_DEVICES) && !iommu)
			bad = PCI_ATTR_NONE;
		if (bad != PCI_ATTR_NONE) {
			mark(s, i, S_SKIP, PLAN_KIND_UNREADABLE, "cannot read %s: %s", pci_attr_name(bad),
			     errno_text(f->bad_errno));
		} else if (pci_class_is_display(f->class) && (sw = unknown_member(t, f))) {
			mark(s, i, S_SKIP, PLAN_KIND_UNREADABLE,
			     "cannot tell whether %s belongs to its card (its place in the hierarchy is unreadable)",
			     pci_addr_fmt(&sw->addr, addr));
		} else if (pci_class_is_display(f->class) && (sw = switch_unknown(t, f))) {
			/* which functions make up its card cannot be told: the host keeps them all */
			mark(s, i, S_SKIP, PLAN_KIND_UNREADABLE,
			     "cannot tell whether %s above it is its card's own switch (unreadable)",
			     pci_addr_fmt(&sw->addr, addr));
		} else if (pci_func_is_bridge(f)) {
			if (in_addr_list(&p->devices, &f->addr)) {
				r = bridge_entry(s, i);
				if (r < 0)
					return r;
			}
			mark(s, i, S_SKIP, PLAN_KIND_BRIDGE, "a PCI bridge: never bound (AER, hot-plug and power management)");
		} else if (f->sriov_numvfs > 0) {
			mark(s, i, S_SKIP, PLAN_KIND_SRIOV_PF,
			     "SR-IOV on, %u virtual functions: the kernel refuses vfio-pci on such a physical function",
			     f->sriov_numvfs);
		} else if (needs && !iommu) {
			mark(s, i, S_SKIP, PLAN_KIND_NO_IOMMU, "no IOMMU");
		} else if (needs && f->iommu_group == PCI_GROUP_NONE) {
			mark(s, i, S_SKIP, PLAN_KIND_NO_GROUP, "no IOMMU group: %s would refuse it", d.driver);
		}
	}
	return 0;
}

/* Why an endpoint left with the host is where it is, in the words of a blocker. */
static const char *blocker_phrase(const struct sel *s, size_t j)
{
	const struct pci_func *f = &s->t->v[j];

	if (s->state[j] == S_SKIP)
		return kind_phrases[s->kind[j]];
	if (in_addr_list(&s->p->excludes, &f->addr))
		return "excluded";
	if (maybe_boot_vga(s, f))
		return "the boot VGA";
	if (s->host[j] != SIZE_MAX)
		return "the boot VGA's card";
	if (is_bmc(f))
		return "a BMC display";
	return "not selected";
}

/*
 * An endpoint of the group that keeps it from a guest: not a bridge, not
 * bound by the plan, not on the driver already. Returns the first from
 * index `from`, or SIZE_MAX.
 */
static size_t group_blocker(const struct sel *s, int g, size_t from)
{
	for (size_t j = from; j < s->t->n; j++) {
		const struct pci_func *f = &s->t->v[j];

		if (f->iommu_group != g || pci_func_is_bridge(f) || s->state[j] == S_BIND ||
		    streq(f->driver, s->p->driver))
			continue;
		return j;
	}
	return SIZE_MAX;
}

/* A group is handed to a guest whole or not at all. Returns whether it refused any. */
static bool check_groups(struct sel *s)
{
	const struct pci_table *t = s->t;
	char addr[PCI_ADDR_STRLEN];
	bool changed = false;

	for (size_t i = 0; i < t->n; i++) {
		int g = t->v[i].iommu_group;
		size_t b;

		if (s->state[i] != S_BIND || g < 0)
			continue;
		b = group_blocker(s, g, 0);
		if (b == SIZE_MAX)
			continue;
		pci_addr_fmt(&t->v[b].addr, addr);
		for (size_t j = i; j < t->n; j++)
			if (s->state[j] == S_BIND && t->v[j].iommu_group == g)
				mark(s, j, S_SKIP, PLAN_KIND_GROUP, "IOMMU group %d also holds %s (%s)", g, addr,
				     blocker_phrase(s, b));
		changed = true;
	}
	return changed;
}

/*
 * A card goes whole or not at all: a companion whose GPU is refused would
 * take the host's HDMI audio for a guest that cannot have the GPU, and a GPU
 * whose companion cannot go leaves the card split between host and guest.
 * An excluded function is the user's own split and is no member of the
 * card. Returns whether it refused any.
 */
static bool check_cards(struct sel *s)
{
	const struct pci_table *t = s->t;
	char addr[PCI_ADDR_STRLEN];
	bool changed = false;

	for (size_t j = 0; j < t->n; j++) {
		size_t l = s->leader[j], m = SIZE_MAX;

		if (s->state[j] != S_BIND || l == SIZE_MAX)
			continue;
		if (l != j && s->state[l] != S_BIND) {
			mark(s, j, S_SKIP, PLAN_KIND_CARD, "companion of %s, which is not bound",
			     pci_addr_fmt(&t->v[l].addr, addr));
			changed = true;
			continue;
		}
		for (size_t k = 0; k < t->n && m == SIZE_MAX; k++)
			if (k != j && s->leader[k] == l && s->state[k] != S_BIND)
				m = k;
		if (m == SIZE_MAX)
			continue;
		mark(s, j, S_SKIP, PLAN_KIND_CARD, "its card's %s is not bound (%s)", pci_addr_fmt(&t->v[m].addr, addr),
		     kind_phrases[s->kind[m]]);
		changed = true;
	}
	return changed;
}

/* Returns whether it selected a function that was not selected before. */
static bool bind_groups(struct sel *s)
{
	const struct pci_table *t = s->t;
	char addr[PCI_ADDR_STRLEN];
	bool changed = false;

	for (size_t i = 0; i < t->n; i++) {
		int g = t->v[i].iommu_group;

		if (s->state[i] != S_BIND || g < 0)
			continue;
		pci_addr_fmt(&t->v[i].addr, addr);
		for (size_t j = 0; j < t->n; j++) {
			const struct pci_func *f = &t->v[j];

			/* What group = bind never takes blocks the group instead (check_groups). */
			if (f->iommu_group != g || s->state[j] != S_NONE || pci_func_is_bridge(f) ||
			    maybe_boot_vga(s, f) || s->host[j] != SIZE_MAX || is_bmc(f) ||
			    in_addr_list(&s->p->excludes, &f->addr))
				continue;
			mark(s, j, S_BIND, PLAN_KIND_SELECTED, "IOMMU group %d with %s", g, addr);
			changed = true;
		}
	}
	return changed;
}

void plan_scan_needs(const struct policy *p, struct pci_scan *ret)
{
	/* id matches can be anywhere; group = bind takes functions outside the GPUs' slots */
	bool sub = false;

	for (size_t i = 0; i < p->devices.n; i++)
		sub |= p->devices.v[i].pinned_subsystem;
	for (size_t i = 0; i < p->vfs.n; i++)
		sub |= p->vfs.v[i].pinned_subsystem;
	*ret = (struct pci_scan){
		.all = p->ids.n > 0 || p->group == GROUP_BIND,
		.extra = &p->devices,
		.pfs = &p->vfs,
		.subsystem = sub,
	};
}

static int entry_notes(struct sel *s)
{
	const struct pci_table *t = s->t;
	const struct policy *p = s->p;
	char addr[PCI_ADDR_STRLEN], where[256];
	int r = 0;

	for (size_t i = 0; r == 0 && i < p->devices.n; i++) {
		const struct pci_func *f = pci_table_find(t, &p->devices.v[i].addr);

		pci_addr_fmt(&p->devices.v[i].addr, addr);
		origin_fmt(&p->devices.v[i].origin, where, sizeof(where));
		char why[128];

		if (!f)
			r = note(s->plan, LOG_WARNING, "device entry %s (%s): no such PCI function", addr, where);
		else if (pin_mismatch(&p->devices.v[i], f, why, sizeof(why)))
			r = note(s->plan, LOG_WARNING, "device entry %s (%s): %s %s: the address moved? nothing bound there", addr,
				 where, addr, why);
		else if (f->boot_vga == 1 && !in_addr_list(&p->excludes, &f->addr))
			r = note(s->plan, LOG_WARNING,
				 "device entry %s (%s) is the boot VGA: the host console goes dark when it is bound", addr, where);
	}
	for (size_t i = 0; r == 0 && i < p->vfs.n; i++) {
		const struct pci_func *pf = pci_table_find(t, &p->vfs.v[i].addr);
		bool any = false;

		pci_addr_fmt(&p->vfs.v[i].addr, addr);
		origin_fmt(&p->vfs.v[i].origin, where, sizeof(where));
		for (size_t j = 0; j < t->n && !any; j++)
			any = t->v[j].has_physfn && pci_addr_eq(&t->v[j].physfn, &p->vfs.v[i].addr);
		if (!pf)
			r = note(s->plan, LOG_WARNING, "vfs = %s (%s): no such PCI function", addr, where);
		else if (!any)
			r = note(s->plan, LOG_NOTICE, "vfs = %s (%s): it has no virtual functions now; they are taken when they appear (vfio-binder monitor, or [sriov])",
				 addr, where);
	}
	for (size_t i = 0; r == 0 && i < p->ids.n; i++) {
		bool found = false;

		for (size_t j = 0; j < t->n && !found; j++)
			found = id_matches(&p->ids.v[i], &t->v[j]);
		if (!found)
			r = note(s->plan, LOG_WARNING, "id %04x:%04x (%s) matches no PCI function: a typo?",
				 p->ids.v[i].id.vendor, p->ids.v[i].id.device,
				 origin_fmt(&p->ids.v[i].origin, where, sizeof(where)));
	}
	if (r == 0 && p->mode == POLICY_BOOT_VGA && (s->boot_vga_unknown != SIZE_MAX || !s->have_boot_vga))
		s->plan->no_boot_vga_note = (int)s->plan->n_notes;
	if (r == 0 && p->mode == POLICY_BOOT_VGA && s->boot_vga_unknown != SIZE_MAX)
		r = note(s->plan, LOG_WARNING, "policy boot_vga: cannot read boot_vga of %s, so it cannot tell which GPU is the host's; selecting none",
			 pci_addr_fmt(&t->v[s->boot_vga_unknown].addr, addr));
	else if (r == 0 && p->mode == POLICY_BOOT_VGA && !s->have_boot_vga)
		r = note(s->plan, LOG_WARNING, "policy boot_vga: no function has boot_vga = 1, so it cannot tell which GPU is the host's; selecting none");
	return r;
}

static int build_groups(const struct sel *s, struct plan *plan)
{
	const struct pci_table *t = s->t;
	size_t nb = 0;

	for (size_t i = 0; i < t->n; i++) {
		int g = t->v[i].iommu_group;
		bool seen = false;

		if (g < 0 || (s->state[i] != S_BIND && !(s->state[i] == S_SKIP && s->kind[i] == PLAN_KIND_GROUP)))
			continue;
		for (size_t k = 0; k < plan->n_groups && !seen; k++)
			seen = plan->groups[k].group == g;
		if (seen)
			continue;
		{
			struct plan_group *v = reallocarray(plan->groups, plan->n_groups + 1, sizeof(*v));

			if (!v)
				return -ENOMEM;
			plan->groups = v;
			v[plan->n_groups++] = (struct plan_group){ .group = g, .first = nb };
		}
		for (size_t b = group_blocker(s, g, 0); b != SIZE_MAX; b = group_blocker(s, g, b + 1)) {
			size_t *v = reallocarray(plan->blockers, nb + 1, sizeof(*v));

			if (!v)
				return -ENOMEM;
			plan->blockers = v;
			v[nb++] = b;
			plan->groups[plan->n_groups - 1].n++;
		}
	}
	/* In group order, for list and doctor. */
	for (size_t i = 1; i < plan->n_groups; i++)
		for (size_t k = i; k > 0 && plan->groups[k - 1].group > plan->groups[k].group; k--) {
			struct plan_group tmp = plan->groups[k];

			plan->groups[k] = plan->groups[k - 1];
			plan->groups[k - 1] = tmp;
		}
	return 0;
}

int plan_build(const struct pci_table *t, const struct policy *p, struct plan *ret)
{
	_cleanup_free_ enum state *state = NULL;
	_cleanup_free_ enum plan_kind *kind = NULL;
	_cleanup_free_ char (*reason)[160] = NULL;
	_cleanup_free_ size_t *leader = NULL, *host = NULL;
	_cleanup_free_ const struct policy_entry **entry = NULL;
	struct plan plan = { .policy = p, .no_boot_vga_note = -1 };
	struct sel s;
	int r;

	*ret = plan;
	if (p->mode == POLICY_OFF)
		return note(ret, LOG_NOTICE, p->kill_switch ?
			    "policy off: kill switch vfio_binder=off on the kernel command line; nothing is bound and no driver is loaded" :
			    "policy off: nothing is bound and no driver is loaded");
	if (policy_is_empty(p))
		return note(ret, LOG_NOTICE,
			    "nothing to do: no device, id or policy = boot_vga in %s and no vfio_binder.* parameters",
			    p->config_file ? p->config_file : "the configuration");

	state = calloc(t->n + 1, sizeof(*state));
	kind = calloc(t->n + 1, sizeof(*kind));
	reason = calloc(t->n + 1, sizeof(*reason));
	leader = reallocarray(NULL, t->n + 1, sizeof(*leader));
	host = reallocarray(NULL, t->n + 1, sizeof(*host));
	entry = calloc(t->n + 1, sizeof(*entry));
	if (!state || !kind || !reason || !leader || !host || !entry)
		return -ENOMEM;
	for (size_t i = 0; i <= t->n; i++)
		leader[i] = host[i] = SIZE_MAX;
	s = (struct sel){ t, p, state, kind, reason, leader, host, entry, &plan, .boot_vga_unknown = SIZE_MAX };

	for (size_t i = 0; i < t->n; i++) {
		s.have_boot_vga |= t->v[i].boot_vga == 1;
		if (t->v[i].boot_vga == PCI_BOOT_VGA_UNKNOWN && s.boot_vga_unknown == SIZE_MAX)
			s.boot_vga_unknown = i;
	}
	find_host_cards(&s);
	r = entry_notes(&s);
	if (r < 0)
		goto fail;

	select_primary(&s);
	/* A GPU that group = bind takes brings its card, which may bring another group: until nothing changes. */
	for (;;) {
		bool more = select_companions(&s);

		if (p->group == GROUP_BIND && t->iommu)
			more |= bind_groups(&s);
		if (!more)
			break;
	}
	r = refuse_unusable(&s);
	if (r < 0)
		goto fail;
	if (policy_needs_iommu(p) && !t->iommu) {
		bool any = false;

		for (size_t i = 0; i < t->n; i++)
			any |= kind[i] == PLAN_KIND_NO_IOMMU;
		if (any) {
			r = note(&plan, LOG_ERR,
				 "no IOMMU: kernel/iommu_groups is empty and %s cannot bind without one; nothing selected. "
				 "Enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel), "
				 "or use driver = pci-stub with require_iommu = no", p->driver);
			if (r < 0)
				goto fail;
		}
	}
	/* Each refusal can leave another group or card incomplete: until nothing changes. */
	for (;;) {
		bool changed = p->group != GROUP_IGNORE && check_groups(&s);

		if (!check_cards(&s) && !changed)
			break;
	}

	for (size_t i = 0; i < t->n; i++) {
		struct plan_entry *v;

		if (state[i] == S_NONE)
			continue;
		v = reallocarray(plan.v, plan.n + 1, sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			goto fail;
		}
		plan.v = v;
		v[plan.n] = (struct plan_entry){
			.func = i,
			.action = state[i] == S_BIND ? PLAN_BIND : PLAN_SKIP,
			.kind = kind[i],
			.leader = leader[i],
			/* reset_method= is the named function's own */
			.reset = entry[i] && pci_addr_eq(&entry[i]->addr, &t->v[i].addr) ? entry[i]->reset : RESET_UNSET,
		};
		choose_driver(&s, i, &v[plan.n].driver, &v[plan.n].driver_why);
		memcpy(v[plan.n].reason, reason[i], sizeof(v->reason));
		plan.n_bind += state[i] == S_BIND;
		plan.n++;
	}
	r = build_groups(&s, &plan);
	if (r < 0)
		goto fail;
	*ret = plan;
	return 0;
fail:
	plan_free(&plan);
	return r < 0 ? r : -ENOMEM;
}

char *plan_modules(const struct plan *plan)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	const char *sep = "";

	if (!f)
		return NULL;
	if (plan->policy->preload) {
		fputs(plan->policy->preload, f);
		sep = " ";
	}
	/* The configured driver whatever the plan: the command line alone may select devices at boot. */
	fprintf(f, "%s%s", sep, plan->policy->module);
	for (size_t i = 0; i < plan->n; i++) {
		const char *m = plan->v[i].driver.module;
		bool seen = streq(m, plan->policy->module);

		if (plan->v[i].action != PLAN_BIND)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = plan->v[j].action == PLAN_BIND && streq(plan->v[j].driver.module, m);
		if (seen)
			continue;
		fprintf(f, " %s", m);
	}
	fclose(f);
	if (out && !*out) {
		free(out);
		return NULL;
	}
	return out;
}

static int cmp_entry(const void *key, const void *elem)
{
	size_t f = *(const size_t *)key, g = ((const struct plan_entry *)elem)->func;

	return (f > g) - (f < g);
}

const struct plan_entry *plan_find(const struct plan *plan, size_t func)
{
	if (!plan->n)
		return NULL;
	return bsearch(&func, plan->v, plan->n, sizeof(*plan->v), cmp_entry);
}

const struct plan_group *plan_find_group(const struct plan *plan, int g)
{
	for (size_t i = 0; i < plan->n_groups; i++)
		if (plan->groups[i].group == g)
			return &plan->groups[i];
	return NULL;
}

void plan_free(struct plan *plan)
{
	free(plan->v);
	free(plan->notes);
	free(plan->groups);
	free(plan->blockers);
	*plan = (struct plan){ .no_boot_vga_note = -1 };
}
