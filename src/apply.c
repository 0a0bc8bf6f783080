// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The half that changes the machine. The plan is complete before the first
 * write; the only files ever written are, below the sysfs root,
 * bus/pci/devices/<address>/driver_override, .../driver/unbind and
 * bus/pci/drivers_probe, for addresses that came out of the table (so they
 * were validated and exist).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "log.h"
#include "macro.h"

enum fstate {
	F_TODO,		/* override to be written */
	F_WRITTEN,	/* override written (or already there); waits for the driver */
	F_ALREADY,	/* already on the driver */
	F_FAILED,	/* reported; not on the driver */
	F_NOT_OURS,	/* refused by the plan, or outside the slot being handled */
};

static int do_write(const struct sysfs *s, const struct apply_opts *o, const char *rel, const char *val, bool append)
{
	if (o->dry_run) {
		fprintf(o->out, "would write \"%s\" to %s/%s\n", val, s->path, rel);
		return 0;
	}
	return sysfs_write(s, rel, val, append);
}

/* What rules a function out before anything is written, as the kernel shows it now. */
static enum fstate check_function(const struct policy *p, const struct pci_func *f, const char *addr)
{
	if (streq(f->driver, p->driver))
		return F_ALREADY;
	if (f->driver[0] && !p->unbind) {
		log_warning("%s [%04x:%04x]: bound to %s, not taken: set unbind = yes in [binder] of the configuration "
			    "(or vfio_binder.unbind=1) to take it from its driver", addr, f->vendor, f->device, f->driver);
		return F_FAILED;
	}
	if (!f->has_override) {
		log_error("%s [%04x:%04x]: no driver_override attribute (kernel older than 3.16?); skipped",
			  addr, f->vendor, f->device);
		return F_FAILED;
	}
	return F_TODO;
}

/*
 * A function that cannot be taken takes its companions and, unless
 * group = ignore, its IOMMU group with it, as the plan's own rules would
 * have: otherwise the host loses the GPU's HDMI audio, or a whole group,
 * for a guest that cannot have them.
 */
static void refuse_followers(const struct pci_table *t, const struct plan *plan, const struct policy *p,
			     enum fstate *st)
{
	char addr[PCI_ADDR_STRLEN], other[PCI_ADDR_STRLEN];
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < plan->n; i++) {
			const struct pci_func *f = &t->v[plan->v[i].func];

			for (size_t j = 0; st[i] == F_TODO && j < plan->n; j++) {
				const struct pci_func *g = &t->v[plan->v[j].func];
				bool group = p->group != GROUP_IGNORE && f->iommu_group >= 0 &&
					     f->iommu_group == g->iommu_group;
				bool gpu = pci_addr_same_slot(&f->addr, &g->addr) && pci_class_is_display(g->class) &&
					   !pci_class_is_display(f->class);

				if (st[j] != F_FAILED || (!group && !gpu))
					continue;
				pci_addr_fmt(&f->addr, addr);
				pci_addr_fmt(&g->addr, other);
				if (group)
					log_warning("%s [%04x:%04x]: not taken: %s of its IOMMU group %d is not taken either",
						    addr, f->vendor, f->device, other, f->iommu_group);
				else
					log_warning("%s [%04x:%04x]: not taken: its GPU %s is not taken either", addr,
						    f->vendor, f->device, other);
				st[i] = F_FAILED;
				changed = true;
			}
		}
	}
}

static enum fstate take_function(const struct sysfs *s, const struct apply_opts *o, const struct policy *p,
			 const struct pci_func *f, const char *addr)
{
	char path[96];
	int r;

	if (!streq(f->override, p->driver) || f->driver[0]) {
		snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
		r = do_write(s, o, path, p->driver, false);
		if (r < 0) {
			log_error("%s [%04x:%04x]: cannot write '%s' to driver_override: %s; skipped",
				  addr, f->vendor, f->device, p->driver, strerror(-r));
			return F_FAILED;
		}
	}
	if (f->driver[0]) {
		/* The override is in place first, so the device cannot fall back to its old driver. */
		snprintf(path, sizeof(path), "bus/pci/devices/%s/driver/unbind", addr);
		r = do_write(s, o, path, addr, true);
		if (r < 0) {
			log_error("%s [%04x:%04x]: cannot unbind it from %s: %s", addr, f->vendor, f->device,
				  f->driver, strerror(-r));
			return F_FAILED;
		}
		if (!o->dry_run)
			log_info("%s [%04x:%04x]: unbound from %s", addr, f->vendor, f->device, f->driver);
	}
	return F_WRITTEN;
}

int apply_plan(const struct sysfs *s, struct pci_table *t, const struct plan *plan, const struct apply_opts *o)
{
	const struct policy *p = plan->policy;
	_cleanup_free_ enum fstate *st = calloc(plan->n + 1, sizeof(*st));
	char addr[PCI_ADDR_STRLEN], drv[DRIVER_NAME_MAX];
	size_t written = 0;
	int failed = 0, r;
	bool loaded = false;

	if (!st)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];

		st[i] = F_NOT_OURS;
		if (o->slot && !pci_addr_same_slot(o->slot, &f->addr))
			continue;
		/* A refused function is news in dmesg too: "why is my GPU not on vfio-pci?" */
		if (plan->v[i].action != PLAN_BIND) {
			if (!o->dry_run)
				log_notice("%s [%04x:%04x]: skipped: %s", pci_addr_fmt(&f->addr, addr), f->vendor,
					   f->device, plan->v[i].reason);
			continue;
		}
		if (!f->detailed)
			pci_func_load_details(s, f);
		st[i] = check_function(p, f, pci_addr_fmt(&f->addr, addr));
	}
	/* Everything refused is known before the first write. */
	refuse_followers(t, plan, p, st);
	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];

		if (st[i] != F_TODO)
			continue;
		st[i] = take_function(s, o, p, f, pci_addr_fmt(&f->addr, addr));
		written += st[i] == F_WRITTEN;
	}

	if (written && o->load) {
		if (o->dry_run) {
			fprintf(o->out, "would load module %s%s%s, install commands ignored\n", p->driver,
				p->options ? " with " : "", p->options ? p->options : "");
		} else {
			/* modprobe -i: an "install vfio-pci vfio-binder bind" line must not recurse */
			r = o->load_fn(o->load_data, p->driver, p->options, MODLOAD_IGNORE_INSTALL);
			if (r < 0) {
				log_error("%s was not loaded (%s): the overrides written stay, and a later 'modprobe %s' binds them",
					  p->driver, strerror(-r), p->driver);
				failed++;
			}
			/* > 0: nothing loaded, because the tree is not the running kernel's */
			loaded = r == 0;
		}
		/* A loaded or built-in driver does not look at devices again by itself. */
		for (size_t i = 0; i < plan->n; i++) {
			const struct pci_func *f = &t->v[plan->v[i].func];

			if (st[i] != F_WRITTEN)
				continue;
			pci_addr_fmt(&f->addr, addr);
			if (!o->dry_run && pci_func_read_driver(s, &f->addr, drv, sizeof(drv)) == 0 && drv[0])
				continue;
			r = do_write(s, o, "bus/pci/drivers_probe", addr, true);
			if (r < 0 && r != -ENODEV && r != -EINVAL)
				log_warning("%s: probe request failed: %s", addr, strerror(-r));
		}
	}
	if (o->dry_run)
		return 0;

	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];
		const char *reason = plan->v[i].reason;

		if (st[i] == F_NOT_OURS)
			continue;
		pci_addr_fmt(&f->addr, addr);
		drv[0] = '\0';
		if (st[i] == F_FAILED) {
			failed++;
			continue;
		}
		r = pci_func_read_driver(s, &f->addr, drv, sizeof(drv));
		if (r == 0 && streq(drv, p->driver)) {
			log_info("%s [%04x:%04x] -> %s (%s)", addr, f->vendor, f->device, p->driver, reason);
		} else if (r == 0 && !drv[0] && !loaded) {
			char path[96], ov[DRIVER_NAME_MAX];

			/* Nothing was loaded, so the override is all there is to check. */
			snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
			if (sysfs_read(s, path, ov, sizeof(ov)) >= 0 && streq(ov, p->driver)) {
				log_info("%s [%04x:%04x] -> %s (%s; override set, driver not loaded)", addr, f->vendor,
					 f->device, p->driver, reason);
			} else {
				log_error("%s [%04x:%04x]: driver_override does not read back as %s", addr, f->vendor,
					  f->device, p->driver);
				failed++;
			}
		} else if (r < 0) {
			log_error("%s [%04x:%04x]: not on %s, its driver link is unreadable: %s (%s)", addr, f->vendor,
				  f->device, p->driver, strerror(-r), reason);
			failed++;
		} else if (drv[0]) {
			log_error("%s [%04x:%04x]: not on %s, the kernel shows driver %s (%s)", addr, f->vendor, f->device,
				  p->driver, drv, reason);
			failed++;
		} else {
			log_error("%s [%04x:%04x]: not on %s, the kernel shows no driver (%s; see dmesg for why the driver refused it)",
				  addr, f->vendor, f->device, p->driver, reason);
			failed++;
		}
		if (r == 0)
			pci_func_set_driver(f, drv);
	}
	return failed;
}

int bind_pass(const struct sysfs *s, const struct policy *p, const struct apply_opts *o)
{
	struct pci_table t;
	struct plan plan;
	struct pci_scan scan;
	int r;

	/* The kill switch and an empty policy need no look at the devices: the boot path stays short. */
	if (p->mode == POLICY_OFF || policy_is_empty(p)) {
		t = (struct pci_table){ 0 };
		r = plan_build(&t, p, &plan);
		for (size_t i = 0; r == 0 && i < plan.n_notes; i++)
			log_full(plan.notes[i].prio, "%s", plan.notes[i].text);
		plan_free(&plan);
		return r;
	}
	plan_scan_needs(p, &scan);
	r = pci_table_load(s, &scan, &t);
	if (r < 0) {
		log_error("cannot list %s/bus/pci/devices: %s", s->path, strerror(-r));
		return r;
	}
	r = plan_build(&t, p, &plan);
	if (r < 0) {
		log_error("cannot build the plan: %s", strerror(-r));
		pci_table_free(&t);
		return r;
	}
	/* A device that appears later needs no repeat of the machine-wide notes. */
	for (size_t i = 0; !o->slot && i < plan.n_notes; i++)
		log_full(plan.notes[i].prio, "%s", plan.notes[i].text);
	r = apply_plan(s, &t, &plan, o);
	plan_free(&plan);
	pci_table_free(&t);
	return r;
}
