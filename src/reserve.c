// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reserve and release (reserve.h). The only files written are those bind
 * writes (driver_override, driver/unbind, drivers_probe below the sysfs
 * root, through apply.c) and the runtime record below the run root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "holders.h"
#include "macro.h"
#include "modload.h"
#include "output.h"
#include "pci.h"
#include "policy.h"
#include "record.h"
#include "reserve.h"
#include "runtime.h"
#include "select.h"
#include "variant.h"

/* Something said about an address before anything is written: a refusal, or a target --configured keeps. */
struct remark {
	struct pci_addr addr;
	char text[256];
};

struct remarks {
	struct remark *v;
	size_t n;
};

/* Where a function ended: reserve reads it from apply's record, release works it out. */
struct outcome {
	bool done;		/* acted on (or found where asked) */
	bool ok;
	bool target;		/* named on the command line (or by --all) */
	bool had_entry;		/* release: the runtime record's entry before it was marked */
	struct runtime_func before;
};

struct ctx {
	const struct reserve_opts *o;
	const char *verb;	/* "reserve" or "release" */
	struct sysfs s, proc, dev, run;
	struct policy conf, tp;
	struct pci_table t;
	struct plan plan;
	struct holders holders;
	struct remarks refused, kept;
	struct outcome *out;	/* per table function */
	struct pci_addr *targets;
	size_t n_targets;
	const char *run_dir;	/* NULL: no runtime record (a fake tree without --run, a dry run) */
	int lock_fd;
	size_t blocking;	/* holders that refuse the command */
	struct runtime rt;
	char *writes;		/* the dry run's */
	size_t writes_size;
	FILE *w;
};

static const char *fn_label(const struct pci_func *f, char *buf, size_t size)
{
	char addr[PCI_ADDR_STRLEN];

	snprintf(buf, size, "%s [%04x:%04x]", pci_addr_fmt(&f->addr, addr), f->vendor, f->device);
	return buf;
}

_printf_(3, 4) static int remark(struct remarks *l, const struct pci_addr *a, const char *fmt, ...)
{
	struct remark *v = reallocarray(l->v, l->n + 1, sizeof(*v));
	va_list ap;

	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n].addr = *a;
	va_start(ap, fmt);
	vsnprintf(v[l->n].text, sizeof(v->text), fmt, ap);
	va_end(ap);
	l->n++;
	return 0;
}

static int open_root(struct sysfs *r, const char *given, const char *def, const char *option)
{
	int e = sysfs_open(r, given ? given : def);

	if (e < 0)
		log_error("cannot open the %s root %s: %s%s%s", option + 2, given ? given : def, strerror(-e),
			  given ? "" : "; give another with ", given ? "" : option);
	return e;
}

/* The driver the plan moves f to: its entry's own (driver=, a variant under driver = auto) or the policy's. */
static const char *drv_for(const struct ctx *c, const struct pci_func *f)
{
	const struct plan_entry *e = plan_find(&c->plan, (size_t)(f - c->t.v));

	return e && e->driver.driver[0] ? e->driver.driver : c->tp.driver;
}

static void clear_list(struct entry_list *l)
{
	free(l->v);
	*l = (struct entry_list){ 0 };
}

/*
 * The configuration's settings, with the targets as its only device entries
 * and unbind = yes. A target the configuration has a device line for keeps
 * that line (its pin, driver= and reset_method=), so reserve moves it as
 * bind would; any other is a bare address.
 */
static int target_policy(struct ctx *c)
{
	static const char origin[] = "argument";
	const struct policy *p = &c->conf;
	struct policy *tp = &c->tp;
	int r;

	policy_free(tp);
	r = policy_copy(tp, p);
	if (r < 0)
		return r;
	clear_list(&tp->devices);
	clear_list(&tp->ids);
	clear_list(&tp->vfs);
	clear_list(&tp->sriov);
	tp->mode = POLICY_LIST;
	tp->kill_switch = false;
	tp->unbind = true;
	/*
	 * Giving back needs no viable group; only group = bind makes a group
	 * the unit that moves.
	 */
	if (c->o->release && tp->group == GROUP_CHECK)
		tp->group = GROUP_IGNORE;
	for (size_t i = 0; i < c->n_targets; i++) {
		struct policy_entry e = { .addr = c->targets[i], .origin = { origin, (unsigned)i + 1 } };

		for (size_t j = 0; j < p->devices.n; j++)
			if (pci_addr_eq(&p->devices.v[j].addr, &c->targets[i]))
				e = p->devices.v[j];
		if (policy_add_entry(&tp->devices, &e) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* reserve --all: the configuration's own plan, with unbind = yes (no virtual functions made). */
static int all_policy(struct ctx *c)
{
	struct policy *tp = &c->tp;
	int r;

	policy_free(tp);
	r = policy_copy(tp, &c->conf);
	if (r < 0)
		return r;
	clear_list(&tp->sriov);
	tp->unbind = true;
	return 0;
}

static int add_target(struct ctx *c, const struct pci_addr *a)
{
	struct pci_addr *v;

	for (size_t i = 0; i < c->n_targets; i++)
		if (pci_addr_eq(&c->targets[i], a))
			return 0;
	v = reallocarray(c->targets, c->n_targets + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->targets = v;
	v[c->n_targets++] = *a;
	return 0;
}

/* release --all: what the configuration plans and what reserve took since the boot. */
static int release_all_targets(struct ctx *c)
{
	struct plan conf_plan;
	int r = plan_build(&c->t, &c->conf, &conf_plan);

	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < conf_plan.n; i++)
		if (conf_plan.v[i].action == PLAN_BIND)
			r = add_target(c, &c->t.v[conf_plan.v[i].func].addr);
	plan_free(&conf_plan);
	for (size_t i = 0; r == 0 && i < c->rt.n; i++)
		if (c->rt.v[i].state == RUNTIME_RESERVED && pci_table_find(&c->t, &c->rt.v[i].addr))
			r = add_target(c, &c->rt.v[i].addr);
	return r;
}

/* release --configured: only targets marked return_to_host; the others stay on the driver. */
static int configured_targets(struct ctx *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_targets; i++) {
		const struct policy_entry *e;
		char addr[PCI_ADDR_STRLEN], where[256];
		bool back = policy_return_to_host(&c->conf, &c->targets[i], &e);

		pci_addr_fmt(&c->targets[i], addr);
		if (back) {
			c->targets[n++] = c->targets[i];
			continue;
		}
		if (e)
			origin_fmt(&e->origin, where, sizeof(where));
		else
			snprintf(where, sizeof(where), "return_to_host = %s in [binder]", c->conf.return_to_host ? "yes" : "no");
		if (remark(&c->kept, &c->targets[i], "%s%s", e ? "return_to_host=no at " : "", where) < 0)
			return -ENOMEM;
	}
	c->n_targets = n;
	return 0;
}

/*
 * The boot VGA's card, as the plan sees it: a plan whose device entries
 * are the boot VGAs (companions = slot, no group or IOMMU refusal) gives
 * each function of their cards the boot VGA as its leader. host[i] is the
 * boot VGA whose card function i is, or SIZE_MAX.
 */
static int boot_vga_cards(const struct ctx *c, size_t *host)
{
	struct policy probe;
	struct plan plan = { 0 };
	int r = 0;

	for (size_t i = 0; i < c->t.n; i++)
		host[i] = SIZE_MAX;
	policy_init(&probe);
	probe.companions = COMPANIONS_SLOT;
	probe.group = GROUP_IGNORE;
	probe.require_iommu = false;
	for (size_t i = 0; r == 0 && i < c->t.n; i++) {
		struct policy_entry e = { .addr = c->t.v[i].addr };

		if (c->t.v[i].boot_vga == 1)
			r = policy_add_entry(&probe.devices, &e);
	}
	if (r == 0 && probe.devices.n)
		r = plan_build(&c->t, &probe, &plan);
	for (size_t i = 0; r == 0 && i < plan.n; i++) {
		const struct plan_entry *e = &plan.v[i];

		if (c->t.v[e->func].boot_vga == 1)
			host[e->func] = e->func;
		else if (e->leader != SIZE_MAX && c->t.v[e->leader].boot_vga == 1)
			host[e->func] = e->leader;
	}
	plan_free(&plan);
	policy_free(&probe);
	return r;
}

/* A target the plan does not take, the boot VGA without --force: refusals, before any write. */
static int judge_targets(struct ctx *c)
{
	char label[64], other[PCI_ADDR_STRLEN];

	for (size_t i = 0; i < c->n_targets; i++) {
		struct pci_func *f = pci_table_find(&c->t, &c->targets[i]);
		const struct plan_entry *e = plan_find(&c->plan, (size_t)(f - c->t.v));

		if (e && e->action == PLAN_BIND)
			continue;
		fn_label(f, label, sizeof(label));
		log_error("%s: not %sd: %s", label, c->verb, e ? e->reason : "the plan does not select it");
		if (remark(&c->refused, &f->addr, "%s", e ? e->reason : "the plan does not select it") < 0)
			return -ENOMEM;
	}
	if (c->o->release)
		return 0;
	{
		_cleanup_free_ size_t *host = calloc(c->t.n + 1, sizeof(*host));

		if (!host || boot_vga_cards(c, host) < 0)
			return -ENOMEM;
		/* every function reserve would take, and every target the plan refused */
		for (size_t i = 0; i < c->t.n; i++) {
			const struct plan_entry *e = plan_find(&c->plan, i);
			const struct pci_func *f = &c->t.v[i];
			bool gpu = host[i] == i;

			if (host[i] == SIZE_MAX || !((e && e->action == PLAN_BIND) || c->out[i].target))
				continue;
			/* On the driver already (reserve --force ran before the libvirt hook's reserve): nothing to write. */
			if (streq(f->driver, drv_for(c, f)))
				continue;
			fn_label(f, label, sizeof(label));
			if (!gpu)
				pci_addr_fmt(&c->t.v[host[i]].addr, other);
			if (c->o->force && e && e->action == PLAN_BIND) {
				log_warning("%s: %s%s: taken (--force); the host's console goes dark until it is released", label,
					    gpu ? "the boot VGA" : "companion of the boot VGA ", gpu ? "" : other);
				continue;
			}
			if (c->o->force)
				continue;
			log_error("%s: %s%s, the host's console: 'reserve --force' takes it (single-GPU passthrough: the console goes dark until it is released)",
				  label, gpu ? "the boot VGA" : "companion of the boot VGA ", gpu ? "" : other);
			if (remark(&c->refused, &f->addr, "%s%s, the host's console: --force takes it", gpu ? "the boot VGA" :
				   "companion of the boot VGA ", gpu ? "" : other) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static void log_holder(const struct ctx *c, const struct holder *h, bool blocking)
{
	const struct pci_func *f = pci_table_find(&c->t, &h->addr);
	int prio = blocking ? LOG_ERR : LOG_WARNING;
	char label[64];

	fn_label(f, label, sizeof(label));
	switch (h->kind) {
	case HOLDER_PROCESS:
		log_full(prio, "%s: held by %s (pid %d) through %s; stop it: %s", label, h->comm, h->pid, h->node, h->fix);
		break;
	case HOLDER_VTCON:
		if (blocking)
			log_full(prio, "%s: the framebuffer console %s draws on %s; %s", label, h->node, h->where, h->fix);
		else
			log_full(prio, "%s: the framebuffer console %s draws on %s: --force, the kernel drops it (the text console goes dark)",
				 label, h->node, h->where);
		break;
	case HOLDER_MOUNT:
		log_full(prio, "%s: %s is mounted on %s; %s", label, h->node, h->where, h->fix);
		break;
	case HOLDER_SWAP:
		log_full(prio, "%s: %s is a swap area in use; %s", label, h->node, h->fix);
		break;
	case HOLDER_STACKED:
		log_full(prio, "%s: %s is held by %s stacked on it; %s", label, h->node, h->where, h->fix);
		break;
	case HOLDER_NETDEV:
		log_full(prio, "%s: network interface %s is up; %s", label, h->node, h->fix);
		break;
	default:
		log_full(prio, "%s: cannot tell who holds it: %s: %s; %s", label, h->node, h->where, h->fix);
		break;
	}
}

/* Who holds the functions about to be unbound: refuses unless every one is a holder --force drops. */
static int judge_holders(struct ctx *c, size_t *blocking)
{
	struct holder_roots roots = { &c->s, &c->proc, &c->dev, root_is(&c->proc, "/proc") };
	_cleanup_free_ struct holder_target *ht = calloc(c->plan.n + 1, sizeof(*ht));
	size_t n = 0;
	int r;

	*blocking = 0;
	if (!ht)
		return -ENOMEM;
	for (size_t i = 0; i < c->plan.n; i++) {
		const struct pci_func *f = &c->t.v[c->plan.v[i].func];
		bool on = streq(f->driver, drv_for(c, f));

		if (c->plan.v[i].action != PLAN_BIND || !f->driver[0] || (c->o->release ? !on : on))
			continue;
		ht[n++] = (struct holder_target){ f->addr, f->driver, f->iommu_group, c->o->release };
	}
	r = holders_find(&roots, ht, n, &c->holders);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->holders.n; i++) {
		const struct holder *h = &c->holders.v[i];
		bool b = !h->droppable || !c->o->force;

		*blocking += b;
		log_holder(c, h, b);
	}
	if (*blocking)
		log_error("%s refused: %zu holder%s (above); nothing written", c->verb, *blocking, *blocking == 1 ? "" : "s");
	return 0;
}

static int write_or_say(struct ctx *c, const char *rel, const char *val)
{
	if (c->o->dry_run) {
		fprintf(c->w, "would write \"%s\" to %s/%s\n", val, c->s.path, rel);
		return 0;
	}
	return sysfs_write(&c->s, rel, val, true);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Gives one function back: override cleared, unbound from the driver, a
 * probe (apply_give_back); its native driver loaded by modalias when
 * nothing took it, and another probe.
 */
static void give_back(struct ctx *c, struct pci_func *f, const struct apply_opts *ao, bool *needs_load)
{
	char label[64];
	int r;

	const char *drv = drv_for(c, f);

	fn_label(f, label, sizeof(label));
	*needs_load = false;
	if (!streq(f->driver, drv) && !streq(f->override, drv)) {
		log_info("%s: already with the host (%s)", label, f->driver[0] ? f->driver : "no driver");
		/* (without a driver, its native one is looked for all the same) */
		*needs_load = !f->driver[0];
		return;
	}
	r = apply_give_back(&c->s, ao, f, drv);
	if (r < 0) {
		log_error("%s: cannot give it back to the host: %s", label, strerror(-r));
		return;
	}
	if (!c->o->dry_run)
		log_info("%s: released: driver_override cleared, unbound from %s", label, drv);
	*needs_load = !f->driver[0];
}

static void load_native(struct ctx *c, struct pci_func *f, const struct apply_opts *ao)
{
	char rel[96], addr[PCI_ADDR_STRLEN], modalias[256], drv[DRIVER_NAME_MAX];

	pci_addr_fmt(&f->addr, addr);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/modalias", addr);
	if (sysfs_read(&c->s, rel, modalias, sizeof(modalias)) <= 0)
		return;
	if (c->o->dry_run) {
		fprintf(c->w, "would load the modules for %s (modalias of %s), the modprobe.d blacklist applied\n",
			modalias, addr);
		return;
	}
	/* A driver that is loaded took it at the probe: nothing to load. */
	if (pci_func_read_driver(&c->s, &f->addr, drv, sizeof(drv)) == 0 && drv[0])
		return;
	if (ao->load_fn(ao->load_data, modalias, NULL, MODLOAD_ALIAS) != 0)
		return;
	/* The module's driver binds what it matches as it registers; a second probe for what it did not. */
	if (pci_func_read_driver(&c->s, &f->addr, drv, sizeof(drv)) == 0 && !drv[0]) {
		int r = write_or_say(c, "bus/pci/drivers_probe", addr);

		if (r < 0 && r != -ENODEV && r != -EINVAL)
			log_warning("%s: probe request failed: %s", addr, strerror(-r));
	}
}

/* Where a released function ended: any driver but ours, with no override left. */
static void verify_release(struct ctx *c, struct pci_func *f, unsigned settle_ms)
{
	char rel[96], addr[PCI_ADDR_STRLEN], drv[DRIVER_NAME_MAX] = "", ov[DRIVER_NAME_MAX] = "", label[64];
	const char *ours = drv_for(c, f);
	unsigned waited = 0;
	struct outcome *x = &c->out[f - c->t.v];
	int r;

	pci_addr_fmt(&f->addr, addr);
	fn_label(f, label, sizeof(label));
	/* The native driver's probe may still run (asynchronous probing): wait for it a little. */
	for (;;) {
		r = pci_func_read_driver(&c->s, &f->addr, drv, sizeof(drv));
		if (r < 0 || drv[0] || waited >= settle_ms)
			break;
		sleep_ms(20);
		waited += 20;
	}
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
	if (sysfs_read(&c->s, rel, ov, sizeof(ov)) < 0)
		ov[0] = '\0';
	x->done = true;
	if (r < 0) {
		log_error("%s: its driver link is unreadable: %s", label, strerror(-r));
		return;
	}
	pci_func_set_driver(f, drv);
	if (streq(drv, ours) || streq(ov, ours)) {
		log_error("%s: still %s %s (driver_override %s); see dmesg", label, streq(drv, ours) ? "on" : "set for",
			  ours, ov[0] ? ov : "empty");
		return;
	}
	x->ok = true;
	if (drv[0])
		log_info("%s -> %s (released)", label, drv);
	else
		log_notice("%s: released; no driver took it (none of the running kernel's modules matches it, or they are blacklisted)",
			   label);
}

static int do_release(struct ctx *c)
{
	struct apply_opts ao = {
		.dry_run = c->o->dry_run,
		.out = c->w,
		.load_fn = c->o->load_fn ? c->o->load_fn : c->s.real ? modload : modload_none,
		.load_data = c->o->load_fn ? c->o->load_data : c->s.path,
	};
	_cleanup_free_ bool *load = calloc(c->plan.n + 1, sizeof(*load));

	if (!load)
		return -ENOMEM;
	for (size_t i = 0; i < c->plan.n; i++)
		if (c->plan.v[i].action == PLAN_BIND)
			give_back(c, &c->t.v[c->plan.v[i].func], &ao, &load[i]);
	for (size_t i = 0; i < c->plan.n && !c->o->no_load; i++)
		if (load[i])
			load_native(c, &c->t.v[c->plan.v[i].func], &ao);
	if (c->o->dry_run)
		return 0;
	for (size_t i = 0; i < c->plan.n; i++)
		if (c->plan.v[i].action == PLAN_BIND)
			verify_release(c, &c->t.v[c->plan.v[i].func], c->s.real ? 2000 : 0);
	return 0;
}

static int do_reserve(struct ctx *c)
{
	struct boot_record rec = { 0 };
	struct apply_opts ao = {
		.dry_run = c->o->dry_run,
		.load = c->tp.load && !c->o->no_load,
		.out = c->w,
		.load_fn = c->o->load_fn ? c->o->load_fn : c->s.real ? modload : modload_none,
		.load_data = c->o->load_fn ? c->o->load_data : c->s.path,
		.settle_ms = c->s.real ? 2000 : 0,
		.record = &rec,
	};
	int r = apply_plan(&c->s, &c->t, &c->plan, &ao);

	/*
	 * Not [access]: its udev rule file holds the groups bind bound, and
	 * rewriting it for these would drop those. libvirt gives the node to
	 * the VMs it starts itself.
	 */
	if (r >= 0 && !c->o->dry_run && (c->tp.owner || c->tp.group_owner))
		log_notice("[access] is not applied by reserve: /dev/vfio nodes of the groups it binds stay root's "
			   "(libvirt sets them for its own guests; otherwise a rule in /etc/udev/rules.d/, e.g. "
			   "SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\")");

	for (size_t i = 0; r >= 0 && i < rec.n; i++) {
		struct pci_func *f = pci_table_find(&c->t, &rec.v[i].addr);

		if (!f || rec.v[i].outcome == RECORD_SKIPPED)
			continue;
		c->out[f - c->t.v].done = true;
		c->out[f - c->t.v].ok = rec.v[i].outcome == RECORD_BOUND;
	}
	record_free(&rec);
	return r < 0 ? r : 0;
}

/*
 * Release marks the functions released in the runtime record before its
 * first write: unbinding from vfio-pci sends a uevent, and a monitor that
 * read the record then must already see them as the host's, or it takes
 * them back before their native driver comes. record_changes() keeps the
 * mark on what ended with the host and restores the rest.
 */
static int mark_releasing(struct ctx *c)
{
	int64_t now = (int64_t)time(NULL);
	int r;

	for (size_t i = 0; i < c->plan.n; i++) {
		const struct pci_func *f = &c->t.v[c->plan.v[i].func];
		struct outcome *x = &c->out[c->plan.v[i].func];
		const struct runtime_func *old;

		if (c->plan.v[i].action != PLAN_BIND)
			continue;
		old = runtime_find(&c->rt, &f->addr);
		x->had_entry = old != NULL;
		if (old)
			x->before = *old;
		r = runtime_set(&c->rt, &f->addr, RUNTIME_RELEASED, now, NULL, c->o->command);
		if (r < 0)
			return r;
	}
	return runtime_write(c->run_dir, &c->rt);
}

static void record_changes(struct ctx *c)
{
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; i < c->plan.n; i++) {
		const struct pci_func *f = &c->t.v[c->plan.v[i].func];
		const struct outcome *x = &c->out[c->plan.v[i].func];

		if (c->plan.v[i].action != PLAN_BIND)
			continue;
		if (!x->ok) {
			/* what release marked and did not give back: as it was */
			if (c->o->release && x->had_entry && runtime_set(&c->rt, &f->addr, x->before.state, x->before.time,
									x->before.driver, x->before.command) < 0)
				return;
			if (c->o->release && !x->had_entry)
				runtime_unset(&c->rt, &f->addr);
			continue;
		}
		if (runtime_set(&c->rt, &f->addr, c->o->release ? RUNTIME_RELEASED : RUNTIME_RESERVED, now,
				c->o->release ? f->driver : drv_for(c, f), c->o->command) < 0)
			return;
	}
	runtime_write(c->run_dir, &c->rt);
}

static void json_or_null(FILE *f, const char *s)
{
	if (s && *s)
		json_string(f, s);
	else
		fputs("null", f);
}

static void remarks_json(FILE *f, const char *key, const struct remarks *l)
{
	char addr[PCI_ADDR_STRLEN];

	fprintf(f, ",\n  \"%s\": [", key);
	for (size_t i = 0; i < l->n; i++) {
		fprintf(f, "%s\n    {\"address\": \"%s\", \"reason\": ", i ? "," : "", pci_addr_fmt(&l->v[i].addr, addr));
		json_string(f, l->v[i].text);
		fputc('}', f);
	}
	fputs(l->n ? "\n  ]" : "]", f);
}

static void print_json(struct ctx *c, bool ok)
{
	FILE *f = c->o->out;
	char addr[PCI_ADDR_STRLEN];
	bool first = true;

	fprintf(f, "{\n  \"command\": \"%s\",\n  \"driver\": ", c->verb);
	json_string(f, c->tp.driver);
	fprintf(f, ",\n  \"dry_run\": %s,\n  \"functions\": [", c->o->dry_run ? "true" : "false");
	for (size_t i = 0; i < c->plan.n; i++) {
		const struct plan_entry *e = &c->plan.v[i];
		const struct pci_func *fn = &c->t.v[e->func];
		const struct outcome *x = &c->out[e->func];

		if (e->action != PLAN_BIND)
			continue;
		fprintf(f, "%s\n    {\"address\": \"%s\", \"vendor\": \"%04x\", \"device\": \"%04x\", \"target\": %s, \"reason\": ",
			first ? "" : ",", pci_addr_fmt(&fn->addr, addr), fn->vendor, fn->device, x->target ? "true" : "false");
		json_string(f, e->reason);
		fputs(", \"driver\": ", f);
		json_or_null(f, fn->driver);
		fprintf(f, ", \"ok\": %s}", x->done ? (x->ok ? "true" : "false") : "null");
		first = false;
	}
	fputs(first ? "]" : "\n  ]", f);
	fputs(",\n  \"holders\": [", f);
	for (size_t i = 0; i < c->holders.n; i++) {
		const struct holder *h = &c->holders.v[i];

		fprintf(f, "%s\n    {\"address\": \"%s\", \"kind\": \"%s\", \"pid\": ", i ? "," : "",
			pci_addr_fmt(&h->addr, addr), holder_kind_str(h->kind));
		if (h->pid)
			fprintf(f, "%d", h->pid);
		else
			fputs("null", f);
		fputs(", \"command\": ", f);
		json_or_null(f, h->kind == HOLDER_PROCESS ? h->comm : NULL);
		fputs(", \"node\": ", f);
		json_or_null(f, h->node);
		fputs(", \"where\": ", f);
		json_or_null(f, h->where);
		fputs(", \"fix\": ", f);
		json_string(f, h->fix);
		fprintf(f, ", \"force\": %s}", h->droppable ? "true" : "false");
	}
	fputs(c->holders.n ? "\n  ]" : "]", f);
	remarks_json(f, "refused", &c->refused);
	remarks_json(f, "kept", &c->kept);
	if (c->o->dry_run) {
		const char *s = c->writes ? c->writes : "";

		fputs(",\n  \"writes\": [", f);
		for (bool fst = true; *s; fst = false) {
			size_t n = strcspn(s, "\n");
			char *line = strndup(s, n);

			fprintf(f, "%s\n    ", fst ? "" : ",");
			json_string(f, line ? line : "");
			free(line);
			s += n + (s[n] == '\n');
			if (!*s)
				fputs("\n  ", f);
		}
		fputc(']', f);
	}
	fprintf(f, ",\n  \"ok\": %s\n}\n", ok ? "true" : "false");
}

/* The dry run's account: each function of the plan with its reason, as plan prints them. */
static void print_set(const struct ctx *c)
{
	FILE *f = c->o->out;
	char addr[PCI_ADDR_STRLEN];

	for (size_t i = 0; i < c->plan.n; i++) {
		const struct plan_entry *e = &c->plan.v[i];
		const struct pci_func *fn = &c->t.v[e->func];

		fprintf(f, "%-7s  %s  %04x:%04x  %-26s  %s\n", e->action == PLAN_BIND ? c->verb : "skip",
			pci_addr_fmt(&fn->addr, addr), fn->vendor, fn->device, pci_class_name(fn->class), e->reason);
	}
	for (size_t i = 0; i < c->kept.n; i++)
		fprintf(f, "%-7s  %s  stays on %s: %s\n", "keep", pci_addr_fmt(&c->kept.v[i].addr, addr), c->tp.driver,
			c->kept.v[i].text);
	if (c->refused.n || c->blocking)
		fprintf(f, "%s refused: nothing would be written (see the messages)\n", c->verb);
	else if (!c->plan.n_bind)
		fprintf(f, "nothing to %s\n", c->verb);
	else if (c->o->release)
		fprintf(f, "%zu function%s back to the host\n", c->plan.n_bind, c->plan.n_bind == 1 ? "" : "s");
	else
		fprintf(f, "%zu function%s to %s\n", c->plan.n_bind, c->plan.n_bind == 1 ? "" : "s", c->tp.driver);
}

static int run(struct ctx *c)
{
	const struct reserve_opts *o = c->o;
	struct pci_scan scan = { .all = true };
	size_t blocking = 0;
	int r;

	r = sysfs_open(&c->s, o->sysfs);
	/* Before the configuration is read: its errors must reach the kernel log too. */
	if (!o->dry_run) {
		log_open(o->log, r == 0 && c->s.real);
		if (o->log == LOG_TARGET_AUTO)
			log_also_stderr();
	}
	if (config_load_all(&c->conf, o->config, o->cmdline) < 0) {
		log_error("configuration error: nothing written");
		return RESERVE_EXIT_USAGE;
	}
	if (r < 0) {
		log_error("cannot open the sysfs root %s: %s", o->sysfs, strerror(-r));
		return RESERVE_EXIT_USAGE;
	}
	if (open_root(&c->proc, o->proc, "/proc", "--proc") < 0 || open_root(&c->dev, o->dev, "/dev", "--dev") < 0)
		return RESERVE_EXIT_USAGE;
	if (!o->dry_run && c->s.real && geteuid() != 0) {
		log_error("%s writes to /sys and must run as root; '%s --dry-run' shows what it would do", c->verb, c->verb);
		return RESERVE_EXIT_USAGE;
	}
	if (!o->release && c->conf.kill_switch) {
		log_error("vfio_binder=off is on the kernel command line: reserve does nothing while it is (the host keeps "
			  "every device); --no-cmdline ignores it");
		return RESERVE_EXIT_USAGE;
	}
	c->run_dir = o->run ? o->run : c->s.real ? "/run" : NULL;
	if (c->run_dir && !o->dry_run) {
		/* One reserve or release at a time: each judges the machine as the previous one left it. */
		c->lock_fd = runtime_lock(c->run_dir);
		if (c->lock_fd < 0)
			log_warning("cannot lock %s/%s/%s: %s; going on without the lock", c->run_dir, RECORD_DIR,
				    RUNTIME_LOCK_FILE, strerror(-c->lock_fd));
	}
	if (c->run_dir && sysfs_open(&c->run, c->run_dir) == 0) {
		char err[512];

		r = runtime_read(&c->run, &c->rt, err, sizeof(err));
		if (r < 0 && r != -ENOENT)
			log_warning("%s; it is written anew", err);
	}

	r = pci_table_load(&c->s, &scan, &c->t);
	if (r < 0) {
		log_error("cannot list %s/bus/pci/devices: %s", o->sysfs, strerror(-r));
		return RESERVE_EXIT_USAGE;
	}
	for (size_t i = 0; i < o->n_targets; i++) {
		char addr[PCI_ADDR_STRLEN];

		if (!pci_table_find(&c->t, &o->targets[i])) {
			log_error("%s: no such PCI function in %s/bus/pci/devices; nothing written",
				  pci_addr_fmt(&o->targets[i], addr), o->sysfs);
			return RESERVE_EXIT_USAGE;
		}
		if (add_target(c, &o->targets[i]) < 0)
			return RESERVE_EXIT_USAGE;
	}
	if (o->release && o->all && release_all_targets(c) < 0)
		return RESERVE_EXIT_USAGE;
	if (o->configured && configured_targets(c) < 0)
		return RESERVE_EXIT_USAGE;
	r = !o->release && o->all ? all_policy(c) : target_policy(c);
	if (r < 0)
		return RESERVE_EXIT_USAGE;
	c->out = calloc(c->t.n + 1, sizeof(*c->out));
	if (!c->out)
		return RESERVE_EXIT_USAGE;
	if (c->n_targets || (!o->release && o->all)) {
		/* driver = auto: the variant each function would get, as bind looks it up */
		if (policy_wants_variants(&c->tp))
			variant_resolve(&c->s, &c->t, o->modules_dir);
		r = plan_build(&c->t, &c->tp, &c->plan);
		if (r < 0) {
			log_error("cannot build the plan: %s", strerror(-r));
			return RESERVE_EXIT_USAGE;
		}
	}
	/* The targets are the policy's device entries: say so in their words. */
	for (size_t i = 0; i < c->plan.n && !(!o->release && o->all); i++)
		if (streq(c->plan.v[i].reason, "device entry"))
			snprintf(c->plan.v[i].reason, sizeof(c->plan.v[i].reason), "%s",
				 o->all ? "planned, or reserved at runtime (--all)" : "named on the command line");
	/* Targets are device entries: the notes about entries (the boot VGA's) are said again below, better. */
	for (size_t i = 0; i < c->plan.n_notes; i++)
		log_full(c->plan.notes[i].prio == LOG_ERR || o->all ? c->plan.notes[i].prio : LOG_DEBUG, "%s",
			 c->plan.notes[i].text);
	if (c->plan.config_errors) {
		log_error("%s: a target cannot mean what it says (above): nothing written", c->verb);
		return RESERVE_EXIT_USAGE;
	}
	for (size_t i = 0; i < c->n_targets; i++)
		c->out[pci_table_find(&c->t, &c->targets[i]) - c->t.v].target = true;
	/* A kept target that a released one takes with it (its card, its group) goes: a card moves whole. */
	{
		size_t k = 0;

		for (size_t i = 0; i < c->kept.n; i++) {
			const struct pci_func *f = pci_table_find(&c->t, &c->kept.v[i].addr);
			const struct plan_entry *e = plan_find(&c->plan, (size_t)(f - c->t.v));
			char addr[PCI_ADDR_STRLEN];

			if (e && e->action == PLAN_BIND)
				continue;
			c->kept.v[k++] = c->kept.v[i];
			log_info("%s: stays on %s: the configuration does not give it back to the host (%s)",
				 pci_addr_fmt(&f->addr, addr), c->conf.driver, c->kept.v[i].text);
		}
		c->kept.n = k;
	}
	if (!o->release && o->all)
		for (size_t i = 0; i < c->plan.n; i++)
			c->out[c->plan.v[i].func].target = c->plan.v[i].action == PLAN_BIND;

	r = judge_targets(c);
	if (r == 0)
		r = judge_holders(c, &blocking);
	c->blocking = blocking;
	if (r < 0) {
		log_error("out of memory");
		return RESERVE_EXIT_USAGE;
	}
	if (c->refused.n && !blocking)
		log_error("%s refused (above): nothing written", c->verb);
	if (c->refused.n || blocking)
		goto done;
	if (c->plan.n_bind == 0) {
		log_notice("nothing to %s", c->verb);
		goto done;
	}

	c->w = o->dry_run ? open_memstream(&c->writes, &c->writes_size) : o->out;
	if (!c->w)
		return RESERVE_EXIT_USAGE;
	/* The way back goes on without the mark (runtime_write said why); only a monitor could undo it. */
	if (o->release && c->run_dir && !o->dry_run && mark_releasing(c) < 0)
		log_warning("a running vfio-binder monitor may take these functions back before their drivers do: "
			    "stop it (systemctl stop vfio-binder-monitor) and release again if they end on %s",
			    c->tp.driver);
	r = o->release ? do_release(c) : do_reserve(c);
	if (o->dry_run) {
		fclose(c->w);
		c->w = NULL;
	}
	if (r < 0)
		return RESERVE_EXIT_USAGE;
	if (c->run_dir && !o->dry_run)
		record_changes(c);
done:
	{
		bool ok = !c->refused.n && !blocking;

		for (size_t i = 0; i < c->plan.n; i++)
			if (c->plan.v[i].action == PLAN_BIND && !o->dry_run)
				ok &= c->out[c->plan.v[i].func].ok;
		if (o->json) {
			print_json(c, ok);
		} else if (o->dry_run) {
			print_set(c);
			fputs(c->writes ? c->writes : "", o->out);
		}
		if (!ok && !c->refused.n && !blocking)
			log_warning("%s: some functions did not end where asked (above)", c->verb);
		return ok ? EXIT_SUCCESS : RESERVE_EXIT_FAILED;
	}
}

int reserve_run(const struct reserve_opts *o)
{
	struct ctx c = {
		.o = o,
		.verb = o->release ? "release" : "reserve",
		.s = { .root_fd = -1 },
		.proc = { .root_fd = -1 },
		.dev = { .root_fd = -1 },
		.run = { .root_fd = -1 },
		.lock_fd = -1,
	};
	int ret;

	policy_init(&c.conf);
	policy_init(&c.tp);
	ret = run(&c);
	free(c.writes);
	free(c.out);
	free(c.targets);
	free(c.refused.v);
	free(c.kept.v);
	runtime_free(&c.rt);
	holders_free(&c.holders);
	plan_free(&c.plan);
	pci_table_free(&c.t);
	policy_free(&c.tp);
	policy_free(&c.conf);
	sysfs_close(&c.run);
	sysfs_close(&c.dev);
	sysfs_close(&c.proc);
	sysfs_close(&c.s);
	if (c.lock_fd >= 0)
		close(c.lock_fd);
	log_close();
	return ret;
}
