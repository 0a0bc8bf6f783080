// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who holds a PCI function (holders.h). Read-only: it opens files below
 * the three roots to read them, and a framebuffer node to ask the kernel
 * which framebuffer the console draws on; it writes nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "holders.h"
#include "log.h"
#include "macro.h"

/* linux/vt.h: consoles 1 to 63 */
#define CONSOLES_MAX 63
#define IFF_UP_FLAG 0x1
#define UEVENT_MAX 4096

static const char *const kind_names[HOLDER_KIND_COUNT] = {
	[HOLDER_PROCESS] = "process",
	[HOLDER_VTCON] = "vtcon",
	[HOLDER_MOUNT] = "mount",
	[HOLDER_SWAP] = "swap",
	[HOLDER_STACKED] = "stacked",
	[HOLDER_NETDEV] = "netdev",
	[HOLDER_UNKNOWN] = "unknown",
};

const char *holder_kind_str(enum holder_kind k)
{
	return k < HOLDER_KIND_COUNT ? kind_names[k] : "?";
}

bool root_is(const struct sysfs *root, const char *path)
{
	struct stat a, b;

	return root->root_fd >= 0 && fstat(root->root_fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* src into dst[size], cut when it is longer: a node or mount point is shown, never used as a path. */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void holders_free(struct holders *h)
{
	free(h->v);
	*h = (struct holders){ 0 };
}

/* A device node of a target, as sysfs describes it. */
struct node {
	size_t target;
	bool has_dev;		/* major:minor known */
	unsigned maj, min;
	bool prefix;		/* path is a prefix followed by digits (/dev/nvidia when the minor is unknown) */
	int fb;			/* a framebuffer: its index, else -1 */
	char path[128];		/* "/dev/" DEVNAME */
};

struct scan {
	const struct holder_roots *r;
	const struct holder_target *t;
	size_t nt;
	char **devpath;		/* per target: its directory below the sysfs root, or NULL */
	struct node *nodes;
	size_t nn;
	struct holders *out;
	int err;		/* -ENOMEM */
};

_printf_(4, 5) static struct holder *add(struct scan *sc, size_t ti, enum holder_kind kind, const char *fixfmt, ...)
{
	struct holder *v = reallocarray(sc->out->v, sc->out->n + 1, sizeof(*v));
	va_list ap;

	if (!v) {
		sc->err = -ENOMEM;
		return NULL;
	}
	sc->out->v = v;
	v = &v[sc->out->n++];
	*v = (struct holder){ .kind = kind, .addr = sc->t[ti].addr };
	va_start(ap, fixfmt);
	vsnprintf(v->fix, sizeof(v->fix), fixfmt, ap);
	va_end(ap);
	return v;
}

/* Something that could not be read: it may hold the function, so it counts. */
static void unknown(struct scan *sc, size_t ti, const char *root, const char *rel, int err)
{
	struct holder *h = add(sc, ti, HOLDER_UNKNOWN, "run as root, or check by hand that nothing uses the device");

	if (h) {
		snprintf(h->node, sizeof(h->node), "%s/%s", root, rel);
		snprintf(h->where, sizeof(h->where), "cannot read it: %s", strerror(-err));
	}
}

/* MAJOR=, MINOR= and DEVNAME= of a uevent file. Returns 1 for a device node, 0 for none, -errno. */
static int read_uevent(const struct sysfs *s, const char *rel, unsigned *maj, unsigned *min, char *name, size_t size)
{
	_cleanup_free_ char *text = NULL;
	bool has_maj = false, has_min = false;
	char *line, *save = NULL;
	int r;

	name[0] = '\0';
	r = sysfs_read_all(s, rel, UEVENT_MAX, &text, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "MAJOR=", 6))
			has_maj = sscanf(line + 6, "%u", maj) == 1;
		else if (!strncmp(line, "MINOR=", 6))
			has_min = sscanf(line + 6, "%u", min) == 1;
		else if (!strncmp(line, "DEVNAME=", 8))
			snprintf(name, size, "%s", line + 8);
	}
	return has_maj && has_min;
}

static struct node *add_node(struct scan *sc, size_t ti)
{
	struct node *v = reallocarray(sc->nodes, sc->nn + 1, sizeof(*v));

	if (!v) {
		sc->err = -ENOMEM;
		return NULL;
	}
	sc->nodes = v;
	v = &v[sc->nn++];
	*v = (struct node){ .target = ti, .fb = -1 };
	return v;
}

/* The class device dir (rel) as a node, when its uevent names one. */
static void node_from(struct scan *sc, size_t ti, const char *rel)
{
	char path[PATH_MAX], name[96] = "";
	unsigned maj = 0, min = 0;
	struct node *n;
	int r;

	snprintf(path, sizeof(path), "%s/uevent", rel);
	r = read_uevent(sc->r->sys, path, &maj, &min, name, sizeof(name));
	/* (an attribute beside the class devices: sound/card0/number) */
	if (r == -ENOENT || r == -ENOTDIR || r == 0)
		return;
	if (r < 0) {
		unknown(sc, ti, sc->r->sys->path, path, r);
		return;
	}
	n = add_node(sc, ti);
	if (!n)
		return;
	n->has_dev = true;
	n->maj = maj;
	n->min = min;
	/* devtmpfs names the node DEVNAME; without one, the conventional place */
	if (name[0])
		snprintf(n->path, sizeof(n->path), "/dev/%s", name);
	else
		snprintf(n->path, sizeof(n->path), "/dev/char/%u:%u", maj, min);
	if (strncmp(name, "fb", 2) == 0 && isdigit((unsigned char)name[2]))
		n->fb = atoi(name + 2);
}

/*
 * Each entry of dir (below the sysfs root) as a node; with depth 1, each
 * entry of each entry (sound/card0/pcmC0D0p). A missing dir is normal.
 */
static void nodes_in(struct scan *sc, size_t ti, const char *dir, const char *only, unsigned depth)
{
	_cleanup_closedir_ DIR *d = sysfs_opendir(sc->r->sys, dir);
	struct dirent *de;

	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			unknown(sc, ti, sc->r->sys->path, dir, -errno);
		return;
	}
	while ((de = readdir(d))) {
		char rel[PATH_MAX];

		if (de->d_name[0] == '.' || (only && strncmp(de->d_name, only, strlen(only)) != 0))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
		if (depth)
			nodes_in(sc, ti, rel, NULL, depth - 1);
		else
			node_from(sc, ti, rel);
	}
}

/* The nvidia driver's node for this GPU: /dev/nvidiaN, N from its /proc information. */
static void nvidia_node(struct scan *sc, size_t ti)
{
	_cleanup_free_ char *text = NULL;
	char rel[128], addr[PCI_ADDR_STRLEN];
	const char *minor;
	struct node *n;
	unsigned m;

	snprintf(rel, sizeof(rel), "driver/nvidia/gpus/%s/information", pci_addr_fmt(&sc->t[ti].addr, addr));
	n = add_node(sc, ti);
	if (!n)
		return;
	if (sysfs_read_all(sc->r->proc, rel, UEVENT_MAX, &text, NULL) == 0 && (minor = strstr(text, "Device Minor:")) &&
	    sscanf(minor + 13, "%u", &m) == 1) {
		n->has_dev = true;
		n->maj = 195;	/* NV_MAJOR_DEVICE_NUMBER */
		n->min = m;
		snprintf(n->path, sizeof(n->path), "/dev/nvidia%u", m);
		return;
	}
	/* Which one is this GPU's cannot be told: every /dev/nvidiaN counts. */
	n->prefix = true;
	snprintf(n->path, sizeof(n->path), "/dev/nvidia");
}

static void vfio_nodes(struct scan *sc, size_t ti)
{
	const struct holder_target *t = &sc->t[ti];
	char rel[PATH_MAX], addr[PCI_ADDR_STRLEN];
	size_t before;
	struct node *n;

	pci_addr_fmt(&t->addr, addr);
	/* the device's own cdev (iommufd, Linux 6.6 and later) */
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vfio-dev", addr);
	nodes_in(sc, ti, rel, "vfio", 0);
	if (t->iommu_group < 0)
		return;
	snprintf(rel, sizeof(rel), "class/vfio/%d", t->iommu_group);
	before = sc->nn;
	node_from(sc, ti, rel);
	if (sc->nn > before)
		return;
	/* no class/vfio entry (an older kernel, a fake tree): the path vfio always uses */
	n = add_node(sc, ti);
	if (n)
		snprintf(n->path, sizeof(n->path), "/dev/vfio/%d", t->iommu_group);
}

static void collect_nodes(struct scan *sc)
{
	for (size_t ti = 0; ti < sc->nt; ti++) {
		const struct holder_target *t = &sc->t[ti];
		char dir[128], addr[PCI_ADDR_STRLEN];

		pci_addr_fmt(&t->addr, addr);
		if (t->vfio) {
			vfio_nodes(sc, ti);
			continue;
		}
		if (!t->driver[0])
			continue;
		snprintf(dir, sizeof(dir), "bus/pci/devices/%s/drm", addr);
		nodes_in(sc, ti, dir, NULL, 0);
		snprintf(dir, sizeof(dir), "bus/pci/devices/%s/sound", addr);
		nodes_in(sc, ti, dir, "card", 1);
		snprintf(dir, sizeof(dir), "bus/pci/devices/%s/graphics", addr);
		nodes_in(sc, ti, dir, "fb", 0);
		if (streq(t->driver, "nvidia"))
			nvidia_node(sc, ti);
	}
}

static bool path_matches(const struct node *n, const char *target)
{
	size_t len = strlen(n->path);

	if (!n->prefix)
		return streq(n->path, target);
	return !strncmp(target, n->path, len) && isdigit((unsigned char)target[len]);
}

/*
 * What to do about a process: stop its systemd unit, shut its guest down,
 * or kill it. PROC/PID/cgroup says which unit it runs in.
 */
static void process_fix(const struct sysfs *proc, int pid, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char rel[64], *line, *save = NULL, *path = NULL, *c, *service = NULL, *user = NULL;

	snprintf(buf, size, "kill %d", pid);
	snprintf(rel, sizeof(rel), "%d/cgroup", pid);
	if (sysfs_read_all(proc, rel, 65536, &text, NULL) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* cgroup v2 ("0::PATH"), else the systemd hierarchy of v1 */
		if (!strncmp(line, "0::", 3))
			path = line + 3;
		else if (!path && (c = strstr(line, ":name=systemd:")))
			path = c + 14;
	}
	if (!path || *path != '/')
		return;
	if (!strncmp(path, "/machine.slice/", 15)) {
		char scope[128];
		size_t o = 0;

		/* "machine-qemu\x2d1\x2dwin10.scope": libvirt's machine qemu-1-win10 */
		c = path + 15;
		for (; *c && *c != '/' && o + 1 < sizeof(scope); c++) {
			if (!strncmp(c, "\\x2d", 4)) {
				scope[o++] = '-';
				c += 3;
			} else {
				scope[o++] = *c;
			}
		}
		scope[o] = '\0';
		/* machinectl names the machine without "machine-" and ".scope" */
		if (o > 14 && !strncmp(scope, "machine-", 8) && streq(scope + o - 6, ".scope")) {
			scope[o - 6] = '\0';
			memmove(scope, scope + 8, o - 8 - 6 + 1);
		}
		snprintf(buf, size, "shut its guest down (virsh shutdown DOMAIN; machinectl terminate %s ends it at once)",
			 scope);
		return;
	}
	for (char *comp = strtok_r(path, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(comp);

		if (n > 8 && streq(comp + n - 8, ".service")) {
			if (!strncmp(comp, "user@", 5) && !service)
				user = comp;
			else
				service = comp;
		}
	}
	if (service && user) {
		unsigned uid = 0;
		struct passwd *pw;

		sscanf(user + 5, "%u", &uid);
		pw = getpwuid(uid);
		if (pw)
			snprintf(buf, size, "systemctl --user -M %s@ stop %s", pw->pw_name, service);
		else
			snprintf(buf, size, "systemctl --user stop %s (as uid %u)", service, uid);
	} else if (service) {
		snprintf(buf, size, "systemctl stop %s", service);
	}
}

/* Every process with an open file on a node of the targets. */
static void scan_processes(struct scan *sc)
{
	const struct sysfs *proc = sc->r->proc;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t denied = 0;
	int first_denied = 0, denied_err = 0;

	if (!sc->nn)
		return;
	d = sysfs_opendir(proc, ".");
	if (!d) {
		unknown(sc, 0, proc->path, ".", -errno);
		return;
	}
	while ((de = readdir(d)) && !sc->err) {
		_cleanup_closedir_ DIR *fds = NULL;
		struct dirent *fe;
		char rel[64];
		int dfd, pid;

		if (!isdigit((unsigned char)de->d_name[0]) || strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		pid = atoi(de->d_name);
		if (pid == getpid() && sc->r->proc_real)
			continue;
		snprintf(rel, sizeof(rel), "%s/fd", de->d_name);
		dfd = sysfs_openat(proc, rel, O_RDONLY | O_DIRECTORY);
		if (dfd < 0) {
			/* gone meanwhile; a kernel thread has no fds to list */
			if (dfd != -ENOENT && dfd != -ESRCH) {
				if (!denied++)
					first_denied = pid, denied_err = dfd;
			}
			continue;
		}
		fds = fdopendir(dfd);
		if (!fds) {
			close(dfd);
			continue;
		}
		while ((fe = readdir(fds))) {
			char target[PATH_MAX];
			struct stat st;
			int statted = 0;	/* 1: st holds what the fd opened; -1: it could not be had */

			if (fe->d_name[0] == '.')
				continue;
			if (sysfs_readlinkat(proc, dirfd(fds), rel, fe->d_name, target, sizeof(target)) < 0)
				continue;
			for (size_t k = 0; k < sc->nn; k++) {
				const struct node *n = &sc->nodes[k];
				bool hit = path_matches(n, target);
				struct holder *h;
				char comm_rel[64];

				/*
				 * The file the fd opened, by number: a node reached through
				 * another path. Only device files, never a FUSE or network
				 * file whose stat could hang.
				 */
				if (!hit && n->has_dev && sc->r->proc_real && strstr(target, "/dev/")) {
					if (!statted)
						statted = fstatat(dirfd(fds), fe->d_name, &st, 0) == 0 ? 1 : -1;
					hit = statted == 1 && S_ISCHR(st.st_mode) && major(st.st_rdev) == n->maj &&
					      minor(st.st_rdev) == n->min;
				}
				if (!hit)
					continue;
				/* one line per process and node (a VFIO group's node is its every function's) */
				h = NULL;
				for (size_t j = 0; j < sc->out->n && !h; j++)
					if (sc->out->v[j].pid == pid && streq(sc->out->v[j].node, n->prefix ? target : n->path))
						h = &sc->out->v[j];
				if (h)
					continue;
				h = add(sc, n->target, HOLDER_PROCESS, "kill %d", pid);
				if (!h)
					return;
				h->pid = pid;
				copy(h->node, sizeof(h->node), n->prefix ? target : n->path);
				snprintf(comm_rel, sizeof(comm_rel), "%d/comm", pid);
				if (sysfs_read(proc, comm_rel, h->comm, sizeof(h->comm)) < 0)
					snprintf(h->comm, sizeof(h->comm), "?");
				process_fix(proc, pid, h->fix, sizeof(h->fix));
			}
		}
	}
	if (denied) {
		struct holder *h = add(sc, 0, HOLDER_UNKNOWN, "run as root, so every process's open files can be checked");

		if (h) {
			snprintf(h->node, sizeof(h->node), "%s/%d/fd", proc->path, first_denied);
			snprintf(h->where, sizeof(h->where), "cannot read the open files of %zu process%s: %s", denied,
				 denied == 1 ? "" : "es", strerror(-denied_err));
		}
	}
}

/*
 * Whether the framebuffer console draws on framebuffer index: 1, 0, or
 * -errno when the kernel cannot be asked (a fake tree's node is a plain
 * file). FBIOGET_CON2FBMAP names the framebuffer of each console.
 */
static int fbcon_draws_on(const struct sysfs *dev, const char *node, int index)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strncmp(node, "/dev/", 5) != 0)
		return -EINVAL;
	fd = sysfs_openat(dev, node + 5, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	for (unsigned c = 1; c <= CONSOLES_MAX; c++) {
		struct fb_con2fbmap m = { .console = c };

		if (ioctl(fd, FBIOGET_CON2FBMAP, &m) < 0)
			return -errno;
		if ((int)m.framebuffer == index)
			return 1;
	}
	return 0;
}

/* A console attribute that could not be read: each target with a framebuffer may be drawn on. */
static void unknown_fb(struct scan *sc, const char *rel, int err)
{
	for (size_t k = 0; k < sc->nn; k++)
		if (sc->nodes[k].fb >= 0)
			unknown(sc, sc->nodes[k].target, sc->r->sys->path, rel, err);
}

/* The framebuffer console, when it is bound and draws on a framebuffer of a target. */
static void scan_vtcon(struct scan *sc)
{
	const struct sysfs *sys = sc->r->sys;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	bool any_fb = false;

	for (size_t k = 0; k < sc->nn; k++)
		any_fb |= sc->nodes[k].fb >= 0;
	if (!any_fb)
		return;
	d = sysfs_opendir(sys, "class/vtconsole");
	if (!d) {
		/* no console at all is no holder; one that cannot be listed may draw on a target */
		if (errno != ENOENT)
			unknown_fb(sc, "class/vtconsole", -errno);
		return;
	}
	while ((de = readdir(d))) {
		char rel[PATH_MAX], bind[8], name[128];
		ssize_t n_read;

		if (strncmp(de->d_name, "vtcon", 5) != 0)
			continue;
		snprintf(rel, sizeof(rel), "class/vtconsole/%s/bind", de->d_name);
		n_read = sysfs_read(sys, rel, bind, sizeof(bind));
		if (n_read < 0)
			unknown_fb(sc, rel, (int)n_read);
		if (n_read < 0 || !streq(bind, "1"))
			continue;
		snprintf(rel, sizeof(rel), "class/vtconsole/%s/name", de->d_name);
		/* "(M) frame buffer device": fbcon; vgacon and the dummy console need no driver */
		n_read = sysfs_read(sys, rel, name, sizeof(name));
		if (n_read < 0)
			unknown_fb(sc, rel, (int)n_read);
		if (n_read < 0 || !strstr(name, "frame buffer"))
			continue;
		for (size_t k = 0; k < sc->nn; k++) {
			const struct node *n = &sc->nodes[k];
			struct holder *h;
			int r;

			if (n->fb < 0)
				continue;
			r = fbcon_draws_on(sc->r->dev, n->path, n->fb);
			/* (when the kernel cannot be asked, it may: the host keeps the device) */
			if (r == 0)
				continue;
			h = add(sc, n->target, HOLDER_VTCON, "echo 0 > /sys/class/vtconsole/%s/bind (the text console goes dark), or --force",
				de->d_name);
			if (!h)
				return;
			h->droppable = true;
			copy(h->node, sizeof(h->node), de->d_name);
			copy(h->where, sizeof(h->where), n->path);
		}
	}
}

/* "../../devices/pci0000:00/..." as "devices/pci0000:00/...": a path below the sysfs root. */
static const char *below_root(const char *link)
{
	while (!strncmp(link, "../", 3))
		link += 3;
	return link;
}

/* The target whose directory devpath lies below, or SIZE_MAX. */
static size_t owner(const struct scan *sc, const char *devpath)
{
	for (size_t ti = 0; ti < sc->nt; ti++) {
		size_t n;

		if (!sc->devpath[ti] || sc->t[ti].vfio)
			continue;
		n = strlen(sc->devpath[ti]);
		if (!strncmp(devpath, sc->devpath[ti], n) && devpath[n] == '/')
			return ti;
	}
	return SIZE_MAX;
}

/* Each entry of class/CLASS below a target: calls fn with its name. */
static void for_class(struct scan *sc, const char *class, void (*fn)(struct scan *, size_t, const char *))
{
	char dir[64], link[PATH_MAX];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "class/%s", class);
	d = sysfs_opendir(sc->r->sys, dir);
	if (!d) {
		/* a class the kernel lacks holds nothing; one that cannot be listed may hold any target */
		int err = -errno;

		for (size_t ti = 0; err != -ENOENT && ti < sc->nt; ti++)
			if (!sc->t[ti].vfio)
				unknown(sc, ti, sc->r->sys->path, dir, err);
		return;
	}
	while ((de = readdir(d)) && !sc->err) {
		size_t ti;
		int r;

		if (de->d_name[0] == '.')
			continue;
		r = sysfs_readlinkat(sc->r->sys, dirfd(d), dir, de->d_name, link, sizeof(link));
		if (r < 0) {
			char rel[PATH_MAX];

			/* whose it is cannot be told: it may be any target's */
			snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
			for (ti = 0; ti < sc->nt; ti++)
				if (!sc->t[ti].vfio)
					unknown(sc, ti, sc->r->sys->path, rel, r);
			continue;
		}
		ti = owner(sc, below_root(link));
		if (ti != SIZE_MAX)
			fn(sc, ti, de->d_name);
	}
}

static void netdev(struct scan *sc, size_t ti, const char *name)
{
	char rel[PATH_MAX], flags[32];
	unsigned long v;
	struct holder *h;
	ssize_t r;

	snprintf(rel, sizeof(rel), "class/net/%s/flags", name);
	r = sysfs_read(sc->r->sys, rel, flags, sizeof(flags));
	if (r < 0) {
		/* up or down cannot be told: it may be in use */
		unknown(sc, ti, sc->r->sys->path, rel, (int)r);
		return;
	}
	v = strtoul(flags, NULL, 16);
	if (!(v & IFF_UP_FLAG))
		return;
	h = add(sc, ti, HOLDER_NETDEV, "ip link set dev %s down", name);
	if (h)
		copy(h->node, sizeof(h->node), name);
}

/* A block device below a target: mounted, a swap area, or something stacked on it. */
static void blockdev(struct scan *sc, size_t ti, const char *name)
{
	_cleanup_free_ char *mountinfo = NULL, *swaps = NULL;
	_cleanup_closedir_ DIR *holders = NULL;
	char rel[PATH_MAX], devname[96], path[128], *line, *save = NULL;
	unsigned maj, min;
	struct dirent *de;
	int r;

	snprintf(rel, sizeof(rel), "class/block/%s/uevent", name);
	r = read_uevent(sc->r->sys, rel, &maj, &min, devname, sizeof(devname));
	if (r < 0)
		unknown(sc, ti, sc->r->sys->path, rel, r);
	if (r <= 0)
		return;
	snprintf(path, sizeof(path), "/dev/%s", devname[0] ? devname : name);

	/* a mount or swap list that cannot be read may name it */
	r = sysfs_read_all(sc->r->proc, "self/mountinfo", 16u << 20, &mountinfo, NULL);
	if (r < 0)
		unknown(sc, ti, sc->r->proc->path, "self/mountinfo", r);
	if (r == 0) {
		for (line = strtok_r(mountinfo, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char devno[32], point[PATH_MAX];
			unsigned a, b;
			struct holder *h;

			/* "36 35 259:1 / /home rw,...": the device number, the mount point */
			if (sscanf(line, "%*s %*s %31s %*s %4095s", devno, point) != 2 || sscanf(devno, "%u:%u", &a, &b) != 2 ||
			    a != maj || b != min)
				continue;
			h = add(sc, ti, HOLDER_MOUNT, "umount %s", point);
			if (!h)
				return;
			copy(h->node, sizeof(h->node), path);
			copy(h->where, sizeof(h->where), point);
		}
	}
	r = sysfs_read_all(sc->r->proc, "swaps", 1u << 20, &swaps, NULL);
	if (r < 0)
		unknown(sc, ti, sc->r->proc->path, "swaps", r);
	if (r == 0) {
		save = NULL;
		for (line = strtok_r(swaps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			size_t n = strcspn(line, " \t");
			struct holder *h;

			if (n != strlen(path) || strncmp(line, path, n) != 0)
				continue;
			h = add(sc, ti, HOLDER_SWAP, "swapoff %s", path);
			if (h)
				copy(h->node, sizeof(h->node), path);
		}
	}
	snprintf(rel, sizeof(rel), "class/block/%s/holders", name);
	holders = sysfs_opendir(sc->r->sys, rel);
	while (holders && (de = readdir(holders))) {
		struct holder *h;

		if (de->d_name[0] == '.')
			continue;
		h = add(sc, ti, HOLDER_STACKED, "stop %s first (umount what is on it, then cryptsetup close, vgchange -an or mdadm --stop)",
			de->d_name);
		if (!h)
			return;
		copy(h->node, sizeof(h->node), path);
		copy(h->where, sizeof(h->where), de->d_name);
	}
}

/* By function, kind, PID and node: the order does not depend on how a directory lists its entries. */
static int cmp_holder(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;
	int c = pci_addr_cmp(&x->addr, &y->addr);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->node, y->node);
}

int holders_find(const struct holder_roots *r, const struct holder_target *t, size_t n, struct holders *ret)
{
	struct scan sc = { .r = r, .t = t, .nt = n, .out = ret };
	_cleanup_close_ int dfd = -1;
	bool native = false;

	if (!n)
		return 0;
	sc.devpath = calloc(n, sizeof(*sc.devpath));
	if (!sc.devpath)
		return -ENOMEM;
	dfd = sysfs_openat(r->sys, "bus/pci/devices", O_RDONLY | O_DIRECTORY);
	for (size_t ti = 0; ti < n; ti++) {
		char addr[PCI_ADDR_STRLEN], link[PATH_MAX];

		native |= !t[ti].vfio && t[ti].driver[0];
		if (dfd >= 0 && sysfs_readlinkat(r->sys, dfd, "bus/pci/devices", pci_addr_fmt(&t[ti].addr, addr), link,
						 sizeof(link)) == 0)
			sc.devpath[ti] = strdup(below_root(link));
	}
	collect_nodes(&sc);
	scan_processes(&sc);
	if (native) {
		scan_vtcon(&sc);
		for_class(&sc, "block", blockdev);
		for_class(&sc, "net", netdev);
	}
	for (size_t ti = 0; ti < n; ti++)
		free(sc.devpath[ti]);
	free(sc.devpath);
	free(sc.nodes);
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_holder);
	return sc.err;
}
