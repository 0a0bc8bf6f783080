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
#include <syslog.h>
#include <time.h>

#include "apply.h"
#include "log.h"
#include "macro.h"
#include "sriov.h"
#include "variant.h"

enum fstate {
	F_TODO,		/* override to be written */
	F_WRITTEN,	/* override written (or already there); waits for the driver */
	F_ALREADY,	/* already on the driver */
	F_FAILED,	/* cannot be taken; reported, not on the driver */
	F_SPLIT,	/* on the driver, but its card or group cannot follow: given back */
	F_NOT_OURS,	/* refused by the plan */
	F_RELEASED,	/* given back by release at runtime: left alone */
};

struct fn {
	enum fstate st;
	bool ok;	/* ended where the plan wants it */
	bool write_failed;	/* its override write or unbind failed: its card and group must not go on */
	bool wrote_override;	/* this pass wrote its driver_override */
	int prio;
	char why[192];	/* why it is F_FAILED or F_SPLIT */
};

_printf_(3, 4) static void set_failed(struct fn *x, int prio, const char *fmt, ...)
{
	va_list ap;

	x->st = F_FAILED;
	x->prio = prio;
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
}

/* The driver plan entry i goes to: its own (driver= of a device entry, a variant under auto) or the policy's. */
static const char *drv_of(const struct plan *plan, size_t i)
{
	return plan->v[i].driver.driver[0] ? plan->v[i].driver.driver : plan->policy->driver;
}

static int do_write(const struct sysfs *s, const struct apply_opts *o, const char *rel, const char *val, bool append)
{
	if (o->dry_run) {
		fprintf(o->out, "would write \"%s\" to %s/%s\n", val, s->path, rel);
		return 0;
	}
	return sysfs_write(s, rel, val, append);
}

/* What rules a function out before anything is written, as the kernel shows it now. */
static void judge(const struct policy *p, const char *driver, const struct pci_func *f, struct fn *x)
{
	x->st = F_TODO;
	if (streq(f->driver, driver))
		x->st = F_ALREADY;
	else if (f->driver[0] && !p->unbind)
		set_failed(x, LOG_WARNING, "bound to %s, not taken: set unbind = yes in [binder] of the configuration "
			   "(or vfio_binder.unbind=1) to take it from its driver", f->driver);
	else if (!f->has_override)
		set_failed(x, LOG_ERR, "no driver_override attribute (kernel older than 3.16?); skipped");
}

/* Two planned functions that go together: the same card, or (unless group = ignore) the same IOMMU group. */
static bool together(const struct pci_table *t, const struct plan *plan, const struct policy *p, size_t i, size_t j,
		     bool *group)
{
	const struct plan_entry *a = &plan->v[i], *b = &plan->v[j];
	const struct pci_func *f = &t->v[a->func], *g = &t->v[b->func];

	*group = p->group != GROUP_IGNORE && f->iommu_group >= 0 && f->iommu_group == g->iommu_group;
	return *group || (a->leader != SIZE_MAX && a->leader == b->leader);
}

/*
 * A function that cannot be taken takes its card and, unless group =
 * ignore, its IOMMU group with it, as the plan's own rules would have:
 * otherwise the host loses the GPU's HDMI audio, or a whole group, for a
 * guest that cannot have them. One already on the driver is given back
 * when the caller asks for it (the monitor).
 */
static void refuse_followers(const struct pci_table *t, const struct plan *plan, const struct apply_opts *o,
			     struct fn *x)
{
	const struct policy *p = plan->policy;
	char other[PCI_ADDR_STRLEN];
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < plan->n; i++) {
			for (size_t j = 0; j < plan->n; j++) {
				const struct pci_func *g = &t->v[plan->v[j].func];
				const char *what;
				bool group;

				/* (ours: an override this binder wrote, maybe on a pass before this one) */
				bool ours = o->give_back && streq(t->v[plan->v[i].func].override, drv_of(plan, i));

				if (!(x[i].st == F_TODO || (ours && x[i].st == F_ALREADY)))
					break;
				if (i == j || x[j].st != F_FAILED || !together(t, plan, p, i, j, &group))
					continue;
				pci_addr_fmt(&g->addr, other);
				what = plan->v[j].func == plan->v[i].leader ? "its GPU" : "its card's";
				/* on the driver, or only our override so far (its driver not probed yet): back */
				if (x[i].st == F_ALREADY || ours) {
					x[i].st = F_SPLIT;
					if (group)
						snprintf(x[i].why, sizeof(x[i].why), "%s of its IOMMU group %d is not taken",
							 other, g->iommu_group);
					else
						snprintf(x[i].why, sizeof(x[i].why), "%s %s is not taken", what, other);
				} else if (group) {
					set_failed(&x[i], LOG_WARNING, "not taken: %s of its IOMMU group %d is not taken either",
						   other, g->iommu_group);
				} else {
					set_failed(&x[i], LOG_WARNING, "not taken: %s %s is not taken either", what, other);
				}
				changed = true;
			}
		}
	}
}

static enum fstate take_function(const struct sysfs *s, const struct apply_opts *o, const struct plan_entry *e,
				 const char *driver, const struct pci_func *f, const char *addr, bool *wrote)
{
	char path[96];
	int r;

	/*
	 * The reset method first: vfio-pci reads it when it takes the device
	 * (kernel 5.15 and later). A failure costs the guest a good reset, not
	 * the host anything: say so and go on.
	 */
	if (e->reset != RESET_UNSET) {
		snprintf(path, sizeof(path), "bus/pci/devices/%s/reset_method", addr);
		r = do_write(s, o, path, reset_method_str(e->reset), false);
		if (r < 0)
			log_warning("%s [%04x:%04x]: cannot set reset_method to %s: %s (the methods it offers: cat /sys/%s); "
				    "binding it anyway", addr, f->vendor, f->device, reset_method_str(e->reset), strerror(-r),
				    path);
		else if (!o->dry_run)
			log_info("%s [%04x:%04x]: reset_method %s", addr, f->vendor, f->device, reset_method_str(e->reset));
	}
	if (!streq(f->override, driver) || f->driver[0]) {
		snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
		r = do_write(s, o, path, driver, false);
		if (r < 0) {
			log_error("%s [%04x:%04x]: cannot write '%s' to driver_override: %s; skipped",
				  addr, f->vendor, f->device, driver, strerror(-r));
			return F_FAILED;
		}
		*wrote = true;
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

int apply_give_back(const struct sysfs *s, const struct apply_opts *o, struct pci_func *f, const char *driver)
{
	char addr[PCI_ADDR_STRLEN], path[96], drv[DRIVER_NAME_MAX];
	int r;

	pci_addr_fmt(&f->addr, addr);
	/* An empty line clears it: the kernel strips the newline and stores nothing. */
	snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
	r = do_write(s, o, path, "", false);
	if (r < 0)
		return r;
	pci_func_set_override(f, "");
	if (!o->dry_run && pci_func_read_driver(s, &f->addr, drv, sizeof(drv)) == 0)
		pci_func_set_driver(f, drv);
	if (streq(f->driver, driver)) {
		snprintf(path, sizeof(path), "bus/pci/devices/%s/driver/unbind", addr);
		r = do_write(s, o, path, addr, true);
		if (r < 0)
			return r;
		pci_func_set_driver(f, "");
	}
	if (f->driver[0])
		return 0;
	r = do_write(s, o, "bus/pci/drivers_probe", addr, true);
	/* ENODEV/EINVAL: no driver wants it; it stays unbound, which is the host's too. */
	return r == -ENODEV || r == -EINVAL ? 0 : r;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Where the function is now. An empty driver link may be a probe the kernel
 * has not finished: wait up to settle_ms for it. Under unbind = yes a native
 * driver that bound between the look and the override write (the uevent
 * raced us) is unbound again, twice at most.
 */
static int read_back(const struct sysfs *s, const struct apply_opts *o, const struct policy *p, const char *driver,
		     const struct pci_func *f, const char *addr, char *drv, size_t size)
{
	unsigned waited = 0, retries = 0;
	int r;

	for (;;) {
		char path[96];

		r = pci_func_read_driver(s, &f->addr, drv, size);
		if (r < 0 || streq(drv, driver))
			return r;
		/* Only a kernel binds meanwhile: settle_ms is 0 on a fake tree. */
		if (drv[0] && p->unbind && retries < 2 && o->settle_ms) {
			log_info("%s [%04x:%04x]: %s bound it meanwhile; unbinding again", addr, f->vendor, f->device, drv);
			retries++;
			snprintf(path, sizeof(path), "bus/pci/devices/%s/driver/unbind", addr);
			if (sysfs_write(s, path, addr, true) < 0 || sysfs_write(s, "bus/pci/drivers_probe", addr, true) < 0)
				return 0;
			continue;
		}
		if (drv[0] || waited >= o->settle_ms)
			return 0;
		sleep_ms(20);
		waited += 20;
	}
}

static bool in_scope(const struct apply_opts *o, const struct pci_func *f)
{
	return !o->slot || pci_addr_same_slot(o->slot, &f->addr);
}

/*
 * Between the overrides and the probe: under unbind = no, a native driver
 * that bound a function while the binder wrote (its probe held the device
 * lock the write waits for) keeps it, and what goes with that function
 * (its card, its IOMMU group) must not be probed onto the driver either.
 * Nothing is bound yet, so taking the overrides back costs the host nothing;
 * the read-back and give_back_split() catch a driver that binds later still.
 */
static void recheck_written(const struct sysfs *s, struct pci_table *t, const struct plan *plan,
			    const struct apply_opts *o, struct fn *x)
{
	const struct policy *p = plan->policy;
	char addr[PCI_ADDR_STRLEN], other[PCI_ADDR_STRLEN], drv[DRIVER_NAME_MAX];
	bool lost = false, changed = true;
	int r;

	if (o->dry_run)
		return;
	/*
	 * A function whose override write or unbind failed (under either
	 * setting) stays with the host: an override this pass wrote on it is
	 * taken back, and what goes with it is not probed onto the driver.
	 */
	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];

		if (!x[i].write_failed)
			continue;
		lost = true;
		if (!x[i].wrote_override)
			continue;
		r = apply_give_back(s, o, f, drv_of(plan, i));
		if (r < 0)
			log_warning("%s: cannot clear driver_override: %s", pci_addr_fmt(&f->addr, addr), strerror(-r));
	}
	for (size_t i = 0; i < plan->n && !p->unbind; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];

		if (x[i].st != F_WRITTEN || !in_scope(o, f))
			continue;
		if (pci_func_read_driver(s, &f->addr, drv, sizeof(drv)) < 0 || !drv[0] || streq(drv, drv_of(plan, i)))
			continue;
		pci_addr_fmt(&f->addr, addr);
		pci_func_set_driver(f, drv);
		set_failed(&x[i], LOG_WARNING, "%s bound it while the binder took it, not taken: set unbind = yes in "
			   "[binder] of the configuration (or vfio_binder.unbind=1) to take it from its driver", drv);
		log_full(x[i].prio, "%s [%04x:%04x]: %s", addr, f->vendor, f->device, x[i].why);
		r = apply_give_back(s, o, f, drv_of(plan, i));
		if (r < 0)
			log_warning("%s: cannot clear driver_override: %s", addr, strerror(-r));
		lost = true;
	}
	while (lost && changed) {
		changed = false;
		for (size_t i = 0; i < plan->n; i++) {
			struct pci_func *f = &t->v[plan->v[i].func];

			for (size_t j = 0; j < plan->n && x[i].st == F_WRITTEN; j++) {
				const struct pci_func *g = &t->v[plan->v[j].func];
				bool group;

				if (i == j || x[j].st != F_FAILED || !in_scope(o, f) || !together(t, plan, p, i, j, &group))
					continue;
				pci_addr_fmt(&f->addr, addr);
				pci_addr_fmt(&g->addr, other);
				if (group)
					set_failed(&x[i], LOG_WARNING, "not taken: %s of its IOMMU group %d is not taken either",
						   other, g->iommu_group);
				else
					set_failed(&x[i], LOG_WARNING, "not taken: %s %s is not taken either",
						   plan->v[j].func == plan->v[i].leader ? "its GPU" : "its card's", other);
				log_full(x[i].prio, "%s [%04x:%04x]: %s", addr, f->vendor, f->device, x[i].why);
				r = apply_give_back(s, o, f, drv_of(plan, i));
				if (r < 0)
					log_warning("%s: cannot give it back to the host (driver_override cleared, then a native "
						    "probe): %s", addr, strerror(-r));
				changed = true;
			}
		}
	}
}

/*
 * After the read-back: a function this pass moved whose card or group did
 * not follow (a native driver took a companion between the look and the
 * write, and unbind = no kept it there) goes back to the host, and the
 * override left on the companion is cleared. Nothing uses a function bound
 * a moment ago, so giving it back is safe.
 */
static void give_back_split(const struct sysfs *s, struct pci_table *t, const struct plan *plan,
			    const struct apply_opts *o, struct fn *x)
{
	const struct policy *p = plan->policy;
	char addr[PCI_ADDR_STRLEN], other[PCI_ADDR_STRLEN];
	size_t *cause = calloc(plan->n + 1, sizeof(*cause));
	bool any = false;
	int r;

	if (!cause)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		const struct pci_func *f = &t->v[plan->v[i].func];

		cause[i] = SIZE_MAX;
		if (x[i].st != F_WRITTEN || !in_scope(o, f) || !streq(f->driver, drv_of(plan, i)))
			continue;
		for (size_t j = 0; j < plan->n && cause[i] == SIZE_MAX; j++) {
			const struct pci_func *g = &t->v[plan->v[j].func];
			bool group;

			if (j != i && x[j].st == F_WRITTEN && in_scope(o, g) && g->driver[0] &&
			    !streq(g->driver, drv_of(plan, j)) && together(t, plan, p, i, j, &group))
				cause[i] = j, any = true;
		}
	}
	for (size_t i = 0; any && i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];
		const struct pci_func *g;

		if (cause[i] == SIZE_MAX)
			continue;
		g = &t->v[plan->v[cause[i]].func];
		pci_addr_fmt(&f->addr, addr);
		pci_addr_fmt(&g->addr, other);
		r = apply_give_back(s, o, f, drv_of(plan, i));
		if (r < 0) {
			log_error("%s [%04x:%04x]: cannot give it back to the host (%s stayed on %s): %s", addr, f->vendor,
				  f->device, other, g->driver, strerror(-r));
			continue;
		}
		log_notice("%s [%04x:%04x]: given back to the host: %s, which goes with it, stayed on %s", addr,
			   f->vendor, f->device, other, g->driver);
		x[i].ok = false;
	}
	/* The override written on a function its native driver kept would take it alone later. */
	for (size_t j = 0; any && j < plan->n; j++) {
		const struct pci_func *g = &t->v[plan->v[j].func];
		char path[96];

		if (x[j].st != F_WRITTEN || !in_scope(o, g) || !g->driver[0] || streq(g->driver, drv_of(plan, j)))
			continue;
		snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", pci_addr_fmt(&g->addr, other));
		r = sysfs_write(s, path, "", false);
		if (r < 0)
			log_warning("%s: cannot clear driver_override: %s", other, strerror(-r));
	}
	free(cause);
}

/*
 * Loads what the written functions need: the preload modules first (a
 * failure is a warning: vendor-reset missing or unsigned must not cost the
 * binding), then each driver module once, the configured driver with the
 * [options]. Returns the first load error of a driver module, 0, or > 0
 * when nothing was loaded because the tree is not the running kernel's.
 */
static int load_modules(const struct plan *plan, const struct apply_opts *o, const struct fn *x)
{
	const struct policy *p = plan->policy;
	int ret = 0, r;

	for (const char *m = p->preload; m && *m;) {
		size_t n = strcspn(m, " ");
		char name[DRIVER_NAME_MAX];

		snprintf(name, sizeof(name), "%.*s", (int)n, m);
		m += n + (m[n] == ' ');
		if (o->dry_run) {
			fprintf(o->out, "would load module %s (preload), install commands ignored\n", name);
			continue;
		}
		r = o->load_fn(o->load_data, name, NULL, MODLOAD_IGNORE_INSTALL);
		if (r < 0)
			log_warning("preload %s: not loaded (%s); binding without it (the device-specific reset it "
				    "provides is missing; under lockdown the module must be signed)", name, strerror(-r));
	}
	for (size_t i = 0; i < plan->n; i++) {
		const char *m = plan->v[i].driver.module[0] ? plan->v[i].driver.module : p->module;
		const char *opts;
		bool seen = false;

		if (x[i].st != F_WRITTEN)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = x[j].st == F_WRITTEN &&
			       streq(plan->v[j].driver.module[0] ? plan->v[j].driver.module : p->module, m);
		if (seen)
			continue;
		/* [options] are the configured driver's parameters */
		opts = streq(m, p->module) ? p->options : NULL;
		if (o->dry_run) {
			fprintf(o->out, "would load module %s%s%s, install commands ignored\n", m, opts ? " with " : "",
				opts ? opts : "");
			continue;
		}
		/* modprobe -i: an "install vfio-pci vfio-binder bind" line must not recurse */
		r = o->load_fn(o->load_data, m, opts, MODLOAD_IGNORE_INSTALL);
		/* the first error wins; else the first "not loaded here" (1) */
		if ((r < 0 && ret >= 0) || (r > 0 && ret == 0))
			ret = r;
	}
	return ret;
}

int apply_plan(const struct sysfs *s, struct pci_table *t, const struct plan *plan, const struct apply_opts *o)
{
	const struct policy *p = plan->policy;
	_cleanup_free_ struct fn *x = calloc(plan->n + 1, sizeof(*x));
	char addr[PCI_ADDR_STRLEN], drv[DRIVER_NAME_MAX];
	int failed = 0, load_r = 0, r;
	size_t written = 0;
	int quiet = o->changes_only ? LOG_DEBUG : LOG_INFO;

	if (!x)
		return -ENOMEM;
	/* Every planned function, in the slot or not, is judged before the first write. */
	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];

		x[i].st = F_NOT_OURS;
		if (plan->v[i].action != PLAN_BIND)
			continue;
		if (runtime_is_released(o->runtime, &f->addr)) {
			x[i].st = F_RELEASED;
			continue;
		}
		if (!f->detailed)
			pci_func_load_details(s, f);
		judge(p, drv_of(plan, i), f, &x[i]);
	}
	refuse_followers(t, plan, o, x);

	/* The writes, for the functions in scope only. */
	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];

		if (!in_scope(o, f))
			continue;
		pci_addr_fmt(&f->addr, addr);
		switch (x[i].st) {
		case F_NOT_OURS:
			/* A refused function is news in dmesg too: "why is my GPU not on vfio-pci?" */
			if (!o->dry_run)
				log_full(o->changes_only ? LOG_DEBUG : LOG_NOTICE, "%s [%04x:%04x]: skipped: %s", addr,
					 f->vendor, f->device, plan->v[i].reason);
			break;
		case F_FAILED:
			if (!o->dry_run)
				log_full(x[i].prio, "%s [%04x:%04x]: %s", addr, f->vendor, f->device, x[i].why);
			break;
		case F_RELEASED:
			if (!o->dry_run)
				log_full(quiet, "%s [%04x:%04x]: left alone: released at runtime ('%s'); 'vfio-binder reserve %s' takes it again",
					 addr, f->vendor, f->device, runtime_find(o->runtime, &f->addr)->command, addr);
			break;
		case F_TODO:
			x[i].st = take_function(s, o, &plan->v[i], drv_of(plan, i), f, addr, &x[i].wrote_override);
			x[i].write_failed = x[i].st == F_FAILED;
			written += x[i].st == F_WRITTEN;
			break;
		case F_SPLIT:
			r = apply_give_back(s, o, f, drv_of(plan, i));
			if (r < 0)
				log_error("%s [%04x:%04x]: cannot give it back to the host (%s is not taken): %s", addr,
					  f->vendor, f->device, x[i].why, strerror(-r));
			else if (!o->dry_run)
				log_notice("%s [%04x:%04x]: given back to the host: %s", addr, f->vendor, f->device, x[i].why);
			break;
		default:
			break;
		}
	}

	recheck_written(s, t, plan, o, x);
	if (written && o->load) {
		load_r = load_modules(plan, o, x);
		/* A loaded or built-in driver does not look at devices again by itself. */
		for (size_t i = 0; i < plan->n; i++) {
			const struct pci_func *f = &t->v[plan->v[i].func];

			if (x[i].st != F_WRITTEN || !in_scope(o, f))
				continue;
			pci_addr_fmt(&f->addr, addr);
			if (!o->dry_run && pci_func_read_driver(s, &f->addr, drv, sizeof(drv)) == 0 && drv[0])
				continue;
			r = do_write(s, o, "bus/pci/drivers_probe", addr, true);
			if (r < 0 && r != -ENODEV && r != -EINVAL)
				log_warning("%s: probe request failed: %s", addr, strerror(-r));
		}
	}
	if (o->dry_run) {
		if (o->access)
			access_apply(o->access, t, plan);
		return 0;
	}

	for (size_t i = 0; i < plan->n; i++) {
		struct pci_func *f = &t->v[plan->v[i].func];
		const char *reason = plan->v[i].reason, *want = drv_of(plan, i);

		if (x[i].st == F_NOT_OURS || x[i].st == F_RELEASED || !in_scope(o, f))
			continue;
		pci_addr_fmt(&f->addr, addr);
		drv[0] = '\0';
		if (x[i].st == F_FAILED || x[i].st == F_SPLIT) {
			failed++;
			continue;
		}
		r = x[i].st == F_ALREADY ? 0 : read_back(s, o, p, want, f, addr, drv, sizeof(drv));
		if (x[i].st == F_ALREADY) {
			log_full(quiet, "%s [%04x:%04x] -> %s (%s)", addr, f->vendor, f->device, want, reason);
			x[i].ok = true;
			continue;
		}
		if (r == 0 && streq(drv, want)) {
			log_info("%s [%04x:%04x] -> %s (%s)", addr, f->vendor, f->device, want, reason);
			x[i].ok = true;
		} else if (r == 0 && !drv[0] && (!o->load || load_r > 0)) {
			char path[96], ov[DRIVER_NAME_MAX];

			/* Nothing was loaded, so the override is all there is to check. */
			snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", addr);
			if (sysfs_read(s, path, ov, sizeof(ov)) >= 0 && streq(ov, want)) {
				log_info("%s [%04x:%04x] -> %s (%s; override set, driver not loaded)", addr, f->vendor,
					 f->device, want, reason);
				x[i].ok = true;
			} else {
				log_error("%s [%04x:%04x]: driver_override does not read back as %s", addr, f->vendor,
					  f->device, want);
				failed++;
			}
		} else if (r < 0) {
			log_error("%s [%04x:%04x]: not on %s, its driver link is unreadable: %s (%s)", addr, f->vendor,
				  f->device, want, strerror(-r), reason);
			failed++;
		} else if (drv[0]) {
			log_error("%s [%04x:%04x]: not on %s, the kernel shows driver %s (%s)", addr, f->vendor, f->device,
				  want, drv, reason);
			failed++;
		} else if (load_r < 0) {
			log_error("%s [%04x:%04x]: not on %s, which was not loaded (%s)", addr, f->vendor, f->device, want,
				  reason);
			failed++;
		} else {
			log_error("%s [%04x:%04x]: not on %s, the kernel shows no driver (%s; see dmesg for why the driver refused it)",
				  addr, f->vendor, f->device, want, reason);
			failed++;
		}
		if (r == 0)
			pci_func_set_driver(f, drv);
	}
	if (load_r < 0) {
		/* Built in, or loaded by other means: the module lookup failing changed nothing. */
		if (failed == 0)
			log_warning("%s: module not loaded (%s), yet every planned function is on the driver", p->module,
				    strerror(-load_r));
		else
			log_error("%s was not loaded (%s): the overrides written stay, and a later 'modprobe %s' binds them",
				  p->module, strerror(-load_r), p->module);
	}
	if (failed)
		give_back_split(s, t, plan, o, x);
	for (size_t i = 0; o->record && i < plan->n; i++) {
		const struct pci_func *f = &t->v[plan->v[i].func];

		if (!in_scope(o, f))
			continue;
		record_add(o->record, &f->addr, drv_of(plan, i),
			   plan->v[i].action != PLAN_BIND || x[i].st == F_RELEASED ? RECORD_SKIPPED :
			   x[i].ok ? RECORD_BOUND : RECORD_FAILED);
	}
	if (o->access)
		access_apply(o->access, t, plan);
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
	/* VFs to make, and autoprobe off where vfs = takes them, before the devices are read */
	if (!o->slot) {
		struct sriov_opts so = { .dry_run = o->dry_run, .out = o->out };

		sriov_prepare(s, p, &so);
	}
	plan_scan_needs(p, &scan);
	r = pci_table_load(s, &scan, &t);
	if (r < 0) {
		log_error("cannot list %s/bus/pci/devices: %s", s->path, strerror(-r));
		return r;
	}
	if (policy_wants_variants(p))
		variant_resolve(s, &t, o->modules_dir);
	r = plan_build(&t, p, &plan);
	if (r < 0) {
		log_error("cannot build the plan: %s", strerror(-r));
		pci_table_free(&t);
		return r;
	}
	/* A device that appears later needs no repeat of the machine-wide notes. */
	for (size_t i = 0; (!o->slot || plan.config_errors) && i < plan.n_notes; i++)
		log_full(plan.notes[i].prio, "%s", plan.notes[i].text);
	if (plan.config_errors) {
		log_error("configuration error (above): nothing written");
		r = -EINVAL;
	} else {
		r = apply_plan(s, &t, &plan, o);
	}
	plan_free(&plan);
	pci_table_free(&t);
	return r;
}
