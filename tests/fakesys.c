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

static int add_function(const char *dir, const char *group, const char *addr, const char *cls,
			const char *ids, const char *boot_vga)
{
	char rel[512], val[256], dom[5];
	int r;

	snprintf(dom, sizeof(dom), "%.4s", addr);
	snprintf(rel, sizeof(rel), "%s/devices/pci%s:00/%s", dir, dom, addr);
	r = mkdir_p(rel);
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/class", dom, addr);
	snprintf(val, sizeof(val), "%s\n", cls);
	put(dir, rel, val);
	snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/vendor", dom, addr);
	snprintf(val, sizeof(val), "0x%.4s\n", ids);
	put(dir, rel, val);
	snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/device", dom, addr);
	snprintf(val, sizeof(val), "0x%.4s\n", ids + 5);
	put(dir, rel, val);
	snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/driver_override", dom, addr);
	put(dir, rel, "(null)\n");
	/* As the kernel writes it (subsystem IDs 0 here): doctor looks the native driver up by it. */
	{
		unsigned long c = strtoul(cls, NULL, 16), v = strtoul(ids, NULL, 16), d = strtoul(ids + 5, NULL, 16);

		snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/modalias", dom, addr);
		snprintf(val, sizeof(val), "pci:v%08lXd%08lXsv00000000sd00000000bc%02lXsc%02lXi%02lX\n", v, d,
			 c >> 16 & 0xff, c >> 8 & 0xff, c & 0xff);
		put(dir, rel, val);
	}
	if (strcmp(boot_vga, "-")) {
		snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/boot_vga", dom, addr);
		snprintf(val, sizeof(val), "%s\n", boot_vga);
		put(dir, rel, val);
	}
	snprintf(val, sizeof(val), "../../../devices/pci%s:00/%s", dom, addr);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", addr);
	r = link_to(dir, val, rel);
	if (r < 0 || !strcmp(group, "-"))
		return r;
	snprintf(rel, sizeof(rel), "%s/kernel/iommu_groups/%s/devices", dir, group);
	mkdir_p(rel);
	snprintf(val, sizeof(val), "../../../../devices/pci%s:00/%s", dom, addr);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices/%s", group, addr);
	link_to(dir, val, rel);
	snprintf(val, sizeof(val), "../../../kernel/iommu_groups/%s", group);
	snprintf(rel, sizeof(rel), "devices/pci%s:00/%s/iommu_group", dom, addr);
	return link_to(dir, val, rel);
}

static int directive(const char *dir, const char *cmd, const char *addr, const char *arg)
{
	char rel[512], target[512];

	if (!strcmp(cmd, "@driver")) {
		snprintf(rel, sizeof(rel), "%s/bus/pci/drivers/%s", dir, arg);
		mkdir_p(rel);
		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", arg);
		put(dir, rel, "");
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", arg);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver", addr);
		return link_to(dir, target, rel);
	}
	if (!strcmp(cmd, "@override")) {
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
		snprintf(target, sizeof(target), "%s\n", arg);
		return put(dir, rel, target);
	}
	if (!strcmp(cmd, "@no-override")) {
		snprintf(rel, sizeof(rel), "%s/bus/pci/devices/%s/driver_override", dir, addr);
		return unlink(rel) < 0 ? -errno : 0;
	}
	fprintf(stderr, "fakesys: unknown directive %s\n", cmd);
	return -EINVAL;
}

int fakesys_build_text(const char *text, const char *dir)
{
	char *copy = strdup(text), *line, *save = NULL;
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
	for (line = strtok_r(copy, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		char a[64], b[64], c[64], d[64], e[64];
		int n;

		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		n = sscanf(line, "%63s %63s %63s %63s %63s", a, b, c, d, e);
		if (a[0] == '@')
			r = directive(dir, a, b, n >= 3 ? c : "");
		else if (n == 5)
			r = add_function(dir, a, b, c, d, e);
		else
			r = -EINVAL;
		if (r < 0)
			fprintf(stderr, "fakesys: cannot build '%s': %s\n", line, strerror(-r));
	}
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

int fakesys_table(const char *text, struct pci_table *t)
{
	char *copy = strdup(text), *line, *save = NULL;
	int r = 0;

	*t = (struct pci_table){ 0 };
	t->v = calloc(256, sizeof(*t->v));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char a[64], b[64], c[64], d[64], e[64];
		struct pci_func f = { .detailed = true, .has_override = true, .driver = "", .override = "" };
		unsigned v, dv, cls;

		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (sscanf(line, "%63s %63s %63s %63s %63s", a, b, c, d, e) < 3)
			return -EINVAL;
		if (!strcmp(a, "@driver")) {
			struct pci_addr addr;
			struct pci_func *fn = NULL;

			pci_addr_parse(b, false, &addr);
			for (size_t i = 0; i < t->n; i++)
				if (pci_addr_eq(&t->v[i].addr, &addr))
					fn = &t->v[i];
			if (!fn)
				return -ENOENT;
			pci_func_set_driver(fn, c);
			continue;
		}
		if (pci_addr_parse(b, false, &f.addr) < 0 || sscanf(c, "0x%x", &cls) != 1 ||
		    sscanf(d, "%4x:%4x", &v, &dv) != 2 || t->n == 256) {
			r = -EINVAL;
			break;
		}
		f.class = cls;
		f.vendor = (uint16_t)v;
		f.device = (uint16_t)dv;
		f.boot_vga = (int8_t)(strcmp(e, "-") ? atoi(e) : -1);
		f.iommu_group = strcmp(a, "-") ? atoi(a) : -1;
		t->iommu |= f.iommu_group >= 0;
		t->v[t->n++] = f;
	}
	free(copy);
	qsort(t->v, t->n, sizeof(*t->v), cmp_addr);
	return r;
}
