// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakesys.h"
#include "pci.h"

/*
 * Paths in a test tree are short; one cut by snprintf() would name a file
 * that does not exist, and the test using it fails. No warning needed.
 */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int mkdir_p(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int put(const char *dir, const char *rel, const char *content)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(content, f);
	return fclose(f) ? -errno : 0;
}

static int link_to(const char *dir, const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	unlink(path);
	return symlink(target, path) < 0 ? -errno : 0;
}

/* One function of a topology: "GROUP ADDRESS CLASS VENDOR:DEVICE BOOT_VGA [parent=ADDR] NAME..." */
struct fline {
	char group[16], addr[16], cls[16], ids[16], boot_vga[8], parent[64];
};

static int parse_fline(const char *line, struct fline *f)
{
	char rest[64];
	int n;

	memset(f, 0, sizeof(*f));
	n = sscanf(line, "%15s %15s %15s %15s %7s %63s", f->group, f->addr, f->cls, f->ids, f->boot_vga, rest);
	if (n < 5)
		return -EINVAL;
	if (n == 6 && !strncmp(rest, "parent=", 7))
		snprintf(f->parent, sizeof(f->parent), "%s", rest + 7);
	return 0;
}

/* devices/pci0000:00/<the parents' chain>/ADDR, as the kernel nests bridges. */
static int device_path(const struct fline *v, size_t n, size_t i, char *buf, size_t size, unsigned depth)
{
	char up[512];

	if (depth > 32)
		return -ELOOP;
	if (!v[i].parent[0]) {
		snprintf(buf, size, "devices/pci%.4s:00/%s", v[i].addr, v[i].addr);
		return 0;
	}
	for (size_t j = 0; j < n; j++) {
		int r;

		if (strcmp(v[j].addr, v[i].parent))
			continue;
		r = device_path(v, n, j, up, sizeof(up), depth + 1);
		if (r < 0)
			return r;
		snprintf(buf, size, "%s/%s", up, v[i].addr);
		return 0;
	}
	fprintf(stderr, "fakesys: %s: parent %s is not in the topology\n", v[i].addr, v[i].parent);
	return -ENOENT;
}

/* "../" as many times as rel has components, to climb from DIR/rel to DIR. */
static void up_to_root(const char *rel, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const char *c = rel; *c; c++)
		n += *c == '/';
	for (size_t k = 0; k <= n && strlen(buf) + 3 < size; k++)
		strcat(buf, "../");
}

static int add_function(const char *dir, const struct fline *f, const char *devpath)
{
	char rel[4096], val[4096], up[256];
	int r;

	snprintf(rel, sizeof(rel), "%s/%s", dir, devpath);
	r = mkdir_p(rel);
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "%s/class", devpath);
	snprintf(val, sizeof(val), "%s\n", f->cls);
	put(dir, rel, val);
	snprintf(rel, sizeof(rel), "%s/vendor", devpath);
	snprintf(val, sizeof(val), "0x%.4s\n", f->ids);
	put(dir, rel, val);
	snprintf(rel, sizeof(rel), "%s/device", devpath);
	snprintf(val, sizeof(val), "0x%.4s\n", f->ids + 5);
	put(dir, rel, val);
	snprintf(rel, sizeof(rel), "%s/driver_override", devpath);
	put(dir, rel, "(null)\n");
	/* As the kernel writes it (subsystem IDs 0 here): doctor looks the native driver up by it. */
	{
		unsigned long c = strtoul(f->cls, NULL, 16), v = strtoul(f->ids, NULL, 16), d = strtoul(f->ids + 5, NULL, 16);

		snprintf(rel, sizeof(rel), "%s/modalias", devpath);
		snprintf(val, sizeof(val), "pci:v%08lXd%08lXsv00000000sd00000000bc%02lXsc%02lXi%02lX\n", v, d,
			 c >> 16 & 0xff, c >> 8 & 0xff, c & 0xff);
		put(dir, rel, val);
	}
	if (strcmp(f->boot_vga, "-")) {
		snprintf(rel, sizeof(rel), "%s/boot_vga", devpath);
		snprintf(val, sizeof(val), "%s\n", f->boot_vga);
		put(dir, rel, val);
	}
	snprintf(val, sizeof(val), "../../../%s", devpath);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", f->addr);
	r = link_to(dir, val, rel);
	if (r < 0 || !strcmp(f->group, "-"))
		return r;
	snprintf(rel, sizeof(rel), "%s/kernel/iommu_groups/%s/devices", dir, f->group);
	mkdir_p(rel);
	snprintf(val, sizeof(val), "../../../../%s", devpath);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices/%s", f->group, f->addr);
	link_to(dir, val, rel);
	up_to_root(devpath, up, sizeof(up));
	snprintf(val, sizeof(val), "%skernel/iommu_groups/%s", up, f->group);
	snprintf(rel, sizeof(rel), "%s/iommu_group", devpath);
	return link_to(dir, val, rel);
}

/* The function's directory below dir, from its bus/pci/devices link. */
static int devpath_of(const char *dir, const char *addr, char *buf, size_t size)
{
	char path[1024], target[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", dir, addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, "../../../", 9))
		return -EINVAL;
	snprintf(buf, size, "%s", target + 9);
	return 0;
}

/*
 * @class ADDR SUBPATH CLASS [KEY=VALUE...]: a class device below the
 * function ("-": below devices/virtual), linked from class/CLASS/, with its
 * attributes; dev=MAJ:MIN and devname=NAME also make its uevent. A word
 * without '=' belongs to the value before it ("name=(M) frame buffer device").
 */
static int class_device(const char *dir, const char *devpath, const char *arg)
{
	char sub[512], cls[64], words[1024], rel[4096], target[4096], uevent[512] = "";
	char *w, *save = NULL;
	char values[16][256], keys[16][64];
	int n = 0, r;
	const char *base;

	words[0] = '\0';
	if (sscanf(arg, "%511s %63s %1023[^\n]", sub, cls, words) < 2)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "%s/%s/%s", dir, devpath, sub);
	r = mkdir_p(rel);
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "%s/class/%s", dir, cls);
	mkdir_p(rel);
	base = strrchr(sub, '/') ? strrchr(sub, '/') + 1 : sub;
	snprintf(rel, sizeof(rel), "class/%s/%s", cls, base);
	snprintf(target, sizeof(target), "../../%s/%s", devpath, sub);
	r = link_to(dir, target, rel);
	if (r < 0)
		return r;
	for (w = strtok_r(words, " ", &save); w && n < 16; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');

		if (eq) {
			*eq = '\0';
			snprintf(keys[n], sizeof(keys[n]), "%s", w);
			snprintf(values[n++], sizeof(values[0]), "%s", eq + 1);
		} else if (n) {
			size_t l = strlen(values[n - 1]);

			snprintf(values[n - 1] + l, sizeof(values[0]) - l, " %s", w);
		}
	}
	for (int i = 0; i < n; i++) {
		char val[300];

		if (!strcmp(keys[i], "devname")) {
			size_t l = strlen(uevent);

			snprintf(uevent + l, sizeof(uevent) - l, "DEVNAME=%s\n", values[i]);
			continue;
		}
		if (!strcmp(keys[i], "dev")) {
			unsigned ma, mi;
			size_t l = strlen(uevent);

			if (sscanf(values[i], "%u:%u", &ma, &mi) == 2)
				snprintf(uevent + l, sizeof(uevent) - l, "MAJOR=%u\nMINOR=%u\n", ma, mi);
		}
		snprintf(rel, sizeof(rel), "%s/%s/%s", devpath, sub, keys[i]);
		snprintf(val, sizeof(val), "%s\n", values[i]);
		r = put(dir, rel, val);
		if (r < 0)
			return r;
	}
	if (!uevent[0])
		return 0;
	snprintf(rel, sizeof(rel), "%s/%s/uevent", devpath, sub);
	return put(dir, rel, uevent);
}

static int directive(const char *dir, const char *cmd, const char *addr, const char *arg)
{
	char rel[4096], target[4096], devpath[1024], up[256], name[64];
	int r;

	if (!strcmp(cmd, "@class") && !strcmp(addr, "-"))
		return class_device(dir, "devices/virtual", arg);
	r = devpath_of(dir, addr, devpath, sizeof(devpath));

	if (r < 0) {
		fprintf(stderr, "fakesys: %s %s: no such function\n", cmd, addr);
		return r;
	}
	up_to_root(devpath, up, sizeof(up));
	if (!strcmp(cmd, "@driver")) {
		snprintf(rel, sizeof(rel), "%s/bus/pci/drivers/%s", dir, arg);
		mkdir_p(rel);
		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", arg);
		put(dir, rel, "");
		snprintf(target, sizeof(target), "%sbus/pci/drivers/%s", up, arg);
		snprintf(rel, sizeof(rel), "%s/driver", devpath);
		return link_to(dir, target, rel);
	}
	if (!strcmp(cmd, "@override")) {
		snprintf(rel, sizeof(rel), "%s/driver_override", devpath);
		snprintf(target, sizeof(target), "%s\n", arg);
		return put(dir, rel, target);
	}
	if (!strcmp(cmd, "@no-override")) {
		snprintf(rel, sizeof(rel), "%s/%s/driver_override", dir, devpath);
		return unlink(rel) < 0 ? -errno : 0;
	}
	/* @attr ADDR NAME VALUE: any attribute (sriov_numvfs, modalias, reset_method...) */
	if (!strcmp(cmd, "@attr")) {
		const char *value = arg + strcspn(arg, " ");

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, " "), arg);
		value += strspn(value, " ");
		snprintf(rel, sizeof(rel), "%s/%s", devpath, name);
		snprintf(target, sizeof(target), "%s\n", value);
		return put(dir, rel, target);
	}
	/* @physfn VF PF: VF is a virtual function of PF (its physfn link, and PF's virtfnN) */
	if (!strcmp(cmd, "@physfn")) {
		char pfpath[1024], up2[256], vfn[32];
		int k = 0;
		struct stat st;

		r = devpath_of(dir, arg, pfpath, sizeof(pfpath));
		if (r < 0)
			return r;
		snprintf(target, sizeof(target), "%s%s", up, pfpath);
		snprintf(rel, sizeof(rel), "%s/physfn", devpath);
		r = link_to(dir, target, rel);
		if (r < 0)
			return r;
		do {
			snprintf(vfn, sizeof(vfn), "virtfn%d", k++);
			snprintf(rel, sizeof(rel), "%s/%s/%s", dir, pfpath, vfn);
		} while (lstat(rel, &st) == 0);
		up_to_root(pfpath, up2, sizeof(up2));
		snprintf(target, sizeof(target), "%s%s", up2, devpath);
		snprintf(rel, sizeof(rel), "%s/%s", pfpath, vfn);
		return link_to(dir, target, rel);
	}
	if (!strcmp(cmd, "@class"))
		return class_device(dir, devpath, arg);
	/* @rm ADDR NAME: an attribute or link the kernel would not show */
	if (!strcmp(cmd, "@rm")) {
		snprintf(rel, sizeof(rel), "%s/%s/%s", dir, devpath, arg);
		return unlink(rel) < 0 ? -errno : 0;
	}
	fprintf(stderr, "fakesys: unknown directive %s\n", cmd);
	return -EINVAL;
}

int fakesys_build_text(const char *text, const char *dir)
{
	char *copy = strdup(text), *line, *save = NULL;
	struct fline *v = NULL;
	char **directives = NULL;
	size_t n = 0, nd = 0;
	char rel[4096];
	int r = 0;

	if (!copy)
		return -ENOMEM;
	snprintf(rel, sizeof(rel), "%s/bus/pci/drivers", dir);
	mkdir_p(rel);
	snprintf(rel, sizeof(rel), "%s/bus/pci/devices", dir);
	mkdir_p(rel);
	snprintf(rel, sizeof(rel), "%s/kernel/iommu_groups", dir);
	mkdir_p(rel);
	put(dir, "bus/pci/drivers_probe", "");
	/* Functions first, in any order (a parent may come after its child), directives after. */
	for (line = strtok_r(copy, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '@') {
			directives = realloc(directives, (nd + 1) * sizeof(*directives));
			directives[nd++] = line;
			continue;
		}
		v = realloc(v, (n + 1) * sizeof(*v));
		r = parse_fline(line, &v[n]);
		if (r < 0)
			fprintf(stderr, "fakesys: cannot build '%s': %s\n", line, strerror(-r));
		n++;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		char devpath[1024];

		r = device_path(v, n, i, devpath, sizeof(devpath), 0);
		if (r == 0)
			r = add_function(dir, &v[i], devpath);
		if (r < 0)
			fprintf(stderr, "fakesys: cannot build %s: %s\n", v[i].addr, strerror(-r));
	}
	for (size_t i = 0; i < nd && r == 0; i++) {
		char a[64], b[64], c[256];
		int k = sscanf(directives[i], "%63s %63s %255[^\n]", a, b, c);

		r = k >= 2 ? directive(dir, a, b, k >= 3 ? c : "") : -EINVAL;
		if (r < 0)
			fprintf(stderr, "fakesys: cannot build '%s': %s\n", directives[i], strerror(-r));
	}
	free(directives);
	free(v);
	free(copy);
	return r;
}

int fakesys_build_file(const char *topology, const char *dir)
{
	FILE *f = fopen(topology, "r");
	char *text = NULL;
	size_t size = 0;
	int r;

	if (!f)
		return -errno;
	{
		FILE *m = open_memstream(&text, &size);
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, m);
		fclose(m);
	}
	fclose(f);
	r = fakesys_build_text(text, dir);
	free(text);
	return r;
}

static char *new_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (asprintf(&dir, "%s/fakesys.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *fakesys_new(const char *topology_file)
{
	char *dir = new_dir();

	if (dir && fakesys_build_file(topology_file, dir) < 0) {
		fakesys_remove(dir);
		return NULL;
	}
	return dir;
}

char *fakesys_new_text(const char *text)
{
	char *dir = new_dir();

	if (dir && fakesys_build_text(text, dir) < 0) {
		fakesys_remove(dir);
		return NULL;
	}
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void fakesys_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static FILE *snap;
static size_t snap_root;

static int snap_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	fprintf(snap, "%s %o", path + snap_root, (unsigned)st->st_mode);
	if (S_ISLNK(st->st_mode)) {
		char t[4096];
		ssize_t n = readlink(path, t, sizeof(t) - 1);

		fprintf(snap, " -> %.*s", (int)(n < 0 ? 0 : n), t);
	} else if (S_ISREG(st->st_mode)) {
		FILE *f = fopen(path, "r");
		int c;

		fputs(" [", snap);
		/* one line per file, so snapshots sort and compare line by line */
		while (f && (c = fgetc(f)) != EOF) {
			if (c == '\n')
				fputs("\\n", snap);
			else
				fputc(c, snap);
		}
		if (f)
			fclose(f);
		fputc(']', snap);
	}
	fputc('\n', snap);
	return 0;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fakesys_snapshot(const char *dir)
{
	char *text = NULL, *out = NULL, **lines = NULL;
	size_t size = 0, n = 0;
	FILE *o;

	snap = open_memstream(&text, &size);
	snap_root = strlen(dir);
	nftw(dir, snap_one, 16, FTW_PHYS);
	fclose(snap);
	/* nftw's order follows readdir; sort so two snapshots compare equal. */
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(*lines), cmp_lines);
	o = open_memstream(&out, &size);
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%s\n", lines[i]);
	fclose(o);
	free(lines);
	free(text);
	return out;
}

char *fakesys_read(const char *dir, const char *rel)
{
	char path[4096], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return strdup(buf);
}

static int cmp_addr(const void *a, const void *b)
{
	return pci_addr_cmp(&((const struct pci_func *)a)->addr, &((const struct pci_func *)b)->addr);
}

static struct pci_func *table_func(struct pci_table *t, const char *addr)
{
	struct pci_addr a;

	if (pci_addr_parse(addr, false, &a) < 0)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (pci_addr_eq(&t->v[i].addr, &a))
			return &t->v[i];
	return NULL;
}

int fakesys_table(const char *text, struct pci_table *t)
{
	char *copy = strdup(text), *line, *save = NULL;
	int r = 0;

	*t = (struct pci_table){ 0 };
	t->v = calloc(256, sizeof(*t->v));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char a[64], b[64], c[64], d[64];
		struct pci_func f = {
			.detailed = true, .has_override = true, .driver = "", .override = "", .variant = "",
			.subvendor = 0xffff, .subdevice = 0xffff,
		};
		struct fline fl;
		unsigned v, dv, cls;

		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '@') {
			struct pci_func *fn;

			if (sscanf(line, "%63s %63s %63s %63s", a, b, c, d) < 3 || !(fn = table_func(t, b))) {
				r = -ENOENT;
				break;
			}
			if (!strcmp(a, "@driver"))
				pci_func_set_driver(fn, c);
			else if (!strcmp(a, "@attr") && !strcmp(c, "sriov_numvfs"))
				fn->sriov_numvfs = (uint16_t)atoi(d);
			else if (!strcmp(a, "@physfn"))
				fn->has_physfn = pci_addr_parse(c, false, &fn->physfn) == 0;
			else if (!strcmp(a, "@variant"))
				pci_func_set_variant(fn, c);
			else if (!strcmp(a, "@attr") && !strcmp(c, "subsystem"))
				sscanf(d, "%4hx:%4hx", &fn->subvendor, &fn->subdevice);
			/* @unreadable ADDR ATTR-NUMBER ERRNO: as if the read failed */
			else if (!strcmp(a, "@unreadable"))
				pci_func_set_bad(fn, (enum pci_attr)atoi(c), atoi(d));
			else
				r = -EINVAL;
			continue;
		}
		if (parse_fline(line, &fl) < 0 || pci_addr_parse(fl.addr, false, &f.addr) < 0 ||
		    sscanf(fl.cls, "0x%x", &cls) != 1 || sscanf(fl.ids, "%4x:%4x", &v, &dv) != 2 || t->n == 256) {
			r = -EINVAL;
			break;
		}
		f.class = cls;
		f.vendor = (uint16_t)v;
		f.device = (uint16_t)dv;
		f.boot_vga = (int8_t)(strcmp(fl.boot_vga, "-") ? atoi(fl.boot_vga) : -1);
		f.iommu_group = strcmp(fl.group, "-") ? atoi(fl.group) : -1;
		f.has_parent = fl.parent[0] && pci_addr_parse(fl.parent, false, &f.parent) == 0;
		t->iommu |= f.iommu_group >= 0;
		t->v[t->n++] = f;
	}
	free(copy);
	qsort(t->v, t->n, sizeof(*t->v), cmp_addr);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_func *p = t->v[i].has_parent ? pci_table_find(t, &t->v[i].parent) : NULL;

		if (p)
			p->has_children = true;
	}
	return r;
}
