// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-binder monitor on a umockdev testbed. umockdev's preload library turns
 * the monitor's uevent netlink socket into a socket in the testbed, and
 * umockdev_testbed_uevent() sends a uevent there as the kernel would; the
 * monitor's sysfs is the testbed's sys directory, given with --sysfs.
 *
 *   test-monitor                 the behaviour (make check)
 *   test-monitor --soak N        N add and N remove events: memory stays flat
 *   test-monitor --valgrind N    the same under valgrind: no definite leaks
 *
 * Safety: the monitor under test runs without CAP_SYS_MODULE in its bounding
 * set, so the kernel refuses a module load even if it took the testbed for
 * the real /sys; the tests also check that it did not (its "not loading"
 * message), and it never sees a path outside the testbed and the work dir.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <umockdev.h>
#include <unistd.h>

#include "fakesys.h"

static const char *builddir;
static UMockdevTestbed *tb;
static char *sys;		/* the testbed's sys directory */
static char work[256];		/* config, command line, logs */
static char conf_path[300], cmdline_path[300], log_path[300];
static int notify_fd = -1;
static char notify_name[64];
static int passes, failures;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passes++;
	else
		failures++;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(99);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

/* The whole file, or "" when it cannot be read; malloc'd. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0, n;
	char chunk[65536];
	FILE *m = open_memstream(&buf, &size);

	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (f)
		fclose(f);
	fclose(m);
	return buf;
}

static char *sys_read(const char *rel)
{
	char path[512];
	char *s;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	s = slurp(path);
	n = strlen(s);
	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

static char *override_of(const char *addr)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
	return sys_read(rel);
}

static bool override_is(const char *addr, const char *want)
{
	char *v = override_of(addr);
	bool ok = strcmp(v, want) == 0;

	free(v);
	return ok;
}

/* How many lines of bus/pci/drivers_probe hold addr: one per probe request. */
static int probes_of(const char *addr)
{
	char *all = sys_read("bus/pci/drivers_probe"), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += strcmp(line, addr) == 0;
	free(all);
	return n;
}

static int log_count(const char *needle)
{
	char *all = slurp(log_path);
	int n = 0;

	for (const char *p = all; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(all);
	return n;
}

/*
 * The same for the soak, which reads the log once a batch: only the lines
 * added since the last call are read, so that 20,000 events stay linear.
 */
static long log_count_new(const char *needle)
{
	static long offset, count;
	char buf[65536];
	FILE *f = fopen(log_path, "r");
	size_t n;

	if (!f)
		return count;
	fseek(f, offset, SEEK_SET);
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		char *end;

		buf[n] = '\0';
		/* whole lines only: a line being written is read again next time */
		end = strrchr(buf, '\n');
		if (!end)
			break;
		end[1] = '\0';
		for (const char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
			count++;
		offset += end + 1 - buf;
		fseek(f, offset, SEEK_SET);
	}
	fclose(f);
	return count;
}

static bool log_has(const char *needle)
{
	return log_count(needle) > 0;
}

/* Polls cond until it holds or timeout seconds pass. */
#define WAIT_FOR(cond, timeout) ({ \
	double _end = now() + (timeout); \
	bool _ok; \
	while (!(_ok = (cond)) && now() < _end) \
		usleep(1000); \
	_ok; \
})

/* Everything sd_notify() sent since the last call, messages joined by '|'. */
static char notified[4096];
static void notify_drain(void)
{
	char buf[1024];
	ssize_t n;

	while ((n = recv(notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
		strncat(notified, buf, sizeof(notified) - strlen(notified) - 2);
		strcat(notified, "|");
	}
}

static bool notified_has(const char *s)
{
	notify_drain();
	return strstr(notified, s) != NULL;
}

/*
 * A PCI function that appears: its directory with what the binder reads and
 * its IOMMU group, then umockdev_testbed_add_device(), which writes the
 * attributes and sends the "add" uevent as the kernel does, after them.
 * Returns the syspath.
 */
static char *hotplug_bound(const char *addr, const char *cls, const char *ids, int group, const char *driver)
{
	char vendor[8], device[8], path[512], target[128];
	char *syspath;

	snprintf(vendor, sizeof(vendor), "0x%.4s", ids);
	snprintf(device, sizeof(device), "0x%.4s", ids + 5);
	/* The group first: the uevent must not find the function without it. */
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d", sys, group);
	mkdir(path, 0755);
	strcat(path, "/devices");
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s", sys, group, addr);
	snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", addr);
	if (symlink(target, path) < 0 && errno != EEXIST)
		die("symlink %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/devices/pci0000:00/%s", sys, addr);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	strcat(path, "/iommu_group");
	snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
	if (symlink(target, path) < 0 && errno != EEXIST)
		die("symlink %s: %s", path, strerror(errno));
	/* A native driver that took the function while the kernel announced it */
	if (driver) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", sys, driver);
		mkdir(path, 0755);
		strcat(path, "/unbind");
		write_file(path, "");
		snprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/driver", sys, addr);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		if (symlink(target, path) < 0)
			die("symlink %s: %s", path, strerror(errno));
	}

	/* The kernel gives every VGA-class function a boot_vga; one without it is refused as unreadable. */
	if (!strncmp(cls, "0x0300", 6))
		syspath = umockdev_testbed_add_device(tb, "pci", addr, "/sys/devices/pci0000:00", "class", cls, "vendor",
						      vendor, "device", device, "driver_override", "(null)", "boot_vga",
						      "0", NULL, "PCI_SLOT_NAME", addr, "PCI_ID", ids, NULL);
	else
		syspath = umockdev_testbed_add_device(tb, "pci", addr, "/sys/devices/pci0000:00", "class", cls, "vendor",
						      vendor, "device", device, "driver_override", "(null)", NULL,
						      "PCI_SLOT_NAME", addr, "PCI_ID", ids, NULL);
	if (!syspath)
		die("umockdev cannot add %s", addr);
	return syspath;
}

static char *hotplug(const char *addr, const char *cls, const char *ids, int group)
{
	return hotplug_bound(addr, cls, ids, group, NULL);
}

static void handled(const char *action, const char *addr, int times)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "uevent %s %s: ", action, addr);
	if (!WAIT_FOR(log_count(needle) >= times, 5))
		die("the monitor did not handle '%s %s' within 5 s; its log:\n%s", action, addr, slurp(log_path));
}

/*
 * The monitor, its stdout and stderr appended to log_path. Without
 * CAP_SYS_MODULE in the bounding set: whatever it decides, the kernel will
 * not load a module for it.
 */
static pid_t start_monitor(const char *const *wrapper, const char *extra)
{
	char binder[512];
	pid_t pid;

	snprintf(binder, sizeof(binder), "%s/src/vfio-binder", builddir);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		const char *argv[32];
		int fd, n = 0;

		if (prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0) < 0 && geteuid() == 0) {
			perror("test-monitor: cannot drop CAP_SYS_MODULE");
			_exit(98);
		}
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(98);
		setenv("NOTIFY_SOCKET", notify_name, 1);
		for (; wrapper && wrapper[n]; n++)
			argv[n] = wrapper[n];
		argv[n++] = binder;
		argv[n++] = "monitor";
		argv[n++] = "--sysfs";
		argv[n++] = sys;
		argv[n++] = "-c";
		argv[n++] = conf_path;
		argv[n++] = "--cmdline";
		argv[n++] = cmdline_path;
		argv[n++] = "-v";
		if (extra)
			argv[n++] = extra;
		argv[n] = NULL;
		execvp(argv[0], (char *const *)argv);
		perror("test-monitor: exec");
		_exit(98);
	}
	return pid;
}

static bool ready(void)
{
	return notified_has("READY=1");
}

/* Waits up to timeout seconds; returns the wait status, or -1 if still running. */
static int wait_exit(pid_t pid, double timeout)
{
	int status;

	if (!WAIT_FOR(waitpid(pid, &status, WNOHANG) == pid, timeout))
		return -1;
	return status;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Present at boot: the host's GPU (boot VGA), an NVMe disk, and one guest GPU. */
static const char *const boot_topology =
	"0  0000:00:00.0 0x060000 1022:1480 - Root Complex\n"
	"15 0000:2e:00.0 0x030000 1002:73ff 1 AMD Radeon RX 6600 (host, boot VGA)\n"
	"15 0000:2e:00.1 0x040300 1002:ab28 - AMD HDMI Audio\n"
	"19 0000:05:00.0 0x010802 144d:a808 - Samsung NVMe\n"
	"21 0000:0a:00.0 0x030000 10de:1e87 0 NVIDIA RTX 2080 (present at boot)\n";

static const char *const conf_v1 =
	"[binder]\n"
	"policy = list\n"
	"[devices]\n"
	"id = 10de:1e87\n";

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	tb = umockdev_testbed_new();
	sys = umockdev_testbed_get_sys_dir(tb);
	if (fakesys_build_text(boot_topology, sys) < 0)
		die("cannot build the boot topology in %s", sys);

	snprintf(work, sizeof(work), "%s/vfio-monitor-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work))
		die("mkdtemp: %s", strerror(errno));
	snprintf(conf_path, sizeof(conf_path), "%s/vfio.conf", work);
	snprintf(cmdline_path, sizeof(cmdline_path), "%s/cmdline", work);
	snprintf(log_path, sizeof(log_path), "%s/monitor.log", work);
	write_file(conf_path, conf_v1);
	write_file(cmdline_path, "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet\n");

	/* sd_notify()'s socket, abstract so that no path is left behind */
	snprintf(notify_name, sizeof(notify_name), "@vfio-binder-test-%d", getpid());
	memcpy(sa.sun_path + 1, notify_name + 1, strlen(notify_name) - 1);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 ||
	    bind(notify_fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(notify_name))) < 0)
		die("cannot bind the notify socket: %s", strerror(errno));
}

static void cleanup(void)
{
	char cmd[600];

	if (getenv("KEEP_TESTBED")) {
		printf("# kept: %s and %s\n", work, sys);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", work);
	g_object_unref(tb);
}

/* utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
static long cpu_ticks(pid_t pid)
{
	char path[64], *all, *p;
	unsigned long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	all = slurp(path);
	/* after the command name, which may hold spaces: state is field 3 */
	p = strrchr(all, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		ut = st = (unsigned long)-1 / 2;
	free(all);
	return (long)(ut + st);
}

static void test_behaviour(void)
{
	const char *gpu = "0000:2d:00.0", *audio = "0000:2d:00.1", *nic = "0000:3b:00.0";
	char run_opt[300], rt_path[320];
	double t0;
	pid_t pid;
	int status;

	/* the runtime record reserve and release keep: none yet */
	snprintf(run_opt, sizeof(run_opt), "--run=%s/run", work);
	snprintf(rt_path, sizeof(rt_path), "%s/run", work);
	mkdir(rt_path, 0755);
	snprintf(rt_path, sizeof(rt_path), "%s/run/vfio-binder", work);
	mkdir(rt_path, 0755);
	strcat(rt_path, "/runtime");
	pid = start_monitor(NULL, run_opt);
	if (!WAIT_FOR(ready(), 10)) {
		stop(pid);
		die("the monitor did not become ready within 10 s; its log:\n%s", slurp(log_path));
	}
	report(notified_has("READY=1"), "READY=1 reaches the service manager after the first pass");
	/* The first pass: the GPU present at boot, not the host's boot VGA. */
	report(override_is("0000:0a:00.0", "vfio-pci") && probes_of("0000:0a:00.0") == 1,
	       "start: a full bind pass hands the GPU present at boot to vfio-pci");
	report(override_is("0000:2e:00.0", "(null)") && probes_of("0000:2e:00.0") == 0,
	       "start: the boot VGA is untouched");
	report(log_has("not loading vfio-pci:") && log_has("not the running kernel's: no module loads"),
	       "a umockdev testbed counts as not the running kernel's sysfs: no module load");
	{
		/* Blocked in poll(): a busy loop would burn the whole half second (50 ticks). */
		long before = cpu_ticks(pid), used;

		usleep(500 * 1000);
		used = cpu_ticks(pid) - before;
		report(used <= 2, "idle: no CPU used in half a second (%ld ticks)", used);
	}

	/* A GPU and its audio function appear, and a network card the policy does not select. */
	/* One at a time, as the kernel adds the functions of a slot. */
	g_free(hotplug(gpu, "0x030000", "10de:1e87", 14));
	handled("add", gpu, 1);
	g_free(hotplug(audio, "0x040300", "10de:10f8", 14));
	handled("add", audio, 1);
	g_free(hotplug(nic, "0x020000", "8086:1533", 30));
	handled("add", nic, 1);
	report(override_is(gpu, "vfio-pci"), "add: the GPU's driver_override is vfio-pci");
	report(override_is(audio, "vfio-pci"), "add: its audio function's driver_override is vfio-pci (companion)");
	report(probes_of(gpu) >= 1 && probes_of(audio) >= 1, "add: both were written to drivers_probe");
	report(override_is(nic, "(null)") && probes_of(nic) == 0,
	       "add: the network card the policy does not select is untouched");
	report(override_is("0000:2e:00.0", "(null)") && override_is("0000:05:00.0", "(null)"),
	       "add: functions of other slots are not touched");

	/* SIGHUP with a changed configuration and command line. */
	write_file(conf_path, "[binder]\npolicy = list\n[devices]\nid = 8086:1533\n[access]\ngroup = kvm\n");
	write_file(cmdline_path, "root=/dev/vda1 vfio_binder.id=1b36:000d\n");
	kill(pid, SIGHUP);
	report(WAIT_FOR(log_has("configuration reloaded"), 5), "SIGHUP: the configuration is re-read");
	report(WAIT_FOR(log_has("is not applied to the groups the monitor binds"), 2),
	       "SIGHUP: [access] is said not to reach what the monitor binds");
	report(WAIT_FOR(notified_has("RELOADING=1"), 2), "SIGHUP: RELOADING=1 reaches the service manager");
	/* One condition: the pass writes every override before the first drivers_probe. */
	report(WAIT_FOR(override_is(nic, "vfio-pci") && probes_of(nic) >= 1, 5),
	       "SIGHUP: the network card already there, now selected, is handed over");
	g_free(hotplug("0000:3c:00.0", "0x020000", "8086:1533", 31));
	handled("add", "0000:3c:00.0", 1);
	g_free(hotplug("0000:5e:00.0", "0x0c0330", "1b36:000d", 32));
	handled("add", "0000:5e:00.0", 1);
	g_free(hotplug("0000:4d:00.0", "0x030000", "10de:1e87", 33));
	handled("add", "0000:4d:00.0", 1);
	report(override_is("0000:3c:00.0", "vfio-pci"), "after SIGHUP: a new function the new config selects is taken");
	report(override_is("0000:5e:00.0", "vfio-pci"),
	       "after SIGHUP: a new function the new command line selects is taken");
	report(override_is("0000:4d:00.0", "(null)") && probes_of("0000:4d:00.0") == 0,
	       "after SIGHUP: a new function only the old config selected is untouched");

	/* SIGHUP with a broken configuration: reported, the old policy stays. */
	write_file(conf_path, "[binder]\npolicy = bootvga\n[devices]\nid = 8086:1533\n");
	kill(pid, SIGHUP);
	report(WAIT_FOR(log_has("keeping the previous policy"), 5) && log_has("unknown policy 'bootvga'"),
	       "broken config: the error (file, line) is logged and the old policy kept");
	g_free(hotplug("0000:3d:00.0", "0x020000", "8086:1533", 34));
	handled("add", "0000:3d:00.0", 1);
	report(override_is("0000:3d:00.0", "vfio-pci"),
	       "broken config: a new function is still handled by the previous policy");
	report(waitpid(pid, NULL, WNOHANG) == 0, "broken config: the monitor keeps running");

	/* A function a native driver already holds: left to it under unbind = no (the v2 policy). */
	g_free(hotplug_bound("0000:3e:00.0", "0x020000", "8086:1533", 35, "igb"));
	handled("add", "0000:3e:00.0", 1);
	report(override_is("0000:3e:00.0", "(null)") && log_has("0000:3e:00.0 [8086:1533]: bound to igb, not taken"),
	       "unbind = no: a function a native driver took is left to it, with a warning");
	{
		char *unbinds = sys_read("bus/pci/drivers/igb/unbind");

		report(!*unbinds, "unbind = no: nothing written to the driver's unbind");
		free(unbinds);
	}
	/* ... and taken from it under unbind = yes: override first, then unbind. */
	write_file(conf_path, "[binder]\nunbind = yes\n[devices]\nid = 8086:1533\n");
	kill(pid, SIGHUP);
	report(WAIT_FOR(log_count("configuration reloaded") >= 2, 5), "SIGHUP: unbind = yes is read");
	g_free(hotplug_bound("0000:3f:00.0", "0x020000", "8086:1533", 36, "igb"));
	handled("add", "0000:3f:00.0", 1);
	{
		char *unbinds = sys_read("bus/pci/drivers/igb/unbind");

		report(override_is("0000:3f:00.0", "vfio-pci") && strstr(unbinds, "0000:3f:00.0"),
		       "unbind = yes: a new function a native driver took gets the override and an unbind request");
		free(unbinds);
	}

	/* Removal is not an add: nothing written. */
	umockdev_testbed_uevent(tb, "/sys/devices/pci0000:00/0000:4d:00.0", "remove");
	handled("remove", "0000:4d:00.0", 1);
	report(override_is("0000:4d:00.0", "(null)"), "remove: nothing is written");

	/*
	 * A card split at hot-plug (unbind = no): the GPU appears first and is
	 * taken; its audio appears already bound to snd_hda_intel, which the
	 * kernel does when the native driver is loaded. The GPU goes back to
	 * the host: the card ends whole with it.
	 */
	write_file(conf_path, "[devices]\nid = 10de:1e87\n");
	kill(pid, SIGHUP);
	report(WAIT_FOR(log_count("configuration reloaded") >= 3, 5), "SIGHUP: id = 10de:1e87, unbind = no");
	g_free(hotplug("0000:6a:00.0", "0x030000", "10de:1e87", 50));
	handled("add", "0000:6a:00.0", 1);
	report(override_is("0000:6a:00.0", "vfio-pci"), "split card: the GPU that came first is taken");
	g_free(hotplug_bound("0000:6a:00.1", "0x040300", "10de:10f8", 51, "snd_hda_intel"));
	handled("add", "0000:6a:00.1", 1);
	report(override_is("0000:6a:00.0", "") && log_has("0000:6a:00.0 [10de:1e87]: given back to the host"),
	       "split card: its audio came bound to snd_hda_intel, so the GPU goes back (override cleared)");
	report(override_is("0000:6a:00.1", "(null)"), "split card: the audio function is left to snd_hda_intel");

	/*
	 * A bind uevent: a native driver took a planned function after the
	 * monitor looked (unbind = yes). The slot is judged again and the
	 * function taken back.
	 */
	write_file(conf_path, "[binder]\nunbind = yes\n[devices]\nid = 10de:2204\n");
	kill(pid, SIGHUP);
	report(WAIT_FOR(log_count("configuration reloaded") >= 4, 5), "SIGHUP: id = 10de:2204, unbind = yes");
	{
		char path[512], *unbinds;

		g_free(hotplug("0000:6c:00.0", "0x030000", "10de:2204", 52));
		handled("add", "0000:6c:00.0", 1);
		report(override_is("0000:6c:00.0", "vfio-pci"), "bind uevent: the GPU is taken when it appears");
		/* nouveau binds it anyway (the fake kernel shows the link), and says so */
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/nouveau", sys);
		mkdir(path, 0755);
		strcat(path, "/unbind");
		write_file(path, "");
		snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:6c:00.0/driver", sys);
		if (symlink("../../../bus/pci/drivers/nouveau", path) < 0)
			die("symlink %s: %s", path, strerror(errno));
		umockdev_testbed_uevent(tb, "/sys/devices/pci0000:00/0000:6c:00.0", "bind");
		handled("bind", "0000:6c:00.0", 1);
		unbinds = sys_read("bus/pci/drivers/nouveau/unbind");
		report(strstr(unbinds, "0000:6c:00.0") != NULL,
		       "bind uevent: a native driver that took a planned function is unbound (unbind = yes)");
		free(unbinds);
	}

	/*
	 * What release gave back stays with the host: a released function that
	 * appears again (a rescan) is left alone. A record that cannot be read
	 * says nothing about which were released: no function is taken from its
	 * driver then, even under unbind = yes.
	 */
	write_file(rt_path, "version 1\nfunction 0000:6e:00.0 released 1700000000 - release 0000:6e:00.0\n");
	g_free(hotplug("0000:6e:00.0", "0x030000", "10de:2204", 53));
	handled("add", "0000:6e:00.0", 1);
	report(override_is("0000:6e:00.0", "(null)") && probes_of("0000:6e:00.0") == 0 &&
	       log_has("0000:6e:00.0 [10de:2204]: left alone: released at runtime ('release 0000:6e:00.0')"),
	       "runtime record: a function release gave back is left alone when it appears");
	write_file(rt_path, "version 1\nfunction 0000:70:00.0 halfway\n");
	g_free(hotplug_bound("0000:70:00.0", "0x030000", "10de:2204", 55, "nouveau"));
	handled("add", "0000:70:00.0", 1);
	{
		char *unbinds = sys_read("bus/pci/drivers/nouveau/unbind");

		report(override_is("0000:70:00.0", "(null)") && !strstr(unbinds, "0000:70:00.0") &&
		       log_has("until it can be read the monitor takes no function from its driver"),
		       "runtime record unreadable: nothing is taken from its driver (unbind = yes notwithstanding)");
		free(unbinds);
	}
	unlink(rt_path);

	/* SIGTERM: status 0 within a second. */
	t0 = now();
	kill(pid, SIGTERM);
	status = wait_exit(pid, 1.0);
	report(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "SIGTERM: exit status 0 within a second (%.3f s)", now() - t0);
	if (status < 0)
		stop(pid);
	report(notified_has("STOPPING=1"), "SIGTERM: STOPPING=1 reaches the service manager");
}

static void test_sigint_and_bad_start(void)
{
	char *before, *after;
	pid_t pid;
	int status;

	/* SIGINT (Ctrl-C in a terminal) is a clean stop too. */
	write_file(conf_path, conf_v1);
	pid = start_monitor(NULL, NULL);
	if (!WAIT_FOR(log_count("watching kernel uevents") >= 2, 10))
		die("the second monitor did not start; its log:\n%s", slurp(log_path));
	kill(pid, SIGINT);
	status = wait_exit(pid, 1.0);
	report(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGINT: exit status 0 within a second");
	if (status < 0)
		stop(pid);

	/* The udev source: the same events, after udevd (umockdev delivers to both). */
	pid = start_monitor(NULL, "--source=udev");
	if (!WAIT_FOR(log_has("watching udev uevents"), 10))
		die("the monitor with --source=udev did not start; its log:\n%s", slurp(log_path));
	g_free(hotplug("0000:6f:00.0", "0x030000", "10de:1e87", 40));
	handled("add", "0000:6f:00.0", 1);
	report(override_is("0000:6f:00.0", "vfio-pci"), "--source=udev: a new GPU is handed over too");
	kill(pid, SIGTERM);
	status = wait_exit(pid, 1.0);
	report(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "--source=udev: SIGTERM, exit status 0");
	if (status < 0)
		stop(pid);

	/* A bad configuration at start: status 2, nothing written, no daemon. */
	before = fakesys_snapshot(sys);
	write_file(conf_path, "[binder]\npolicy = list\n[devices]\ndevice = 0000:2d:00.0/../x\n");
	pid = start_monitor(NULL, NULL);
	status = wait_exit(pid, 5.0);
	after = fakesys_snapshot(sys);
	report(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 2,
	       "bad config at start: exit status 2 (got %d)", status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	report(before && after && strcmp(before, after) == 0, "bad config at start: the tree is unchanged");
	if (status < 0)
		stop(pid);
	free(before);
	free(after);
}

static long vm_kib(pid_t pid, const char *field)
{
	char path[64], *all, *p;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	all = slurp(path);
	p = strstr(all, field);
	if (p)
		sscanf(p + strlen(field), ": %ld", &v);
	free(all);
	return v;
}

/*
 * events add and events remove uevents for the GPU and its audio function,
 * paced: the sender drops what does not fit in the receiver's queue
 * (net.unix.max_dgram_qlen, 10 by default), so it waits for each batch.
 */
static void soak(int events, bool valgrind)
{
	static const char *const vg[] = {
		"valgrind", "--leak-check=full", "--show-leak-kinds=definite",
		"--errors-for-leak-kinds=definite", "--error-exitcode=97", "--track-fds=no", NULL,
	};
	char *gpu, *audio, vglog[320], opt[340];
	const char *wrapper[16];
	long rss_1k = -1, rss_end = -1, data_1k = -1, data_end = -1;
	double t0 = now();
	pid_t pid;
	int status, sent = 0, n = 0;

	gpu = hotplug("0000:2d:00.0", "0x030000", "10de:1e87", 14);
	audio = hotplug("0000:2d:00.1", "0x040300", "10de:10f8", 14);
	if (valgrind) {
		for (; vg[n]; n++)
			wrapper[n] = vg[n];
		snprintf(vglog, sizeof(vglog), "%s/valgrind.log", work);
		snprintf(opt, sizeof(opt), "--log-file=%s", vglog);
		wrapper[n++] = opt;
		wrapper[n] = NULL;
	}
	pid = start_monitor(valgrind ? wrapper : NULL, NULL);
	if (!WAIT_FOR(ready(), valgrind ? 120 : 10)) {
		stop(pid);
		die("the monitor did not become ready; its log:\n%s", slurp(log_path));
	}
	/* The log grows by a line per event: counted from where this run starts. */
	for (int i = 0; i < events; i++) {
		const char *path = i % 2 ? audio : gpu;

		umockdev_testbed_uevent(tb, path, "add");
		umockdev_testbed_uevent(tb, path, "remove");
		sent += 2;
		if (sent % 8 == 0 || i == events - 1) {
			long got;
			double end = now() + (valgrind ? 60 : 10);

			while ((got = log_count_new("vfio-binder: uevent ")) < sent && now() < end)
				usleep(valgrind ? 2000 : 200);
			if (got < sent) {
				stop(pid);
				die("after %d events the monitor handled %ld", sent, got);
			}
		}
		if (i + 1 == 1000) {
			rss_1k = vm_kib(pid, "VmRSS");
			data_1k = vm_kib(pid, "VmData");
		}
	}
	rss_end = vm_kib(pid, "VmRSS");
	data_end = vm_kib(pid, "VmData");
	printf("# %d add + %d remove events in %.1f s%s; VmRSS %ld -> %ld KiB, VmData %ld -> %ld KiB "
	       "(after 1,000 and after %d adds)\n", events, events, now() - t0, valgrind ? " under valgrind" : "",
	       rss_1k, rss_end, data_1k, data_end, events);
	report(override_is("0000:2d:00.0", "vfio-pci") && override_is("0000:2d:00.1", "vfio-pci"),
	       "soak: the functions were handed over");
	if (!valgrind) {
		/* A leak of 32 bytes per event would add 280 KiB between the two readings. */
		report(rss_1k > 0 && rss_end - rss_1k <= 256, "soak: VmRSS flat between 1,000 and %d adds (%+ld KiB)",
		       events, rss_end - rss_1k);
		report(data_1k > 0 && data_end - data_1k <= 256, "soak: VmData flat between 1,000 and %d adds (%+ld KiB)",
		       events, data_end - data_1k);
	}
	kill(pid, SIGTERM);
	status = wait_exit(pid, valgrind ? 120 : 5);
	if (status < 0)
		stop(pid);
	if (valgrind) {
		char *vl = slurp(vglog);

		char *line, *save = NULL;

		report(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "valgrind: exit 0, no definite leak and no memory error (status %d)",
		       status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		report(strstr(vl, "definitely lost: 0 bytes") || strstr(vl, "All heap blocks were freed"),
		       "valgrind: its summary shows nothing definitely lost");
		for (line = strtok_r(vl, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (strstr(line, "lost:") || strstr(line, "in use at exit") || strstr(line, "ERROR SUMMARY") ||
			    strstr(line, "freed"))
				printf("# %s\n", line);
		free(vl);
	} else {
		report(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "soak: SIGTERM, exit status 0");
	}
	g_free(gpu);
	g_free(audio);
}

int main(int argc, char *argv[])
{
	int events = 0;
	bool valgrind = false;

	builddir = getenv("BUILDDIR");
	if (!builddir)
		die("BUILDDIR is not set: run through make check");
	if (argc == 3 && (!strcmp(argv[1], "--soak") || !strcmp(argv[1], "--valgrind"))) {
		events = atoi(argv[2]);
		valgrind = !strcmp(argv[1], "--valgrind");
		if (events < 1000)
			die("--soak and --valgrind need at least 1000 events");
	} else if (argc != 1) {
		die("usage: test-monitor [--soak N | --valgrind N]");
	}
	/* The preload library must be in this process (the uevent sender) and the monitor. */
	if (!dlopen("libumockdev-preload.so.0", RTLD_NOW | RTLD_NOLOAD)) {
		const char *old = getenv("LD_PRELOAD");
		char *v;

		if (getenv("TEST_MONITOR_REEXEC"))
			die("libumockdev-preload.so.0 did not load (Debian package umockdev)");
		if (asprintf(&v, "libumockdev-preload.so.0%s%s", old && *old ? ":" : "", old ? old : "") < 0)
			die("out of memory");
		setenv("LD_PRELOAD", v, 1);
		setenv("TEST_MONITOR_REEXEC", "1", 1);
		execv("/proc/self/exe", argv);
		die("cannot re-execute under umockdev: %s", strerror(errno));
	}
	setup();
	if (events)
		soak(events, valgrind);
	else {
		test_behaviour();
		test_sigint_and_bad_start();
	}
	cleanup();
	printf("%d passed, %d failed\n", passes, failures);
	return failures ? 1 : 0;
}
