// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vfio-binder doctor`: the checks a user would otherwise find in a dozen
 * passthrough guides, run before the reboot instead of after a black
 * screen. Each check reads its own root (sysfs, proc, etc, boot, the
 * modules directory, run) through the root-dirfd layer of sysfs.c, so the
 * tests point every one of them at a fake tree. The plan is the one `plan`
 * prints (plan_build on the same table); this file only reports on it.
 *
 * Read-only: nothing is written below any root and no module is loaded.
 * libkmod is asked for names, paths and module information only. The one
 * write anywhere is an initramfs unpacked into a private temporary
 * directory, and only when dracut's lsinitrd is not there to print a
 * single file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libkmod.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "conf.h"
#include "doctor.h"
#include "initramfs.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "pci.h"
#include "policy.h"
#include "record.h"
#include "select.h"
#include "variant.h"
#include "access.h"
#include "sysfs.h"

#define FILE_MAX (4u << 20)		/* configuration files, grub.cfg, presets */
#define PROC_FILE_MAX (16u << 20)	/* /proc/interrupts and /proc/cpuinfo grow with the CPUs */
#define SECURE_BOOT_VAR "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define FALLBACK_DOC "doc/fallback-boot-entry.md"

enum level { L_OK, L_WARNING, L_ERROR };

enum check { C_IOMMU, C_PLAN, C_DRIVER, C_NATIVE, C_CONFLICTS, C_INITRAMFS, C_LAST_BOOT, C_SIGNING, C_FALLBACK };

static const char *const check_names[] = {
	[C_IOMMU] = "iommu",
	[C_PLAN] = "plan",
	[C_DRIVER] = "driver",
	[C_NATIVE] = "native",
	[C_CONFLICTS] = "conflicts",
	[C_INITRAMFS] = "initramfs",
	[C_LAST_BOOT] = "last-boot",
	[C_SIGNING] = "signing",
	[C_FALLBACK] = "fallback",
};

static const char *const level_names[] = { "ok", "warning", "error" };

struct finding {
	size_t seq;		/* the order it was found in, within its check */
	enum check check;
	enum level level;
	char *text;
	char *fix;
};

struct param {
	char *name;
	char *val;	/* NULL: no '=' */
};

/* A native driver of a function the plan binds. */
struct native {
	size_t func;	/* index into the table */
	char name[DRIVER_NAME_MAX];	/* as libkmod names it: '_', not '-' */
	bool builtin;
};

struct doctor {
	const struct doctor_opts *o;
	struct sysfs sys, proc, etc, boot, modules, run, lib;
	struct param *params;
	size_t n_params;

	struct policy p;
	char *config_messages;
	char *config_data;
	size_t config_len;
	struct pci_table t;
	struct plan plan;

	struct kmod_ctx *kmod;
	struct kmod_module *driver_mod;
	struct native *natives;
	size_t n_natives;
	size_t conflict_files;

	struct finding *v;
	size_t n;

	int config_r;
	enum initramfs_gen gen;
	enum check cur;
	char kver[256];
	char driver_norm[DRIVER_NAME_MAX];

	/* together, so the struct packs */
	bool have_cmdline;
	bool config_exists;
	bool modules_dir;
	bool driver_builtin;
	bool image_seen;
	bool image_systemd;	/* a dracut image with systemd-modules-load in it */
	bool conflicts_found;
};

/* --- findings --------------------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

_printf_(3, 4) static void add(struct doctor *d, enum level l, const char *fmt, ...)
{
	struct finding *v = reallocarray(d->v, d->n + 1, sizeof(*v));
	va_list ap;

	if (!v)
		return;
	d->v = v;
	va_start(ap, fmt);
	v[d->n] = (struct finding){ .seq = d->n, .check = d->cur, .level = l, .text = vformat(fmt, ap) };
	va_end(ap);
	if (v[d->n].text)
		d->n++;
}

/* The fix of the finding just added. */
_printf_(2, 3) static void fix(struct doctor *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->n)
		return;
	free(d->v[d->n - 1].fix);
	va_start(ap, fmt);
	d->v[d->n - 1].fix = vformat(fmt, ap);
	va_end(ap);
}

/* --- reading below the roots ---------------------------------------------- */

/* ROOT/rel for messages, from a ring of buffers so a message can hold several. */
static const char *at(const struct sysfs *r, const char *rel)
{
	static char ring[8][PATH_MAX];
	static unsigned k;
	char *b = ring[k++ % ELEMENTSOF(ring)];
	size_t n = strlen(r->path);

	if (!*rel)
		snprintf(b, PATH_MAX, "%s", r->path);
	else
		snprintf(b, PATH_MAX, "%s%s%s", r->path, n && r->path[n - 1] == '/' ? "" : "/", rel);
	return b;
}

static int rread_all(const struct sysfs *r, const char *rel, size_t max, char **ret, size_t *len)
{
	int e;

	*ret = NULL;
	if (r->root_fd < 0)
		return -ENOENT;
	e = sysfs_read_all(r, rel, max, ret, len);
	if (e == -EXDEV) {
		/*
		 * An absolute symlink (/etc/modprobe.d/x.conf -> /usr/lib/...):
		 * on the running system it means what it says. Read-only, so
		 * following it out of a test root costs nothing but accuracy.
		 */
		_cleanup_close_ int fd = open(at(r, rel), O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0)
			return -errno;
		e = read_fd_all(fd, max, ret, len);
	}
	return e;
}

static ssize_t rattr(const struct sysfs *r, const char *rel, char *buf, size_t size)
{
	if (r->root_fd < 0)
		return -ENOENT;
	return sysfs_read(r, rel, buf, size);
}

static int rstat(const struct sysfs *r, const char *rel, struct stat *st)
{
	_cleanup_close_ int dfd = -1;
	const char *slash = strrchr(rel, '/');
	char dir[PATH_MAX];

	if (r->root_fd < 0)
		return -ENOENT;
	/* The directory through the checked walk; the last component needs no read permission. */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - rel) : 1, slash ? rel : ".");
	dfd = sysfs_openat(r, dir, O_RDONLY | O_DIRECTORY);
	if (dfd == -EXDEV)
		return stat(at(r, rel), st) < 0 ? -errno : 0;
	if (dfd < 0)
		return dfd;
	return fstatat(dfd, slash ? slash + 1 : rel, st, 0) < 0 ? -errno : 0;
}

static bool rexists(const struct sysfs *r, const char *rel)
{
	struct stat st;

	return rstat(r, rel, &st) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in dir below r that end in suffix ("" for all but dot files), sorted. */
static size_t rlist(const struct sysfs *r, const char *dir, const char *suffix, char ***ret)
{
	_cleanup_closedir_ DIR *dh = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, s = strlen(suffix);

	*ret = NULL;
	if (r->root_fd < 0)
		return 0;
	dh = sysfs_opendir(r, dir);
	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char **nv;

		if (de->d_name[0] == '.' || len < s || strcmp(de->d_name + len - s, suffix) != 0)
			continue;
		nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = strdup(de->d_name);
		if (v[n])
			n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	return n;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void norm_name(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++) {
		dst[i] = src[i];
		if (dst[i] == '-')
			dst[i] = '_';
	}
	dst[i] = '\0';
}

static bool same_module(const char *a, const char *b)
{
	char x[DRIVER_NAME_MAX], y[DRIVER_NAME_MAX];

	norm_name(x, sizeof(x), a);
	norm_name(y, sizeof(y), b);
	return streq(x, y);
}

/* --- the kernel command line -------------------------------------------------- */

static int collect_param(const char *name, const char *val, void *userdata)
{
	struct doctor *d = userdata;
	struct param *v = reallocarray(d->params, d->n_params + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	d->params = v;
	v[d->n_params].name = strdup(name);
	v[d->n_params].val = val ? strdup(val) : NULL;
	if (!v[d->n_params].name)
		return -ENOMEM;
	d->n_params++;
	return 0;
}

/* The value of the last name= (the one the kernel keeps), or NULL. */
static const char *param_last(const struct doctor *d, const char *name)
{
	const char *val = NULL;

	for (size_t i = 0; i < d->n_params; i++)
		if (cmdline_parameq(d->params[i].name, name) && d->params[i].val)
			val = d->params[i].val;
	return val;
}

/* Whether a comma-separated value of any name= holds word (module names compared with '-' as '_'). */
static bool param_has(const struct doctor *d, const char *name, const char *word)
{
	for (size_t i = 0; i < d->n_params; i++) {
		const char *v = d->params[i].val;

		if (!v || !cmdline_parameq(d->params[i].name, name))
			continue;
		while (*v) {
			size_t n = strcspn(v, ",");
			char item[DRIVER_NAME_MAX];

			if (n < sizeof(item)) {
				memcpy(item, v, n);
				item[n] = '\0';
				if (same_module(item, word))
					return true;
			}
			v += n + (v[n] == ',');
		}
	}
	return false;
}

static const char *cmdline_path(const struct doctor *d)
{
	return d->o->cmdline;
}

/* --- check 1: the IOMMU ----------------------------------------------------- */

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = text; (s = strstr(s, line)); s += n)
		if ((s == text || s[-1] == '\n') && (s[n] == '\n' || s[n] == '\0'))
			return true;
	return false;
}

static size_t count_entries(const struct sysfs *r, const char *dir)
{
	char **v;
	size_t n = rlist(r, dir, "", &v);

	free_list(v, n);
	return n;
}

static void check_iommu(struct doctor *d)
{
	_cleanup_free_ char *interrupts = NULL, *cpuinfo = NULL, *config = NULL;
	char **units = NULL, buf[64], rel[PATH_MAX], vendor[64] = "";
	size_t groups, n_units;
	bool intel_ir = false, amd = false, intel = false, unsafe = false, ir_on;
	bool needs = policy_needs_iommu(&d->p);
	int r;

	d->cur = C_IOMMU;
	groups = count_entries(&d->sys, "kernel/iommu_groups");
	if (groups) {
		add(d, L_OK, "%zu IOMMU groups in %s", groups, at(&d->sys, "kernel/iommu_groups"));
	} else {
		add(d, needs ? L_ERROR : L_WARNING, "no IOMMU groups in %s: the IOMMU is off or missing%s",
		    at(&d->sys, "kernel/iommu_groups"),
		    needs ? "" : " (driver = pci-stub with require_iommu = no does without one)");
		fix(d, "turn on VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, and see the kernel command line check below");
	}

	/* Interrupt remapping: what the IOMMU can do, and whether the kernel uses it. */
	n_units = rlist(&d->sys, "class/iommu", "", &units);
	for (size_t i = 0; i < n_units; i++) {
		snprintf(rel, sizeof(rel), "class/iommu/%s/intel-iommu/ecap", units[i]);
		if (rattr(&d->sys, rel, buf, sizeof(buf)) > 0) {
			unsigned long long ecap = strtoull(buf, NULL, 16);

			intel = true;
			/* ECAP bit 3: Interrupt Remapping support (VT-d specification, 11.4.3) */
			if (ecap & (1ull << 3))
				intel_ir = true;
		}
		snprintf(rel, sizeof(rel), "class/iommu/%s/amd-iommu", units[i]);
		/* Every AMD-Vi IOMMU remaps interrupts; the kernel may still turn it off. */
		amd |= rexists(&d->sys, rel);
	}
	if (rattr(&d->sys, "module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", buf, sizeof(buf)) > 0)
		unsafe = buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
	{
		const char *v = param_last(d, "vfio_iommu_type1.allow_unsafe_interrupts");

		unsafe |= v && (v[0] == 'Y' || v[0] == 'y' || v[0] == '1');
	}
	r = rread_all(&d->proc, "interrupts", PROC_FILE_MAX, &interrupts, NULL);
	/* With remapping on, the kernel names the interrupt chips IR-IO-APIC, IR-PCI-MSI... */
	ir_on = r == 0 && strstr(interrupts, " IR-");
	if (ir_on) {
		add(d, L_OK, "interrupt remapping is on (IR- interrupt chips in %s)", at(&d->proc, "interrupts"));
	} else if (!groups) {
		/* Nothing to add: without an IOMMU there is no remapping, and the line above says so. */
	} else if (unsafe) {
		add(d, L_WARNING,
		    "interrupt remapping is %s, and vfio_iommu_type1 allow_unsafe_interrupts is set: a guest's device is not isolated from MSI attacks",
		    r == 0 ? "off" : "not confirmed");
		fix(d, "acceptable for trusted guests only; turn on interrupt remapping (x2APIC) in the firmware setup and drop allow_unsafe_interrupts");
	} else if (r == 0) {
		bool cut = param_last(d, "intremap") && !strncmp(param_last(d, "intremap"), "off", 3);

		add(d, L_ERROR, "interrupt remapping is off (no IR- interrupt chips in %s%s%s): vfio_iommu_type1 refuses to give a guest a device without it",
		    at(&d->proc, "interrupts"), cut ? "; intremap=off is on the kernel command line" : "",
		    intel && !intel_ir ? "; the IOMMU does not offer it (ECAP bit 3 clear)" : "");
		if (cut)
			fix(d, "remove intremap=off from the kernel command line");
		else
			fix(d, "turn on interrupt remapping (x2APIC) in the firmware setup; where the platform has none, boot with vfio_iommu_type1.allow_unsafe_interrupts=1 (trusted guests only)");
	} else if (intel_ir) {
		add(d, L_OK, "the IOMMU supports interrupt remapping (ECAP bit 3 in %s); %s is unreadable, so whether it is on is not known",
		    at(&d->sys, "class/iommu"), at(&d->proc, "interrupts"));
	} else if (amd) {
		add(d, L_OK, "AMD-Vi IOMMU in %s (it supports interrupt remapping); %s is unreadable, so whether it is on is not known",
		    at(&d->sys, "class/iommu"), at(&d->proc, "interrupts"));
	} else {
		add(d, L_WARNING, "cannot tell whether interrupt remapping is on: %s is unreadable and %s shows no IOMMU unit",
		    at(&d->proc, "interrupts"), at(&d->sys, "class/iommu"));
		fix(d, "after the reboot, check dmesg for 'DMAR-IR: Enabled IRQ remapping' (Intel) or 'AMD-Vi: Interrupt remapping enabled'");
	}
	free_list(units, n_units);

	/* The kernel command line this CPU vendor needs. */
	if (rread_all(&d->proc, "cpuinfo", PROC_FILE_MAX, &cpuinfo, NULL) == 0) {
		const char *v = strstr(cpuinfo, "vendor_id");

		if (v && (v = strchr(v, ':'))) {
			v += 1 + strspn(v + 1, " \t");
			snprintf(vendor, sizeof(vendor), "%.*s", (int)strcspn(v, "\n"), v);
		}
	}
	if (!d->have_cmdline) {
		add(d, L_WARNING, "cannot read the kernel command line %s: the IOMMU parameters are not checked",
		    cmdline_path(d));
		return;
	}
	if (param_has(d, "iommu", "off")) {
		add(d, L_ERROR, "iommu=off on the kernel command line turns every IOMMU off");
		fix(d, "remove iommu=off (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub or grub2-mkconfig)");
		return;
	}
	if (streq(vendor, "GenuineIntel")) {
		ssize_t n;

		if (param_has(d, "intel_iommu", "off")) {
			add(d, L_ERROR, "GenuineIntel CPU and intel_iommu=off on the kernel command line: the IOMMU is off");
			fix(d, "replace intel_iommu=off with intel_iommu=on (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub or grub2-mkconfig)");
			return;
		}
		if (param_has(d, "intel_iommu", "on")) {
			add(d, L_OK, "GenuineIntel CPU: intel_iommu=on is on the kernel command line%s",
			    param_has(d, "iommu", "pt") ? " (with iommu=pt, which is fine)" : "");
			return;
		}
		snprintf(rel, sizeof(rel), "config-%s", d->kver);
		n = d->kver[0] ? rread_all(&d->boot, rel, FILE_MAX, &config, NULL) : -ENOENT;
		if (n == 0 && has_line(config, "CONFIG_INTEL_IOMMU_DEFAULT_ON=y")) {
			add(d, L_OK, "GenuineIntel CPU: kernel %s turns the Intel IOMMU on by default (CONFIG_INTEL_IOMMU_DEFAULT_ON=y in %s)",
			    d->kver, at(&d->boot, rel));
		} else if (n == 0) {
			add(d, L_ERROR, "GenuineIntel CPU: kernel %s leaves the Intel IOMMU off unless asked (CONFIG_INTEL_IOMMU_DEFAULT_ON is not set in %s), and intel_iommu=on is not on the kernel command line",
			    d->kver, at(&d->boot, rel));
			fix(d, "add intel_iommu=on to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub or grub2-mkconfig -o /boot/grub2/grub.cfg)");
		} else if (groups) {
			add(d, L_OK, "GenuineIntel CPU: the IOMMU is on (groups exist) without intel_iommu=on, so kernel %s turns it on by default",
			    d->kver);
		} else {
			add(d, L_ERROR, "GenuineIntel CPU: intel_iommu=on is not on the kernel command line, and without %s it is unknown whether kernel %s turns the Intel IOMMU on by default",
			    at(&d->boot, rel), d->kver);
			fix(d, "add intel_iommu=on to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub or grub2-mkconfig -o /boot/grub2/grub.cfg)");
		}
	} else if (streq(vendor, "AuthenticAMD") || streq(vendor, "HygonGenuine")) {
		if (param_has(d, "amd_iommu", "off")) {
			add(d, L_ERROR, "%s CPU and amd_iommu=off on the kernel command line: the IOMMU is off", vendor);
			fix(d, "remove amd_iommu=off (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub or grub2-mkconfig)");
		} else {
			add(d, L_OK, "%s CPU: the AMD IOMMU is on by default; nothing is needed on the kernel command line%s",
			    vendor, param_has(d, "iommu", "pt") ? " (iommu=pt is fine)" : "");
		}
	} else if (vendor[0]) {
		add(d, L_OK, "CPU vendor %s: no IOMMU parameter to check on the kernel command line", vendor);
	} else {
		add(d, L_WARNING, "cannot tell the CPU vendor (no vendor_id in %s): the IOMMU parameters are not checked",
		    at(&d->proc, "cpuinfo"));
	}
}

/* --- check 2: the plan ------------------------------------------------------ */

/* The plan entry of each table function (NULL where none). */
static const struct plan_entry **by_func(const struct pci_table *t, const struct plan *plan)
{
	const struct plan_entry **by = calloc(t->n + 1, sizeof(*by));

	for (size_t i = 0; by && i < plan->n; i++)
		by[plan->v[i].func] = &plan->v[i];
	return by;
}

/* The captured messages of config_load_all, one finding each. */
static void config_messages(struct doctor *d, enum level l)
{
	for (char *line = d->config_messages, *next; line && *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (!strncmp(line, "vfio-binder: ", 13))
			line += 13;
		if (!*line)
			continue;
		add(d, l, "%s", line);
		if (l == L_ERROR)
			fix(d, "correct the line; 'vfio-binder plan' must run without errors, and bind does nothing at all while the file has one");
		else
			fix(d, "correct or remove the parameter at the boot loader (GRUB_CMDLINE_LINUX in /etc/default/grub)");
	}
}

/*
 * How a skipped function reads in doctor: the host's own (the boot VGA and
 * its card when no device entry asked for them, a BMC's display, an
 * excluded function, a bridge the policy never wanted) is fine; a refusal
 * that leaves a wanted function with the host is a warning.
 */
static bool skip_is_hosts(const struct plan_entry *e)
{
	switch (e->kind) {
	case PLAN_KIND_BOOT_VGA:
	case PLAN_KIND_BOOT_VGA_CARD:
	case PLAN_KIND_BMC:
	case PLAN_KIND_EXCLUDED:
		return true;
	default:
		return false;
	}
}

static void check_plan(struct doctor *d)
{
	const struct policy *p = &d->p;
	bool hybrid = d->plan.no_boot_vga_note >= 0;
	char addr[PCI_ADDR_STRLEN];

	d->cur = C_PLAN;
	if (d->config_r < 0) {
		config_messages(d, L_ERROR);
		add(d, L_ERROR, "%s has errors: at boot the binder would bind nothing", d->o->config);
		fix(d, "correct the lines above, then run vfio-binder doctor again");
		return;
	}
	config_messages(d, L_WARNING);
	/* [access] names must exist here, where the VMs run */
	{
		const char *names[2] = { p->owner, p->group_owner };

		for (int k = 0; k < 2; k++) {
			unsigned id;
			char etc[PATH_MAX];

			snprintf(etc, sizeof(etc), "%s", d->etc.path ? d->etc.path : "/etc");
			if (!names[k] || access_resolve(etc, names[k], k == 1, &id) == 0)
				continue;
			add(d, L_ERROR, "[access] %s %s: no such %s in %s/%s: /dev/vfio nodes would stay root's", k ? "group" : "owner",
			    names[k], k ? "group" : "user", etc, k ? "group" : "passwd");
			fix(d, "name an existing %s in [access] of %s, or its number", k ? "group" : "user", d->o->config);
		}
	}
	if (d->config_exists)
		add(d, L_OK, "configuration %s: policy %s, driver %s", d->o->config, policy_mode_str(p->mode), p->driver);
	else
		add(d, L_OK, "no configuration file %s: the defaults and the kernel command line apply", d->o->config);

	for (size_t i = 0; i < d->plan.n_notes; i++) {
		const struct plan_note *note = &d->plan.notes[i];

		/* The hybrid case gets its own error below, with the way out. */
		if ((int)i == d->plan.no_boot_vga_note)
			continue;
		/* "nothing to do", "policy off": the closing line says it, with the fix. */
		if (note->prio == LOG_NOTICE && !d->plan.n_bind)
			continue;
		add(d, note->prio <= LOG_ERR ? L_ERROR : note->prio == LOG_WARNING ? L_WARNING : L_OK, "%s", note->text);
	}
	if (hybrid) {
		add(d, L_ERROR, "policy boot_vga, but no function has boot_vga = 1 (a hybrid laptop, or firmware that boots on no PCI GPU): the binder cannot tell the host's GPU from the guest's and binds none");
		fix(d, "name the guest's GPU with device = ADDR under [devices] in %s ('vfio-binder list --gpus' shows the addresses)",
		    d->o->config);
	}

	for (size_t i = 0; i < d->plan.n; i++) {
		const struct plan_entry *e = &d->plan.v[i];
		const struct pci_func *f = &d->t.v[e->func];
		bool host = e->action == PLAN_SKIP && skip_is_hosts(e);

		pci_addr_fmt(&f->addr, addr);
		add(d, e->action == PLAN_BIND || host ? L_OK : L_WARNING, "%s %s [%04x:%04x] %s (%s)",
		    e->action == PLAN_BIND ? "bind" : "skip", addr, f->vendor, f->device, pci_class_name(f->class),
		    e->reason);
		if (e->action == PLAN_SKIP && !host) {
			if (hybrid)
				fix(d, "name the guest's GPU with device = ADDR (the error above)");
			else if (!d->t.iommu)
				fix(d, "turn the IOMMU on (the iommu check above)");
			else if (f->iommu_group >= 0)
				fix(d, "'vfio-binder list --group %d' shows what is in the way; a guest gets a group only whole",
				    f->iommu_group);
			else
				fix(d, "'vfio-binder list --device %s' shows the function", addr);
		}
	}

	/* A verdict for each group the plan binds into, as `list` gives it: from the plan. */
	for (size_t i = 0; i < d->plan.n_groups; i++) {
		const struct plan_group *pg = &d->plan.groups[i];
		_cleanup_free_ char *list = NULL;
		size_t size = 0;
		FILE *m;

		if (pg->n == 0) {
			add(d, L_OK, "IOMMU group %d: viable for a guest: every endpoint is selected or on %s", pg->group,
			    p->driver);
			continue;
		}
		m = open_memstream(&list, &size);
		if (!m)
			continue;
		for (size_t k = 0; k < pg->n; k++) {
			const struct pci_func *x = &d->t.v[d->plan.blockers[pg->first + k]];

			fprintf(m, "%s%s (%s)", k ? ", " : "", pci_addr_fmt(&x->addr, addr),
				x->driver[0] ? x->driver : "no driver");
		}
		fclose(m);
		add(d, L_WARNING, "IOMMU group %d: not viable for a guest (group = %s): in the way: %s", pg->group,
		    group_mode_str(p->group), list ? list : "?");
		fix(d, "select them too (device = ADDR), or set group = bind; a guest gets a group only whole");
	}

	if (d->plan.n_bind) {
		add(d, L_OK, "%zu function%s to %s%s%s", d->plan.n_bind, d->plan.n_bind == 1 ? "" : "s", p->driver,
		    p->options ? ", module options: " : "", p->options ? p->options : "");
	} else if (p->kill_switch) {
		add(d, L_WARNING, "the plan binds nothing: vfio_binder=off is on the kernel command line");
		fix(d, "boot without vfio_binder=off; it is the way back, not for every boot");
	} else if (p->mode == POLICY_OFF) {
		add(d, L_WARNING, "the plan binds nothing: policy = off");
		fix(d, "set policy = list or boot_vga in %s", d->o->config);
	} else if (policy_is_empty(p)) {
		add(d, L_WARNING, "the plan binds nothing: nothing is configured");
		fix(d, "write %s ([binder] policy = boot_vga, or device = ADDR under [devices]); see vfio.conf(5)",
		    d->o->config);
	} else if (!hybrid) {
		add(d, L_WARNING, "the plan binds nothing");
		fix(d, "see the lines above; 'vfio-binder list --gpus' shows the GPUs and what the policy makes of them");
	}
}

/* --- check 3: the driver module --------------------------------------------- */

__attribute__((format(printf, 6, 0)))
static void kmod_quiet(void *data, int priority, const char *file, int line, const char *fn, const char *format,
		       va_list args)
{
	/* libkmod's complaints about a missing index are findings here, said once and better. */
	log_fullv(LOG_DEBUG, format, args);
}

static void kmod_open(struct doctor *d)
{
	char dir[PATH_MAX], etc[PATH_MAX], run[PATH_MAX], lib[PATH_MAX];
	const char *paths[] = { etc, run, lib, NULL };
	struct stat st;

	if (!d->kver[0] || d->modules.root_fd < 0)
		return;
	d->modules_dir = rstat(&d->modules, d->kver, &st) == 0 && S_ISDIR(st.st_mode);
	if (!d->modules_dir)
		return;
	snprintf(dir, sizeof(dir), "%s", at(&d->modules, d->kver));
	snprintf(etc, sizeof(etc), "%s", at(&d->etc, "modprobe.d"));
	snprintf(run, sizeof(run), "%s", at(&d->run, "modprobe.d"));
	snprintf(lib, sizeof(lib), "%s", at(&d->lib, "modprobe.d"));
	d->kmod = kmod_new(dir, paths);
	if (!d->kmod)
		return;
	kmod_set_log_fn(d->kmod, kmod_quiet, NULL);
}

static bool mod_builtin(struct kmod_module *m)
{
	/* Asked first of modules.builtin; only a module that is not built in makes libkmod look at /sys/module. */
	return kmod_module_get_initstate(m) == KMOD_MODULE_BUILTIN;
}

static struct kmod_module *lookup_one(struct doctor *d, const char *name)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_module *found = NULL;

	if (!d->kmod || kmod_module_new_from_lookup(d->kmod, name, &list) < 0)
		return NULL;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		if (!found && same_module(kmod_module_get_name(m), name))
			found = m;
		else
			kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	return found;
}

static bool param_value_matches(const char *want, const char *have)
{
	static const char *const yes[] = { "1", "y", "Y", "yes", "on", "true" };
	static const char *const no[] = { "0", "n", "N", "no", "off", "false" };

	if (streq(want, have))
		return true;
	/* bool parameters read back as Y or N */
	if (streq(have, "Y") || streq(have, "N")) {
		for (size_t i = 0; i < ELEMENTSOF(yes); i++)
			if (streq(want, have[0] == 'Y' ? yes[i] : no[i]))
				return true;
	}
	return false;
}

static void check_loaded_options(struct doctor *d)
{
	const struct policy *p = &d->p;
	_cleanup_free_ char *opts = NULL, *bad = NULL;
	char rel[PATH_MAX], cur[256];
	size_t size = 0;
	FILE *m;

	snprintf(rel, sizeof(rel), "module/%s", d->driver_norm);
	if (!rexists(&d->sys, rel) || d->driver_builtin)
		return;
	if (!p->options) {
		add(d, L_OK, "%s is loaded (%s)", p->driver, at(&d->sys, rel));
		return;
	}
	opts = strdup(p->options);
	m = open_memstream(&bad, &size);
	if (!opts || !m) {
		if (m)
			fclose(m);
		return;
	}
	for (char *save = NULL, *kv = strtok_r(opts, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *val = strchr(kv, '=');
		ssize_t n;

		if (val)
			*val++ = '\0';
		snprintf(rel, sizeof(rel), "module/%s/parameters/%s", d->driver_norm, kv);
		n = rattr(&d->sys, rel, cur, sizeof(cur));
		if (n >= 0 && param_value_matches(val ? val : "1", cur))
			continue;
		fprintf(m, "%s%s=%s (%s)", size ? ", " : "", kv, val ? val : "", n >= 0 ? cur : "value unreadable");
		fflush(m);
	}
	fclose(m);
	if (!bad || !*bad) {
		add(d, L_OK, "%s is loaded, with the values of [options] (%s)", p->driver, p->options);
		return;
	}
	add(d, L_WARNING, "%s is loaded already, so [options] do not apply until it loads again: %s (the current value in parentheses)",
	    p->driver, bad);
	fix(d, "reboot (the binder loads %s with them at boot), or unload it with 'modprobe -r %s' while no device is on it",
	    p->driver, d->driver_norm);
}

static void check_driver(struct doctor *d)
{
	const struct policy *p = &d->p;
	struct kmod_list *deps, *l;
	_cleanup_free_ char *names = NULL;
	size_t size = 0;
	const char *path;
	struct stat st;
	bool missing = false;
	FILE *m;

	d->cur = C_DRIVER;
	if (!d->kver[0]) {
		add(d, L_ERROR, "cannot read the running kernel's release from %s: its modules cannot be found",
		    at(&d->proc, "sys/kernel/osrelease"));
		fix(d, "--proc must name a proc tree with sys/kernel/osrelease");
		return;
	}
	if (!d->modules_dir) {
		add(d, L_ERROR, "no modules for the running kernel %s: %s does not exist", d->kver, at(&d->modules, d->kver));
		fix(d, "install the modules of kernel %s (Debian: linux-image-%s; Fedora: kernel-modules-core), or boot a kernel whose modules are installed",
		    d->kver, d->kver);
		return;
	}
	if (!d->kmod) {
		add(d, L_ERROR, "libkmod cannot read %s", at(&d->modules, d->kver));
		fix(d, "run 'depmod -a %s' and check the directory", d->kver);
		return;
	}
	if (!d->driver_mod) {
		add(d, L_ERROR, "module %s not found for kernel %s (%s: modules.dep, modules.builtin)", p->driver, d->kver,
		    at(&d->modules, d->kver));
		fix(d, "install it (vfio-pci is part of every distribution kernel), run 'depmod -a %s' if the file is there, or set driver = in %s to a driver that exists",
		    d->kver, d->o->config);
		return;
	}
	if (d->driver_builtin) {
		add(d, L_OK, "%s is built into kernel %s", p->driver, d->kver);
		if (p->options) {
			add(d, L_WARNING, "%s is built in: [options] (%s) cannot be given to it as module options", p->driver,
			    p->options);
			fix(d, "give them on the kernel command line instead, as %s.OPTION=VALUE (e.g. %s.%s)", d->driver_norm,
			    d->driver_norm, p->options);
		}
		return;
	}
	path = kmod_module_get_path(d->driver_mod);
	if (!path || stat(path, &st) < 0) {
		add(d, L_ERROR, "modules.dep of %s names %s for %s, but the file does not exist", d->kver,
		    path ? path : "(nothing)", p->driver);
		fix(d, "reinstall the kernel's modules, or run 'depmod -a %s'", d->kver);
		return;
	}
	m = open_memstream(&names, &size);
	if (!m)
		return;
	deps = kmod_module_get_dependencies(d->driver_mod);
	kmod_list_foreach(l, deps) {
		struct kmod_module *dep = kmod_module_get_module(l);
		const char *dp = kmod_module_get_path(dep);

		fprintf(m, "%s%s", size ? ", " : "", kmod_module_get_name(dep));
		fflush(m);
		if (!mod_builtin(dep) && (!dp || stat(dp, &st) < 0)) {
			add(d, L_ERROR, "%s needs %s, but %s does not exist", p->driver, kmod_module_get_name(dep),
			    dp ? dp : "modules.dep names no file for it");
			fix(d, "reinstall the kernel's modules, or run 'depmod -a %s'", d->kver);
			missing = true;
		}
		kmod_module_unref(dep);
	}
	kmod_module_unref_list(deps);
	fclose(m);
	if (!missing)
		add(d, L_OK, "%s: %s%s%s%s", p->driver, path, names && *names ? " (needs " : "", names ? names : "",
		    names && *names ? ")" : "");
	check_loaded_options(d);
}

/* --- check 4: the native drivers ---------------------------------------------- */

/* The module_init function of a built-in module, from System.map: __initcall__kmod_MOD__N_LINE_FNlevel */
static bool initcall_name(struct doctor *d, const char *module, char *fn, size_t size, char *from, size_t fsize)
{
	_cleanup_free_ char *map = NULL;
	char rel[PATH_MAX], key[DRIVER_NAME_MAX + 32];
	const char *s;

	snprintf(rel, sizeof(rel), "System.map-%s", d->kver);
	if (rread_all(&d->boot, rel, 256u << 20, &map, NULL) < 0)
		return false;
	snprintf(key, sizeof(key), " __initcall__kmod_%s__", module);
	s = strstr(map, key);
	if (!s)
		return false;
	s += strlen(key);
	s += strspn(s, "0123456789");
	if (*s++ != '_')
		return false;
	s += strspn(s, "0123456789");
	if (*s++ != '_')
		return false;
	{
		size_t n = strcspn(s, " \t\n");

		/* the initcall level (0-7, 's' for sync) ends the name */
		if (n > 0 && s[n - 1] == 's')
			n--;
		if (n > 0 && isdigit((unsigned char)s[n - 1]))
			n--;
		if (n == 0 || n >= size)
			return false;
		memcpy(fn, s, n);
		fn[n] = '\0';
	}
	snprintf(from, fsize, "%s", at(&d->boot, rel));
	return true;
}

static void resolve_natives(struct doctor *d)
{
	for (size_t i = 0; d->kmod && i < d->plan.n; i++) {
		const struct plan_entry *e = &d->plan.v[i];
		const struct pci_func *f = &d->t.v[e->func];
		char rel[96], alias[256], addr[PCI_ADDR_STRLEN];
		struct kmod_list *list = NULL, *l;

		if (e->action != PLAN_BIND)
			continue;
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/modalias", pci_addr_fmt(&f->addr, addr));
		if (sysfs_read(&d->sys, rel, alias, sizeof(alias)) <= 0)
			continue;
		if (kmod_module_new_from_lookup(d->kmod, alias, &list) < 0)
			continue;
		kmod_list_foreach(l, list) {
			struct kmod_module *m = kmod_module_get_module(l);
			const char *name = kmod_module_get_name(m);
			struct native *v;

			if (!same_module(name, d->p.driver) && !same_module(name, "vfio_pci") &&
			    !same_module(name, "pci_stub") &&
			    (v = reallocarray(d->natives, d->n_natives + 1, sizeof(*v)))) {
				d->natives = v;
				v[d->n_natives] = (struct native){ .func = e->func, .builtin = mod_builtin(m) };
				norm_name(v[d->n_natives].name, sizeof(v->name), name);
				d->n_natives++;
			}
			kmod_module_unref(m);
		}
		kmod_module_unref_list(list);
	}
}

static void check_native(struct doctor *d)
{
	char addr[PCI_ADDR_STRLEN], rel[96], alias[256];

	d->cur = C_NATIVE;
	if (!d->plan.n_bind)
		return;
	if (!d->kmod) {
		add(d, L_WARNING, "the native drivers of the planned functions are not checked: no module index for kernel %s",
		    d->kver[0] ? d->kver : "(unknown)");
		fix(d, "see the driver check above");
		return;
	}
	for (size_t i = 0; i < d->plan.n; i++) {
		const struct plan_entry *e = &d->plan.v[i];
		const struct pci_func *f = &d->t.v[e->func];
		_cleanup_free_ char *mods = NULL;
		size_t size = 0;
		FILE *m;

		if (e->action != PLAN_BIND)
			continue;
		pci_addr_fmt(&f->addr, addr);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/modalias", addr);
		if (sysfs_read(&d->sys, rel, alias, sizeof(alias)) <= 0) {
			add(d, L_WARNING, "%s: cannot read %s: its native driver is unknown", addr, at(&d->sys, rel));
			continue;
		}
		m = open_memstream(&mods, &size);
		if (!m)
			continue;
		for (size_t k = 0; k < d->n_natives; k++) {
			const struct native *nv = &d->natives[k];
			char fn[128], from[PATH_MAX];

			if (nv->func != e->func)
				continue;
			if (!nv->builtin) {
				fprintf(m, "%s%s", size ? ", " : "", nv->name);
				fflush(m);
				continue;
			}
			if (initcall_name(d, nv->name, fn, sizeof(fn), from, sizeof(from))) {
				if (param_has(d, "initcall_blacklist", fn)) {
					add(d, L_OK, "%s [%04x:%04x]: its native driver %s is built into kernel %s, and initcall_blacklist=%s keeps it from starting",
					    addr, f->vendor, f->device, nv->name, d->kver, fn);
					continue;
				}
				add(d, L_ERROR, "%s [%04x:%04x]: its native driver %s is built into kernel %s: it starts before any initramfs, and the binder cannot keep it off",
				    addr, f->vendor, f->device, nv->name, d->kver);
				fix(d, "boot with initcall_blacklist=%s (%s's module_init function, from %s), or use a kernel that builds %s as a module",
				    fn, nv->name, from, nv->name);
			} else {
				add(d, L_ERROR, "%s [%04x:%04x]: its native driver %s is built into kernel %s: it starts before any initramfs, and the binder cannot keep it off",
				    addr, f->vendor, f->device, nv->name, d->kver);
				fix(d, "boot with initcall_blacklist=FUNCTION, where FUNCTION is %s's module_init function (e.g. %s_init; System.map-%s names it as __initcall__kmod_%s__*_FUNCTION), or use a kernel that builds %s as a module",
				    nv->name, nv->name, d->kver, nv->name, nv->name);
			}
		}
		fclose(m);
		if (mods && *mods) {
			add(d, L_OK, "%s [%04x:%04x]: native driver %s, a module: the binder gets there first", addr, f->vendor,
			    f->device, mods);
		} else {
			bool any = false;

			for (size_t k = 0; k < d->n_natives; k++)
				any |= d->natives[k].func == e->func;
			if (!any)
				add(d, L_OK, "%s [%04x:%04x]: no native driver of kernel %s matches it", addr, f->vendor,
				    f->device, d->kver);
		}
	}
}

/* --- check 5: conflicts ------------------------------------------------------ */

/* The planned functions a native driver drives, "0000:01:00.0, 0000:01:00.1"; NULL when it drives none. */
static char *native_funcs(const struct doctor *d, const char *module)
{
	char *out = NULL, addr[PCI_ADDR_STRLEN];
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);

	if (!m)
		return NULL;
	for (size_t k = 0; k < d->n_natives; k++)
		if (same_module(d->natives[k].name, module)) {
			fprintf(m, "%s%s", size ? ", " : "", pci_addr_fmt(&d->t.v[d->natives[k].func].addr, addr));
			fflush(m);
		}
	fclose(m);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

static bool takes_ids(const struct doctor *d, const char *module)
{
	return same_module(module, "vfio_pci") || same_module(module, "pci_stub") || same_module(module, d->p.driver);
}

/* ids= of vfio-pci (or pci-stub) against the plan: an ID takes every function that has it. */
static void check_ids(struct doctor *d, const char *where, const char *module, const char *list)
{
	_cleanup_free_ const struct plan_entry **by = by_func(&d->t, &d->plan);
	bool bad = false;

	if (!by)
		return;
	d->conflicts_found = true;
	for (const char *s = list; *s;) {
		size_t n = strcspn(s, ", \t");
		char id[10];
		struct pci_id pid;

		if (n == 0) {
			s++;
			continue;
		}
		/* "vvvv:dddd", then optional ":subvendor:subdevice:class:mask" */
		snprintf(id, sizeof(id), "%.*s", (int)(n < 9 ? n : 9), s);
		if ((n == 9 || s[9] == ':') && pci_id_parse(id, &pid) == 0) {
			for (size_t i = 0; i < d->t.n; i++) {
				const struct pci_func *f = &d->t.v[i];
				char addr[PCI_ADDR_STRLEN];

				if (!f->detailed || f->vendor != pid.vendor || f->device != pid.device ||
				    (by[i] && by[i]->action == PLAN_BIND))
					continue;
				add(d, L_ERROR, "%s: %s ids=%s takes every %s function the moment %s loads, %s too, which the plan leaves to the host (%s)",
				    where, module, list, id, module, pci_addr_fmt(&f->addr, addr),
				    by[i] ? by[i]->reason : f->boot_vga == 1 ? "the boot VGA, the host's console" : "not selected");
				fix(d, "remove ids= (%s): the plan binds by address, which tells identical cards apart, and ids= cannot",
				    where);
				bad = true;
			}
		}
		s += n;
	}
	if (!bad)
		add(d, L_OK, "%s: %s ids=%s names only functions the plan binds (redundant with the plan, but harmless)",
		    where, module, list);
}

/* An image was seen, and something other than dracut built it: dracut's settings do not apply. */
static bool not_dracut(const struct doctor *d)
{
	return d->image_seen && d->gen != GEN_DRACUT && d->gen != GEN_UNKNOWN;
}

/*
 * dracut's systemd flavour reads rd.driver.pre= (force_drivers becomes that
 * too) in dracut-pre-udev.sh after it has sourced the pre-udev hooks, so after
 * the binder; the busybox flavour reads it in a cmdline hook, before. Only a
 * seen image tells which.
 */
static bool dracut_pre_after_hooks(const struct doctor *d)
{
	return d->image_seen && d->gen == GEN_DRACUT && d->image_systemd;
}

static void check_cmdline_conflicts(struct doctor *d)
{
	const char *driver = d->p.driver;

	for (size_t i = 0; i < d->n_params; i++) {
		const char *name = d->params[i].name, *val = d->params[i].val;
		const char *dot = strchr(name, '.');

		if (!val)
			continue;
		if (dot && cmdline_parameq(dot + 1, "ids")) {
			char module[DRIVER_NAME_MAX];

			snprintf(module, sizeof(module), "%.*s", (int)(dot - name), name);
			if (takes_ids(d, module))
				check_ids(d, "kernel command line", module, val);
		}
	}
	if (param_has(d, "module_blacklist", driver)) {
		d->conflicts_found = true;
		add(d, L_ERROR, "kernel command line: module_blacklist= names %s: the kernel refuses to load it", driver);
		fix(d, "remove %s from module_blacklist=", driver);
	}
	if (param_has(d, "modprobe.blacklist", driver)) {
		d->conflicts_found = true;
		add(d, L_WARNING, "kernel command line: modprobe.blacklist= names %s: the binder loads it by name anyway, but nothing else will load it for a device",
		    driver);
		fix(d, "remove %s from modprobe.blacklist=", driver);
	}
	for (size_t k = 0; k < d->n_natives; k++) {
		_cleanup_free_ char *funcs = NULL;

		if (!param_has(d, "rd.driver.pre", d->natives[k].name))
			continue;
		funcs = native_funcs(d, d->natives[k].name);
		d->conflicts_found = true;
		if (not_dracut(d))
			add(d, L_WARNING, "kernel command line: rd.driver.pre= names %s, the native driver of %s; only dracut reads it, and %s built this kernel's image",
			    d->natives[k].name, funcs ? funcs : "the planned functions", initramfs_gen_name(d->gen));
		else if (dracut_pre_after_hooks(d))
			add(d, L_WARNING, "kernel command line: rd.driver.pre= names %s, the native driver of %s; dracut's systemd image loads it after its pre-udev hooks, so this holds only while the binder's hook is in the image",
			    d->natives[k].name, funcs ? funcs : "the planned functions");
		else
			add(d, L_ERROR, "kernel command line: rd.driver.pre= loads %s before dracut's pre-udev hooks, before the binder: it takes %s first",
			    d->natives[k].name, funcs ? funcs : "the planned functions");
		fix(d, "remove %s from rd.driver.pre=", d->natives[k].name);
	}
}

/* Calls fn for each logical line: continuations joined, comments and blank lines dropped. */
typedef void (*line_fn)(struct doctor *d, const char *where, char *line, void *userdata);

static void each_line(struct doctor *d, const char *file, char *text, const char *comment, bool continuation,
		      line_fn fn, void *userdata)
{
	unsigned lineno = 0;

	for (char *line = text, *next; *line; line = next) {
		unsigned first = ++lineno;
		char where[PATH_MAX + 16];
		size_t len;

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		/* "a \<newline> b" is one line; the kernel's modprobe.d(5) reads it so */
		while (continuation && (len = strlen(line)) > 0 && line[len - 1] == '\\' && *next) {
			char *more = next;

			lineno++;
			next = more + strcspn(more, "\n");
			if (*next)
				*next++ = '\0';
			line[len - 1] = ' ';
			memmove(line + len, more, strlen(more) + 1);
		}
		line += strspn(line, " \t");
		if (!*line || strchr(comment, *line))
			continue;
		snprintf(where, sizeof(where), "%s:%u", file, first);
		fn(d, where, line, userdata);
	}
}

static void modprobe_line(struct doctor *d, const char *where, char *line, void *userdata)
{
	char *save = NULL, *cmd = strtok_r(line, " \t", &save), *mod = strtok_r(NULL, " \t", &save);

	if (!cmd || !mod)
		return;
	if (streq(cmd, "options") && takes_ids(d, mod)) {
		for (char *arg = strtok_r(NULL, " \t", &save); arg; arg = strtok_r(NULL, " \t", &save))
			if (!strncmp(arg, "ids=", 4))
				check_ids(d, where, mod, arg + 4);
	} else if (streq(cmd, "blacklist") && same_module(mod, d->p.driver)) {
		d->conflicts_found = true;
		add(d, L_WARNING, "%s: blacklist %s: the binder loads it by name anyway, but nothing else will load it for a device",
		    where, mod);
		fix(d, "remove the line");
	} else if (streq(cmd, "softdep") && same_module(mod, d->p.driver)) {
		for (char *w = strtok_r(NULL, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			_cleanup_free_ char *funcs = native_funcs(d, w);

			if (!funcs)
				continue;
			d->conflicts_found = true;
			add(d, L_ERROR, "%s: softdep %s ... %s loads %s with %s, and %s takes %s", where, mod, w, w, mod, w, funcs);
			fix(d, "remove %s from the softdep line (the other way round, softdep %s pre: %s, is the one that helps)",
			    w, w, d->p.driver);
		}
	}
}

/* Files of one kind from several directories; a name in an earlier one hides the same name later. */
static void each_conf_file(struct doctor *d, const struct sysfs *const *roots, const char *const *dirs, size_t n,
			   const char *suffix, const char *comment, bool continuation, line_fn fn, void *userdata)
{
	char **names[4] = { 0 };
	size_t counts[4] = { 0 };

	for (size_t k = 0; k < n && k < 4; k++)
		counts[k] = rlist(roots[k], dirs[k], suffix, &names[k]);
	for (size_t k = 0; k < n && k < 4; k++)
		for (size_t i = 0; i < counts[k]; i++) {
			_cleanup_free_ char *text = NULL;
			char rel[PATH_MAX];
			bool hidden = false;

			for (size_t j = 0; j < k && !hidden; j++)
				for (size_t x = 0; x < counts[j] && !hidden; x++)
					hidden = streq(names[j][x], names[k][i]);
			if (hidden)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[k], names[k][i]);
			if (rread_all(roots[k], rel, FILE_MAX, &text, NULL) < 0)
				continue;
			d->conflict_files++;
			each_line(d, at(roots[k], rel), text, comment, continuation, fn, userdata);
		}
	for (size_t k = 0; k < n && k < 4; k++)
		free_list(names[k], counts[k]);
}

/* A native driver of a planned function, named where it is loaded early. */
struct early {
	const char *what;	/* "mkinitcpio MODULES" */
	enum level level;
	enum initramfs_gen only;	/* the generator that reads it (GEN_UNKNOWN: any) */
	const char *why;
	const char *remedy;
};

static void early_module(struct doctor *d, const char *where, const char *word, const struct early *e)
{
	_cleanup_free_ char *funcs = NULL;
	char name[DRIVER_NAME_MAX];
	size_t n = strcspn(word, "?");	/* mkinitcpio: "nvidia?" is optional */

	if (n >= sizeof(name))
		return;
	memcpy(name, word, n);
	name[n] = '\0';
	funcs = native_funcs(d, name);
	if (!funcs)
		return;
	d->conflicts_found = true;
	if (e->level == L_ERROR && e->only == GEN_DRACUT && not_dracut(d)) {
		add(d, L_WARNING, "%s: %s names %s, the native driver of %s; %s built this kernel's image, so it does not apply now",
		    where, e->what, name, funcs, initramfs_gen_name(d->gen));
		fix(d, "%s", e->remedy);
		return;
	}
	add(d, e->level, "%s: %s loads %s, the native driver of %s: %s", where, e->what, name, funcs, e->why);
	if (e->level != L_OK)
		fix(d, "%s", e->remedy);
}

static void modules_line(struct doctor *d, const char *where, char *line, void *userdata)
{
	line[strcspn(line, " \t")] = '\0';
	early_module(d, where, line, userdata);
}

/* Every word assigned to var in a bash-syntax file (var=..., var+=..., var=(...)), with its line. */
static void shell_words(struct doctor *d, const char *file, const char *text, const char *var, const struct early *e)
{
	size_t vlen = strlen(var);
	unsigned lineno = 1;
	const char *s = text;

	while (*s) {
		const char *line = s + strspn(s, " \t");
		char close = 0;

		if (strncmp(line, var, vlen) != 0 || !(line[vlen] == '=' || (line[vlen] == '+' && line[vlen + 1] == '='))) {
			s += strcspn(s, "\n");
			if (*s) {
				s++;
				lineno++;
			}
			continue;
		}
		s = line + vlen + (line[vlen] == '+' ? 2 : 1);
		if (*s == '(' || *s == '"' || *s == '\'') {
			close = *s++;
			if (close == '(')
				close = ')';
		}
		for (;;) {
			char word[DRIVER_NAME_MAX * 2], where[PATH_MAX + 16];
			size_t n = 0;
			char quote = 0;

			while (*s == ' ' || *s == '\t' || (close && *s == '\n')) {
				lineno += *s == '\n';
				s++;
			}
			if (!*s || *s == '\n' || (close && *s == close)) {
				if (close && *s == close)
					s++;
				break;
			}
			if (close == ')' && *s == '#') {
				s += strcspn(s, "\n");
				continue;
			}
			if (!close && (*s == '#' || *s == ';'))
				break;
			while (*s && (quote || (*s != ' ' && *s != '\t' && *s != '\n' && *s != close &&
						!(close == ')' && *s == ')')))) {
				if (close == ')' && (*s == '"' || *s == '\'') && quote == *s)
					quote = '\0';
				else if (close == ')' && (*s == '"' || *s == '\'') && !quote)
					quote = *s;
				else if (n + 1 < sizeof(word))
					word[n++] = *s;
				lineno += *s == '\n';
				s++;
			}
			word[n] = '\0';
			snprintf(where, sizeof(where), "%s:%u", file, lineno);
			if (n)
				early_module(d, where, word, e);
		}
		s += strcspn(s, "\n");
		if (*s) {
			s++;
			lineno++;
		}
	}
}

static void shell_conf(struct doctor *d, const struct sysfs *r, const char *file, const char *dir,
		       const char *const *vars, const struct early *const *kinds, size_t n_vars)
{
	char **names = NULL;
	size_t n = dir ? rlist(r, dir, ".conf", &names) : 0;

	for (size_t i = file ? 0 : 1; i <= n; i++) {
		_cleanup_free_ char *text = NULL;
		char rel[PATH_MAX];

		if (i == 0)
			snprintf(rel, sizeof(rel), "%s", file);
		else
			snprintf(rel, sizeof(rel), "%s/%s", dir, names[i - 1]);
		if (rread_all(r, rel, FILE_MAX, &text, NULL) < 0)
			continue;
		d->conflict_files++;
		for (size_t v = 0; v < n_vars; v++)
			shell_words(d, at(r, rel), text, vars[v], kinds[v]);
	}
	free_list(names, n);
}

static void check_conflicts(struct doctor *d)
{
	static const struct early mkinitcpio = {
		"mkinitcpio MODULES", L_WARNING, GEN_MKINITCPIO,
		"in busybox images it loads after the binder's early hook, and in systemd images vfio-binder.service runs before systemd-modules-load; so this holds only while the binder's hook is in the image",
		"take it out of MODULES (udev loads it anyway for the host's devices), then mkinitcpio -P",
	};
	struct early dracut_force = {
		"dracut force_drivers", L_ERROR, GEN_DRACUT,
		"dracut loads force_drivers before its pre-udev hooks, so before the binder",
		"take it out of force_drivers (udev loads it anyway for the host's devices), then dracut -f",
	};
	static const struct early dracut_add = {
		"dracut add_drivers", L_OK, GEN_DRACUT,
		"it is only put into the image; udev loads it after the binder's pre-udev hook",
		"",
	};
	static const struct early itools = {
		"initramfs-tools' modules list", L_WARNING, GEN_INITRAMFS_TOOLS,
		"it loads after init-top, where the binder runs, so this holds only while the binder's script is in the image",
		"take it out of the list (udev loads it anyway for the host's devices), then update-initramfs -u",
	};
	struct early modload = {
		"modules-load.d", L_WARNING, GEN_UNKNOWN,
		"systemd-modules-load.service loads it; vfio-binder.service is ordered before it, and the initramfs hooks run earlier still, so this holds only while the binder runs first",
		"take it out (udev loads it anyway for the host's devices)",
	};
	const struct sysfs *mp_roots[] = { &d->etc, &d->run, &d->lib };
	const char *mp_dirs[] = { "modprobe.d", "modprobe.d", "modprobe.d" };
	const char *ml_dirs[] = { "modules-load.d", "modules-load.d", "modules-load.d" };
	const char *const dracut_vars[] = { "force_drivers", "add_drivers" };
	const struct early *const dracut_kinds[] = { &dracut_force, &dracut_add };
	const char *const mk_vars[] = { "MODULES" };
	const struct early *const mk_kinds[] = { &mkinitcpio };
	const struct sysfs *dracut_roots[] = { &d->etc, &d->lib };
	_cleanup_free_ char *text = NULL;

	d->cur = C_CONFLICTS;
	if (dracut_pre_after_hooks(d)) {
		dracut_force.level = L_WARNING;
		dracut_force.why = "dracut's systemd image loads force_drivers after its pre-udev hooks, after the binder, so this holds only while the binder's hook is in the image";
	}
	check_cmdline_conflicts(d);
	each_conf_file(d, mp_roots, mp_dirs, 3, ".conf", "#", true, modprobe_line, NULL);

	shell_conf(d, &d->etc, "mkinitcpio.conf", "mkinitcpio.conf.d", mk_vars, mk_kinds, 1);
	shell_conf(d, dracut_roots[0], "dracut.conf", "dracut.conf.d", dracut_vars, dracut_kinds, 2);
	shell_conf(d, dracut_roots[1], NULL, "dracut/dracut.conf.d", dracut_vars, dracut_kinds, 2);
	if (rread_all(&d->etc, "initramfs-tools/modules", FILE_MAX, &text, NULL) == 0) {
		d->conflict_files++;
		each_line(d, at(&d->etc, "initramfs-tools/modules"), text, "#", false, modules_line, (void *)&itools);
	}
	/* The README's one case the dracut hook does not cover: modules-load.d in a systemd image. */
	if (d->gen == GEN_DRACUT && d->image_systemd) {
		modload.level = L_ERROR;
		modload.why = "dracut copies modules-load.d into its systemd image, where systemd-modules-load.service is not ordered after the binder's pre-udev hook: a race the native driver can win";
	}
	each_conf_file(d, mp_roots, ml_dirs, 3, ".conf", "#;", false, modules_line, &modload);
	free(text);
	text = NULL;
	if (rread_all(&d->etc, "modules", FILE_MAX, &text, NULL) == 0) {
		d->conflict_files++;
		each_line(d, at(&d->etc, "modules"), text, "#;", false, modules_line, &modload);
	}
	if (!d->conflicts_found)
		add(d, L_OK, "nothing on the kernel command line, in modprobe.d or in the initramfs configuration works against the plan (%zu files read)",
		    d->conflict_files);
}

/* --- check 6: the initramfs ---------------------------------------------------- */

/* The release of a bzImage: the setup header points at a version string (boot protocol 2.00+). */
static bool bzimage_version(const struct sysfs *boot, const char *rel, char *buf, size_t size)
{
	_cleanup_close_ int fd = boot->root_fd < 0 ? -1 : sysfs_openat(boot, rel, O_RDONLY);
	unsigned char hdr[16];
	char ver[256];
	ssize_t n;
	size_t off;

	if (fd < 0 || pread(fd, hdr, sizeof(hdr), 0x202) != (ssize_t)sizeof(hdr) || memcmp(hdr, "HdrS", 4) != 0)
		return false;
	off = (size_t)(hdr[0x20e - 0x202] | hdr[0x20f - 0x202] << 8) + 0x200;
	n = pread(fd, ver, sizeof(ver) - 1, (off_t)off);
	if (n <= 0)
		return false;
	ver[n] = '\0';
	snprintf(buf, size, "%.*s", (int)strcspn(ver, " "), ver);
	return true;
}

/* mkinitcpio preset value: key="value" or key='value' or key=value */
static bool preset_value(const char *text, const char *key, char *buf, size_t size)
{
	size_t k = strlen(key);

	for (const char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		const char *s = l + strspn(l, " \t");

		if (strncmp(s, key, k) != 0 || s[k] != '=')
			continue;
		s += k + 1;
		if (*s == '"' || *s == '\'') {
			char q = *s++;

			snprintf(buf, size, "%.*s", (int)strcspn(s, q == '"' ? "\"\n" : "'\n"), s);
		} else {
			snprintf(buf, size, "%.*s", (int)strcspn(s, " \t\n#"), s);
		}
		return true;
	}
	return false;
}

static const char *boot_rel(const char *path)
{
	if (!strncmp(path, "/boot/", 6))
		return path + 6;
	return strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
}

/* Where each generator puts the running kernel's image. */
static bool find_image(struct doctor *d, char *rel, size_t size, enum initramfs_gen *hint, char *how, size_t hsize)
{
	char **v = NULL;
	size_t n;
	struct stat st;

	*how = '\0';
	snprintf(rel, size, "initrd.img-%s", d->kver);
	*hint = GEN_INITRAMFS_TOOLS;
	if (rstat(&d->boot, rel, &st) == 0 && S_ISREG(st.st_mode))
		return true;
	snprintf(rel, size, "initramfs-%s.img", d->kver);
	*hint = GEN_DRACUT;
	if (rstat(&d->boot, rel, &st) == 0 && S_ISREG(st.st_mode))
		return true;

	*hint = GEN_MKINITCPIO;
	n = rlist(&d->etc, "mkinitcpio.d", ".preset", &v);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		char p[PATH_MAX], kernel[PATH_MAX], image[PATH_MAX], ver[256];

		snprintf(p, sizeof(p), "mkinitcpio.d/%s", v[i]);
		if (rread_all(&d->etc, p, FILE_MAX, &text, NULL) < 0 || !preset_value(text, "ALL_kver", kernel, sizeof(kernel)) ||
		    !preset_value(text, "default_image", image, sizeof(image)))
			continue;
		if (!bzimage_version(&d->boot, boot_rel(kernel), ver, sizeof(ver)) || !streq(ver, d->kver))
			continue;
		snprintf(rel, size, "%s", boot_rel(image));
		if (rstat(&d->boot, rel, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(how, hsize, "; preset %s, whose kernel %s is %s", at(&d->etc, p), at(&d->boot, boot_rel(kernel)),
				 d->kver);
			free_list(v, n);
			return true;
		}
	}
	free_list(v, n);
	n = rlist(&d->boot, ".", ".img", &v);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i], "initramfs-linux", 15) && !strstr(v[i], "-fallback")) {
			snprintf(rel, size, "%s", v[i]);
			snprintf(how, hsize, "; no mkinitcpio preset names a kernel %s, so this is the first initramfs-linux*.img, maybe for another kernel",
				 d->kver);
			free_list(v, n);
			return true;
		}
	free_list(v, n);
	return false;
}

/*
 * The driver's module file (vfio-pci.ko, .ko.xz, .ko.zst; '-' or '_') under
 * lib/modules/KVER/; *other gets one for another kernel when that is all.
 */
static const char *image_module(const struct image_listing *l, const char *driver, const char *kver,
				const char **other)
{
	char dir[300];

	snprintf(dir, sizeof(dir), "modules/%s/", kver);
	for (size_t i = 0; i < l->n; i++) {
		const char *m = l->names[i], *base = strrchr(m, '/'), *ko;
		char name[DRIVER_NAME_MAX];

		base = base ? base + 1 : m;
		ko = strstr(base, ".ko");
		if (!ko || (ko[3] && ko[3] != '.') || (size_t)(ko - base) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(ko - base), base);
		if (!same_module(name, driver))
			continue;
		if (strstr(m, dir))
			return m;
		*other = m;
	}
	return NULL;
}

static const char *image_exact(const struct image_listing *l, const char *member)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->names[i], member))
			return l->names[i];
	return NULL;
}

static void check_initramfs(struct doctor *d)
{
	static const char *const hooks[][3] = {
		[GEN_UNKNOWN] = { "hooks/pre-udev/30-vfio-binder-hook.sh", "scripts/init-top/00-vfio-binder", "hooks/vfio-binder" },
		[GEN_DRACUT] = { "hooks/pre-udev/30-vfio-binder-hook.sh", NULL, NULL },
		[GEN_INITRAMFS_TOOLS] = { "scripts/init-top/00-vfio-binder", NULL, NULL },
		[GEN_MKINITCPIO] = { "hooks/vfio-binder", "vfio-binder.service", NULL },
	};
	const char *member = SYSCONFDIR "/vfio.conf" + 1;
	struct image_listing l = { 0 };
	char rel[PATH_MAX], how[PATH_MAX + 256], rebuild[256], image[PATH_MAX];
	enum initramfs_gen hint;
	const char *found = NULL;
	int r;

	d->cur = C_INITRAMFS;
	if (!d->kver[0])
		return;
	if (!find_image(d, rel, sizeof(rel), &hint, how, sizeof(how))) {
		add(d, L_WARNING, "no initramfs image for kernel %s in %s (looked for initrd.img-%s, initramfs-%s.img and mkinitcpio's initramfs-linux*.img): the binder can then run only from vfio-binder.service, later in the boot",
		    d->kver, d->boot.path, d->kver, d->kver);
		fix(d, "if this kernel boots with an initramfs, build it (update-initramfs -c -k %s, dracut --kver %s, or mkinitcpio -P); without one, systemctl enable vfio-binder.service",
		    d->kver, d->kver);
		return;
	}
	snprintf(image, sizeof(image), "%s", at(&d->boot, rel));
	r = image_list(image, hint, &l);
	if (r == -ENOENT) {
		add(d, L_WARNING, "cannot look inside %s: none of lsinitramfs, lsinitrd and lsinitcpio is installed", image);
		fix(d, "install the generator's tools (initramfs-tools-core, dracut, or mkinitcpio), then run vfio-binder doctor again");
		return;
	}
	if (r != 0) {
		add(d, L_ERROR, "%s %s failed (%s %d): the image may be damaged", l.tool ? l.tool : "listing", image,
		    r < 0 ? "error" : "exit status", r < 0 ? -r : r);
		fix(d, "run '%s %s' to see why, and rebuild the image (%s)", l.tool ? l.tool : "lsinitramfs", image,
		    initramfs_gen_rebuild(hint, d->kver, rebuild, sizeof(rebuild)));
		image_listing_free(&l);
		return;
	}
	d->image_seen = true;
	d->gen = image_generator(&l);
	if (d->gen == GEN_UNKNOWN)
		d->gen = hint;
	d->image_systemd = image_find(&l, "systemd-modules-load") != NULL;
	initramfs_gen_rebuild(d->gen, d->kver, rebuild, sizeof(rebuild));
	add(d, L_OK, "%s: built by %s (listed with %s%s)", image, initramfs_gen_name(d->gen), l.tool, how);

	found = image_find(&l, "sbin/vfio-binder");
	if (!found)
		found = image_find(&l, "bin/vfio-binder");
	if (found)
		add(d, L_OK, "the image has the binder: %s", found);
	else {
		add(d, L_ERROR, "the image has no vfio-binder: nothing binds before the native drivers load");
		fix(d, "install vfio-binder with its %s integration, then %s", initramfs_gen_name(d->gen), rebuild);
	}

	found = NULL;
	for (size_t i = 0; i < 3 && !found; i++)
		found = hooks[d->gen][i] ? image_find(&l, hooks[d->gen][i]) : NULL;
	if (found) {
		add(d, L_OK, "the image has the binder's hook: %s", found);
	} else {
		add(d, L_ERROR, "the image has no vfio-binder hook (%s%s%s): the binder is not run at boot", hooks[d->gen][0],
		    hooks[d->gen][1] ? " or " : "", hooks[d->gen][1] ? hooks[d->gen][1] : "");
		switch (d->gen) {
		case GEN_DRACUT:
			fix(d, "dracut takes the module by itself once %s exists; otherwise add add_dracutmodules+=\" vfio-binder \" to /etc/dracut.conf.d/vfio-binder.conf; then %s",
			    d->o->config, rebuild);
			break;
		case GEN_MKINITCPIO:
			fix(d, "add vfio-binder to HOOKS in /etc/mkinitcpio.conf (after base, before udev; after systemd in systemd images), then %s",
			    rebuild);
			break;
		default:
			fix(d, "install vfio-binder's initramfs-tools scripts (share/initramfs-tools/scripts/init-top/00-vfio-binder), then %s",
			    rebuild);
			break;
		}
	}

	if (d->driver_builtin) {
		add(d, L_OK, "%s is built into the kernel: no module needed in the image", d->p.driver);
	} else {
		const char *other = NULL;

		found = image_module(&l, d->p.driver, d->kver, &other);
		if (found) {
			add(d, L_OK, "the image has the driver module: %s", found);
		} else if (other) {
			add(d, L_ERROR, "the image's %s module is not for kernel %s: %s", d->p.driver, d->kver, other);
			fix(d, "%s", rebuild);
		} else {
			add(d, L_ERROR, "the image has no %s module (%s.ko*): the binder cannot load the driver before the real root is mounted",
			    d->p.driver, d->p.driver);
			fix(d, "%s (the binder's hook adds the module with its dependencies)", rebuild);
		}
	}

	/* What else the plan can load: preload =, driver=, variants under driver = auto. */
	{
		_cleanup_free_ char *mods = plan_modules(&d->plan);

		for (char *m = mods ? strtok(mods, " ") : NULL; m; m = strtok(NULL, " ")) {
			struct kmod_module *km;
			const char *other = NULL;
			bool builtin;

			if (same_module(m, d->p.driver))
				continue;
			km = lookup_one(d, m);
			builtin = km && mod_builtin(km);
			if (km)
				kmod_module_unref(km);
			if (builtin)
				continue;
			if (image_module(&l, m, d->kver, &other)) {
				add(d, L_OK, "the image has %s, which the plan can load", m);
			} else {
				add(d, L_WARNING, "the image lacks %s, which the plan can load (preload =, driver= or driver = auto)",
				    m);
				fix(d, "%s (the hooks add every module 'vfio-binder plan --modules-list' prints)", rebuild);
			}
		}
	}

	if (image_exact(&l, member)) {
		_cleanup_free_ char *data = NULL;
		size_t len = 0;

		if (!d->config_exists) {
			add(d, L_ERROR, "the image holds %s, but %s does not exist: the next boot uses the old configuration",
			    member, d->o->config);
			fix(d, "%s", rebuild);
		} else if ((r = image_extract(image, member, RECORD_SIZE_MAX, &data, &len)) < 0) {
			add(d, L_WARNING, "cannot read %s out of %s (%s): not compared with %s", member, image,
			    r == -ENOENT ? "neither lsinitrd, unmkinitramfs nor lsinitcpio is installed" : strerror(-r),
			    d->o->config);
			fix(d, "compare them by hand ('lsinitrd -f %s %s'), or rebuild to be sure: %s", member, image, rebuild);
		} else if (len == d->config_len && !memcmp(data, d->config_data, len)) {
			add(d, L_OK, "%s in the image is identical to %s", member, d->o->config);
		} else {
			add(d, L_ERROR, "%s in the image differs from %s: the next boot binds by the configuration the image was built with",
			    member, d->o->config);
			fix(d, "%s", rebuild);
		}
	} else if (d->config_exists) {
		add(d, L_ERROR, "the image has no %s: the binder in the initramfs runs without %s", member, d->o->config);
		fix(d, "%s", rebuild);
	} else {
		add(d, L_OK, "no configuration file, and none in the image");
	}
	image_listing_free(&l);
}

/* --- check 7: the last boot ---------------------------------------------------- */

static void check_last_boot(struct doctor *d)
{
	struct boot_record rec = { 0 };
	char err[PATH_MAX + 128], when[64], addr[PCI_ADDR_STRLEN];
	_cleanup_free_ char *stat_text = NULL;
	size_t counts[3] = { 0 };
	bool differ = false;
	int r;

	d->cur = C_LAST_BOOT;
	r = d->run.root_fd < 0 ? -ENOENT : record_read(&d->run, &rec, err, sizeof(err));
	if (r == -ENOENT) {
		if (!d->plan.n_bind) {
			add(d, L_OK, "no boot record in %s, and nothing planned", at(&d->run, RECORD_DIR));
			return;
		}
		add(d, L_WARNING, "no boot record in %s: bind did not run at this boot (or a vfio-binder that keeps no record did)",
		    at(&d->run, RECORD_DIR));
		fix(d, "check that the initramfs has the binder (the initramfs check above) and read 'journalctl -b | grep vfio-binder'");
	} else if (r < 0) {
		add(d, L_WARNING, "unusable boot record: %s", err);
		fix(d, "the next boot writes a new one");
	} else {
		time_t t = (time_t)rec.time;
		struct tm tm;
		unsigned long long btime = 0;

		for (size_t i = 0; i < rec.n; i++)
			counts[rec.v[i].outcome]++;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		else
			snprintf(when, sizeof(when), "%" PRId64, rec.time);
		add(d, L_OK, "boot record of %s: %zu bound, %zu failed, %zu skipped (configuration %s, %s)", when,
		    counts[RECORD_BOUND], counts[RECORD_FAILED], counts[RECORD_SKIPPED],
		    rec.config ? rec.config : "not recorded", rec.config_present ? "present" : "absent");
		if (rread_all(&d->proc, "stat", PROC_FILE_MAX, &stat_text, NULL) == 0) {
			const char *b = strstr(stat_text, "\nbtime ");

			if (b)
				btime = strtoull(b + 7, NULL, 10);
		}
		/* A minute of slack: the boot time is computed from uptime and the clock. */
		if (btime && rec.time + 60 < (int64_t)btime) {
			add(d, L_WARNING, "the boot record is older than this boot: bind did not run at this boot");
			fix(d, "check that the initramfs has the binder, and read 'journalctl -b | grep vfio-binder'");
		}
		for (size_t i = 0; i < rec.n; i++) {
			const struct record_func *rf = &rec.v[i];
			const struct pci_func *f = pci_table_find(&d->t, &rf->addr);

			pci_addr_fmt(&rf->addr, addr);
			if (rf->outcome == RECORD_FAILED) {
				add(d, L_WARNING, "%s did not end on %s at boot (it is on %s now)", addr, rf->driver,
				    f && f->driver[0] ? f->driver : "no driver");
				fix(d, "'journalctl -b | grep vfio-binder' says why");
				differ = true;
			} else if (rf->outcome == RECORD_BOUND && f && !streq(f->driver, rf->driver)) {
				add(d, L_WARNING, "%s was bound to %s at boot and is on %s now", addr, rf->driver,
				    f->driver[0] ? f->driver : "no driver");
				fix(d, "something unbound it since (a VM manager returning it to the host?); reboot (or `vfio-binder bind`) to apply the plan again");
				differ = true;
			}
		}
	}

	for (size_t i = 0; i < d->plan.n; i++) {
		const struct plan_entry *e = &d->plan.v[i];
		const struct pci_func *f = &d->t.v[e->func];

		bool said = false;

		if (e->action != PLAN_BIND || !f->driver[0] || streq(f->driver, d->p.driver))
			continue;
		/* A function the record has as bound was named above already. */
		for (size_t k = 0; r == 0 && k < rec.n && !said; k++)
			said = pci_addr_eq(&rec.v[k].addr, &f->addr) && rec.v[k].outcome == RECORD_BOUND;
		differ = true;
		if (said)
			continue;
		pci_addr_fmt(&f->addr, addr);
		add(d, L_WARNING, "%s is on %s now; the plan wants %s", addr, f->driver, d->p.driver);
		fix(d, "reboot (or `vfio-binder bind` with unbind = yes) to apply");
	}

	if (r == 0) {
		if (rec.config && !streq(rec.config, d->o->config))
			add(d, L_OK, "the boot used %s; doctor reads %s", rec.config, d->o->config);
		if (rec.config_present != d->config_exists ||
		    (d->config_exists && (!rec.config_copy || rec.config_copy_len != d->config_len ||
					  memcmp(rec.config_copy, d->config_data, d->config_len) != 0))) {
			add(d, L_WARNING, "%s %s since the boot (compared with %s)", d->o->config,
			    !d->config_exists ? "was removed" : !rec.config_present ? "was created" : "changed",
			    at(&d->run, RECORD_DIR "/" RECORD_CONF_FILE));
			fix(d, "reboot (or `vfio-binder bind`) to apply");
			differ = true;
		}
		if (!differ)
			add(d, L_OK, "the planned functions are where the boot put them, and the configuration is the one it used");
	}
	record_free(&rec);
}

/* --- check 8: Secure Boot and lockdown -------------------------------------- */

static void check_signing(struct doctor *d)
{
	_cleanup_free_ char *lockdown = NULL, *sb = NULL, *unsigned_mods = NULL, *signers = NULL;
	char mode[32] = "none", enforce[8] = "";
	size_t sb_len = 0, usize = 0, ssize = 0;
	bool secure_boot = false, efi, enforced;
	struct kmod_list *deps = NULL, *l;
	struct kmod_module *mods[64];
	size_t nm = 0;
	FILE *u, *s;

	d->cur = C_SIGNING;
	if (rread_all(&d->sys, "kernel/security/lockdown", 4096, &lockdown, NULL) == 0) {
		const char *b = strchr(lockdown, '['), *e = b ? strchr(b, ']') : NULL;

		if (b && e)
			snprintf(mode, sizeof(mode), "%.*s", (int)(e - b - 1), b + 1);
	}
	/* efivarfs: four attribute bytes, then the value */
	efi = rexists(&d->sys, "firmware/efi");
	if (rread_all(&d->sys, SECURE_BOOT_VAR, 64, &sb, &sb_len) == 0 && sb_len >= 5)
		secure_boot = sb[4] == 1;
	rattr(&d->sys, "module/module/parameters/sig_enforce", enforce, sizeof(enforce));
	enforced = !streq(mode, "none") || enforce[0] == 'Y';

	if (!d->p.load || !d->driver_mod || d->driver_builtin) {
		add(d, L_OK, "Secure Boot %s, lockdown %s%s: the configuration loads no module file%s",
		    secure_boot ? "on" : efi ? "off" : "unknown (not an EFI boot)", mode,
		    enforce[0] == 'Y' ? ", module.sig_enforce=1" : "",
		    !d->p.load ? " (load = no)" : d->driver_builtin ? " (the driver is built in)" : "");
		return;
	}
	u = open_memstream(&unsigned_mods, &usize);
	s = open_memstream(&signers, &ssize);
	if (!u || !s) {
		if (u)
			fclose(u);
		if (s)
			fclose(s);
		return;
	}
	mods[nm++] = kmod_module_ref(d->driver_mod);
	deps = kmod_module_get_dependencies(d->driver_mod);
	kmod_list_foreach(l, deps)
		if (nm < ELEMENTSOF(mods))
			mods[nm++] = kmod_module_get_module(l);
	for (size_t k = 0; k < nm; k++) {
		struct kmod_list *info = NULL, *i;
		const char *signer = NULL;

		if (!mod_builtin(mods[k]) && kmod_module_get_info(mods[k], &info) >= 0) {
			kmod_list_foreach(i, info) {
				const char *key = kmod_module_info_get_key(i);

				if (streq(key, "signer") || (streq(key, "sig_id") && !signer))
					signer = kmod_module_info_get_value(i);
			}
			if (signer) {
				if (!signers || !strstr(signers, signer)) {
					fprintf(s, "%s%s", ssize ? ", " : "", signer);
					fflush(s);
				}
			} else {
				fprintf(u, "%s%s", usize ? ", " : "", kmod_module_get_name(mods[k]));
				fflush(u);
			}
			kmod_module_info_free_list(info);
		}
		kmod_module_unref(mods[k]);
	}
	kmod_module_unref_list(deps);
	fclose(u);
	fclose(s);

	if (!unsigned_mods || !*unsigned_mods) {
		add(d, L_OK, "Secure Boot %s, lockdown %s: %s and its dependencies are signed (%s)",
		    secure_boot ? "on" : efi ? "off" : "unknown (not an EFI boot)", mode, d->p.driver,
		    signers && *signers ? signers : "signer unnamed");
	} else if (enforced) {
		add(d, L_ERROR, "lockdown %s%s: the kernel refuses unsigned modules, and %s %s unsigned",
		    mode, enforce[0] == 'Y' ? ", module.sig_enforce=1" : "", unsigned_mods,
		    strchr(unsigned_mods, ',') ? "are" : "is");
		fix(d, "use the distribution's signed modules, or sign these with a key enrolled in the firmware or MOK (mokutil --import)");
	} else if (secure_boot) {
		add(d, L_WARNING, "Secure Boot is on and %s %s unsigned: a kernel that locks down under Secure Boot refuses to load %s",
		    unsigned_mods, strchr(unsigned_mods, ',') ? "are" : "is", strchr(unsigned_mods, ',') ? "them" : "it");
		fix(d, "use the distribution's signed modules, or sign these with a key enrolled in the firmware or MOK (mokutil --import)");
	} else {
		add(d, L_OK, "Secure Boot %s, lockdown none: unsigned modules load (unsigned: %s)",
		    efi ? "off" : "unknown (not an EFI boot)", unsigned_mods);
	}
}

/* --- check 9: a way back ------------------------------------------------------ */

static bool file_has(struct doctor *d, const struct sysfs *r, const char *rel, const char *needle)
{
	_cleanup_free_ char *text = NULL;

	return rread_all(r, rel, 64u << 20, &text, NULL) == 0 && strstr(text, needle);
}

static void check_fallback(struct doctor *d)
{
	static const char *const cfgs[] = { "grub/grub.cfg", "grub2/grub.cfg" };
	const char *script = "grub.d/11_vfio-binder";
	struct stat st;
	bool have_script, cfg_found = false;
	char **v = NULL;
	size_t n;

	d->cur = C_FALLBACK;
	have_script = rstat(&d->etc, script, &st) == 0 && S_ISREG(st.st_mode);
	for (size_t i = 0; i < ELEMENTSOF(cfgs); i++) {
		if (!rexists(&d->boot, cfgs[i]))
			continue;
		cfg_found = true;
		if (file_has(d, &d->boot, cfgs[i], "vfio_binder=off")) {
			add(d, L_OK, "%s has an entry with vfio_binder=off%s", at(&d->boot, cfgs[i]),
			    have_script ? "" : " (written by hand: no /etc/grub.d script keeps it there)");
			return;
		}
	}
	n = rlist(&d->boot, "loader/entries", ".conf", &v);
	for (size_t i = 0; i < n; i++) {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "loader/entries/%s", v[i]);
		if (file_has(d, &d->boot, rel, "vfio_binder=off")) {
			add(d, L_OK, "boot loader entry %s has vfio_binder=off", at(&d->boot, rel));
			free_list(v, n);
			return;
		}
	}
	free_list(v, n);
	if (have_script && !(st.st_mode & 0111)) {
		add(d, L_WARNING, "%s is not executable, so grub-mkconfig skips it: no boot entry with vfio_binder=off",
		    at(&d->etc, script));
		fix(d, "chmod +x %s, then update-grub (or grub2-mkconfig -o /boot/grub2/grub.cfg)", at(&d->etc, script));
	} else if (have_script) {
		add(d, L_WARNING, "%s is installed, but %s has no vfio_binder=off entry yet", at(&d->etc, script),
		    cfg_found ? "grub.cfg" : "there is no grub.cfg in /boot/grub or /boot/grub2, so it");
		fix(d, "update-grub (or grub2-mkconfig -o /boot/grub2/grub.cfg)");
	} else {
		add(d, L_WARNING, "no boot entry with vfio_binder=off: if the host ever boots to a dark screen, at the GRUB menu press e on the entry, add vfio_binder=off to the line that starts with linux, and boot it with Ctrl-x (systemd-boot: e, add it, Enter)");
		fix(d, "install a fallback entry, as %s explains (a /etc/grub.d script, or a boot loader entry)", FALLBACK_DOC);
	}
}

/* --- setup and output ---------------------------------------------------------- */

static int open_root(struct sysfs *r, const char *given, const char *def, const char *option)
{
	int e = sysfs_open(r, given ? given : def);

	if (e == 0)
		return 0;
	if (given) {
		log_error("cannot open the %s root %s: %s", option, given, strerror(-e));
		return e;
	}
	/* A default the machine lacks (no /boot in a container): nothing is found below it. */
	r->root_fd = -1;
	r->path = strdup(def);
	return r->path ? 0 : -ENOMEM;
}

/* /lib, where /lib/modules is: modprobe.d and modules-load.d of the distribution live there. */
static void open_lib(struct doctor *d)
{
	char lib[PATH_MAX];
	char *slash;

	snprintf(lib, sizeof(lib), "%s", d->modules.path);
	while (strlen(lib) > 1 && lib[strlen(lib) - 1] == '/')
		lib[strlen(lib) - 1] = '\0';
	slash = strrchr(lib, '/');
	if (slash == lib)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(lib, sizeof(lib), ".");
	open_root(&d->lib, NULL, lib, "lib");
}

static void load_config(struct doctor *d)
{
	size_t size = 0;
	FILE *cap = open_memstream(&d->config_messages, &size);
	int level = log_get_max_level();
	_cleanup_close_ int fd = -1;

	/* Its messages become findings with their file:line; debug chatter stays out. */
	if (cap)
		log_set_stream(cap);
	if (level > LOG_WARNING)
		log_set_max_level(LOG_WARNING);
	d->config_r = config_load_all(&d->p, d->o->config, d->o->no_cmdline ? NULL : d->o->cmdline);
	log_set_max_level(level);
	if (cap) {
		log_set_stream(NULL);
		fclose(cap);
	}
	fd = open(d->o->config, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	d->config_exists = fd >= 0 || errno != ENOENT;
	if (fd >= 0 && read_fd_all(fd, RECORD_SIZE_MAX, &d->config_data, &d->config_len) < 0)
		d->config_data = NULL;
}

static void print_text(const struct doctor *d, FILE *out, size_t counts[3])
{
	fprintf(out, "vfio-binder doctor: kernel %s, configuration %s\n", d->kver[0] ? d->kver : "(unknown)", d->o->config);
	for (size_t i = 0; i < d->n; i++) {
		const struct finding *f = &d->v[i];

		fprintf(out, "%-7s  %-9s  %s", level_names[f->level], check_names[f->check], f->text);
		if (f->fix)
			fprintf(out, "; fix: %s", f->fix);
		fputc('\n', out);
	}
	fprintf(out, "%zu ok, %zu warning%s, %zu error%s%s\n", counts[L_OK], counts[L_WARNING],
		counts[L_WARNING] == 1 ? "" : "s", counts[L_ERROR], counts[L_ERROR] == 1 ? "" : "s",
		counts[L_ERROR] ? ": fix the errors before you reboot" : "");
}

static void print_json(const struct doctor *d, FILE *out, size_t counts[3])
{
	fputs("{\n  \"kernel\": ", out);
	if (d->kver[0])
		json_string(out, d->kver);
	else
		fputs("null", out);
	fputs(",\n  \"config\": ", out);
	json_string(out, d->o->config);
	fputs(",\n  \"checks\": [", out);
	for (size_t i = 0; i < d->n; i++) {
		const struct finding *f = &d->v[i];

		fprintf(out, "%s\n    {\"check\": \"%s\", \"level\": \"%s\", \"text\": ", i ? "," : "",
			check_names[f->check], level_names[f->level]);
		json_string(out, f->text);
		fputs(", \"fix\": ", out);
		if (f->fix)
			json_string(out, f->fix);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fprintf(out, "%s,\n  \"summary\": {\"ok\": %zu, \"warning\": %zu, \"error\": %zu}\n}\n", d->n ? "\n  ]" : "]",
		counts[L_OK], counts[L_WARNING], counts[L_ERROR]);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	/* Checks may run out of order (the initramfs is looked at before the conflicts); print in order. */
	if (x->check != y->check)
		return x->check < y->check ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int doctor_run(const struct doctor_opts *o, FILE *out)
{
	struct doctor d = {
		.o = o,
		.sys = { .root_fd = -1 }, .proc = { .root_fd = -1 }, .etc = { .root_fd = -1 },
		.boot = { .root_fd = -1 }, .modules = { .root_fd = -1 }, .run = { .root_fd = -1 },
		.lib = { .root_fd = -1 },
	};
	struct sysfs *roots[] = { &d.sys, &d.proc, &d.etc, &d.boot, &d.modules, &d.run, &d.lib };
	struct pci_scan scan = { .all = true };
	_cleanup_free_ char *cmdline = NULL;
	size_t counts[3] = { 0 };
	int ret = DOCTOR_EXIT_USAGE, r;

	policy_init(&d.p);
	r = sysfs_open(&d.sys, o->sysfs);
	if (r < 0) {
		log_error("cannot open the sysfs root %s: %s", o->sysfs, strerror(-r));
		goto out;
	}
	if (open_root(&d.proc, o->proc, "/proc", "--proc") < 0 || open_root(&d.etc, o->etc, "/etc", "--etc") < 0 ||
	    open_root(&d.boot, o->boot, "/boot", "--boot") < 0 ||
	    open_root(&d.modules, o->modules, "/lib/modules", "--modules") < 0 ||
	    open_root(&d.run, o->run, "/run", "--run") < 0)
		goto out;
	open_lib(&d);

	if (d.proc.root_fd >= 0)
		rattr(&d.proc, "sys/kernel/osrelease", d.kver, sizeof(d.kver));
	if (strchr(d.kver, '/'))
		d.kver[0] = '\0';
	{
		_cleanup_close_ int fd = open(o->cmdline, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd >= 0 && read_fd_all(fd, CMDLINE_SIZE_MAX, &cmdline, NULL) == 0) {
			d.have_cmdline = true;
			cmdline_foreach(cmdline, collect_param, &d);
		}
	}

	load_config(&d);
	r = pci_table_load(&d.sys, &scan, &d.t);
	if (r < 0) {
		log_error("cannot list %s/bus/pci/devices: %s", o->sysfs, strerror(-r));
		goto out;
	}
	/* driver = auto: the variants of the running kernel's (or --modules') module tree */
	if (d.config_r == 0 && policy_wants_variants(&d.p) && d.kver[0] && d.modules.root_fd >= 0) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", at(&d.modules, d.kver));
		variant_resolve(&d.sys, &d.t, dir);
	}
	if (d.config_r == 0 && plan_build(&d.t, &d.p, &d.plan) < 0) {
		log_error("cannot build the plan: %s", strerror(ENOMEM));
		goto out;
	}
	d.plan.policy = &d.p;

	kmod_open(&d);
	norm_name(d.driver_norm, sizeof(d.driver_norm), d.p.driver);
	d.driver_mod = lookup_one(&d, d.p.driver);
	d.driver_builtin = d.driver_mod && mod_builtin(d.driver_mod);
	resolve_natives(&d);

	check_iommu(&d);
	check_plan(&d);
	check_driver(&d);
	check_native(&d);
	/* before the conflicts: which generator built the image decides how bad modules-load.d is */
	check_initramfs(&d);
	check_conflicts(&d);
	check_last_boot(&d);
	check_signing(&d);
	check_fallback(&d);

	qsort(d.v, d.n, sizeof(*d.v), cmp_finding);
	for (size_t i = 0; i < d.n; i++)
		counts[d.v[i].level]++;
	if (o->json)
		print_json(&d, out, counts);
	else
		print_text(&d, out, counts);
	ret = d.config_r < 0 ? DOCTOR_EXIT_USAGE : counts[L_ERROR] ? DOCTOR_EXIT_ERRORS : 0;
out:
	for (size_t i = 0; i < d.n; i++) {
		free(d.v[i].text);
		free(d.v[i].fix);
	}
	free(d.v);
	for (size_t i = 0; i < d.n_params; i++) {
		free(d.params[i].name);
		free(d.params[i].val);
	}
	free(d.params);
	free(d.natives);
	if (d.driver_mod)
		kmod_module_unref(d.driver_mod);
	if (d.kmod)
		kmod_unref(d.kmod);
	plan_free(&d.plan);
	pci_table_free(&d.t);
	free(d.config_messages);
	free(d.config_data);
	policy_free(&d.p);
	for (size_t i = 0; i < ELEMENTSOF(roots); i++)
		sysfs_close(roots[i]);
	return ret;
}
