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
 * Two more kinds of line test the sysfs layer's one promise, that nothing
 * is opened outside the root: "@NAME|TARGET" makes links/NAME a link to
 * TARGET, and "?PATH" opens PATH through sysfs_openat(), which must fail
 * or give a file inside the root. Built with FUZZ_NO_OPENAT2 (the harness
 * fuzz-sysfs-noopenat2), every openat2 fails ENOSYS, as on kernels before
 * 5.6, and sysfs.c's own path walk is what is tested.
 *
 * Files are only ever created under real directories of the tree, never
 * through one of the fuzzer's links, so a hostile target cannot make the
 * harness itself write outside its directory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "cmdline.h"
#include "fuzz-common.h"
#include "sysfs.h"

#define MAX_FUNCS 24
#define MAX_FIELD 512

static char root[PATH_MAX], root_real[PATH_MAX];
static int root_fd = -1;

#ifdef FUZZ_NO_OPENAT2
/* The kernel before 5.6, for the binder's objects linked into this program. */
long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	if (nr == SYS_openat2) {
		errno = ENOSYS;
		return -1;
	}
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

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
	/* run.sh gives a directory it removes afterwards: libFuzzer may end without atexit(). */
	const char *tmp = getenv("FUZZ_TMPDIR");

	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/vfio-binder-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		abort();
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || !realpath(root, root_real))
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

/* "@NAME|TARGET": links/NAME -> TARGET, raw. */
static void add_link(char *line)
{
	char name[MAX_FIELD], rel[MAX_FIELD + 16];
	char *target = strchr(line, '|');

	if (!target)
		return;
	*target++ = '\0';
	snprintf(name, sizeof(name), "%s", line);
	if (!sanitize(name))
		return;
	mkdirs("links");
	snprintf(rel, sizeof(rel), "links/%s", name);
	symlinkat(target, root_fd, rel);
}

/* "?PATH": whatever sysfs_openat() opens is inside the root. */
static void probe(const struct sysfs *s, const char *rel)
{
	static const int flags[] = { O_RDONLY, O_RDONLY | O_NOFOLLOW, O_RDONLY | O_DIRECTORY };

	for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
		char proc[64], got[PATH_MAX];
		int fd = sysfs_openat(s, rel, flags[i]);
		ssize_t n;

		if (fd < 0)
			continue;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		n = readlink(proc, got, sizeof(got) - 1);
		close(fd);
		if (n < 0)
			abort();
		got[n] = '\0';
		if (strncmp(got, root_real, strlen(root_real)) != 0 ||
		    (got[strlen(root_real)] != '\0' && got[strlen(root_real)] != '/')) {
			fprintf(stderr, "sysfs_openat(\"%s\") opened %s, outside %s\n", rel, got, root_real);
			abort();
		}
	}
}

static void run_probes(char *const *probes, size_t n)
{
	struct sysfs s = { .root_fd = -1 };

	if (!n)
		return;
	if (sysfs_open(&s, root) < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		probe(&s, probes[i]);
	sysfs_close(&s);
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
	char *text, *line, *save = NULL, *probes[MAX_FUNCS];
	struct policy p;
	size_t funcs = 0, n_probes = 0;

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
		if (line[0] == '@') {
			add_link(line + 1);
			continue;
		}
		if (line[0] == '?') {
			probes[n_probes++] = line + 1;
			continue;
		}
		/* strsep, not strtok: empty fields count */
		while (n < ELEMENTSOF(f) && (f[n] = strsep(&line, "|")))
			n++;
		add_function(f, n);
	}
	run_tree(&p);
	run_probes(probes, n_probes);
	policy_free(&p);
	free(text);
	return 0;
}
