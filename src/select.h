/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "pci.h"
#include "policy.h"

/*
 * Selection: a pure function from a device table and a policy to a plan.
 * It reads no files and writes none, so every rule is tested on tables
 * built in memory.
 */

enum plan_action { PLAN_BIND, PLAN_SKIP };

struct plan_entry {
	size_t func;		/* index into the pci_table */
	enum plan_action action;
	char reason[128];
};

struct plan_note {
	int prio;		/* LOG_ERR, LOG_WARNING, LOG_NOTICE */
	char text[384];
};

struct plan {
	struct plan_entry *v;	/* in address order */
	size_t n;
	size_t n_bind;
	struct plan_note *notes;
	size_t n_notes;
	const struct policy *policy;
};

int plan_build(const struct pci_table *t, const struct policy *p, struct plan *ret);
void plan_free(struct plan *plan);
/* What pci_table_load must read for this policy. */
void plan_scan_needs(const struct policy *p, struct pci_scan *ret);
