// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "testutil.h"

static int parse(struct policy *p, const char *text)
{
	return config_parse(p, "vfio.conf", text, strlen(text));
}

START_TEST(test_every_key)
{
	struct policy p;
	char buf[PCI_ADDR_STRLEN];

	policy_init(&p);
	ck_assert_int_eq(parse(&p,
		"# comment\n"
		"; another\n"
		"[binder]\n"
		"policy = boot_vga   ; inline comment\n"
		"driver = pci-stub\n"
		"companions = audio\n"
		"group = bind\n"
		"unbind = yes\n"
		"require_iommu = no\n"
		"load = off\n"
		"\n"
		"[devices]\n"
		"device = 0000:01:00.0\n"
		"device = 02:00.0\n"
		"id = 10de:1B81\n"
		"exclude = 0000:03:00.1\n"
		"[options]\n"
		"disable_vga = 1\n"
		"nointxmask = 1\n"), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	ck_assert_str_eq(p.driver, "pci-stub");
	ck_assert_int_eq(p.companions, COMPANIONS_AUDIO);
	ck_assert_int_eq(p.group, GROUP_BIND);
	ck_assert(p.unbind);
	ck_assert(!p.require_iommu);
	ck_assert(!p.load);
	ck_assert_uint_eq(p.devices.n, 2);
	ck_assert_str_eq(pci_addr_fmt(&p.devices.v[0].addr, buf), "0000:01:00.0");
	ck_assert_str_eq(pci_addr_fmt(&p.devices.v[1].addr, buf), "0000:02:00.0");
	ck_assert_uint_eq(p.devices.v[1].origin.line, 14);
	ck_assert_str_eq(p.devices.v[1].origin.file, "vfio.conf");
	ck_assert_uint_eq(p.ids.n, 1);
	ck_assert_uint_eq(p.ids.v[0].id.vendor, 0x10de);
	ck_assert_uint_eq(p.ids.v[0].id.device, 0x1b81);
	ck_assert_uint_eq(p.excludes.n, 1);
	ck_assert_str_eq(pci_addr_fmt(&p.excludes.v[0].addr, buf), "0000:03:00.1");
	ck_assert_str_eq(p.options, "disable_vga=1 nointxmask=1");
	policy_free(&p);
}
END_TEST

START_TEST(test_defaults)
{
	struct policy p;

	policy_init(&p);
	ck_assert_int_eq(parse(&p, ""), 0);
	ck_assert_int_eq(p.mode, POLICY_LIST);
	ck_assert_str_eq(p.driver, "vfio-pci");
	ck_assert_int_eq(p.companions, COMPANIONS_SLOT);
	ck_assert_int_eq(p.group, GROUP_CHECK);
	ck_assert(!p.unbind);
	ck_assert(p.require_iommu);
	ck_assert(p.load);
	ck_assert_ptr_null(p.options);
	ck_assert(policy_is_empty(&p));
	policy_free(&p);
}
END_TEST

/* Every error, with the message and line the user sees. */
static const struct {
	const char *text;
	const char *message;
} errors[] = {
	{ "[binder]\npolicy = bootvga\n",
	  "vfio.conf:2: unknown policy 'bootvga' (expected list, boot_vga or off)" },
	{ "[binder]\ndriver = vfio pci\n", "vfio.conf:2: invalid driver name 'vfio pci'" },
	{ "[binder]\ndriver = ../x\n", "vfio.conf:2: invalid driver name '../x'" },
	{ "[binder]\ncompanions = all\n", "vfio.conf:2: unknown companions 'all' (expected slot, audio or none)" },
	{ "[binder]\ngroup = yes\n", "vfio.conf:2: unknown group 'yes' (expected check, bind or ignore)" },
	{ "[binder]\nunbind = maybe\n", "vfio.conf:2: invalid value 'maybe' for unbind (expected yes or no)" },
	{ "[binder]\nrequire_iommu = 2\n", "vfio.conf:2: invalid value '2' for require_iommu (expected yes or no)" },
	{ "[binder]\nload = y\n", "vfio.conf:2: invalid value 'y' for load (expected yes or no)" },
	{ "[binder]\npolicy = list\n\npolicy = off\n", "vfio.conf:4: duplicate key 'policy' (first set at line 2)" },
	{ "[binder]\nfoo = 1\n", "vfio.conf:2: unknown key 'foo' in [binder]" },
	{ "[devices]\ndevices = 01:00.0\n", "vfio.conf:2: unknown key 'devices' in [devices] (expected device, id, vfs or exclude)" },
	{ "[gpu]\ndevice = 01:00.0\n", "vfio.conf:1: unknown section [gpu] (expected [binder], [devices], [options], [sriov] or [access])" },
	{ "policy = boot_vga\n", "vfio.conf:1: key 'policy' outside any section" },
	{ "[binder]\npolicy =\n", "vfio.conf:2: empty value for 'policy'" },
	{ "[devices]\ndevice = \n", "vfio.conf:2: empty value for 'device'" },
	{ "[devices]\ndevice = 0000:01:00\n", "vfio.conf:2: invalid PCI address '0000:01:00' for device" },
	{ "[devices]\ndevice = 0000:100:00.0\n", "vfio.conf:2: invalid PCI address '0000:100:00.0' for device" },
	{ "[devices]\ndevice = 0000:01:00.8\n",
	  "vfio.conf:2: invalid PCI address '0000:01:00.8' for device (device is at most 1f, function at most 7)" },
	{ "[devices]\ndevice = 00000:01:00.0\n", "vfio.conf:2: invalid PCI address '00000:01:00.0' for device" },
	{ "[devices]\ndevice = ../01:00.0\n", "vfio.conf:2: invalid PCI address '../01:00.0' for device" },
	{ "[devices]\ndevice = 0000:01/00.0\n", "vfio.conf:2: invalid PCI address '0000:01/00.0' for device" },
	{ "[devices]\nexclude = 2:00.0\n", "vfio.conf:2: invalid PCI address '2:00.0' for exclude" },
	{ "[devices]\nid = 10d:1b81\n", "vfio.conf:2: invalid vendor:device ID '10d:1b81'" },
	{ "[devices]\nid = 10de0:1b81\n", "vfio.conf:2: invalid vendor:device ID '10de0:1b81'" },
	{ "[devices]\nid = 10dg:1b81\n", "vfio.conf:2: invalid vendor:device ID '10dg:1b81'" },
	{ "[devices]\ndevice 01:00.0\n", "vfio.conf:2: expected '[section]' or 'key = value', got 'device 01:00.0'" },
	{ "[binder\npolicy = list\n", "vfio.conf:1: section header without ']'" },
	{ "[options]\nbad name = 1\n", "vfio.conf:2: invalid module parameter name 'bad name'" },
	{ "[options]\nnointxmask = \"a b\"\n", "vfio.conf:2: invalid value '\"a b\"' for module parameter 'nointxmask'" },
	{ "[options]\nids = 10de:1b81\n", "vfio.conf:2: ids in [options] would make vfio-pci claim every device with those IDs, the host's own card included" },
	{ "[options]\nx = 1\nx = 2\n", "vfio.conf:3: duplicate module parameter 'x'" },
	/* An indented line would be a continuation of the previous value for inih. */
	{ "[binder]\npolicy = boot_vga\n  driver = ../../x\n", "vfio.conf:3: invalid driver name '../../x'" },
	{ "[binder]\npolicy = list\n\xff\xfe\n", "vfio.conf:3: not valid UTF-8" },
	{ "[binder]\nreturn_to_host = sometimes\n",
	  "vfio.conf:2: invalid value 'sometimes' for return_to_host (expected yes or no)" },
	/* the words after a device's address: per-device settings, each key=value */
	{ "[devices]\ndevice = 01:00.0 return_to_host=maybe\n",
	  "vfio.conf:2: invalid value 'maybe' for return_to_host of device 0000:01:00.0 (expected yes or no)" },
	{ "[devices]\ndevice = 01:00.0 return_to_host=yes return_to_host=no\n",
	  "vfio.conf:2: return_to_host given twice for device 0000:01:00.0" },
	{ "[devices]\ndevice = 01:00.0 frobnicate=1\n",
	  "vfio.conf:2: unknown key 'frobnicate' for device 0000:01:00.0 (expected driver=, reset_method= or return_to_host=)" },
	{ "[devices]\ndevice = 01:00.0 yes\n", "vfio.conf:2: unexpected 'yes' after the address 0000:01:00.0 (expected KEY=VALUE" },
	{ "[devices]\ndevice = 01:00.9 return_to_host=yes\n",
	  "vfio.conf:2: invalid PCI address '01:00.9' for device (device is at most 1f, function at most 7)" },
	{ "[devices]\nexclude = 01:00.0 return_to_host=yes\n", "vfio.conf:2: unexpected 'return_to_host=yes' after the address 0000:01:00.0 (expected nothing)" },
	{ "[binder]\n\xc0\xaf = 1\n", "vfio.conf:2: not valid UTF-8" },
};

START_TEST(test_errors)
{
	struct policy p;
	const char *log;

	policy_init(&p);
	capture_start();
	ck_assert_int_eq(parse(&p, errors[_i].text), -EINVAL);
	log = capture_end();
	ck_assert_contains(log, errors[_i].message);
	/* the old policy is kept when the new file is bad */
	ck_assert_int_eq(p.mode, POLICY_LIST);
	ck_assert_uint_eq(p.devices.n, 0);
	policy_free(&p);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	struct policy p;
	const char *log;

	policy_init(&p);
	capture_start();
	ck_assert_int_eq(parse(&p, "[binder]\npolicy = x\ndriver = y z\n[devices]\nid = 1\n"), -EINVAL);
	log = capture_end();
	ck_assert_contains(log, "vfio.conf:2:");
	ck_assert_contains(log, "vfio.conf:3:");
	ck_assert_contains(log, "vfio.conf:5:");
	policy_free(&p);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "[binder]\npolicy = list\x00x\n";
	struct policy p;
	const char *log;

	policy_init(&p);
	capture_start();
	ck_assert_int_eq(config_parse(&p, "vfio.conf", text, sizeof(text) - 1), -EINVAL);
	log = capture_end();
	ck_assert_contains(log, "vfio.conf:2: NUL byte in the line");
	policy_free(&p);
}
END_TEST

START_TEST(test_long_line)
{
	char text[512];
	struct policy p;
	const char *log;

	snprintf(text, sizeof(text), "[devices]\n; %0*d\n", 300, 0);
	policy_init(&p);
	capture_start();
	ck_assert_int_eq(parse(&p, text), -EINVAL);
	log = capture_end();
	ck_assert_contains(log, "vfio.conf:2: line too long (302 characters, at most 198)");
	policy_free(&p);

	/* right at the limit is fine */
	snprintf(text, sizeof(text), "[devices]\n;%0*d\n", CONFIG_LINE_MAX - 1, 0);
	policy_init(&p);
	ck_assert_int_eq(parse(&p, text), 0);
	policy_free(&p);
}
END_TEST

START_TEST(test_crlf_and_bom)
{
	struct policy p;

	policy_init(&p);
	ck_assert_int_eq(parse(&p, "\xef\xbb\xbf[binder]\r\npolicy = boot_vga\r\n"), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	policy_free(&p);
}
END_TEST

static char tmpdir[64];

static char *make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-conf.XXXXXX");
	return mkdtemp(tmpdir);
}

static char *write_file(const char *name, const char *text, mode_t mode)
{
	char *path;
	int fd;

	ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
	return path;
}

START_TEST(test_load_file)
{
	struct policy p;
	char *path;

	ck_assert_ptr_nonnull(make_tmpdir());
	path = write_file("vfio.conf", "[binder]\npolicy = boot_vga\n", 0644);
	policy_init(&p);
	ck_assert_int_eq(config_load(&p, path), 0);
	ck_assert_int_eq(p.mode, POLICY_BOOT_VGA);
	ck_assert_str_eq(p.config_file, path);
	policy_free(&p);
	unlink(path);
	free(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_load_missing_is_not_an_error)
{
	struct policy p;

	policy_init(&p);
	capture_start();
	ck_assert_int_eq(config_load(&p, "/nonexistent/vfio.conf"), -ENOENT);
	ck_assert_str_eq(capture_end(), "");
	policy_free(&p);
}
END_TEST

START_TEST(test_load_directory)
{
	struct policy p;

	policy_init(&p);
	capture_start();
	ck_assert_int_eq(config_load(&p, "/tmp"), -EISDIR);
	ck_assert_contains(capture_end(), "/tmp: is a directory; give the configuration file itself");
	policy_free(&p);
}
END_TEST

START_TEST(test_load_world_writable)
{
	struct policy p;
	char *path;

	if (geteuid() != 0)
		return;	/* only root refuses it: anyone could choose what root binds */
	ck_assert_ptr_nonnull(make_tmpdir());
	path = write_file("vfio.conf", "[binder]\npolicy = boot_vga\n", 0666);
	policy_init(&p);
	capture_start();
	ck_assert_int_eq(config_load(&p, path), -EPERM);
	ck_assert_contains(capture_end(), "writable by every user (mode 0666), refusing it");
	ck_assert_int_eq(p.mode, POLICY_LIST);
	/* group-writable, or owned by someone else: refused too */
	ck_assert_int_eq(chmod(path, 0664), 0);
	capture_start();
	ck_assert_int_eq(config_load(&p, path), -EPERM);
	ck_assert_contains(capture_end(), "writable by its group (mode 0664), refusing it");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(chown(path, 65534, 0), 0);
	capture_start();
	ck_assert_int_eq(config_load(&p, path), -EPERM);
	ck_assert_contains(capture_end(), "owned by uid 65534, not root, refusing it");
	ck_assert_int_eq(p.mode, POLICY_LIST);
	policy_free(&p);
	unlink(path);
	free(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_load_unreadable)
{
	struct policy p;
	char *path;

	if (geteuid() == 0)
		return;	/* root reads a mode-000 file anyway */
	ck_assert_ptr_nonnull(make_tmpdir());
	path = write_file("vfio.conf", "[binder]\n", 0000);
	policy_init(&p);
	capture_start();
	ck_assert_int_eq(config_load(&p, path), -EACCES);
	ck_assert_contains(capture_end(), "cannot open: Permission denied");
	policy_free(&p);
	unlink(path);
	free(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_load_too_large)
{
	struct policy p;
	char *big = malloc(CONFIG_SIZE_MAX + 10), *path;

	memset(big, '\n', CONFIG_SIZE_MAX + 9);
	big[CONFIG_SIZE_MAX + 9] = '\0';
	ck_assert_ptr_nonnull(make_tmpdir());
	path = write_file("vfio.conf", big, 0644);
	policy_init(&p);
	capture_start();
	ck_assert_int_eq(config_load(&p, path), -EFBIG);
	ck_assert_contains(capture_end(), "too large");
	policy_free(&p);
	unlink(path);
	free(path);
	free(big);
	rmdir(tmpdir);
}
END_TEST

/* Device lines carry a pinned identity and settings; [sriov], vfs, [access], preload. */
START_TEST(test_device_lines)
{
	struct policy p;
	char buf[PCI_ADDR_STRLEN];

	policy_init(&p);
	ck_assert_int_eq(parse(&p,
		"[binder]\n"
		"driver = auto\n"
		"preload = vendor-reset, other_mod\n"
		"preload = third\n"
		"[devices]\n"
		"device = 01:00.0 @ 10de:1b81 1458:3771 driver=pci_stub reset_method=bus\n"
		"device = 02:00.0@1002:744c\n"
		"device = 03:00.0 driver=auto\n"
		"vfs = 0000:04:00.0 @ 1b36:0010\n"
		"[sriov]\n"
		"0000:04:00.0 = 7\n"
		"0000:05:00.0 @ 8086:1572 = 0\n"
		"[access]\n"
		"owner = alice\n"
		"group = 994\n"
		"mode = 0640\n"), 0);
	ck_assert(p.auto_driver);
	ck_assert_str_eq(p.driver, "vfio-pci");
	ck_assert_str_eq(p.preload, "vendor-reset other_mod third");
	ck_assert_uint_eq(p.devices.n, 3);
	ck_assert(p.devices.v[0].pinned && p.devices.v[0].pinned_subsystem);
	ck_assert_uint_eq(p.devices.v[0].pin.vendor, 0x10de);
	ck_assert_uint_eq(p.devices.v[0].pin.device, 0x1b81);
	ck_assert_uint_eq(p.devices.v[0].pin_subsystem.vendor, 0x1458);
	ck_assert_uint_eq(p.devices.v[0].pin_subsystem.device, 0x3771);
	ck_assert_str_eq(p.devices.v[0].driver.driver, "pci-stub");
	ck_assert_int_eq(p.devices.v[0].reset, RESET_BUS);
	ck_assert(p.devices.v[1].pinned && !p.devices.v[1].pinned_subsystem);
	ck_assert_uint_eq(p.devices.v[1].pin.device, 0x744c);
	ck_assert_str_eq(p.devices.v[1].driver.driver, "");
	ck_assert(p.devices.v[2].driver.automatic);
	ck_assert_uint_eq(p.vfs.n, 1);
	ck_assert_str_eq(pci_addr_fmt(&p.vfs.v[0].addr, buf), "0000:04:00.0");
	ck_assert(p.vfs.v[0].pinned);
	ck_assert_uint_eq(p.sriov.n, 2);
	ck_assert_uint_eq(p.sriov.v[0].vfs, 7);
	ck_assert_uint_eq(p.sriov.v[1].vfs, 0);
	ck_assert(p.sriov.v[1].pinned);
	ck_assert_uint_eq(p.sriov.v[1].origin.line, 12);
	ck_assert_str_eq(p.owner, "alice");
	ck_assert_str_eq(p.group_owner, "994");
	ck_assert_uint_eq(p.mode_bits, 0640);
	policy_free(&p);
}
END_TEST

START_TEST(test_return_to_host)
{
	struct policy p;
	const struct policy_entry *e;
	struct pci_addr a;

	policy_init(&p);
	ck_assert(!p.return_to_host);
	ck_assert_int_eq(parse(&p,
		"[binder]\n"
		"return_to_host = yes\n"
		"[devices]\n"
		"device = 01:00.0 return_to_host=no   ; the guest's for good\n"
		"device = 02:00.0\treturn_to_host=yes\n"
		"device = 03:00.0\n"), 0);
	ck_assert(p.return_to_host);
	ck_assert_uint_eq(p.devices.n, 3);
	ck_assert_uint_eq(p.devices.v[0].return_to_host, SETTING_NO);
	ck_assert_uint_eq(p.devices.v[1].return_to_host, SETTING_YES);
	ck_assert_uint_eq(p.devices.v[2].return_to_host, SETTING_UNSET);
	/* the device line decides; without one, [binder] does */
	ck_assert_int_eq(pci_addr_parse("01:00.0", true, &a), 0);
	ck_assert(!policy_return_to_host(&p, &a, &e));
	ck_assert_uint_eq(e->origin.line, 4);
	ck_assert_int_eq(pci_addr_parse("02:00.0", true, &a), 0);
	ck_assert(policy_return_to_host(&p, &a, &e));
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(pci_addr_parse("03:00.0", true, &a), 0);
	ck_assert(policy_return_to_host(&p, &a, &e));
	ck_assert_ptr_null(e);
	ck_assert_int_eq(pci_addr_parse("04:00.0", true, &a), 0);
	ck_assert(policy_return_to_host(&p, &a, NULL));
	policy_free(&p);

	/* the default: nothing goes back */
	policy_init(&p);
	ck_assert_int_eq(parse(&p, "[devices]\ndevice = 01:00.0\n"), 0);
	ck_assert_int_eq(pci_addr_parse("01:00.0", true, &a), 0);
	ck_assert(!policy_return_to_host(&p, &a, &e));
	ck_assert_ptr_null(e);
	policy_free(&p);
}
END_TEST

START_TEST(test_device_line_errors)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[devices]\ndevice = 01:00.0 @ 10de\n", "vfio.conf:2: expected the vendor:device ID the function must have after '@'" },
		{ "[devices]\ndevice = 01:00.0 @ 10de:1b81 zz:zz\n", "vfio.conf:2: expected the subsystem ID (e.g. 1458:3771) after the ID, got 'zz:zz'" },
		{ "[devices]\ndevice = 01:00.0 colour=red\n", "vfio.conf:2: unknown key 'colour' for device 0000:01:00.0 (expected driver=, reset_method= or return_to_host=)" },
		{ "[devices]\ndevice = 01:00.0 reset_method=magic\n", "vfio.conf:2: unknown reset_method 'magic'" },
		{ "[devices]\ndevice = 01:00.0 driver=../x\n", "vfio.conf:2: invalid driver name '../x' for device 0000:01:00.0 (a module name, or auto)" },
		{ "[devices]\nexclude = 01:00.0 @ 10de:1b81\n", "vfio.conf:2: exclude takes an address only" },
		{ "[devices]\nexclude = 01:00.0 driver=pci-stub\n", "vfio.conf:2: unexpected 'driver=pci-stub' after the address 0000:01:00.0 (expected nothing)" },
		{ "[sriov]\n0000:04:00.0 = many\n", "vfio.conf:2: [sriov] 0000:04:00.0: the number of virtual functions must be 0 to 4096, got 'many'" },
		{ "[sriov]\n0000:04:00.0 = 5000\n", "must be 0 to 4096, got '5000'" },
		{ "[sriov]\n04:00.0\n", "vfio.conf:2: expected 'ADDRESS = NUMBER OF VFS' in [sriov], got '04:00.0'" },
		/* the '=' inside an inline comment, which inih strips: found by fuzz-conf (a crash) */
		{ "[sriov]\n04:00.0 ;= 2\n", "vfio.conf:2: expected 'ADDRESS = NUMBER OF VFS' in [sriov], got '04:00.0 ;= 2'" },
		{ "[sriov]\nzz = 2\n", "vfio.conf:2: invalid PCI address 'zz' for [sriov]" },
		{ "[access]\nowner = a b\n", "vfio.conf:2: invalid owner 'a b'" },
		{ "[access]\nmode = 0777\n", "vfio.conf:2: invalid mode '0777' for /dev/vfio/N" },
		{ "[access]\nowner = a\nowner = b\n", "vfio.conf:3: duplicate key 'owner' in [access]" },
		{ "[access]\nuser = a\n", "vfio.conf:2: unknown key 'user' in [access] (expected owner, group or mode)" },
		{ "[binder]\npreload = ../evil\n", "vfio.conf:2: invalid module name '../evil' for preload" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct policy p;
		const char *log;

		policy_init(&p);
		capture_start();
		ck_assert_int_eq(config_parse(&p, "vfio.conf", cases[i].text, strlen(cases[i].text)), -EINVAL);
		log = capture_end();
		ck_assert_msg(strstr(log, cases[i].msg), "case %zu: expected '%s' in:\n%s", i, cases[i].msg, log);
		policy_free(&p);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_return_to_host);
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof(errors) / sizeof(errors[0])));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_crlf_and_bom);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_missing_is_not_an_error);
	tcase_add_test(tc, test_load_directory);
	tcase_add_test(tc, test_load_world_writable);
	tcase_add_test(tc, test_device_lines);
	tcase_add_test(tc, test_device_line_errors);
	tcase_add_test(tc, test_load_unreadable);
	tcase_add_test(tc, test_load_too_large);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
