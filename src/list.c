// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two questions every passthrough guide answers with shell loops over
 * /sys/kernel/iommu_groups and lspci: which group is my GPU in, and is it
 * bound to vfio-pci now.
 */
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "macro.h"
#include "output.h"

/* The plan entry of each function, or NULL: the plan is the only source of every verdict shown. */
static const struct plan_entry **entries_by_func(const struct pci_table *t, const struct plan *plan)
{
	const struct plan_entry **by = calloc(t->n + 1, sizeof(*by));

	if (!by)
		return NULL;
	for (size_t i = 0; i < plan->n; i++)
		by[plan->v[i].func] = &plan->v[i];
	return by;
}

static bool shown(const struct pci_table *t, size_t i, const struct list_filter *flt)
{
	const struct pci_func *f = &t->v[i];

	if (flt->group >= 0 && f->iommu_group != flt->group)
		return false;
	if (flt->has_device && !pci_addr_eq(&flt->device, &f->addr))
		return false;
	if (flt->gpus) {
		for (size_t j = 0; j < t->n; j++)
			if (pci_addr_same_slot(&t->v[j].addr, &f->addr) && pci_class_is_display(t->v[j].class))
				return true;
		return false;
	}
	return true;
}

static void names_of(struct hwdb *names, const struct pci_func *f, const char **vn, const char **dn)
{
	*vn = *dn = NULL;
	if (names)
		hwdb_pci_names(names, f->vendor, f->device, vn, dn);
}

static void func_line(FILE *out, const struct pci_func *f, const struct plan_entry *e, struct hwdb *names,
		      const struct runtime_func *rf)
{
	char addr[PCI_ADDR_STRLEN];
	const char *vn, *dn;

	fprintf(out, "  %s [%04x] %s: ", pci_addr_fmt(&f->addr, addr),
		f->class == PCI_CLASS_UNKNOWN ? 0xffffu : f->class >> 8, pci_class_name(f->class));
	names_of(names, f, &vn, &dn);
	if (vn)
		fprintf(out, "%s %s ", vn, dn ? dn : "Device");
	fprintf(out, "[%04x:%04x]", f->vendor, f->device);
	if (f->driver[0])
		fprintf(out, " driver=%s", f->driver);
	if (f->override[0])
		fprintf(out, " override=%s", f->override);
	if (f->boot_vga == 1)
		fputs(" boot_vga", out);
	if (f->reset_methods) {
		const char *sep = " reset=";

		for (unsigned m = 1; m < RESET_COUNT; m++)
			if (f->reset_methods & (1u << m)) {
				fprintf(out, "%s%s", sep, reset_method_str((enum reset_method)m));
				sep = ",";
			}
	}
	if (e)
		fprintf(out, "  -> %s: %s", e->action == PLAN_BIND ? "bind" : "skip", e->reason);
	if (rf)
		fprintf(out, "%s%s at runtime by '%s'", e ? "; " : "  -> ", runtime_state_str(rf->state), rf->command);
	fputc('\n', out);
}

/* "runtime": what reserve or release did to the function since the boot, or null. */
static void runtime_json(FILE *out, const struct runtime_func *rf)
{
	if (!rf) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"state\": \"%s\", \"time\": %lld, \"driver\": ", runtime_state_str(rf->state),
		(long long)rf->time);
	if (rf->driver[0])
		json_string(out, rf->driver);
	else
		fputs("null", out);
	fputs(", \"command\": ", out);
	json_string(out, rf->command);
	fputc('}', out);
}

static void verdict_line(FILE *out, const struct pci_table *t, const struct plan *plan, int g)
{
	const struct plan_group *pg = plan_find_group(plan, g);
	char addr[PCI_ADDR_STRLEN];

	if (!pg)
		return;
	if (pg->n == 0) {
		fprintf(out, "  verdict: viable for a guest: every endpoint is selected or on %s\n", plan->policy->driver);
		return;
	}
	fputs("  verdict: not viable for a guest: in the way: ", out);
	for (size_t k = 0; k < pg->n; k++) {
		const struct pci_func *f = &t->v[plan->blockers[pg->first + k]];

		fprintf(out, "%s%s (%s)", k ? ", " : "", pci_addr_fmt(&f->addr, addr), f->driver[0] ? f->driver : "no driver");
	}
	fputc('\n', out);
}

static int cmp_group(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The distinct groups of the shown functions, in numeric order; -1 for "no group" last. */
static size_t groups_of(const struct pci_table *t, const struct list_filter *flt, int *groups)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		bool seen = false;

		if (!shown(t, i, flt))
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = groups[k] == t->v[i].iommu_group;
		if (!seen)
			groups[n++] = t->v[i].iommu_group;
	}
	qsort(groups, n, sizeof(*groups), cmp_group);
	if (n && groups[0] == -1) {
		memmove(groups, groups + 1, (n - 1) * sizeof(*groups));
		groups[n - 1] = -1;
	}
	return n;
}

static void json_or_null(FILE *out, const char *s)
{
	if (s && *s)
		json_string(out, s);
	else
		fputs("null", out);
}

static void func_json(FILE *out, const struct pci_func *f, const struct plan_entry *e, struct hwdb *names,
		      const struct runtime_func *rf)
{
	char addr[PCI_ADDR_STRLEN];
	const char *vn, *dn;

	names_of(names, f, &vn, &dn);
	fprintf(out, "{\"address\": \"%s\", \"class\": \"0x%06x\", \"class_name\": ", pci_addr_fmt(&f->addr, addr),
		f->class == PCI_CLASS_UNKNOWN ? 0xffffffu : f->class);
	json_string(out, pci_class_name(f->class));
	fprintf(out, ", \"vendor\": \"%04x\", \"device\": \"%04x\", \"vendor_name\": ", f->vendor, f->device);
	json_or_null(out, vn);
	fputs(", \"device_name\": ", out);
	json_or_null(out, dn);
	fputs(", \"driver\": ", out);
	json_or_null(out, f->driver);
	fputs(", \"driver_override\": ", out);
	json_or_null(out, f->override);
	fprintf(out, ", \"boot_vga\": %s, \"reset_methods\": [", f->boot_vga == 1 ? "true" : "false");
	for (unsigned m = 1, k = 0; m < RESET_COUNT; m++)
		if (f->reset_methods & (1u << m))
			fprintf(out, "%s\"%s\"", k++ ? ", " : "", reset_method_str((enum reset_method)m));
	fputs("], \"action\": ", out);
	if (e) {
		fprintf(out, "\"%s\", \"kind\": \"%s\", \"reason\": ", e->action == PLAN_BIND ? "bind" : "skip",
			plan_kind_str(e->kind));
		json_string(out, e->reason);
	} else {
		fputs("null, \"kind\": null, \"reason\": null", out);
	}
	fputs(", \"runtime\": ", out);
	runtime_json(out, rf);
	fputc('}', out);
}

void list_print(FILE *out, const struct pci_table *t, const struct plan *plan, const struct list_filter *flt,
		struct hwdb *names, const struct runtime *rt, bool json)
{
	_cleanup_free_ const struct plan_entry **by = entries_by_func(t, plan);
	_cleanup_free_ int *groups = calloc(t->n + 1, sizeof(*groups));
	const char *driver = plan->policy->driver;
	size_t n;

	if (!by || !groups)
		return;
	n = groups_of(t, flt, groups);
	if (json) {
		fprintf(out, "{\n  \"iommu\": %s,\n  \"policy\": \"%s\",\n  \"driver\": ", t->iommu ? "true" : "false",
			policy_mode_str(plan->policy->mode));
		json_string(out, driver);
		fputs(",\n  \"groups\": [", out);
	} else if (!t->iommu) {
		fputs("No IOMMU groups (the IOMMU is off or missing): functions listed without groups.\n", out);
	}
	for (size_t k = 0; k < n; k++) {
		int g = groups[k];
		const struct plan_group *pg;
		bool first = true;

		if (json) {
			fprintf(out, "%s\n    {\"group\": ", k ? "," : "");
			if (g >= 0)
				fprintf(out, "%d", g);
			else
				fputs("null", out);
			pg = g >= 0 ? plan_find_group(plan, g) : NULL;
			if (pg) {
				fprintf(out, ", \"viable\": %s, \"in_the_way\": [", pg->n ? "false" : "true");
				for (size_t b = 0; b < pg->n; b++) {
					char addr[PCI_ADDR_STRLEN];

					fprintf(out, "%s\"%s\"", b ? ", " : "",
						pci_addr_fmt(&t->v[plan->blockers[pg->first + b]].addr, addr));
				}
				fputc(']', out);
			} else {
				fputs(", \"viable\": null, \"in_the_way\": []", out);
			}
			fputs(", \"functions\": [", out);
		} else if (g >= 0) {
			fprintf(out, "IOMMU group %d\n", g);
		} else if (t->iommu) {
			fputs("No IOMMU group\n", out);
		}
		for (size_t i = 0; i < t->n; i++) {
			if (t->v[i].iommu_group != g || !shown(t, i, flt))
				continue;
			if (json) {
				fputs(first ? "\n      " : ",\n      ", out);
				func_json(out, &t->v[i], by[i], names, runtime_find(rt, &t->v[i].addr));
			} else {
				func_line(out, &t->v[i], by[i], names, runtime_find(rt, &t->v[i].addr));
			}
			first = false;
		}
		if (json)
			fputs("\n    ]}", out);
		else if (g >= 0)
			verdict_line(out, t, plan, g);
	}
	if (json)
		fputs(n ? "\n  ]\n}\n" : "]\n}\n", out);
	else if (n == 0)
		fputs("No PCI function matches.\n", out);
}

void list_print_config(FILE *out, const struct pci_table *t, const struct list_filter *flt, struct hwdb *names)
{
	char addr[PCI_ADDR_STRLEN];
	bool any = false;

	fputs("[devices]\n", out);
	for (size_t i = 0; i < t->n; i++) {
		const struct pci_func *f = &t->v[i];
		const char *vn, *dn;

		if (!pci_class_is_display(f->class) || !shown(t, i, flt))
			continue;
		names_of(names, f, &vn, &dn);
		pci_addr_fmt(&f->addr, addr);
		if (vn)
			fprintf(out, "# %s %s\n", vn, dn ? dn : "Device");
		if (f->boot_vga == 1)
			fputs("# the boot VGA, the host's console: only for single-GPU passthrough\n# ", out);
		fprintf(out, "device = %s @ %04x:%04x", addr, f->vendor, f->device);
		if (f->subvendor != 0xffff && f->subdevice != 0xffff)
			fprintf(out, " %04x:%04x", f->subvendor, f->subdevice);
		fputc('\n', out);
		any = true;
	}
	if (!any)
		fputs("# no display function matches\n", out);
}

enum fstatus { ST_OK, ST_NOT_BOUND, ST_OTHER_DRIVER, ST_OVERRIDE_MISSING, ST_NO_OVERRIDE_FILE, ST_RELEASED };

static enum fstatus status_of(const struct pci_func *f, const char *driver)
{
	if (streq(f->driver, driver))
		return ST_OK;
	if (f->driver[0])
		return ST_OTHER_DRIVER;
	if (!f->has_override)
		return ST_NO_OVERRIDE_FILE;
	if (!streq(f->override, driver))
		return ST_OVERRIDE_MISSING;
	return ST_NOT_BOUND;
}

static void status_line(FILE *out, const struct pci_func *f, enum fstatus st, const char *reason,
			const struct runtime_func *rf, bool json, bool first)
{
	static const char *const words[] = {
		[ST_OK] = "ok",
		[ST_NOT_BOUND] = "not bound",
		[ST_OTHER_DRIVER] = "bound to",
		[ST_OVERRIDE_MISSING] = "override missing",
		[ST_NO_OVERRIDE_FILE] = "no driver_override attribute",
		[ST_RELEASED] = "released at runtime",
	};
	static const char *const keys[] = {
		[ST_OK] = "ok",
		[ST_NOT_BOUND] = "not-bound",
		[ST_OTHER_DRIVER] = "other-driver",
		[ST_OVERRIDE_MISSING] = "override-missing",
		[ST_NO_OVERRIDE_FILE] = "no-override-attribute",
		[ST_RELEASED] = "released",
	};
	char addr[PCI_ADDR_STRLEN];

	pci_addr_fmt(&f->addr, addr);
	if (json) {
		fprintf(out, "%s\n    {\"address\": \"%s\", \"vendor\": \"%04x\", \"device\": \"%04x\", \"status\": \"%s\", \"driver\": ",
			first ? "" : ",", addr, f->vendor, f->device, keys[st]);
		json_or_null(out, f->driver);
		fputs(", \"driver_override\": ", out);
		json_or_null(out, f->override);
		fputs(", \"reason\": ", out);
		json_string(out, reason);
		fputs(", \"runtime\": ", out);
		runtime_json(out, rf);
		fputc('}', out);
		return;
	}
	if (st == ST_RELEASED) {
		fprintf(out, "%s [%04x:%04x] released at runtime: on %s, by '%s' (%s)\n", addr, f->vendor, f->device,
			f->driver[0] ? f->driver : "no driver", rf->command, reason);
		return;
	}
	fprintf(out, "%s [%04x:%04x] %s%s%s (%s)\n", addr, f->vendor, f->device, words[st],
		st == ST_OTHER_DRIVER ? " " : "", st == ST_OTHER_DRIVER ? f->driver : "", reason);
}

int status_print(FILE *out, const struct pci_table *t, const struct plan *plan, const struct runtime *rt, bool json)
{
	const char *driver = plan->policy->driver;
	size_t released = 0, planned_ok = 0, extra = 0, extra_ok = 0;
	int bad = 0;
	bool first = true;

	if (json) {
		fputs("{\n  \"driver\": ", out);
		json_string(out, driver);
		fputs(",\n  \"functions\": [", out);
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->v[i];
		const struct pci_func *f = &t->v[e->func];
		const struct runtime_func *rf = runtime_find(rt, &f->addr);
		const char *want;
		enum fstatus st;

		if (e->action != PLAN_BIND)
			continue;
		want = e->driver.driver[0] ? e->driver.driver : driver;
		st = status_of(f, want);
		/* Given back on purpose: where it was asked to be, whatever took it since. */
		if (st != ST_OK && rf && rf->state == RUNTIME_RELEASED && !streq(f->override, want))
			st = ST_RELEASED;
		released += st == ST_RELEASED;
		planned_ok += st == ST_OK;
		bad += st != ST_OK && st != ST_RELEASED;
		status_line(out, f, st, e->reason, rf, json, first);
		first = false;
	}
	/* What reserve took beyond the plan must be on the driver too. */
	for (size_t i = 0; rt && i < rt->n; i++) {
		const struct pci_func *f = pci_table_find(t, &rt->v[i].addr);
		const struct plan_entry *e = f ? plan_find(plan, (size_t)(f - t->v)) : NULL;
		char reason[RUNTIME_COMMAND_MAX + 32];
		enum fstatus st;

		if (!f || rt->v[i].state != RUNTIME_RESERVED || (e && e->action == PLAN_BIND))
			continue;
		snprintf(reason, sizeof(reason), "reserved at runtime by '%s'", rt->v[i].command);
		/* the driver reserve put it on (a variant under driver = auto) */
		st = status_of(f, rt->v[i].driver[0] ? rt->v[i].driver : driver);
		extra++;
		extra_ok += st == ST_OK;
		bad += st != ST_OK;
		status_line(out, f, st, reason, &rt->v[i], json, first);
		first = false;
	}
	if (json) {
		fprintf(out, "%s,\n  \"ok\": %s\n}\n", first ? "]" : "\n  ]", bad ? "false" : "true");
	} else if (first) {
		fputs("nothing planned: nothing to check\n", out);
	} else {
		fprintf(out, "%zu planned, %zu on %s", plan->n_bind, planned_ok, driver);
		if (released)
			fprintf(out, ", %zu released at runtime", released);
		if (extra)
			fprintf(out, "; %zu reserved at runtime, %zu on %s", extra, extra_ok, driver);
		fputc('\n', out);
	}
	return bad;
}
