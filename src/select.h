/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "pci.h"
#include "policy.h"

/*
 * Selection: a pure function from a device table and a policy to a plan.
 * It reads no files and writes none, so every rule is tested on tables
 * built in memory. Everything shown about a plan (plan, list, status, the
 * JSON) is read from it, never worked out again.
 */

enum plan_action { PLAN_BIND, PLAN_SKIP };

/* Why a function is in the plan: bind, or the rule that refused it. */
enum plan_kind {
	PLAN_KIND_SELECTED,	/* bound: by a device entry, an id, the policy, as a companion or group member */
	PLAN_KIND_BOOT_VGA,	/* the boot VGA: only a device entry takes it */
	PLAN_KIND_BOOT_VGA_CARD,	/* a companion of the boot VGA */
	PLAN_KIND_NO_BOOT_VGA,	/* policy boot_vga cannot tell which GPU is the host's */
	PLAN_KIND_BMC,		/* a BMC's display (remote console) */
	PLAN_KIND_EXCLUDED,
	PLAN_KIND_GROUP,	/* its IOMMU group holds an endpoint left with the host */
	PLAN_KIND_CARD,		/* another function of its card is refused: the card goes whole or not at all */
	PLAN_KIND_NO_IOMMU,	/* no IOMMU at all, and the driver needs one */
	PLAN_KIND_NO_GROUP,	/* no IOMMU group, though the machine has groups */
	PLAN_KIND_UNREADABLE,	/* an attribute a rule rests on could not be read */
	PLAN_KIND_BRIDGE,	/* a PCI bridge: never bound */
	PLAN_KIND_SRIOV_PF,	/* a physical function with virtual functions enabled */
	PLAN_KIND_NOT_PINNED,	/* a device entry pinned to another identity: the address moved */
	PLAN_KIND_COUNT
};

struct plan_entry {
	size_t func;		/* index into the pci_table */
	enum plan_action action;
	enum plan_kind kind;
	size_t leader;		/* the GPU whose card it belongs to (itself for a GPU), or SIZE_MAX */
	char reason[160];
	/* bind: the driver it goes to, and why that one */
	struct driver_name driver;
	const char *driver_why;	/* static text */
	enum reset_method reset;	/* written to reset_method first; RESET_UNSET: left alone */
};

struct plan_note {
	int prio;		/* LOG_ERR, LOG_WARNING, LOG_NOTICE */
	char text[384];
};

/*
 * An IOMMU group the plan touches (it binds a member, or refused members
 * for the group), with the endpoints in the way of giving it to a guest:
 * not bridges, not bound by the plan, not on the driver already.
 */
struct plan_group {
	int group;
	size_t first, n;	/* into plan.blockers */
};

struct plan {
	struct plan_entry *v;	/* in address order */
	size_t n;
	size_t n_bind;
	struct plan_note *notes;
	size_t n_notes;
	unsigned config_errors;	/* entries that cannot mean what they say (a bridge): bind writes nothing */
	/*
	 * policy boot_vga cannot tell which GPU is the host's (no function reads
	 * boot_vga = 1, or one cannot be read): the note that says so, or -1.
	 */
	int no_boot_vga_note;
	struct plan_group *groups;	/* in group order */
	size_t n_groups;
	size_t *blockers;	/* function indices */
	const struct policy *policy;
};

int plan_build(const struct pci_table *t, const struct policy *p, struct plan *ret);
void plan_free(struct plan *plan);
/* What pci_table_load must read for this policy. */
void plan_scan_needs(const struct policy *p, struct pci_scan *ret);
/* The entry of table function i, or NULL. */
const struct plan_entry *plan_find(const struct plan *plan, size_t func);
/* The group record of g, or NULL when the plan does not touch it. */
const struct plan_group *plan_find_group(const struct plan *plan, int g);
/* The modules a bind of this plan loads, the preload ones first: "a b", malloc'd, or NULL when none. */
char *plan_modules(const struct plan *plan);
/* "selected", "boot-vga"...: the stable key in the JSON output. */
const char *plan_kind_str(enum plan_kind k);
/* A display function of a BMC (remote console), by vendor:device. */
bool pci_id_is_bmc_display(uint16_t vendor, uint16_t device);
