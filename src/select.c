// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which functions go to the driver, and why. The rules, in order:
 *  1. device entries, id matches, and under policy boot_vga every display
 *     function except the boot VGA;
 *  2. the boot VGA is taken only by a device entry;
 *  3. companions of a selected GPU follow it;
 *  4. without an IOMMU nothing can be bound (unless the driver needs none);
 *  5. an IOMMU group is usable by a guest only whole: group = check refuses
 *     a group with an endpoint left behind, group = bind takes them all;
 *  exclude wins over all of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
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
	char (*reason)[128];
	size_t *leader;		/* the GPU a companion follows, or SIZE_MAX */
	struct plan *plan;
};

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

_printf_(4, 5) static void mark(struct sel *s, size_t i, enum state st, const char *fmt, ...)
{
	va_list ap;

	s->state[i] = st;
	va_start(ap, fmt);
	vsnprintf(s->reason[i], sizeof(s->reason[i]), fmt, ap);
	va_end(ap);
}

static bool in_addr_list(const struct entry_list *l, const struct pci_addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (pci_addr_eq(&l->v[i].addr, a))
			return true;
	return false;
}

static const struct policy_entry *match_id(const struct entry_list *l, const struct pci_func *f)
{
	if (!f->detailed)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id.vendor == f->vendor && l->v[i].id.device == f->device)
			return &l->v[i];
	return NULL;
}

static void select_primary(struct sel *s, bool have_boot_vga)
{
	const struct policy *p = s->p;

	for (size_t i = 0; i < s->t->n; i++) {
		const struct pci_func *f = &s->t->v[i];
		const struct policy_entry *id = match_id(&p->ids, f);
		bool boot = f->boot_vga == 1;

		if (in_addr_list(&p->devices, &f->addr))
			mark(s, i, S_BIND, "device entry");
		else if (id && boot)
			mark(s, i, S_SKIP, "boot VGA, the host's console (only a device entry takes it)");
		else if (id)
			mark(s, i, S_BIND, "id %04x:%04x", id->id.vendor, id->id.device);
		else if (p->mode != POLICY_BOOT_VGA || !pci_class_is_display(f->class))
			continue;
		else if (boot)
			mark(s, i, S_SKIP, "boot VGA, the host's console");
		else if (!have_boot_vga)
			mark(s, i, S_SKIP, "no function has boot_vga = 1: cannot tell which GPU is the host's");
		else
			mark(s, i, S_BIND, "boot_vga policy");

		if (in_addr_list(&p->excludes, &f->addr))
			mark(s, i, S_SKIP, "excluded");
	}
}

static int select_companions(struct sel *s)
{
	char addr[PCI_ADDR_STRLEN];

	if (s->p->companions == COMPANIONS_NONE)
		return 0;
	for (size_t i = 0; i < s->t->n; i++) {
		const struct pci_func *gpu = &s->t->v[i];

		if (s->state[i] != S_BIND || !pci_class_is_display(gpu->class))
			continue;
		pci_addr_fmt(&gpu->addr, addr);
		for (size_t j = 0; j < s->t->n; j++) {
			const struct pci_func *f = &s->t->v[j];

			if (j == i || s->state[j] != S_NONE || !pci_addr_same_slot(&f->addr, &gpu->addr))
				continue;
			if (s->p->companions == COMPANIONS_AUDIO && !pci_class_is_audio(f->class))
				continue;
			if (in_addr_list(&s->p->excludes, &f->addr)) {
				mark(s, j, S_SKIP, "excluded");
			} else {
				mark(s, j, S_BIND, "companion of %s", addr);
				s->leader[j] = i;
			}
		}
	}
	return 0;
}

/* An endpoint of the group that keeps it from a guest, or SIZE_MAX. */
static size_t group_blocker(struct sel *s, int g, const char **why)
{
	for (size_t j = 0; j < s->t->n; j++) {
		const struct pci_func *f = &s->t->v[j];

		if (f->iommu_group != g || pci_class_is_bridge(f->class) || s->state[j] == S_BIND)
			continue;
		*why = in_addr_list(&s->p->excludes, &f->addr) ? "excluded" :
		       f->boot_vga == 1 ? "the boot VGA" : "not selected";
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
		const char *why = NULL;
		size_t b;

		if (s->state[i] != S_BIND || g < 0)
			continue;
		b = group_blocker(s, g, &why);
		if (b == SIZE_MAX)
			continue;
		pci_addr_fmt(&t->v[b].addr, addr);
		for (size_t j = i; j < t->n; j++)
			if (s->state[j] == S_BIND && t->v[j].iommu_group == g)
				mark(s, j, S_SKIP, "IOMMU group %d also holds %s (%s)", g, addr, why);
		changed = true;
	}
	return changed;
}

/*
 * A companion follows its GPU: when the GPU is refused (its IOMMU group
 * holds an endpoint left behind), a companion in another group would
 * otherwise go to the driver alone, taking the host's HDMI audio for
 * nothing. Returns whether it refused any.
 */
static bool drop_orphans(struct sel *s)
{
	char addr[PCI_ADDR_STRLEN];
	bool changed = false;

	for (size_t j = 0; j < s->t->n; j++) {
		size_t l = s->leader[j];

		if (s->state[j] != S_BIND || l == SIZE_MAX || s->state[l] == S_BIND)
			continue;
		mark(s, j, S_SKIP, "companion of %s, which is not bound", pci_addr_fmt(&s->t->v[l].addr, addr));
		changed = true;
	}
	return changed;
}

static void select_groups(struct sel *s)
{
	const struct pci_table *t = s->t;

	if (s->p->group == GROUP_BIND) {
		char addr[PCI_ADDR_STRLEN];

		for (size_t i = 0; i < t->n; i++) {
			int g = t->v[i].iommu_group;

			if (s->state[i] != S_BIND || g < 0)
				continue;
			pci_addr_fmt(&t->v[i].addr, addr);
			for (size_t j = 0; j < t->n; j++) {
				const struct pci_func *f = &t->v[j];

				if (f->iommu_group != g || s->state[j] != S_NONE || pci_class_is_bridge(f->class) ||
				    f->boot_vga == 1 || in_addr_list(&s->p->excludes, &f->addr))
					continue;
				mark(s, j, S_BIND, "IOMMU group %d with %s", g, addr);
			}
		}
	}
	/* Each refusal can leave another group or companion incomplete: until nothing changes. */
	for (;;) {
		bool refused = check_groups(s);

		if (!drop_orphans(s) && !refused)
			break;
	}
}

void plan_scan_needs(const struct policy *p, struct pci_scan *ret)
{
	/* id matches can be anywhere; group = bind takes functions outside the GPUs' slots */
	*ret = (struct pci_scan){
		.all = p->ids.n > 0 || p->group == GROUP_BIND,
		.extra = &p->devices,
	};
}

int plan_build(const struct pci_table *t, const struct policy *p, struct plan *ret)
{
	_cleanup_free_ enum state *state = NULL;
	_cleanup_free_ char (*reason)[128] = NULL;
	_cleanup_free_ size_t *leader = NULL;
	struct plan plan = { .policy = p };
	struct sel s;
	bool have_boot_vga = false;
	char addr[PCI_ADDR_STRLEN], where[256];
	int r = 0;

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
	reason = calloc(t->n + 1, sizeof(*reason));
	leader = reallocarray(NULL, t->n + 1, sizeof(*leader));
	if (!state || !reason || !leader)
		return -ENOMEM;
	for (size_t i = 0; i <= t->n; i++)
		leader[i] = SIZE_MAX;
	s = (struct sel){ t, p, state, reason, leader, &plan };

	for (size_t i = 0; i < t->n; i++)
		have_boot_vga |= t->v[i].boot_vga == 1;

	for (size_t i = 0; i < p->devices.n; i++) {
		const struct pci_func *f = pci_table_find(t, &p->devices.v[i].addr);

		pci_addr_fmt(&p->devices.v[i].addr, addr);
		origin_fmt(&p->devices.v[i].origin, where, sizeof(where));
		if (!f)
			r = note(&plan, LOG_WARNING, "device entry %s (%s): no such PCI function", addr, where);
		else if (f->boot_vga == 1 && !in_addr_list(&p->excludes, &f->addr))
			r = note(&plan, LOG_WARNING,
				 "device entry %s (%s) is the boot VGA: the host console goes dark when it is bound", addr, where);
		if (r < 0)
			goto fail;
	}
	if (p->mode == POLICY_BOOT_VGA && !have_boot_vga)
		r = note(&plan, LOG_WARNING, "policy boot_vga: no function has boot_vga = 1, so it cannot tell which GPU is the host's; selecting none");
	if (r < 0)
		goto fail;

	select_primary(&s, have_boot_vga);
	select_companions(&s);

	if (policy_needs_iommu(p) && !t->iommu) {
		bool any = false;

		for (size_t i = 0; i < t->n; i++)
			if (state[i] == S_BIND) {
				mark(&s, i, S_SKIP, "no IOMMU");
				any = true;
			}
		if (any) {
			r = note(&plan, LOG_ERR,
				 "no IOMMU: kernel/iommu_groups is empty and %s cannot bind without one; nothing selected. "
				 "Enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel), "
				 "or use driver = pci-stub with require_iommu = no", p->driver);
			if (r < 0)
				goto fail;
		}
	} else if (p->group != GROUP_IGNORE) {
		select_groups(&s);
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
		v[plan.n].func = i;
		v[plan.n].action = state[i] == S_BIND ? PLAN_BIND : PLAN_SKIP;
		memcpy(v[plan.n].reason, reason[i], sizeof(v->reason));
		plan.n_bind += state[i] == S_BIND;
		plan.n++;
	}
	*ret = plan;
	return 0;
fail:
	plan_free(&plan);
	return r < 0 ? r : -ENOMEM;
}

void plan_free(struct plan *plan)
{
	free(plan->v);
	free(plan->notes);
	*plan = (struct plan){ 0 };
}
