// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-binder monitor: the policy for PCI functions that appear after boot
 * (SR-IOV virtual functions, hot-plugged or rescanned devices). One full bind
 * pass at start, then, for each uevent "add" on the pci subsystem, the same
 * plan as bind's, built for the whole machine so every rule (companions,
 * IOMMU groups, exclude, boot VGA) sees what it sees at boot, and carried out
 * for the new function's slot only.
 *
 * One thread, blocked in poll() on two fds: the uevent socket and a signalfd
 * for SIGHUP, SIGTERM and SIGINT (blocked, so they only arrive through it and
 * cannot interrupt a pass halfway through its writes).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "log.h"
#include "macro.h"
#include "modload.h"
#include "monitor.h"
#include "policy.h"
#include "runtime.h"
#include "sriov.h"

/* Uevents handled per wake-up before the signals are looked at again: SIGTERM stays prompt in a flood. */
#define EVENT_BATCH 64
/*
 * What the kernel may queue while a pass runs (64 virtual functions at once
 * is ordinary). Without CAP_NET_ADMIN the request is capped at
 * net.core.rmem_max; an overflow shows as ENOBUFS and is caught by a full pass.
 */
#define RCVBUF_SIZE (4 * 1024 * 1024)

/*
 * The kernel adds a multi-function device's functions one after the other,
 * each with its own uevent, and the binder must see the card whole before
 * it judges it: a companion that arrives later may be bound to its native
 * driver at once (a loaded xhci_pci takes the card's USB controller as the
 * kernel adds it). On the uevent of a multi-function device's function,
 * the slot is counted until it holds still for SLOT_QUIET_MS, at most
 * SLOT_WAIT_MS.
 */
#define SLOT_POLL_MS 10
#define SLOT_QUIET_MS 40
#define SLOT_WAIT_MS 1000

struct monitor {
	const struct monitor_opts *o;
	struct policy p;
	struct sysfs s;
	struct sysfs run;	/* root_fd < 0: no runtime record to honour */
	bool real;
	struct udev *udev;
	struct udev_monitor *mon;
	int sigfd;
};

static const char *const source_names[] = {
	[MONITOR_SOURCE_KERNEL] = "kernel",
	[MONITOR_SOURCE_UDEV] = "udev",
};

int monitor_source_parse(const char *s, enum monitor_source *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(source_names); i++)
		if (streq(s, source_names[i])) {
			*ret = (enum monitor_source)i;
			return 0;
		}
	return -EINVAL;
}

/*
 * sd_notify(3) without libsystemd: the protocol is one datagram to
 * $NOTIFY_SOCKET, which systemd documents as stable for reimplementation.
 * Linking libsystemd for it mapped another megabyte of libraries into every
 * boot-time run of the binder.
 */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	size_t n;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path)) {
		log_debug("NOTIFY_SOCKET is too long; not telling the service manager '%s'", state);
		return;
	}
	memcpy(sa.sun_path, path, n);
	/* '@' names a socket in the abstract namespace */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		log_debug("cannot tell the service manager '%s': %s", state, strerror(errno));
}

/*
 * A bind pass over the whole machine (slot NULL) or for the functions of one
 * slot. changes_only: a pass for a bind or unbind uevent, which logs what
 * changed and not again what is where it was.
 */
static int pass(struct monitor *m, const struct pci_addr *slot, bool changes_only)
{
	struct apply_opts ao = {
		.dry_run = m->o->dry_run,
		.load = m->p.load && !m->o->no_load,
		.out = stdout,
		.load_fn = m->real ? modload : modload_none,
		.load_data = m->s.path,
		.slot = slot,
		/* the kernel binds while the uevent is on its way: wait for it, and retry a raced unbind */
		.settle_ms = m->real ? 2000 : 0,
		/* a card that turns out split (a companion appeared bound to its native driver) goes back */
		.give_back = true,
		.changes_only = changes_only,
	};
	char addr[PCI_ADDR_STRLEN], err[512];
	struct runtime rt = { 0 };
	bool unbind = m->p.unbind;
	int r;

	/*
	 * What release gave back stays with the host until reserve takes it
	 * again: read each pass, as reserve and release change it any time.
	 * When it cannot be read, which functions were given back is unknown:
	 * none is taken from its driver in this pass.
	 */
	if (m->run.root_fd >= 0) {
		r = runtime_read(&m->run, &rt, err, sizeof(err));
		if (r == 0) {
			ao.runtime = &rt;
		} else if (r != -ENOENT) {
			log_warning("%s; until it can be read the monitor takes no function from its driver", err);
			m->p.unbind = false;
		}
	}
	r = bind_pass(&m->s, &m->p, &ao);
	m->p.unbind = unbind;
	runtime_free(&rt);
	if (m->o->dry_run)
		fflush(stdout);
	if (r > 0 && !changes_only)
		log_warning("%d planned function%s%s%.10s did not end on %s", r, r == 1 ? "" : "s",
			    slot ? " in slot " : "", slot ? pci_addr_fmt(slot, addr) : "", m->p.driver);
	return r;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Bit 7 of the header type (config space offset 0x0e): the device has more functions than 0. */
static bool is_multifunction(const struct sysfs *s, const struct pci_addr *a)
{
	char path[64], addr[PCI_ADDR_STRLEN];
	unsigned char type = 0;
	int fd;
	bool mf;

	snprintf(path, sizeof(path), "bus/pci/devices/%s/config", pci_addr_fmt(a, addr));
	fd = sysfs_openat(s, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	mf = pread(fd, &type, 1, 0x0e) == 1 && (type & 0x80);
	close(fd);
	return mf;
}

/* How many functions the slot has in sysfs now; -errno when the listing cannot be read. */
static int slot_count(const struct sysfs *s, const struct pci_addr *slot)
{
	DIR *d;
	struct dirent *e;
	int fd = sysfs_openat(s, "bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		struct pci_addr a;

		if (pci_addr_parse(e->d_name, false, &a) == 0 && pci_addr_same_slot(&a, slot))
			n++;
	}
	closedir(d);
	return n;
}

/* Waits until the slot of a multi-function device stops growing (see SLOT_QUIET_MS). */
static void slot_wait(struct monitor *m, const struct pci_addr *a)
{
	char addr[PCI_ADDR_STRLEN];
	unsigned waited = 0, quiet = 0;
	int n, c;

	if (!m->real || !is_multifunction(&m->s, a))
		return;
	n = slot_count(&m->s, a);
	while (n >= 0 && quiet < SLOT_QUIET_MS && waited < SLOT_WAIT_MS) {
		sleep_ms(SLOT_POLL_MS);
		waited += SLOT_POLL_MS;
		c = slot_count(&m->s, a);
		quiet = c == n ? quiet + SLOT_POLL_MS : 0;
		n = c;
	}
	log_debug("%s: multi-function; its slot held %d functions after %u ms", pci_addr_fmt(a, addr), n, waited);
}

/* The functions of the slot of a's slot that a pass must look at again: a planned one's driver came or went. */
static void handle_device(struct monitor *m, struct udev_device *d)
{
	const char *action = udev_device_get_action(d);
	const char *subsystem = udev_device_get_subsystem(d);
	const char *name = udev_device_get_sysname(d);
	bool add, bindev;
	struct pci_addr a;

	if (!action || !subsystem || !name || !streq(subsystem, "pci"))
		return;
	add = streq(action, "add");
	/*
	 * bind and unbind: a native driver took a function (a companion that
	 * appeared after its GPU, a VF the PF's driver probed), or a driver let
	 * one go (a probe that failed): the slot is judged again. remove and
	 * change carry nothing to hand over.
	 */
	bindev = streq(action, "bind") || streq(action, "unbind");
	if (!add && !bindev) {
		log_debug("uevent %s %s: ignored", action, name);
		return;
	}
	/* The name becomes a sysfs path: only a strict PCI address goes on. */
	if (pci_addr_parse(name, false, &a) < 0) {
		log_warning("uevent %s on pci for '%s', which is not a PCI address (DDDD:BB:DD.F); ignored", action, name);
		return;
	}
	/* Nothing can be selected: no table scan per event, no repeated "nothing to do". */
	if (m->p.mode == POLICY_OFF || policy_is_empty(&m->p)) {
		log_debug("uevent %s %s: the policy selects nothing", action, name);
		return;
	}
	/* A physical function whose driver just bound: its [sriov] virtual functions can be made now. */
	if (streq(action, "bind") && m->p.sriov.n) {
		struct sriov_opts so = { .dry_run = m->o->dry_run, .out = stdout, .only = &a };

		sriov_prepare(&m->s, &m->p, &so);
	}
	if (add)
		slot_wait(m, &a);
	pass(m, &a, bindev);
	log_debug("uevent %s %s: done", action, name);
}

/* Returns how many uevents were read (0: none was waiting). */
static int handle_uevents(struct monitor *m)
{
	int n = 0;

	while (n < EVENT_BATCH) {
		struct udev_device *d = udev_monitor_receive_device(m->mon);

		if (!d) {
			if (errno != ENOBUFS)
				break;	/* EAGAIN: drained (a message libudev refused was consumed too) */
			log_warning("uevents were lost (the socket's receive buffer overflowed); "
				    "running a full bind pass so that no new function is missed");
			pass(m, NULL, false);
			n++;
			continue;
		}
		handle_device(m, d);
		udev_device_unref(d);
		n++;
	}
	return n;
}

/* Said once per start and reload: what [access] does not reach. */
static void access_notice(const struct monitor *m)
{
	if (m->p.owner || m->p.group_owner)
		log_notice("[access] of %s is not applied to the groups the monitor binds (its sandbox has no "
			   "CAP_CHOWN and a private /dev): for hot-plugged cards add a rule of your own in "
			   "/etc/udev/rules.d/, e.g. SUBSYSTEM==\"vfio\", GROUP=\"kvm\", MODE=\"0660\"", m->o->config);
}

static void reload(struct monitor *m)
{
	notify("RELOADING=1");
	log_info("SIGHUP: re-reading %s%s%s", m->o->config, m->o->cmdline ? " and " : "",
		 m->o->cmdline ? m->o->cmdline : "");
	/* On error config_load_all() leaves the policy as it was. */
	if (config_load_all(&m->p, m->o->config, m->o->cmdline) < 0) {
		log_error("%s has errors (reported above): keeping the previous policy; "
			  "fix the file and send SIGHUP again (systemctl reload vfio-binder-monitor)", m->o->config);
		notify("READY=1\nSTATUS=Configuration has errors; running with the previous policy");
		return;
	}
	/* As if started with the new policy: functions it newly selects are handed over now. */
	log_info("configuration reloaded; applying it to the functions present");
	access_notice(m);
	pass(m, NULL, false);
	notify("READY=1\nSTATUS=Watching for new PCI functions");
}

/* Returns true when the daemon must stop. */
static bool handle_signals(struct monitor *m)
{
	struct signalfd_siginfo si;
	bool hup = false;

	for (;;) {
		ssize_t n = read(m->sigfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si))
			break;	/* EAGAIN: all read */
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			return true;
		}
		hup |= si.ssi_signo == SIGHUP;
	}
	/* Several SIGHUPs since the last look are one reload. */
	if (hup)
		reload(m);
	return false;
}

static int setup(struct monitor *m)
{
	const char *source = source_names[m->o->source];
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	m->sigfd = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -1 : signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0) {
		r = -errno;
		log_error("cannot set up signal handling (sigprocmask, signalfd): %s", strerror(-r));
		return r;
	}
	m->udev = udev_new();
	m->mon = m->udev ? udev_monitor_new_from_netlink(m->udev, source) : NULL;
	if (!m->mon) {
		r = errno ? -errno : -ENOMEM;
		log_error("cannot open the %s uevent netlink socket: %s (under systemd, "
			  "RestrictAddressFamilies= must allow AF_NETLINK)", source, strerror(-r));
		return r;
	}
	r = udev_monitor_filter_add_match_subsystem_devtype(m->mon, "pci", NULL);
	if (r < 0) {
		log_error("cannot filter uevents on the pci subsystem: %s", strerror(-r));
		return r;
	}
	r = udev_monitor_set_receive_buffer_size(m->mon, RCVBUF_SIZE);
	if (r < 0)
		log_debug("cannot enlarge the uevent receive buffer: %s; an overflow is caught by a full pass",
			  strerror(-r));
	/* Listening before the first pass: a function that appears during it is not missed. */
	r = udev_monitor_enable_receiving(m->mon);
	if (r < 0) {
		log_error("cannot listen for %s uevents: %s", source, strerror(-r));
		return r;
	}
	return 0;
}

int monitor_run(const struct monitor_opts *o)
{
	struct monitor m = { .o = o, .s = { .root_fd = -1 }, .run = { .root_fd = -1 }, .sigfd = -1 };
	unsigned idle_errors = 0;
	int ret = MONITOR_EXIT_FAILURE, r;

	/* A daemon's stderr is kept by its supervisor (journald); kmsg only when asked for. */
	log_open(o->log == LOG_TARGET_AUTO ? LOG_TARGET_STDERR : o->log, false);
	policy_init(&m.p);
	if (config_load_all(&m.p, o->config, o->cmdline) < 0) {
		log_error("configuration error: the monitor does not start; nothing written");
		ret = MONITOR_EXIT_CONFIG;
		goto out;
	}
	r = sysfs_open(&m.s, o->sysfs);
	if (r < 0) {
		log_error("cannot open the sysfs root %s: %s", o->sysfs, strerror(-r));
		ret = MONITOR_EXIT_CONFIG;
		goto out;
	}
	m.real = m.s.real;
	if ((o->run || m.real) && (r = sysfs_open(&m.run, o->run ? o->run : "/run")) < 0)
		log_warning("cannot open the run root %s: %s; what release gave back is not known to the monitor",
			    o->run ? o->run : "/run", strerror(-r));
	if (m.real && !o->dry_run && geteuid() != 0) {
		log_error("monitor writes to /sys and must run as root; 'vfio-binder plan' shows what it would do");
		ret = MONITOR_EXIT_CONFIG;
		goto out;
	}
	if (setup(&m) < 0)
		goto out;

	access_notice(&m);
	pass(&m, NULL, false);
	log_info("watching %s uevents for new PCI functions (sysfs %s%s%s)", source_names[o->source], m.s.path,
		 m.real ? "" : ", not the running kernel's: no module loads",
		 o->no_load || !m.p.load ? ", overrides only: no module load, no probe (--no-load or load = no)" : "");
	notify("READY=1\nSTATUS=Watching for new PCI functions");

	for (;;) {
		struct pollfd pfd[] = {
			{ .fd = m.sigfd, .events = POLLIN },
			{ .fd = udev_monitor_get_fd(m.mon), .events = POLLIN },
		};

		if (poll(pfd, ELEMENTSOF(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			break;
		}
		/* Signals first: a SIGTERM is not kept waiting behind a burst of uevents. */
		if (pfd[0].revents && handle_signals(&m)) {
			ret = EXIT_SUCCESS;
			break;
		}
		if (pfd[1].revents & POLLNVAL) {
			log_error("the uevent socket is gone; exiting so that the service manager restarts the monitor");
			break;
		}
		/* POLLERR is how an overflow (ENOBUFS) shows; receiving reports and clears it. */
		if (!(pfd[1].revents & (POLLIN | POLLERR)))
			continue;
		if (handle_uevents(&m) > 0 || !(pfd[1].revents & POLLERR)) {
			idle_errors = 0;
		} else if (++idle_errors > 100) {
			/* An error that receiving does not clear would make this loop spin. */
			log_error("the uevent socket keeps reporting an error (%s); exiting so that the service "
				  "manager restarts the monitor", strerror(errno));
			break;
		}
	}
	notify("STOPPING=1");
out:
	udev_monitor_unref(m.mon);
	udev_unref(m.udev);
	if (m.sigfd >= 0)
		close(m.sigfd);
	sysfs_close(&m.s);
	sysfs_close(&m.run);
	policy_free(&m.p);
	log_close();
	return ret;
}
