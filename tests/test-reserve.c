// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reserve and release on fake trees, with a fake kernel: at every step the
 * binder takes through the sysfs layer (the fault seam), the kernel's side
 * happens as on a real one: an address written to a driver's unbind drops
 * the driver link, one written to drivers_probe binds the function to the
 * driver its override names or, with none, to its native driver when that
 * is loaded, and loading a module binds what it matches. Every step of the
 * kernel is written to an event log, in order: that is the write order the
 * tests check.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "list.h"
#include "reserve.h"
#include "runtime.h"
#include "select.h"
#include "testutil.h"

/* Paths in a test tree are short (fakesys.c says the same). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char *dir, *sys, *proc, *dev, *run, *conf;
static char *events;
static size_t events_size;
static FILE *ev;
static char *json;
static size_t json_size;

/* The fake kernel: each watched function's native driver, and which drivers are loaded. */
#define MAXF 8
static struct kfunc {
	char addr[16];
	char native[32];	/* "" when no module matches it */
	char override[64];	/* as last seen */
} kf[MAXF];
static size_t nkf;
static char loaded[8][32];
static size_t nloaded;
static size_t probes_seen;

static void event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(ev, fmt, ap);
	va_end(ap);
	fputc('\n', ev);
	fflush(ev);
}

static bool is_loaded(const char *drv)
{
	for (size_t i = 0; i < nloaded; i++)
		if (!strcmp(loaded[i], drv))
			return true;
	return false;
}

static char *devattr(const char *addr, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", addr, name);
	return fakesys_read(sys, rel);
}

static bool has_driver(const char *addr)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sys, addr);
	return lstat(path, &st) == 0;
}

static void kbind(const char *addr, const char *drv)
{
	char path[512], target[512], link[512], up[256] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", sys, drv);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s/unbind", sys, drv);
	if (access(path, F_OK) < 0)
		close(open(path, O_WRONLY | O_CREAT, 0644));
	/* from the function's directory up to the root, as fakesys links drivers */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sys, addr);
	n = readlink(path, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 9);
	target[n] = '\0';
	for (const char *c = target + 9; *c; c++)
		if (*c == '/')
			strcat(up, "../");
	snprintf(link, sizeof(link), "../%sbus/pci/drivers/%s", up, drv);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sys, addr);
	ck_assert_int_eq(symlink(link, path), 0);
	event("bind %s %s", addr, drv);
}

/* What the kernel does when a function is probed: its override's driver, else its native one, if loaded. */
static void attach(struct kfunc *f)
{
	char *ov;

	if (has_driver(f->addr))
		return;
	ov = devattr(f->addr, "driver_override");
	if (ov && *ov && strcmp(ov, "(null)")) {
		if (is_loaded(ov))
			kbind(f->addr, ov);
	} else if (f->native[0] && is_loaded(f->native)) {
		kbind(f->addr, f->native);
	}
	free(ov);
}

/* The kernel's side of every write made since the last step. */
static void tick(void)
{
	char path[512];
	DIR *d;
	struct dirent *de;
	char *probes;

	for (size_t i = 0; i < nkf; i++) {
		char *ov = devattr(kf[i].addr, "driver_override");

		if (ov && strcmp(ov, kf[i].override)) {
			event("override %s \"%s\"", kf[i].addr, ov);
			snprintf(kf[i].override, sizeof(kf[i].override), "%s", ov);
		}
		free(ov);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/drivers", sys);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char rel[256], *text, *save = NULL;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", de->d_name);
		text = fakesys_read(sys, rel);
		if (text && *text) {
			for (char *a = strtok_r(text, "\n", &save); a; a = strtok_r(NULL, "\n", &save)) {
				snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sys, a);
				ck_assert_int_eq(unlink(path), 0);
				event("unbind %s %s", a, de->d_name);
			}
			snprintf(path, sizeof(path), "%s/%s", sys, rel);
			close(open(path, O_WRONLY | O_TRUNC));
		}
		free(text);
	}
	if (d)
		closedir(d);
	probes = fakesys_read(sys, "bus/pci/drivers_probe");
	if (probes) {
		size_t k = 0;
		char *save = NULL;

		for (char *a = strtok_r(probes, "\n", &save); a; a = strtok_r(NULL, "\n", &save), k++) {
			if (k < probes_seen)
				continue;
			probes_seen++;
			event("probe %s", a);
			for (size_t i = 0; i < nkf; i++)
				if (!strcmp(kf[i].addr, a))
					attach(&kf[i]);
		}
		free(probes);
	}
}

/* The runtime record as it was when the first unbind was opened (NULL: not watched or none yet). */
static bool watch_unbind;
static char *record_at_unbind;

static int kernel_step(enum sysfs_step step, const char *rel, void *data)
{
	tick();
	if (watch_unbind && !record_at_unbind && strstr(rel, "unbind")) {
		char *p;

		ck_assert_int_ge(asprintf(&p, "%s/vfio-binder/runtime", run), 0);
		record_at_unbind = fakesys_read("/", p + 1);
		if (!record_at_unbind)
			record_at_unbind = strdup("(no record)");
		free(p);
	}
	return 0;
}

/* libkmod, as the fake kernel sees it: a module registers its driver, which binds what it matches. */
static int kernel_load(void *userdata, const char *module, const char *options, unsigned flags)
{
	const char *drv = module;

	tick();
	if (flags & MODLOAD_ALIAS) {
		drv = NULL;
		for (size_t i = 0; i < nkf && !drv; i++) {
			char *m = devattr(kf[i].addr, "modalias");

			if (m && !strcmp(m, module) && kf[i].native[0])
				drv = kf[i].native;
			free(m);
		}
		if (!drv)
			return 1;
	}
	event("load %s", drv);
	if (!is_loaded(drv))
		snprintf(loaded[nloaded++], sizeof(loaded[0]), "%s", drv);
	for (size_t i = 0; i < nkf; i++)
		attach(&kf[i]);
	return 0;
}

/* A fresh machine: the topology plus extra lines; watch: "ADDR=NATIVE ..." (NATIVE "-": none). */
static void machine(const char *topology, const char *extra, const char *watch, const char *loaded_drivers)
{
	bool inline_text = !strncmp(topology, "text:", 5);
	char *path = inline_text ? NULL : topology_path(topology);
	char *text = inline_text ? strdup(topology + 5) : fakesys_read("/", path), *all, *w, *save = NULL;

	ck_assert_int_ge(asprintf(&dir, "%s/vfio-binder-reserve.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&sys, "%s/sys", dir), 0);
	ck_assert_int_ge(asprintf(&proc, "%s/proc", dir), 0);
	ck_assert_int_ge(asprintf(&dev, "%s/dev", dir), 0);
	ck_assert_int_ge(asprintf(&run, "%s/run", dir), 0);
	ck_assert_int_ge(asprintf(&conf, "%s/vfio.conf", dir), 0);
	ck_assert_int_eq(mkdir(sys, 0755), 0);
	ck_assert_int_eq(mkdir(proc, 0755), 0);
	ck_assert_int_eq(mkdir(dev, 0755), 0);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_ge(asprintf(&all, "%s\n%s", text, extra ? extra : ""), 0);
	ck_assert_int_eq(fakesys_build_text(all, sys), 0);
	free(all);
	free(text);
	free(path);
	nkf = nloaded = probes_seen = 0;
	w = strdup(watch);
	for (char *t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		char *ov;

		*eq = '\0';
		snprintf(kf[nkf].addr, sizeof(kf[0].addr), "%s", t);
		snprintf(kf[nkf].native, sizeof(kf[0].native), "%s", strcmp(eq + 1, "-") ? eq + 1 : "");
		ov = devattr(t, "driver_override");
		snprintf(kf[nkf].override, sizeof(kf[0].override), "%s", ov ? ov : "");
		free(ov);
		nkf++;
	}
	free(w);
	w = strdup(loaded_drivers);
	for (char *t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save))
		snprintf(loaded[nloaded++], sizeof(loaded[0]), "%s", t);
	free(w);
	ev = open_memstream(&events, &events_size);
	sysfs_set_fault(kernel_step, NULL);
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static void with_conf(const char *text)
{
	put(conf, text);
	chmod(conf, 0644);
}

/* A process PID named COMM with fd 3 open on PATH, in the unit of CGROUP. */
static void process(int pid, const char *comm, const char *path, const char *cgroup)
{
	char p[512], c[512];

	snprintf(p, sizeof(p), "%s/%d", proc, pid);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/%d/fd", proc, pid);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/%d/fd/3", proc, pid);
	ck_assert_int_eq(symlink(path, p), 0);
	snprintf(p, sizeof(p), "%s/%d/comm", proc, pid);
	snprintf(c, sizeof(c), "%s\n", comm);
	put(p, c);
	snprintf(p, sizeof(p), "%s/%d/cgroup", proc, pid);
	snprintf(c, sizeof(c), "0::%s\n", cgroup);
	put(p, c);
}

static void teardown(void)
{
	sysfs_set_fault(NULL, NULL);
	if (ev)
		fclose(ev);
	ev = NULL;
	free(events);
	events = NULL;
	free(json);
	json = NULL;
	fakesys_remove(dir);
	dir = NULL;
	free(sys);
	free(proc);
	free(dev);
	free(run);
	free(conf);
	sys = proc = dev = run = conf = NULL;
}

/* Runs reserve (or release) with the opts given; the JSON goes to json. */
static int cmd(bool release, const char *targets, unsigned flags)
{
#define F_FORCE 1
#define F_CONFIGURED 2
#define F_ALL 4
#define F_DRY 8
	struct pci_addr a[8];
	size_t n = 0;
	char *copy = strdup(targets), *save = NULL;
	FILE *out;
	int r;

	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		ck_assert_int_eq(pci_addr_parse(t, true, &a[n++]), 0);
	free(copy);
	free(json);
	json = NULL;
	out = open_memstream(&json, &json_size);
	{
		struct reserve_opts o = {
			.release = release,
			.config = conf,
			.sysfs = sys,
			.proc = proc,
			.dev = dev,
			.run = run,
			.targets = a,
			.n_targets = n,
			.all = flags & F_ALL,
			.force = flags & F_FORCE,
			.configured = flags & F_CONFIGURED,
			.dry_run = flags & F_DRY,
			.json = true,
			.log = LOG_TARGET_STDERR,
			.command = release ? "release (test)" : "reserve (test)",
			.out = out,
			.load_fn = kernel_load,
		};

		r = reserve_run(&o);
	}
	fclose(out);
	tick();
	return r;
}

/* The events so far, and a new log from here. */
static char *take_events(void)
{
	char *e;

	fflush(ev);
	e = strdup(events ? events : "");
	fclose(ev);
	free(events);
	events = NULL;
	ev = open_memstream(&events, &events_size);
	return e;
}

#define ck_assert_events_contain(needle) do { \
		char *_e = take_events(); \
		ck_assert_contains(_e, needle); \
		free(_e); \
	} while (0)

#define ck_assert_events(expected) do { \
		char *_e = take_events(); \
		ck_assert_str_eq(_e, expected); \
		free(_e); \
	} while (0)

static char *runtime_text(void)
{
	char *p, *t;

	ck_assert_int_ge(asprintf(&p, "%s/vfio-binder/runtime", run), 0);
	t = fakesys_read("/", p + 1);
	free(p);
	return t;
}

/* status as `vfio-binder status` computes it: the number of functions not where they should be. */
static int status(const char *expect_line)
{
	struct sysfs s = { .root_fd = -1 }, r = { .root_fd = -1 };
	struct pci_table t = { 0 };
	struct plan plan = { 0 };
	struct runtime rt = { 0 };
	struct policy p;
	struct pci_scan scan = { .all = true };
	char *text = NULL, err[256];
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int bad;

	policy_init(&p);
	ck_assert_int_eq(config_load_all(&p, conf, NULL), 0);
	ck_assert_int_eq(sysfs_open(&s, sys), 0);
	ck_assert_int_eq(sysfs_open(&r, run), 0);
	ck_assert_int_eq(pci_table_load(&s, &scan, &t), 0);
	ck_assert_int_eq(plan_build(&t, &p, &plan), 0);
	runtime_read(&r, &rt, err, sizeof(err));
	bad = status_print(f, &t, &plan, &rt, false);
	fclose(f);
	ck_assert_contains(text, expect_line);
	free(text);
	runtime_free(&rt);
	plan_free(&plan);
	pci_table_free(&t);
	sysfs_close(&s);
	sysfs_close(&r);
	policy_free(&p);
	return bad;
}

static const char gtx_native[] =
	"@driver 0000:01:00.0 nouveau\n@driver 0000:01:00.1 snd_hda_intel\n@driver 0000:00:02.0 i915\n";
static const char gtx_watch[] = "0000:01:00.0=nouveau 0000:01:00.1=snd_hda_intel";
static const char gtx_reset[] =
	"@driver 0000:01:00.0 nouveau\n@driver 0000:01:00.1 snd_hda_intel\n@driver 0000:00:02.0 i915\n"
	"@attr 0000:01:00.0 reset_method flr bus\n";

/* The round trip: the card to vfio-pci in the kernel's order, and back to its native drivers. */
START_TEST(test_reserve_then_release)
{
	const char *log;
	char *t;

	machine("skylake-gtx1070-igd-host", gtx_native, gtx_watch, "nouveau snd_hda_intel");
	with_conf("[devices]\ndevice = 01:00.0\n");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 0);
	log = capture_end();
	/* override first, so the function cannot fall back to its old driver; then unbind; load; the kernel binds */
	ck_assert_events("override 0000:01:00.0 \"vfio-pci\"\n"
			 "unbind 0000:01:00.0 nouveau\n"
			 "override 0000:01:00.1 \"vfio-pci\"\n"
			 "unbind 0000:01:00.1 snd_hda_intel\n"
			 "load vfio-pci\n"
			 "bind 0000:01:00.0 vfio-pci\n"
			 "bind 0000:01:00.1 vfio-pci\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81]: unbound from nouveau\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81] -> vfio-pci (named on the command line)\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.1 [10de:10f0] -> vfio-pci (companion of 0000:01:00.0)\n");
	ck_assert_contains(json, "\"address\": \"0000:01:00.1\", \"vendor\": \"10de\", \"device\": \"10f0\", \"target\": false, \"reason\": \"companion of 0000:01:00.0\", \"driver\": \"vfio-pci\", \"ok\": true}");
	ck_assert_contains(json, "\"ok\": true\n}");
	t = runtime_text();
	ck_assert_contains(t, "function 0000:01:00.0 reserved ");
	ck_assert_contains(t, " vfio-pci reserve (test)\nfunction 0000:01:00.1 reserved ");
	free(t);
	ck_assert_int_eq(status("0000:01:00.0 [10de:1b81] ok (device entry)"), 0);

	/* A second reserve finds everything in place: nothing written. */
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 0);
	ck_assert_events("");

	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0", 0), 0);
	log = capture_end();
	/* override cleared first, so the probe after the unbind finds the native driver, not vfio-pci again */
	ck_assert_events("override 0000:01:00.0 \"\"\n"
			 "unbind 0000:01:00.0 vfio-pci\n"
			 "probe 0000:01:00.0\n"
			 "bind 0000:01:00.0 nouveau\n"
			 "override 0000:01:00.1 \"\"\n"
			 "unbind 0000:01:00.1 vfio-pci\n"
			 "probe 0000:01:00.1\n"
			 "bind 0000:01:00.1 snd_hda_intel\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81]: released: driver_override cleared, unbound from vfio-pci\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81] -> nouveau (released)\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.1 [10de:10f0] -> snd_hda_intel (released)\n");
	t = runtime_text();
	ck_assert_contains(t, " nouveau release (test)\n");
	ck_assert_contains(t, " snd_hda_intel release (test)");
	ck_assert_not_contains(t, "reserved");
	free(t);
	/* released on purpose: status is content; without the record, the native driver won */
	ck_assert_int_eq(status("0000:01:00.0 [10de:1b81] released at runtime: on nouveau, by 'release (test)' (device entry)"), 0);
	t = NULL;
	ck_assert_int_ge(asprintf(&t, "%s/vfio-binder/runtime", run), 0);
	ck_assert_int_eq(unlink(t), 0);
	free(t);
	ck_assert_int_eq(status("0000:01:00.0 [10de:1b81] bound to nouveau (device entry)"), 2);
	teardown();
}
END_TEST

/*
 * A target the configuration has a device line for is moved as bind would
 * move it: its driver= and reset_method= apply to reserve too, and release
 * gives back from that driver.
 */
START_TEST(test_reserve_uses_the_device_line)
{
	const char *log;
	char *rm, *ev_text;

	machine("skylake-gtx1070-igd-host", gtx_reset, gtx_watch, "nouveau snd_hda_intel");
	with_conf("[devices]\ndevice = 01:00.0 @ 10de:1b81 driver=pci-stub reset_method=bus\n");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 0);
	log = capture_end();
	ev_text = take_events();
	ck_assert_contains(ev_text, "override 0000:01:00.0 \"pci-stub\"\n");
	free(ev_text);
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: reset_method bus\n");
	rm = devattr("0000:01:00.0", "reset_method");
	ck_assert_str_eq(rm, "bus");
	free(rm);
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> pci-stub (named on the command line)\n");
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0] -> pci-stub (companion of 0000:01:00.0)\n");
	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0", 0), 0);
	log = capture_end();
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: released: driver_override cleared, unbound from pci-stub\n");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> nouveau (released)\n");
	teardown();

	/* pinned to another identity: the address moved, nothing is written */
	machine("skylake-gtx1070-igd-host", gtx_native, gtx_watch, "nouveau snd_hda_intel");
	with_conf("[devices]\ndevice = 01:00.0 @ 10de:2204\n");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 1);
	log = capture_end();
	ck_assert_contains(log, "the entry expects 10de:2204");
	ck_assert_events("");
	teardown();
}
END_TEST

/* release loads the native driver through libkmod by modalias when it is not loaded; no driver is no error. */
START_TEST(test_release_loads_native)
{
	const char *log;

	machine("skylake-gtx1070-igd-host",
		"@driver 0000:01:00.0 vfio-pci\n@driver 0000:01:00.1 vfio-pci\n"
		"@override 0000:01:00.0 vfio-pci\n@override 0000:01:00.1 vfio-pci\n",
		"0000:01:00.0=nouveau 0000:01:00.1=-", "vfio-pci");
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0", 0), 0);
	log = capture_end();
	ck_assert_events("override 0000:01:00.0 \"\"\n"
			 "unbind 0000:01:00.0 vfio-pci\n"
			 "probe 0000:01:00.0\n"
			 "override 0000:01:00.1 \"\"\n"
			 "unbind 0000:01:00.1 vfio-pci\n"
			 "probe 0000:01:00.1\n"
			 "load nouveau\n"
			 "bind 0000:01:00.0 nouveau\n");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> nouveau (released)");
	ck_assert_contains(log, "0000:01:00.1 [10de:10f0]: released; no driver took it");
	ck_assert_contains(json, "\"address\": \"0000:01:00.1\", \"vendor\": \"10de\", \"device\": \"10f0\", \"target\": false, \"reason\": \"companion of 0000:01:00.0\", \"driver\": null, \"ok\": true}");
	teardown();
}
END_TEST

/*
 * Release marks the functions released before it unbinds the first one: the
 * unbind's uevent wakes a running monitor, which must already read them as
 * the host's, or it takes the card back before the native drivers come.
 */
START_TEST(test_release_marks_the_record_first)
{
	char *t;

	machine("skylake-gtx1070-igd-host", gtx_native, gtx_watch, "nouveau snd_hda_intel");
	with_conf("[devices]\ndevice = 01:00.0\n");
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 0);
	free(take_events());
	watch_unbind = true;
	ck_assert_int_eq(cmd(true, "01:00.0", 0), 0);
	watch_unbind = false;
	ck_assert_ptr_nonnull(record_at_unbind);
	ck_assert_contains(record_at_unbind, "function 0000:01:00.0 released ");
	ck_assert_contains(record_at_unbind, "function 0000:01:00.1 released ");
	ck_assert_not_contains(record_at_unbind, "reserved");
	/* and afterwards the drivers they ended on */
	t = runtime_text();
	ck_assert_contains(t, " nouveau release (test)\n");
	ck_assert_contains(t, " snd_hda_intel release (test)");
	free(t);
	free(record_at_unbind);
	record_at_unbind = NULL;
	teardown();
}
END_TEST

/* [access] is bind's: reserve says it does not apply it, and binds all the same. */
START_TEST(test_reserve_says_access_is_not_applied)
{
	const char *log;

	machine("skylake-gtx1070-igd-host", gtx_native, gtx_watch, "nouveau snd_hda_intel");
	with_conf("[access]\ngroup = kvm\n");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 0);
	log = capture_end();
	ck_assert_contains(log, "[access] is not applied by reserve");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> vfio-pci (named on the command line)");
	teardown();
}
END_TEST

/* A process with the card's DRM node open: refused, named with its fix, nothing written. */
START_TEST(test_reserve_refused_by_holder)
{
	char *before, *after;
	const char *log;

	machine("skylake-gtx1070-igd-host",
		"@driver 0000:01:00.0 nouveau\n@driver 0000:01:00.1 snd_hda_intel\n"
		"@class 0000:01:00.0 drm/card1 drm dev=226:1 devname=dri/card1\n"
		"@class 0000:01:00.0 drm/renderD129 drm dev=226:129 devname=dri/renderD129\n"
		"@class 0000:01:00.0 drm/card1-HDMI-A-1 drm_connector status=connected\n"
		"@class 0000:01:00.1 sound/card1 sound number=1\n"
		"@class 0000:01:00.1 sound/card1/pcmC1D3p sound dev=116:8 devname=snd/pcmC1D3p\n",
		gtx_watch, "nouveau snd_hda_intel");
	with_conf("");
	process(4242, "Xorg", "/dev/dri/card1", "/system.slice/gdm.service");
	process(777, "pipewire", "/dev/snd/pcmC1D3p", "/user.slice/user-4711.slice/user@4711.service/session.slice/pipewire.service");
	process(999, "bash", "/dev/dri/card0", "/user.slice/user-4711.slice/session-2.scope");
	before = fakesys_snapshot(sys);
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 1);
	log = capture_end();
	after = fakesys_snapshot(sys);
	ck_assert_str_eq(before, after);
	ck_assert_events("");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81]: held by Xorg (pid 4242) through /dev/dri/card1; stop it: systemctl stop gdm.service\n");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.1 [10de:10f0]: held by pipewire (pid 777) through /dev/snd/pcmC1D3p; stop it: systemctl --user stop pipewire.service (as uid 4711)\n");
	ck_assert_not_contains(log, "pid 999");
	ck_assert_contains(log, "reserve refused: 2 holders (above); nothing written");
	ck_assert_contains(json, "{\"address\": \"0000:01:00.0\", \"kind\": \"process\", \"pid\": 4242, \"command\": \"Xorg\", \"node\": \"/dev/dri/card1\", \"where\": null, \"fix\": \"systemctl stop gdm.service\", \"force\": false}");
	ck_assert_contains(json, "\"ok\": false");
	/* --force does not go past a process */
	ck_assert_int_eq(cmd(false, "01:00.0", F_FORCE), 1);
	ck_assert_events("");
	free(before);
	free(after);
	teardown();
}
END_TEST

/* The framebuffer console: a holder --force goes past (the kernel drops it). */
START_TEST(test_vtcon_and_force)
{
	const char *log;

	machine("skylake-gtx1070-igd-host",
		"@driver 0000:01:00.0 nouveau\n@driver 0000:01:00.1 snd_hda_intel\n"
		"@class 0000:01:00.0 graphics/fb1 graphics dev=29:1 devname=fb1\n"
		"@class - vtconsole/vtcon0 vtconsole bind=0 name=(S) dummy device\n"
		"@class - vtconsole/vtcon1 vtconsole bind=1 name=(M) frame buffer device\n",
		gtx_watch, "nouveau snd_hda_intel");
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 1);
	log = capture_end();
	ck_assert_events("");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: the framebuffer console vtcon1 draws on /dev/fb1; echo 0 > /sys/class/vtconsole/vtcon1/bind (the text console goes dark), or --force");
	ck_assert_contains(json, "\"kind\": \"vtcon\", \"pid\": null, \"command\": null, \"node\": \"vtcon1\", \"where\": \"/dev/fb1\"");
	ck_assert_contains(json, "\"force\": true}");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", F_FORCE), 0);
	log = capture_end();
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81]: the framebuffer console vtcon1 draws on /dev/fb1: --force, the kernel drops it");
	ck_assert_contains(log, "0000:01:00.0 [10de:1b81] -> vfio-pci");
	ck_assert_contains(json, "\"ok\": true\n}");
	teardown();
}
END_TEST

/* The boot VGA's card needs --force, and only naming the GPU takes it. */
START_TEST(test_boot_vga)
{
	const char *log;

	machine("turing-4fn-amd-host", "@driver 0000:2e:00.0 amdgpu\n@driver 0000:2e:00.1 snd_hda_intel\n",
		"0000:2e:00.0=amdgpu 0000:2e:00.1=snd_hda_intel", "amdgpu snd_hda_intel");
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(false, "2e:00.0", 0), 1);
	log = capture_end();
	ck_assert_events("");
	ck_assert_contains(log, "vfio-binder: 0000:2e:00.0 [1002:73ff]: the boot VGA, the host's console: 'reserve --force' takes it (single-GPU passthrough: the console goes dark until it is released)");
	ck_assert_contains(log, "vfio-binder: 0000:2e:00.1 [1002:ab28]: companion of the boot VGA 0000:2e:00.0, the host's console: 'reserve --force' takes it");
	ck_assert_contains(log, "reserve refused (above): nothing written");
	ck_assert_contains(json, "\"refused\": [\n    {\"address\": \"0000:2e:00.0\", \"reason\": \"the boot VGA, the host's console: --force takes it\"},");
	/* the audio function alone: the host's card's, and its group holds the boot VGA */
	capture_start();
	ck_assert_int_eq(cmd(false, "2e:00.1", 0), 1);
	log = capture_end();
	ck_assert_contains(log, "0000:2e:00.1 [1002:ab28]: not reserved: IOMMU group 15 also holds 0000:2e:00.0 (the boot VGA)");
	ck_assert_contains(log, "0000:2e:00.1 [1002:ab28]: companion of the boot VGA 0000:2e:00.0, the host's console: 'reserve --force' takes it");
	ck_assert_events("");
	teardown();

	/* in a group of its own (ACS), the boot VGA's audio still needs --force */
	machine("text:15 0000:2e:00.0 0x030000 1002:73ff 1 Navi 23\n16 0000:2e:00.1 0x040300 1002:ab28 - its audio\n"
		"@driver 0000:2e:00.1 snd_hda_intel\n",
		NULL, "0000:2e:00.1=snd_hda_intel", "snd_hda_intel");
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(false, "2e:00.1", 0), 1);
	log = capture_end();
	ck_assert_contains(log, "0000:2e:00.1 [1002:ab28]: companion of the boot VGA 0000:2e:00.0, the host's console: 'reserve --force' takes it");
	ck_assert_not_contains(log, "not reserved");
	ck_assert_events("");
	capture_start();
	ck_assert_int_eq(cmd(false, "2e:00.1", F_FORCE), 0);
	log = capture_end();
	ck_assert_contains(log, "0000:2e:00.1 [1002:ab28]: companion of the boot VGA 0000:2e:00.0: taken (--force)");
	ck_assert_events("override 0000:2e:00.1 \"vfio-pci\"\n"
			 "unbind 0000:2e:00.1 snd_hda_intel\n"
			 "load vfio-pci\n"
			 "bind 0000:2e:00.1 vfio-pci\n");
	teardown();

	machine("turing-4fn-amd-host", "@driver 0000:2e:00.0 amdgpu\n@driver 0000:2e:00.1 snd_hda_intel\n",
		"0000:2e:00.0=amdgpu 0000:2e:00.1=snd_hda_intel", "amdgpu snd_hda_intel");
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(false, "2e:00.0", F_FORCE), 0);
	log = capture_end();
	ck_assert_contains(log, "0000:2e:00.0 [1002:73ff]: the boot VGA: taken (--force); the host's console goes dark until it is released");
	ck_assert_contains(log, "0000:2e:00.1 [1002:ab28]: companion of the boot VGA 0000:2e:00.0: taken (--force)");
	ck_assert_events("override 0000:2e:00.0 \"vfio-pci\"\n"
			 "unbind 0000:2e:00.0 amdgpu\n"
			 "override 0000:2e:00.1 \"vfio-pci\"\n"
			 "unbind 0000:2e:00.1 snd_hda_intel\n"
			 "load vfio-pci\n"
			 "bind 0000:2e:00.0 vfio-pci\n"
			 "bind 0000:2e:00.1 vfio-pci\n");
	/* taken already (the single-GPU recipe, then the libvirt hook's reserve): no --force needed, nothing written */
	ck_assert_int_eq(cmd(false, "2e:00.0", 0), 0);
	ck_assert_events("");
	teardown();
}
END_TEST

/* What a target expands to comes from the plan: the card, the group, the excludes. */
START_TEST(test_expansion)
{
	const char *log;

	machine("turing-4fn-amd-host", NULL, "", "");
	with_conf("");
	ck_assert_int_eq(cmd(false, "2d:00.0", F_DRY), 0);
	ck_assert_contains(json, "{\"address\": \"0000:2d:00.0\", \"vendor\": \"10de\", \"device\": \"1e87\", \"target\": true, \"reason\": \"named on the command line\"");
	for (const char *a = "0000:2d:00.1\0" "0000:2d:00.2\0" "0000:2d:00.3\0"; *a; a += strlen(a) + 1) {
		char *want;

		ck_assert_int_ge(asprintf(&want, "{\"address\": \"%s\", \"vendor\": \"10de\", \"device\": \"%s\", \"target\": false, \"reason\": \"companion of 0000:2d:00.0\"",
					  a, a[11] == '1' ? "10f8" : a[11] == '2' ? "1ad8" : "1ad9"), 0);
		ck_assert_contains(json, want);
		free(want);
	}
	ck_assert_not_contains(json, "0000:2e:00");
	/* the USB controller alone: its group holds the GPU, which it does not bring */
	capture_start();
	ck_assert_int_eq(cmd(false, "2d:00.2", 0), 1);
	log = capture_end();
	ck_assert_contains(log, "0000:2d:00.2 [10de:1ad8]: not reserved: IOMMU group 14 also holds 0000:2d:00.0 (not selected)");
	/* an excluded function in the group: the card cannot go */
	with_conf("[devices]\nexclude = 2d:00.3\n");
	capture_start();
	ck_assert_int_eq(cmd(false, "2d:00.0", 0), 1);
	log = capture_end();
	ck_assert_contains(log, "0000:2d:00.0 [10de:1e87]: not reserved: IOMMU group 14 also holds 0000:2d:00.3 (excluded)");
	ck_assert_events("");
	teardown();

	/* group = bind brings the group's other endpoint */
	machine("skylake-gtx1070-igd-host", NULL, "", "");
	with_conf("[binder]\ngroup = bind\n");
	ck_assert_int_eq(cmd(false, "01:00.0", F_DRY), 0);
	ck_assert_contains(json, "\"address\": \"0000:01:00.1\"");
	ck_assert_not_contains(json, "\"address\": \"0000:00:01.0\"");
	teardown();
}
END_TEST

/* release --configured: only what vfio.conf marks return_to_host; a marked GPU takes its card. */
START_TEST(test_configured)
{
	static const char on_vfio[] = "@driver 0000:01:00.0 vfio-pci\n@driver 0000:01:00.1 vfio-pci\n"
				      "@override 0000:01:00.0 vfio-pci\n@override 0000:01:00.1 vfio-pci\n";
	const char *log;

	machine("skylake-gtx1070-igd-host", on_vfio, gtx_watch, "vfio-pci nouveau snd_hda_intel");
	with_conf("[devices]\ndevice = 01:00.0\n");
	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0 01:00.1", F_CONFIGURED), 0);
	log = capture_end();
	ck_assert_events("");
	ck_assert_contains(log, "0000:01:00.0: stays on vfio-pci: the configuration does not give it back to the host (return_to_host = no in [binder])");
	ck_assert_contains(json, "\"kept\": [\n    {\"address\": \"0000:01:00.0\", \"reason\": \"return_to_host = no in [binder]\"},");
	with_conf("[devices]\ndevice = 01:00.0 return_to_host=yes\n");
	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0 01:00.1", F_CONFIGURED), 0);
	capture_end();
	/* 01:00.1 has no setting of its own, but goes with its GPU */
	ck_assert_contains(json, "\"kept\": []");
	ck_assert_events_contain("bind 0000:01:00.1 snd_hda_intel\n");
	teardown();

	machine("skylake-gtx1070-igd-host", on_vfio, gtx_watch, "vfio-pci nouveau snd_hda_intel");
	with_conf("[binder]\nreturn_to_host = yes\n[devices]\ndevice = 01:00.0 return_to_host=no\n");
	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0", F_CONFIGURED), 0);
	log = capture_end();
	ck_assert_events("");
	ck_assert_contains(log, "(return_to_host=no at ");
	teardown();
}
END_TEST

/* A process with the VFIO group open (the guest): release refuses and names it. */
START_TEST(test_release_refused_by_guest)
{
	const char *log;

	machine("skylake-gtx1070-igd-host",
		"@driver 0000:01:00.0 vfio-pci\n@driver 0000:01:00.1 vfio-pci\n"
		"@override 0000:01:00.0 vfio-pci\n@override 0000:01:00.1 vfio-pci\n"
		"@class - vfio/1 vfio dev=243:0 devname=vfio/1\n",
		gtx_watch, "vfio-pci nouveau snd_hda_intel");
	with_conf("");
	process(4242, "qemu-system-x86", "/dev/vfio/1", "/machine.slice/machine-qemu\\x2d1\\x2dwin10.scope/libvirt/emulator");
	capture_start();
	ck_assert_int_eq(cmd(true, "01:00.0", 0), 1);
	log = capture_end();
	ck_assert_events("");
	ck_assert_contains(log, "vfio-binder: 0000:01:00.0 [10de:1b81]: held by qemu-system-x86 (pid 4242) through /dev/vfio/1; stop it: shut its guest down (virsh shutdown DOMAIN; machinectl terminate qemu-1-win10 ends it at once)\n");
	/* one line for the group's node, not one per function */
	ck_assert_not_contains(log, "0000:01:00.1 [10de:10f0]: held by");
	ck_assert_contains(log, "release refused: 1 holder (above); nothing written");
	teardown();
}
END_TEST

/* Usage and state errors: exit 2 and nothing written. */
START_TEST(test_errors)
{
	char *cmdline;
	const char *log;

	machine("skylake-gtx1070-igd-host", gtx_native, gtx_watch, "nouveau snd_hda_intel");
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(false, "07:00.0", 0), 2);
	log = capture_end();
	ck_assert_contains(log, "0000:07:00.0: no such PCI function in ");
	with_conf("[binder]\npolicy = bootvga\n");
	capture_start();
	ck_assert_int_eq(cmd(false, "01:00.0", 0), 2);
	log = capture_end();
	ck_assert_contains(log, "unknown policy 'bootvga'");
	ck_assert_contains(log, "configuration error: nothing written");
	/* a bridge named as a target */
	with_conf("");
	capture_start();
	ck_assert_int_eq(cmd(false, "00:01.0", 0), 2);
	log = capture_end();
	ck_assert_contains(log, "is a PCI bridge");
	ck_assert_events("");
	/* the kill switch stops reserve, not release */
	ck_assert_int_ge(asprintf(&cmdline, "%s/cmdline", dir), 0);
	put(cmdline, "ro vfio_binder=off\n");
	{
		struct pci_addr a;
		struct reserve_opts o = {
			.config = conf, .cmdline = cmdline, .sysfs = sys, .proc = proc, .dev = dev, .run = run,
			.targets = &a, .n_targets = 1, .log = LOG_TARGET_STDERR, .command = "x", .out = stdout,
			.load_fn = kernel_load,
		};

		ck_assert_int_eq(pci_addr_parse("01:00.0", true, &a), 0);
		capture_start();
		ck_assert_int_eq(reserve_run(&o), 2);
		log = capture_end();
		ck_assert_contains(log, "vfio_binder=off is on the kernel command line: reserve does nothing while it is");
	}
	free(cmdline);
	ck_assert_events("");
	teardown();
}
END_TEST

/* The monitor's part: a function release gave back is left alone by a bind pass until reserved again. */
START_TEST(test_bind_pass_leaves_released)
{
	struct sysfs s = { .root_fd = -1 };
	struct runtime rt = { 0 };
	struct policy p;
	struct pci_addr a, b;
	const char *log;

	machine("skylake-gtx1070-igd-host", gtx_native, gtx_watch, "nouveau snd_hda_intel");
	policy_init(&p);
	{
		static const char text[] = "[binder]\nunbind = yes\n[devices]\ndevice = 01:00.0\n";

		ck_assert_int_eq(config_parse(&p, "vfio.conf", text, strlen(text)), 0);
	}
	ck_assert_int_eq(sysfs_open(&s, sys), 0);
	ck_assert_int_eq(pci_addr_parse("01:00.0", true, &a), 0);
	ck_assert_int_eq(pci_addr_parse("01:00.1", true, &b), 0);
	ck_assert_int_eq(runtime_set(&rt, &a, RUNTIME_RELEASED, 1, "nouveau", "release 0000:01:00.0"), 0);
	ck_assert_int_eq(runtime_set(&rt, &b, RUNTIME_RELEASED, 1, "snd_hda_intel", "release 0000:01:00.0"), 0);
	{
		struct apply_opts o = { .load = true, .out = stdout, .load_fn = kernel_load, .runtime = &rt };

		capture_start();
		ck_assert_int_eq(bind_pass(&s, &p, &o), 0);
		log = capture_end();
		ck_assert_events("");
		ck_assert_contains(log, "0000:01:00.0 [10de:1b81]: left alone: released at runtime ('release 0000:01:00.0'); 'vfio-binder reserve 0000:01:00.0' takes it again");
		/* reserved again: the record no longer holds it back */
		ck_assert_int_eq(runtime_set(&rt, &a, RUNTIME_RESERVED, 2, "vfio-pci", "reserve 0000:01:00.0"), 0);
		ck_assert_int_eq(runtime_set(&rt, &b, RUNTIME_RESERVED, 2, "vfio-pci", "reserve 0000:01:00.0"), 0);
		capture_start();
		ck_assert_int_eq(bind_pass(&s, &p, &o), 0);
		capture_end();
		ck_assert_events_contain("bind 0000:01:00.1 vfio-pci\n");
	}
	runtime_free(&rt);
	sysfs_close(&s);
	policy_free(&p);
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reserve");
	TCase *tc = tcase_create("reserve");

	tcase_add_test(tc, test_reserve_then_release);
	tcase_add_test(tc, test_reserve_uses_the_device_line);
	tcase_add_test(tc, test_release_loads_native);
	tcase_add_test(tc, test_release_marks_the_record_first);
	tcase_add_test(tc, test_reserve_says_access_is_not_applied);
	tcase_add_test(tc, test_reserve_refused_by_holder);
	tcase_add_test(tc, test_vtcon_and_force);
	tcase_add_test(tc, test_boot_vga);
	tcase_add_test(tc, test_expansion);
	tcase_add_test(tc, test_configured);
	tcase_add_test(tc, test_release_refused_by_guest);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_bind_pass_leaves_released);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
