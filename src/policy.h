/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pciaddr.h"

/* What the user asked for, from /etc/vfio.conf and the kernel command line. */

enum policy_mode { POLICY_LIST, POLICY_BOOT_VGA, POLICY_OFF };
enum companions_mode { COMPANIONS_SLOT, COMPANIONS_AUDIO, COMPANIONS_NONE };
enum group_mode { GROUP_CHECK, GROUP_BIND, GROUP_IGNORE };

#define DRIVER_NAME_MAX 64

/* Where an entry came from, for messages: "file:line" or the kernel command line. */
struct origin {
	const char *file;	/* NULL: kernel command line */
	unsigned line;
};

/* reset_method = for a device entry; what the kernel's reset_method attribute takes. */
enum reset_method { RESET_UNSET, RESET_DEFAULT, RESET_DEVICE_SPECIFIC, RESET_ACPI, RESET_FLR, RESET_AF_FLR, RESET_PM,
		    RESET_BUS, RESET_CXL_BUS, RESET_COUNT };

/* A driver as the configuration names it: the driver's own name and its module's. */
struct driver_name {
	char driver[DRIVER_NAME_MAX];	/* written to driver_override, seen in driver links; "" unset */
	char module[DRIVER_NAME_MAX];	/* what libkmod loads */
	bool automatic;			/* driver = auto: a vfio variant driver by modalias, else vfio-pci */
};
/* A per-device setting: not given on the device line (the [binder] key decides), or given. */
enum setting { SETTING_UNSET, SETTING_NO, SETTING_YES };

struct policy_entry {
	union {
		struct pci_addr addr;
		struct pci_id id;
	};
	struct origin origin;
	/* device and [sriov] entries: the identity the address must have (device = ADDR @ VVVV:DDDD [SSSS:ssss]) */
	bool pinned, pinned_subsystem;
	struct pci_id pin, pin_subsystem;
	/* device entries: their own driver (driver=), reset method (reset_method=) */
	struct driver_name driver;
	enum reset_method reset;
	/* [sriov] entries: how many virtual functions to create */
	unsigned vfs;
	uint8_t return_to_host;	/* enum setting; device entries: "return_to_host=" after the address */
};

struct entry_list {
	struct policy_entry *v;
	size_t n, alloc;
};

struct policy {
	enum policy_mode mode;
	char driver[DRIVER_NAME_MAX];	/* the driver's own name: written to driver_override, seen in driver links */
	char module[DRIVER_NAME_MAX];	/* the module that provides it, for libkmod */
	bool auto_driver;	/* driver = auto: vfio variant drivers where modules.alias has one, else vfio-pci */
	enum companions_mode companions;
	enum group_mode group;
	bool unbind;
	bool require_iommu;
	bool load;
	bool return_to_host;	/* release --configured (the libvirt hook) gives functions back to the host */
	bool kill_switch;	/* vfio_binder=off on the command line */
	struct entry_list devices, ids, excludes;
	struct entry_list vfs;		/* vfs = PF: every virtual function of that physical function */
	struct entry_list sriov;	/* [sriov] PF = N: virtual functions to create */
	char *preload;		/* modules loaded before the driver, "a b" (vendor-reset) */
	/* [access]: who may open /dev/vfio/N of the groups bound; NULL unset */
	char *owner, *group_owner;
	unsigned mode_bits;	/* 0: 0660 when an owner or group is set */
	char *options;		/* module parameters, "key=value key=value" */
	char *config_file;	/* owned; origins point here */
};

void policy_init(struct policy *p);
void policy_free(struct policy *p);
/*
 * A deep copy (dst is overwritten, not freed first). The entries' origins
 * still point into src's config_file: src must outlive dst. 0 or -ENOMEM
 * (dst then freed).
 */
int policy_copy(struct policy *dst, const struct policy *src);
int policy_add_entry(struct entry_list *l, const struct policy_entry *e);
/* Nothing configured at all: the plan says so instead of guessing. */
bool policy_is_empty(const struct policy *p);
/*
 * Whether release --configured gives a to the host: its device entry's
 * return_to_host=, else [binder] return_to_host. entry (may be NULL) is
 * set to the device entry that decided, or NULL when the [binder] key did.
 */
bool policy_return_to_host(const struct policy *p, const struct pci_addr *a, const struct policy_entry **entry);
/* The driver needs an IOMMU group to bind (everything but pci-stub). */
bool policy_needs_iommu(const struct policy *p);

int policy_mode_parse(const char *s, enum policy_mode *ret);
int companions_parse(const char *s, enum companions_mode *ret);
int group_mode_parse(const char *s, enum group_mode *ret);
int bool_parse(const char *s, bool *ret);
/* Module names as modprobe knows them: [A-Za-z0-9_-], up to 63 characters. */
int driver_name_valid(const char *s);
/*
 * driver = takes the module's name or the driver's: vfio_pci and vfio-pci
 * both mean the driver "vfio-pci" of the module vfio_pci, and pci_stub the
 * driver "pci-stub". Writing the module's name into driver_override would
 * match no driver and leave the device with none. Another module's driver
 * is named as the kernel names modules (KBUILD_MODNAME: '-' becomes '_'),
 * as every vfio variant driver is. The name must be valid.
 */
void policy_set_driver(struct policy *p, const char *name);
/* The same for one name: "auto" sets automatic with vfio-pci as the fallback. */
void driver_name_set(struct driver_name *d, const char *name);
/*
 * A device line: "ADDR [@ VVVV:DDDD [SSSS:ssss]] [KEY=VALUE...]", words
 * split at blanks ("ADDR@VVVV:DDDD[@SSSS:ssss]" without blanks too, as on
 * the kernel command line). keys says which KEY=VALUE words are allowed.
 * Returns 0, or -EINVAL with what is wrong in err, naming the key what (the
 * caller adds where).
 */
#define ENTRY_KEY_DRIVER 0x1	/* driver=NAME|auto */
#define ENTRY_KEY_RESET 0x2	/* reset_method=METHOD */
#define ENTRY_KEY_RETURN 0x4	/* return_to_host=yes|no */
int policy_entry_parse(const char *s, const char *what, unsigned keys, struct policy_entry *e, char *err,
		       size_t errsize);
int reset_method_parse(const char *s, enum reset_method *ret);
const char *reset_method_str(enum reset_method m);
/* Whether a function going to this driver needs an IOMMU group (everything but pci-stub). */
bool driver_needs_iommu(const struct policy *p, const char *driver);

const char *policy_mode_str(enum policy_mode m);
const char *companions_str(enum companions_mode m);
const char *group_mode_str(enum group_mode m);
/* "FILE:LINE" or "kernel command line" */
const char *origin_fmt(const struct origin *o, char *buf, size_t size);
