// SPDX-License-Identifier: GPL-2.0-or-later
/* vfio-binder: options and commands; the work is done in the modules. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "doctor.h"
#include "hwdb.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "modload.h"
#include "monitor.h"
#include "output.h"
#include "pci.h"
#include "policy.h"
#include "record.h"
#include "reserve.h"
#include "runtime.h"
#include "select.h"
#include "sriov.h"
#include "sysfs.h"
#include "variant.h"

/* Documented in --help, doc/commands.md and vfio-binder(8); the initramfs hooks rely on them. */
#define EXIT_PARTIAL 1	/* some planned functions did not end on the driver */
#define EXIT_USAGE 2	/* usage or configuration error: nothing was written */

static const char *arg_config;		/* default: SYSCONFDIR/vfio.conf, or --etc DIR/vfio.conf */
static const char *arg_sysfs = "/sys";
static const char *arg_cmdline;		/* default: /proc/cmdline, or --proc DIR/cmdline */
/* Test roots; NULL: the running system's (see doctor.h) */
static const char *arg_proc, *arg_etc, *arg_boot, *arg_modules, *arg_run, *arg_dev;
static bool arg_print_modules, arg_print_config;
static bool arg_no_cmdline, arg_json, arg_dry_run, arg_no_load, arg_numeric, arg_force, arg_all, arg_configured;
static enum log_target arg_log = LOG_TARGET_AUTO;
static enum monitor_source arg_source = MONITOR_SOURCE_KERNEL;
static struct list_filter arg_filter = { .group = -1 };

static void help(void)
{
	printf("Usage: vfio-binder [OPTIONS] [COMMAND] [ADDR...]\n"
	       "Reserve PCI functions (GPUs and their companions) for virtual machines, at boot\n"
	       "or at runtime: write the driver name into driver_override and load the driver\n"
	       "(vfio-pci).\n"
	       "\n"
	       "Commands:\n"
	       "  plan               print what bind would do, and why (the default)\n"
	       "  bind               write driver_override, load the driver, probe, verify\n"
	       "  list               every PCI function by IOMMU group, with names and the plan\n"
	       "  status             what is bound now against the plan; 0 only if all match\n"
	       "  monitor            bind, then stay and bind PCI functions that appear later\n"
	       "  reserve ADDR...    hand these cards to the driver now (the plan's set: a GPU\n"
	       "                     brings its card); refused if anyone holds them\n"
	       "  release ADDR...    give them back to the host's drivers now\n"
	       "  doctor             check everything the next boot depends on; read-only\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config FILE  configuration file (default %s)\n"
	       "      --sysfs DIR    sysfs root (default /sys); a fake tree for tests\n"
	       "      --cmdline FILE kernel command line (default /proc/cmdline)\n"
	       "      --no-cmdline   ignore vfio_binder.* parameters\n"
	       "      --proc DIR     proc root (default /proc; --cmdline defaults to DIR/cmdline;\n"
	       "                     reserve, release look there for who holds a device)\n"
	       "      --etc DIR      etc root (default /etc; -c defaults to DIR/vfio.conf)\n"
	       "      --boot DIR     boot root (default /boot): doctor\n"
	       "      --modules DIR  kernel modules root (default /lib/modules): doctor, driver = auto\n"
	       "      --run DIR      run root (default /run; the records in DIR/vfio-binder,\n"
	       "                     [access]'s udev rule in DIR/udev/rules.d)\n"
	       "      --dev DIR      dev root (default /dev): [access] on DIR/vfio/N; reserve,\n"
	       "                     release ask a framebuffer there which one the console\n"
	       "                     draws on\n"
	       "      --json         output as JSON (plan, list, status, doctor, reserve,\n"
	       "                     release, bind --dry-run)\n"
	       "  -n, --dry-run      bind, monitor, reserve, release: print the writes, change\n"
	       "                     nothing\n"
	       "      --no-load      bind, monitor, reserve, release: no module load (and for\n"
	       "                     bind, monitor, reserve no probe)\n"
	       "      --modules-list plan: the modules bind would load, one a line (for the hooks)\n"
	       "      --config-lines list: device lines pinned to each GPU's IDs, to paste into\n"
	       "                     the [devices] section of vfio.conf\n"
	       "      --all          reserve: everything the plan selects; release: that and\n"
	       "                     what reserve took\n"
	       "      --force        reserve: the boot VGA's card (the console goes dark), past\n"
	       "                     a framebuffer console\n"
	       "      --configured   release: only what vfio.conf marks return_to_host\n"
	       "      --gpus         list: display functions and their slots only\n"
	       "      --group N      list: IOMMU group N only\n"
	       "      --device ADDR  list: this function only\n"
	       "      --numeric      list: IDs only, no names from the hardware database\n"
	       "      --source SRC   monitor: uevents from kernel (default, no udevd) or udev\n"
	       "      --log=TARGET   bind, monitor, reserve, release: auto (default), stderr or\n"
	       "                     kmsg\n"
	       "  -v, --verbose      more messages\n"
	       "  -q, --quiet        only warnings and errors\n"
	       "  -h, --help         this help\n"
	       "  -V, --version      the version\n"
	       "\n"
	       "Kernel command line: vfio_binder=off (kill switch), vfio_binder.policy=,\n"
	       "  .driver=, .companions=, .group=, .unbind=, .require_iommu=, .load=, and the\n"
	       "  lists .device= (ADDR or ADDR@VVVV:DDDD), .id=, .vfs=, .exclude=\n"
	       "  (comma-separated, added to the config's).\n"
	       "\n"
	       "Exit status: 0 everything as planned (status: everything bound as planned or\n"
	       "  released at runtime; reserve, release: every function ended where asked;\n"
	       "  doctor: no error found);\n"
	       "  %d some functions did not end on the driver (status: not all bound;\n"
	       "  reserve, release: refused, or not all ended where asked; doctor: an error);\n"
	       "  %d usage or configuration error, nothing written.\n"
	       "See vfio-binder(8) and vfio.conf(5).\n",
	       SYSCONFDIR "/vfio.conf", EXIT_PARTIAL, EXIT_USAGE);
}

/*
 * The kernel's module directory libkmod reads: the running kernel's (NULL)
 * unless --modules or --proc point elsewhere; then MODULES/KVER, with the
 * release from PROC/sys/kernel/osrelease.
 */
static const char *modules_dir(void)
{
	static char dir[PATH_MAX];
	char path[PATH_MAX], kver[128] = "";
	struct utsname u;
	FILE *f;

	if (!arg_modules && !arg_proc)
		return NULL;
	snprintf(path, sizeof(path), "%s/sys/kernel/osrelease", arg_proc ? arg_proc : "/proc");
	f = fopen(path, "re");
	if (f) {
		if (fgets(kver, sizeof(kver), f))
			kver[strcspn(kver, "\n")] = '\0';
		fclose(f);
	}
	if (!kver[0] && uname(&u) == 0)
		snprintf(kver, sizeof(kver), "%s", u.release);
	if (!kver[0] || strchr(kver, '/'))
		return NULL;
	snprintf(dir, sizeof(dir), "%s/%s", arg_modules ? arg_modules : "/lib/modules", kver);
	return dir;
}

static int run(const char *cmd)
{
	struct policy p;
	struct sysfs s = { .root_fd = -1 };
	struct pci_table t = { 0 };
	struct plan plan = { 0 };
	struct runtime rt = { 0 };
	struct pci_scan scan;
	bool bind = streq(cmd, "bind"), list = streq(cmd, "list"), status = streq(cmd, "status");
	int r, ret = EXIT_USAGE;

	policy_init(&p);
	r = sysfs_open(&s, arg_sysfs);
	/* Before the configuration is read: at boot its errors must reach the kernel log too. */
	if (bind && !arg_dry_run)
		log_open(arg_log, r == 0 && s.real);
	if (config_load_all(&p, arg_config, arg_no_cmdline ? NULL : arg_cmdline) < 0) {
		log_error("configuration error: %s", bind ? "nothing written" : "no plan");
		goto out;
	}
	if (r < 0) {
		log_error("cannot open the sysfs root %s: %s", arg_sysfs, strerror(-r));
		goto out;
	}
	if (bind && !arg_dry_run && s.real && geteuid() != 0) {
		log_error("bind writes to /sys and must run as root; 'vfio-binder plan' shows what it would do");
		goto out;
	}

	if (bind && !arg_dry_run) {
		struct boot_record rec = { .time = (int64_t)time(NULL) };
		/* A fake tree touches the nodes and rules only where --dev and --run point. */
		struct access_opts acc = { .run = arg_run, .dev = arg_dev, .etc = arg_etc, .out = stdout };
		struct apply_opts o = {
			.load = p.load && !arg_no_load,
			.out = stdout,
			.load_fn = s.real ? modload : modload_none,
			.load_data = s.path,
			.settle_ms = s.real ? 2000 : 0,
			.record = &rec,
			.modules_dir = modules_dir(),
			.access = s.real || (arg_run && arg_dev) ? &acc : NULL,
		};

		r = bind_pass(&s, &p, &o);
		if (r > 0)
			log_warning("%d planned function%s did not end on %s", r, r == 1 ? "" : "s", p.driver);
		ret = r == 0 ? EXIT_SUCCESS : r > 0 ? EXIT_PARTIAL : EXIT_USAGE;
		/*
		 * What this boot did, for doctor: in /run, which outlives the
		 * initramfs. A fake tree records only where --run points.
		 */
		if (r >= 0 && (s.real || arg_run) && record_set_config(&rec, arg_config, access(arg_config, F_OK) == 0) == 0)
			record_write(arg_run ? arg_run : "/run", &rec, NULL, 0);
		record_free(&rec);
		goto out;
	}

	plan_scan_needs(&p, &scan);
	/* list and status show what is bound now, so they read every detail */
	scan.all |= list || status;
	scan.reset_methods = list;
	scan.subsystem |= arg_print_config;
	r = pci_table_load(&s, &scan, &t);
	if (r < 0) {
		log_error("cannot list %s/bus/pci/devices: %s", arg_sysfs, strerror(-r));
		goto out;
	}
	if (policy_wants_variants(&p))
		variant_resolve(&s, &t, modules_dir());
	r = plan_build(&t, &p, &plan);
	if (r < 0) {
		log_error("cannot build the plan: %s", strerror(-r));
		goto out;
	}
	/* What reserve and release changed since the boot: in /run, or where --run points (a fake tree has none). */
	if ((list || status) && (s.real || arg_run)) {
		struct sysfs run = { .root_fd = -1 };
		char err[512];

		if (sysfs_open(&run, arg_run ? arg_run : "/run") == 0) {
			r = runtime_read(&run, &rt, err, sizeof(err));
			if (r < 0 && r != -ENOENT)
				log_warning("%s; ignoring it", err);
		}
		sysfs_close(&run);
	}
	if (list) {
		struct hwdb *names = arg_numeric ? NULL : hwdb_open();

		if (arg_print_config)
			list_print_config(stdout, &t, &arg_filter, names);
		else
			list_print(stdout, &t, &plan, &arg_filter, names, &rt, arg_json);
		hwdb_close(names);
		ret = EXIT_SUCCESS;
		goto out;
	}
	if (status) {
		ret = status_print(stdout, &t, &plan, &rt, arg_json) ? EXIT_PARTIAL : EXIT_SUCCESS;
		goto out;
	}
	/* A device entry naming a bridge: what bind would refuse to act on at all. */
	ret = plan.config_errors ? EXIT_USAGE : EXIT_SUCCESS;
	if (!bind && arg_print_modules) {
		/* For the initramfs hooks: what the image must hold for this plan. */
		_cleanup_free_ char *mods = plan_modules(&plan);

		for (char *m = mods ? strtok(mods, " ") : NULL; m; m = strtok(NULL, " "))
			puts(m);
	} else if (!bind) {
		if (arg_json)
			plan_print_json(stdout, &t, &plan, NULL);
		else
			plan_print(stdout, &t, &plan);
	} else {
		/* --dry-run: the plan, then the writes bind would make, in order */
		_cleanup_free_ char *writes = NULL;
		size_t size = 0;
		FILE *w = open_memstream(&writes, &size);
		struct access_opts acc = { .run = arg_run, .dev = arg_dev, .etc = arg_etc, .dry_run = true, .out = w };
		struct apply_opts o = { .dry_run = true, .load = p.load && !arg_no_load, .out = w, .access = &acc };
		struct sriov_opts so = { .dry_run = true, .out = w };

		if (!w) {
			log_error("out of memory");
			ret = EXIT_USAGE;
			goto out;
		}
		sriov_prepare(&s, &p, &so);
		r = apply_plan(&s, &t, &plan, &o);
		fclose(w);
		if (r < 0)
			ret = EXIT_USAGE;
		else if (arg_json)
			plan_print_json(stdout, &t, &plan, writes ? writes : "");
		else {
			plan_print(stdout, &t, &plan);
			fputs(writes ? writes : "", stdout);
		}
	}
out:
	runtime_free(&rt);
	plan_free(&plan);
	pci_table_free(&t);
	sysfs_close(&s);
	policy_free(&p);
	log_close();
	return ret;
}

/* reserve ADDR...|--all and release ADDR...|--all: the targets, checked as strictly as the configuration's. */
static int reserve_cmd(const char *cmd, int n, char **args)
{
	bool release = streq(cmd, "release");
	struct pci_addr *targets;
	char *command = NULL;
	size_t size = 0;
	FILE *f;
	int ret = EXIT_USAGE;

	if (!n && !arg_all) {
		log_error("%s needs PCI addresses (DDDD:BB:DD.F or BB:DD.F) or --all; try 'vfio-binder --help'", cmd);
		return EXIT_USAGE;
	}
	if (n && arg_all) {
		log_error("%s: --all or addresses, not both", cmd);
		return EXIT_USAGE;
	}
	if (release && arg_force) {
		log_error("release: --force is for reserve (release refuses while a guest holds the device: stop the guest)");
		return EXIT_USAGE;
	}
	if (!release && arg_configured) {
		log_error("reserve: --configured is for release (the libvirt hook's)");
		return EXIT_USAGE;
	}
	targets = calloc((size_t)n + 1, sizeof(*targets));
	if (!targets)
		return EXIT_USAGE;
	for (int i = 0; i < n; i++) {
		int r = pci_addr_parse(args[i], true, &targets[i]);

		if (r < 0) {
			log_error("invalid PCI address '%s' (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0%s)",
				  args[i], r == -ERANGE ? "; device is at most 1f, function at most 7" : "");
			goto out;
		}
	}
	/* What the runtime record says did it: the command, with full addresses. */
	f = open_memstream(&command, &size);
	if (!f)
		goto out;
	fputs(cmd, f);
	if (arg_force)
		fputs(" --force", f);
	if (arg_configured)
		fputs(" --configured", f);
	if (arg_all)
		fputs(" --all", f);
	for (int i = 0; i < n; i++) {
		char addr[PCI_ADDR_STRLEN];

		fprintf(f, " %s", pci_addr_fmt(&targets[i], addr));
	}
	if (fclose(f) != 0)
		goto out;
	{
		struct reserve_opts o = {
			.release = release,
			.config = arg_config,
			.cmdline = arg_no_cmdline ? NULL : arg_cmdline,
			.sysfs = arg_sysfs,
			.proc = arg_proc,
			.dev = arg_dev,
			.modules_dir = modules_dir(),
			.run = arg_run,
			.targets = targets,
			.n_targets = (size_t)n,
			.all = arg_all,
			.force = arg_force,
			.configured = arg_configured,
			.json = arg_json,
			.dry_run = arg_dry_run,
			.no_load = arg_no_load,
			.log = arg_log,
			.command = command,
			.out = stdout,
		};

		_Static_assert(RESERVE_EXIT_FAILED == EXIT_PARTIAL && RESERVE_EXIT_USAGE == EXIT_USAGE,
			       "reserve and release share bind's exit statuses");
		ret = reserve_run(&o);
	}
out:
	free(command);
	free(targets);
	return ret;
}

int main(int argc, char *argv[])
{
	enum { ARG_SYSFS = 0x100, ARG_CMDLINE, ARG_NO_CMDLINE, ARG_JSON, ARG_NO_LOAD, ARG_LOG, ARG_GPUS, ARG_GROUP,
	       ARG_DEVICE, ARG_NUMERIC, ARG_SOURCE, ARG_PROC, ARG_ETC, ARG_BOOT, ARG_MODULES, ARG_RUN, ARG_DEV,
	       ARG_MODULES_LIST, ARG_CONFIG_LINES, ARG_FORCE, ARG_ALL, ARG_CONFIGURED };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sysfs", required_argument, NULL, ARG_SYSFS },
		{ "cmdline", required_argument, NULL, ARG_CMDLINE },
		{ "no-cmdline", no_argument, NULL, ARG_NO_CMDLINE },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-load", no_argument, NULL, ARG_NO_LOAD },
		{ "log", required_argument, NULL, ARG_LOG },
		{ "gpus", no_argument, NULL, ARG_GPUS },
		{ "group", required_argument, NULL, ARG_GROUP },
		{ "device", required_argument, NULL, ARG_DEVICE },
		{ "numeric", no_argument, NULL, ARG_NUMERIC },
		{ "source", required_argument, NULL, ARG_SOURCE },
		{ "proc", required_argument, NULL, ARG_PROC },
		{ "etc", required_argument, NULL, ARG_ETC },
		{ "boot", required_argument, NULL, ARG_BOOT },
		{ "modules", required_argument, NULL, ARG_MODULES },
		{ "run", required_argument, NULL, ARG_RUN },
		{ "dev", required_argument, NULL, ARG_DEV },
		{ "modules-list", no_argument, NULL, ARG_MODULES_LIST },
		{ "config-lines", no_argument, NULL, ARG_CONFIG_LINES },
		{ "force", no_argument, NULL, ARG_FORCE },
		{ "all", no_argument, NULL, ARG_ALL },
		{ "configured", no_argument, NULL, ARG_CONFIGURED },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *cmd = "plan";
	_cleanup_free_ char *config = NULL, *cmdline = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:nvqhV", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			break;
		case ARG_SYSFS:
			arg_sysfs = optarg;
			break;
		case ARG_CMDLINE:
			arg_cmdline = optarg;
			break;
		case ARG_NO_CMDLINE:
			arg_no_cmdline = true;
			break;
		case ARG_JSON:
			arg_json = true;
			break;
		case 'n':
			arg_dry_run = true;
			break;
		case ARG_NO_LOAD:
			arg_no_load = true;
			break;
		case ARG_LOG:
			if (log_parse_target(optarg, &arg_log) < 0) {
				log_error("unknown --log target '%s' (expected auto, stderr or kmsg)", optarg);
				return EXIT_USAGE;
			}
			break;
		case ARG_GPUS:
			arg_filter.gpus = true;
			break;
		case ARG_GROUP: {
			char *end;
			long g;

			errno = 0;
			g = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || g < 0 || g > 0x7fffffff) {
				log_error("invalid --group '%s' (expected an IOMMU group number)", optarg);
				return EXIT_USAGE;
			}
			arg_filter.group = (int)g;
			break;
		}
		case ARG_DEVICE:
			if (pci_addr_parse(optarg, true, &arg_filter.device) < 0) {
				log_error("invalid --device '%s' (expected DDDD:BB:DD.F or BB:DD.F)", optarg);
				return EXIT_USAGE;
			}
			arg_filter.has_device = true;
			break;
		case ARG_NUMERIC:
			arg_numeric = true;
			break;
		case ARG_SOURCE:
			if (monitor_source_parse(optarg, &arg_source) < 0) {
				log_error("unknown --source '%s' (expected kernel or udev)", optarg);
				return EXIT_USAGE;
			}
			break;
		case ARG_PROC:
			arg_proc = optarg;
			break;
		case ARG_ETC:
			arg_etc = optarg;
			break;
		case ARG_BOOT:
			arg_boot = optarg;
			break;
		case ARG_MODULES:
			arg_modules = optarg;
			break;
		case ARG_DEV:
			arg_dev = optarg;
			break;
		case ARG_MODULES_LIST:
			arg_print_modules = true;
			break;
		case ARG_CONFIG_LINES:
			arg_print_config = true;
			break;
		case ARG_RUN:
			arg_run = optarg;
			break;
		case ARG_FORCE:
			arg_force = true;
			break;
		case ARG_ALL:
			arg_all = true;
			break;
		case ARG_CONFIGURED:
			arg_configured = true;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_max_level(LOG_WARNING);
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case 'V':
			puts(PACKAGE_STRING);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'vfio-binder --help'.\n");
			return EXIT_USAGE;
		}
	}
	/* The roots move the default files with them; -c and --cmdline still win. */
	if (!arg_config && arg_etc && asprintf(&config, "%s/vfio.conf", arg_etc) < 0)
		return EXIT_USAGE;
	if (!arg_config)
		arg_config = config ? config : SYSCONFDIR "/vfio.conf";
	if (!arg_cmdline && arg_proc && asprintf(&cmdline, "%s/cmdline", arg_proc) < 0)
		return EXIT_USAGE;
	if (!arg_cmdline)
		arg_cmdline = cmdline ? cmdline : "/proc/cmdline";
	if (optind < argc)
		cmd = argv[optind++];
	if (streq(cmd, "reserve") || streq(cmd, "release"))
		return reserve_cmd(cmd, argc - optind, argv + optind);
	if (optind < argc) {
		log_error("unexpected argument '%s'; try 'vfio-binder --help'", argv[optind]);
		return EXIT_USAGE;
	}
	if (streq(cmd, "monitor")) {
		struct monitor_opts mo = {
			.config = arg_config,
			.cmdline = arg_no_cmdline ? NULL : arg_cmdline,
			.sysfs = arg_sysfs,
			.run = arg_run,
			.no_load = arg_no_load,
			.dry_run = arg_dry_run,
			.log = arg_log,
			.source = arg_source,
		};

		_Static_assert(MONITOR_EXIT_CONFIG == EXIT_USAGE, "monitor and bind share the exit statuses");
		return monitor_run(&mo);
	}
	if (streq(cmd, "doctor")) {
		struct doctor_opts d = {
			.config = arg_config,
			.cmdline = arg_cmdline,
			.no_cmdline = arg_no_cmdline,
			.sysfs = arg_sysfs,
			.proc = arg_proc,
			.etc = arg_etc,
			.boot = arg_boot,
			.modules = arg_modules,
			.run = arg_run,
			.json = arg_json,
		};

		_Static_assert(DOCTOR_EXIT_ERRORS == EXIT_PARTIAL && DOCTOR_EXIT_USAGE == EXIT_USAGE,
			       "doctor shares the exit statuses");
		return doctor_run(&d, stdout);
	}
	if (!streq(cmd, "plan") && !streq(cmd, "bind") && !streq(cmd, "list") && !streq(cmd, "status")) {
		log_error("unknown command '%s' (expected plan, bind, list, status, monitor, reserve, release or doctor); try 'vfio-binder --help'",
			  cmd);
		return EXIT_USAGE;
	}
	return run(cmd);
}
