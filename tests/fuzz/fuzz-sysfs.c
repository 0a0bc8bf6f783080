// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sysfs model fed with hostile attribute contents. Each input is a fake
 * tree, rebuilt in one temporary directory (on tmpfs when there is one):
 *
 *   line 1: a kernel command line choosing the policy (vfio_binder.*)
 *   then one PCI function a line, fields split at '|':
 *     NAME|class|vendor|device|boot_vga|group|driver|override|link
 *
 * NAME is the entry in bus/pci/devices ('/' becomes '_'). An attribute
 * field that is missing or "-" leaves the file out; otherwise it is the
 * file's contents, with "\n" and "\0" standing for newline and NUL. group
 * and driver name the targets of the iommu_group and driver links (a value
 * with a '/' is the raw link target, so links can point anywhere, outside
 * the root included); link, when given, is the raw target of the
 * bus/pci/devices entry. The tree is then read with pci_table_load(),
 * planned, printed both ways, and applied as a dry run.
 *
 * Files are only ever created under real directories of the tree, never
 * through one of the fuzzer's links, so a hostile target cannot make the
 * harness itself write outside its directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "cmdline.h"
#include "fuzz-common.h"
#include "sysfs.h"

#define MAX_FUNCS 24
#define MAX_FIELD 512

static char root[64];
static int root_fd = -1;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void cleanup(void)
{
	if (root[0]) {
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		rmdir(root);
	}
}

static void make_root(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/vfio-binder-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		abort();
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();
	atexit(cleanup);
}

/* mkdir -p below the root; every component is a real directory the harness made. */
static void mkdirs(const char *rel)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = buf; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdirat(root_fd, buf, 0755);
		*p = '/';
	}
	mkdirat(root_fd, buf, 0755);
}

static void put(const char *rel, const char *content, size_t len)
{
	int fd = openat(root_fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	if (write(fd, content, len) < 0)
		abort();
	close(fd);
}

/* A field as a file name: no '/', never "." or "..". */
static bool sanitize(char *s)
{
	for (char *c = s; *c; c++)
		if (*c == '/')
			*c = '_';
	return *s && strcmp(s, ".") && strcmp(s, "..");
}

/* "\n" and "\0" in a field stand for the bytes; returns the length. */
static size_t unescape(char *s)
{
	size_t o = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && (s[i + 1] == 'n' || s[i + 1] == '0')) {
			s[o++] = s[i + 1] == 'n' ? '\n' : '\0';
			i++;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

static bool given(const char *f)
{
	return f && strcmp(f, "-");
}

static void add_function(char **f, size_t n)
{
	char name[MAX_FIELD], dir[MAX_FIELD + 64], rel[2 * MAX_FIELD + 128], target[2 * MAX_FIELD + 64];
	static const char *const attrs[] = { NULL, "class", "vendor", "device", "boot_vga" };

	snprintf(name, sizeof(name), "%s", f[0]);
	if (!sanitize(name))
		return;
	snprintf(dir, sizeof(dir), "devices/pci0000:00/%s", name);
	mkdirs(dir);
	for (size_t i = 1; i < ELEMENTSOF(attrs); i++) {
		if (i < n && given(f[i])) {
			size_t len = unescape(f[i]);

			snprintf(rel, sizeof(rel), "%s/%s", dir, attrs[i]);
			put(rel, f[i], len);
		}
	}
	if (n > 7 && given(f[7])) {
		size_t len = unescape(f[7]);

		snprintf(rel, sizeof(rel), "%s/driver_override", dir);
		put(rel, f[7], len);
	} else if (n <= 7) {
		snprintf(rel, sizeof(rel), "%s/driver_override", dir);
		put(rel, "(null)\n", 7);
	}
	if (n > 5 && given(f[5])) {
		char group[MAX_FIELD];

		snprintf(group, sizeof(group), "%s", f[5]);
		if (strchr(f[5], '/')) {
			snprintf(target, sizeof(target), "%s", f[5]);
		} else {
			snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%s", f[5]);
			if (sanitize(group)) {
				snprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices", group);
				mkdirs(rel);
				snprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices/%s", group, name);
				snprintf(dir, sizeof(dir), "../../../../devices/pci0000:00/%s", name);
				symlinkat(dir, root_fd, rel);
				snprintf(dir, sizeof(dir), "devices/pci0000:00/%s", name);
			}
		}
		snprintf(rel, sizeof(rel), "%s/iommu_group", dir);
		symlinkat(target, root_fd, rel);
	}
	if (n > 6 && given(f[6])) {
		char drv[MAX_FIELD];

		snprintf(drv, sizeof(drv), "%s", f[6]);
		if (strchr(f[6], '/')) {
			snprintf(target, sizeof(target), "%s", f[6]);
		} else {
			snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", f[6]);
			if (sanitize(drv)) {
				snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", drv);
				mkdirs(rel);
				snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", drv);
				put(rel, "", 0);
			}
		}
		snprintf(rel, sizeof(rel), "%s/driver", dir);
		symlinkat(target, root_fd, rel);
	}
	if (n > 8 && *f[8])
		snprintf(target, sizeof(target), "%s", f[8]);
	else
		snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", name);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", name);
	symlinkat(target, root_fd, rel);
}

static int fake_modload(void *userdata, const char *module, const char *options, unsigned flags)
{
	/* The answers the real one gives: loaded, not loaded (fake tree), failed. */
	return (int)(strlen(module) % 3) - 1;
}

static void run_tree(const struct policy *p)
{
	struct sysfs s = { .root_fd = -1 };
	struct pci_table t;
	struct pci_scan scan;
	struct plan plan;
	FILE *null = fuzz_null();

	if (sysfs_open(&s, root) < 0)
		abort();
	plan_scan_needs(p, &scan);
	if (pci_table_load(&s, &scan, &t) < 0)
		abort();
	for (size_t i = 1; i < t.n; i++)
		if (pci_addr_cmp(&t.v[i - 1].addr, &t.v[i].addr) > 0)
			abort();
	if (plan_build(&t, p, &plan) == 0) {
		char *writes = NULL;
		size_t size = 0;
		FILE *w = open_memstream(&writes, &size);
		struct apply_opts o = { .dry_run = true, .load = true, .out = w, .load_fn = fake_modload };

		if (!w)
			abort();
		plan_print(null, &t, &plan);
		/* bind --dry-run --json: the would-be writes, with hostile names in them, go into the JSON */
		if (apply_plan(&s, &t, &plan, &o) < 0)
			abort();
		fclose(w);
		plan_print_json(null, &t, &plan, writes);
		free(writes);
		plan_free(&plan);
	}
	pci_table_free(&t);
	sysfs_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *line, *save = NULL;
	struct policy p;
	size_t funcs = 0;

	fuzz_null();
	if (size > 16 * 1024)
		return -1;
	if (root_fd < 0)
		make_root();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdirs("bus/pci/devices");
	mkdirs("bus/pci/drivers");
	mkdirs("kernel/iommu_groups");
	mkdirs("devices/pci0000:00");
	put("bus/pci/drivers_probe", "", 0);

	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	policy_init(&p);
	/* The first line, even an empty one, is the command line. */
	line = text;
	save = strchr(text, '\n');
	if (save)
		*save++ = '\0';
	cmdline_apply(&p, line);
	for (line = save ? strtok_r(save, "\n", &save) : NULL; line && funcs < MAX_FUNCS;
	     line = strtok_r(NULL, "\n", &save), funcs++) {
		char *f[9];
		size_t n = 0;

		if (strlen(line) > MAX_FIELD - 1)
			continue;
		/* strsep, not strtok: empty fields count */
		while (n < ELEMENTSOF(f) && (f[n] = strsep(&line, "|")))
			n++;
		add_function(f, n);
	}
	run_tree(&p);
	policy_free(&p);
	free(text);
	return 0;
}
