// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"
#include "output.h"

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

const char *log_level_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void plan_print(FILE *f, const struct pci_table *t, const struct plan *plan)
{
	const struct policy *p = plan->policy;
	char addr[PCI_ADDR_STRLEN];

	for (size_t i = 0; i < plan->n_notes; i++)
		fprintf(f, "%s: %s\n", log_level_name(plan->notes[i].prio), plan->notes[i].text);
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->v[i];
		const struct pci_func *fn = &t->v[e->func];

		fprintf(f, "%-4s  %s  %04x:%04x  %-26s  %s", e->action == PLAN_BIND ? "bind" : "skip",
			pci_addr_fmt(&fn->addr, addr), fn->vendor, fn->device, pci_class_name(fn->class), e->reason);
		/* the driver and the reset method when they are not the configuration's one driver */
		if (e->action == PLAN_BIND && (!streq(e->driver.driver, p->driver) || p->auto_driver))
			fprintf(f, "; -> %s (%s)", e->driver.driver, e->driver_why);
		if (e->action == PLAN_BIND && e->reset != RESET_UNSET)
			fprintf(f, "; reset_method %s", reset_method_str(e->reset));
		fputc('\n', f);
	}
	if (plan->n_bind == 0) {
		fprintf(f, "nothing to bind\n");
		return;
	}
	fprintf(f, "%zu function%s to %s", plan->n_bind, plan->n_bind == 1 ? "" : "s",
		p->auto_driver ? "their drivers (driver = auto)" : p->driver);
	if (p->options)
		fprintf(f, ", module options: %s", p->options);
	if (p->preload)
		fprintf(f, ", preloaded: %s", p->preload);
	fprintf(f, "%s\n", p->load ? "" : " (load = no: the driver is not loaded)");
}

static void entries_json(FILE *f, const struct pci_table *t, const struct plan *plan, enum plan_action action)
{
	char addr[PCI_ADDR_STRLEN];
	bool first = true;

	fputc('[', f);
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->v[i];
		const struct pci_func *fn = &t->v[e->func];

		if (e->action != action)
			continue;
		fprintf(f, "%s\n    {\"address\": \"%s\", \"vendor\": \"%04x\", \"device\": \"%04x\", \"class\": \"0x%06x\", ",
			first ? "" : ",", pci_addr_fmt(&fn->addr, addr), fn->vendor, fn->device,
			fn->class == PCI_CLASS_UNKNOWN ? 0xffffffu : fn->class);
		fputs("\"class_name\": ", f);
		json_string(f, pci_class_name(fn->class));
		if (fn->iommu_group >= 0)
			fprintf(f, ", \"iommu_group\": %d", fn->iommu_group);
		else
			fputs(", \"iommu_group\": null", f);
		fprintf(f, ", \"boot_vga\": %s, \"driver\": ", fn->boot_vga == 1 ? "true" : "false");
		if (fn->driver[0])
			json_string(f, fn->driver);
		else
			fputs("null", f);
		fprintf(f, ", \"kind\": \"%s\", \"reason\": ", plan_kind_str(e->kind));
		json_string(f, e->reason);
		if (action == PLAN_BIND) {
			fputs(", \"bind_driver\": ", f);
			json_string(f, e->driver.driver);
			fputs(", \"bind_driver_why\": ", f);
			json_string(f, e->driver_why);
			fputs(", \"reset_method\": ", f);
			if (e->reset != RESET_UNSET)
				json_string(f, reset_method_str(e->reset));
			else
				fputs("null", f);
		}
		fputc('}', f);
		first = false;
	}
	fputs(first ? "]" : "\n  ]", f);
}

void plan_print_json(FILE *f, const struct pci_table *t, const struct plan *plan, const char *writes)
{
	const struct policy *p = plan->policy;

	fprintf(f, "{\n  \"policy\": \"%s\",\n  \"driver\": ", policy_mode_str(p->mode));
	json_string(f, p->driver);
	fputs(",\n  \"options\": ", f);
	if (p->options)
		json_string(f, p->options);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"load\": %s,\n  \"bind\": ", p->load ? "true" : "false");
	entries_json(f, t, plan, PLAN_BIND);
	fputs(",\n  \"skip\": ", f);
	entries_json(f, t, plan, PLAN_SKIP);
	fputs(",\n  \"notes\": [", f);
	for (size_t i = 0; i < plan->n_notes; i++) {
		fprintf(f, "%s\n    {\"level\": \"%s\", \"text\": ", i ? "," : "", log_level_name(plan->notes[i].prio));
		json_string(f, plan->notes[i].text);
		fputc('}', f);
	}
	fputs(plan->n_notes ? "\n  ]" : "]", f);
	if (writes) {
		const char *sep = "\n    ";

		fputs(",\n  \"writes\": [", f);
		for (const char *l = writes; *l;) {
			size_t n = strcspn(l, "\n");
			char *line = strndup(l, n);

			if (line) {
				fputs(sep, f);
				json_string(f, line);
				sep = ",\n    ";
			}
			free(line);
			l += n + (l[n] == '\n');
		}
		fputs(*writes ? "\n  ]" : "]", f);
	}
	fputs("\n}\n", f);
}
