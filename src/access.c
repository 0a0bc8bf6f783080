// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [access]: /dev/vfio/N of each IOMMU group the binder bound, for VMs that
 * do not run as root (session libvirt, QEMU as a user). Two ways, because
 * each covers what the other cannot:
 *  - a udev rule in RUN/udev/rules.d/61-vfio-binder.rules: udev applies it
 *    whenever it processes the group's device, which at boot is the real
 *    root's coldplug, after the initramfs made the node root's (/run
 *    outlives the initramfs); the rule names the user as configured, so udev
 *    resolves it against the real /etc/passwd;
 *  - a chown and chmod of DEV/vfio/N when it exists now (bind run by hand),
 *    because udev has already handled that node and applies a new rule only
 *    at its next event.
 * Only bind calls this: the monitor's sandbox cannot chown, and reserve
 * would drop bind's groups from the rule file; both say so.
 * Names resolve through ETC/passwd and ETC/group; one that does not (an
 * initramfs has no passwd) leaves the node alone now and the rule to udev.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "log.h"
#include "macro.h"

/* A user or group name, or a number, to its id through ETC/passwd or ETC/group. -ENOENT: no such name. */
int access_resolve(const char *etc, const char *name, bool group, unsigned *ret)
{
	char path[4096], *end;
	unsigned long n;
	FILE *f;
	int r = -ENOENT;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (!errno && *name && !*end && n < 0xffffffffUL) {
		*ret = (unsigned)n;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", etc ? etc : "/etc", group ? "group" : "passwd");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (group) {
		struct group *g;

		while ((g = fgetgrent(f)))
			if (streq(g->gr_name, name)) {
				*ret = (unsigned)g->gr_gid;
				r = 0;
				break;
			}
	} else {
		struct passwd *pw;

		while ((pw = fgetpwent(f)))
			if (streq(pw->pw_name, name)) {
				*ret = (unsigned)pw->pw_uid;
				r = 0;
				break;
			}
	}
	fclose(f);
	return r;
}

/* The groups the plan bound (planned: would bind, for a dry run): a function on the driver it was to go to. */
static size_t bound_groups(const struct pci_table *t, const struct plan *plan, bool planned, int *groups, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->n && n < max; i++) {
		const struct pci_func *f = &t->v[plan->v[i].func];
		const char *want = plan->v[i].driver.driver[0] ? plan->v[i].driver.driver : plan->policy->driver;
		bool seen = false;

		/* pci-stub makes no /dev/vfio node */
		if (plan->v[i].action != PLAN_BIND || f->iommu_group < 0 || (!planned && !streq(f->driver, want)) ||
		    streq(want, "pci-stub"))
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = groups[k] == f->iommu_group;
		if (!seen)
			groups[n++] = f->iommu_group;
	}
	return n;
}

static int write_rules(const struct access_opts *a, const struct policy *p, const int *groups, size_t n, unsigned mode)
{
	_cleanup_free_ char *dir = NULL, *file = NULL, *tmp = NULL;
	FILE *f;
	int fd;

	if (asprintf(&dir, "%s/udev/rules.d", a->run ? a->run : "/run") < 0 ||
	    asprintf(&file, "%s/61-vfio-binder.rules", dir) < 0 || asprintf(&tmp, "%s.tmp", file) < 0)
		return -ENOMEM;
	{
		char *up = strdup(dir), *slash;

		if (!up)
			return -ENOMEM;
		slash = strrchr(up, '/');
		if (slash) {
			*slash = '\0';
			mkdir(up, 0755);
		}
		free(up);
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	fprintf(f, "# Written by vfio-binder bind from [access] of %s: who may open the IOMMU groups it bound.\n",
		p->config_file ? p->config_file : "its configuration");
	for (size_t k = 0; k < n; k++) {
		fprintf(f, "SUBSYSTEM==\"vfio\", KERNEL==\"%d\"", groups[k]);
		if (p->owner)
			fprintf(f, ", OWNER=\"%s\"", p->owner);
		if (p->group_owner)
			fprintf(f, ", GROUP=\"%s\"", p->group_owner);
		fprintf(f, ", MODE=\"%04o\"\n", mode);
	}
	if (fclose(f) != 0) {
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, file) < 0) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	return 0;
}

int access_apply(const struct access_opts *a, const struct pci_table *t, const struct plan *plan)
{
	const struct policy *p = plan->policy;
	_cleanup_free_ int *groups = NULL;
	unsigned mode = p->mode_bits ? p->mode_bits : 0660, uid = (unsigned)-1, gid = (unsigned)-1;
	bool names_ok = true;
	size_t n;
	int r;

	if (!p->owner && !p->group_owner)
		return 0;
	groups = calloc(plan->n + 1, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	n = bound_groups(t, plan, a->dry_run, groups, plan->n + 1);
	if (!n)
		return 0;
	if (p->owner && access_resolve(a->etc, p->owner, false, &uid) < 0) {
		log_warning("[access] owner %s: no such user in %s/passwd here; the udev rule names it for udev to resolve "
			    "in the real root (a number, from 'id -u %s', works everywhere)", p->owner,
			    a->etc ? a->etc : "/etc", p->owner);
		names_ok = false;
	}
	if (p->group_owner && access_resolve(a->etc, p->group_owner, true, &gid) < 0) {
		log_warning("[access] group %s: no such group in %s/group here; the udev rule names it for udev to resolve "
			    "in the real root (a number, from 'getent group %s', works everywhere)", p->group_owner,
			    a->etc ? a->etc : "/etc", p->group_owner);
		names_ok = false;
	}
	if (a->dry_run) {
		for (size_t k = 0; k < n; k++)
			fprintf(a->out, "would give %s/vfio/%d to %s:%s, mode %04o (and write a udev rule for it)\n",
				a->dev ? a->dev : "/dev", groups[k], p->owner ? p->owner : "-",
				p->group_owner ? p->group_owner : "-", mode);
		return 0;
	}
	r = write_rules(a, p, groups, n, mode);
	if (r < 0)
		log_warning("[access] cannot write the udev rule in %s/udev/rules.d: %s; /dev/vfio nodes may go back to root's",
			    a->run ? a->run : "/run", strerror(-r));
	if (!names_ok)
		return 0;
	for (size_t k = 0; k < n; k++) {
		char node[4096];

		snprintf(node, sizeof(node), "%s/vfio/%d", a->dev ? a->dev : "/dev", groups[k]);
		/* not there yet (the initramfs, before udev): the rule does it */
		if (lchown(node, uid, gid) < 0) {
			if (errno != ENOENT)
				log_warning("[access] %s: cannot change its owner: %s", node, strerror(errno));
			continue;
		}
		if (chmod(node, mode) < 0)
			log_warning("[access] %s: cannot change its mode: %s", node, strerror(errno));
		else
			log_info("[access] %s: %s:%s, mode %04o", node, p->owner ? p->owner : "-",
				 p->group_owner ? p->group_owner : "-", mode);
	}
	return 0;
}
