// SPDX-License-Identifier: GPL-2.0-or-later
/* The boot record: written as the format says, read back, refused when damaged. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "runtime.h"
#include "sysfs.h"
#include "testutil.h"

static char *dir;

static void setup(void)
{
	ck_assert_int_ge(asprintf(&dir, "%s/vfio-binder-record.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	fakesys_remove(dir);
	dir = NULL;
}

static struct pci_addr addr(const char *s)
{
	struct pci_addr a;

	ck_assert_int_eq(pci_addr_parse(s, false, &a), 0);
	return a;
}

static void put(const char *rel, const char *content)
{
	char *path;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, rel), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	free(path);
}

static mode_t mode_of(const char *rel)
{
	char *path;
	struct stat st;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, rel), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	free(path);
	return st.st_mode & 07777;
}

static int read_back(struct boot_record *rec, char *err, size_t size)
{
	struct sysfs run = { .root_fd = -1 };
	int r;

	ck_assert_int_eq(sysfs_open(&run, dir), 0);
	r = record_read(&run, rec, err, size);
	sysfs_close(&run);
	return r;
}

START_TEST(test_write_format)
{
	struct boot_record rec = { .time = 1767225600 };
	struct pci_addr a = addr("0000:01:00.0"), b = addr("0000:01:00.1"), c = addr("0000:02:00.0");
	char *text, *conf;
	mode_t old = umask(077);

	put("vfio.conf", "[binder]\npolicy = boot_vga\n");
	ck_assert_int_ge(asprintf(&conf, "%s/vfio.conf", dir), 0);
	ck_assert_int_eq(record_set_config(&rec, conf, true), 0);
	ck_assert_int_eq(record_add(&rec, &a, "vfio-pci", RECORD_BOUND), 0);
	ck_assert_int_eq(record_add(&rec, &b, "vfio-pci", RECORD_FAILED), 0);
	ck_assert_int_eq(record_add(&rec, &c, "vfio-pci", RECORD_SKIPPED), 0);
	ck_assert_int_eq(record_write(dir, &rec, NULL, 0), 0);
	umask(old);

	text = fakesys_read(dir, "vfio-binder/boot");
	ck_assert_ptr_nonnull(text);
	{
		char *want;

		ck_assert_int_ge(asprintf(&want,
					  "version 1\ntime 1767225600\nconfig %s present\n"
					  "function 0000:01:00.0 vfio-pci bound\n"
					  "function 0000:01:00.1 vfio-pci failed\n"
					  "function 0000:02:00.0 vfio-pci skipped",
					  conf),
				 0);
		ck_assert_str_eq(text, want);
		free(want);
	}
	free(text);
	text = fakesys_read(dir, "vfio-binder/boot.conf");
	ck_assert_str_eq(text, "[binder]\npolicy = boot_vga");
	free(text);
	/* 0755 and 0644 whatever the umask; no temporary file left */
	ck_assert_int_eq(mode_of("vfio-binder"), 0755);
	ck_assert_int_eq(mode_of("vfio-binder/boot"), 0644);
	ck_assert_int_eq(mode_of("vfio-binder/boot.conf"), 0644);
	{
		char *snap = fakesys_snapshot(dir);

		ck_assert_not_contains(snap, ".tmp");
		free(snap);
	}
	record_free(&rec);
	free(conf);
}
END_TEST

START_TEST(test_round_trip)
{
	struct boot_record rec = { .time = 42 }, back;
	struct pci_addr a = addr("0001:2d:00.3");
	char err[256] = "";

	ck_assert_int_eq(record_set_config(&rec, "/etc/my vfio.conf", true), 0);
	ck_assert_int_eq(record_add(&rec, &a, "pci-stub", RECORD_BOUND), 0);
	/* the caller's bytes, not the file: bind hands over what it parsed */
	ck_assert_int_eq(record_write(dir, &rec, "abc\0def", 7), 0);
	ck_assert_int_eq(read_back(&back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.version, 1);
	ck_assert_int_eq(back.time, 42);
	ck_assert_str_eq(back.config, "/etc/my vfio.conf");
	ck_assert(back.config_present);
	ck_assert_uint_eq(back.n, 1);
	ck_assert(pci_addr_eq(&back.v[0].addr, &a));
	ck_assert_str_eq(back.v[0].driver, "pci-stub");
	ck_assert_int_eq(back.v[0].outcome, RECORD_BOUND);
	ck_assert_uint_eq(back.config_copy_len, 7);
	ck_assert_mem_eq(back.config_copy, "abc\0def", 7);
	record_free(&back);

	/* No configuration at the next write: boot.conf goes. */
	rec.config_present = false;
	ck_assert_int_eq(record_write(dir, &rec, NULL, 0), 0);
	ck_assert_int_eq(read_back(&back, err, sizeof(err)), 0);
	ck_assert(!back.config_present);
	ck_assert_ptr_null(back.config_copy);
	record_free(&back);
	record_free(&rec);
}
END_TEST

START_TEST(test_write_failure_is_a_warning)
{
	struct boot_record rec = { .time = 1 };
	char *missing;
	const char *log;

	ck_assert_int_ge(asprintf(&missing, "%s/no-such-run", dir), 0);
	capture_start();
	ck_assert_int_eq(record_write(missing, &rec, NULL, 0), -ENOENT);
	log = capture_end();
	ck_assert_contains(log, "cannot write the boot record to ");
	ck_assert_contains(log, "No such file or directory; the binding is not affected");

	/* A configuration that cannot be read for the copy: no record at all, rather than a wrong one. */
	ck_assert_int_eq(record_set_config(&rec, missing, true), 0);
	capture_start();
	ck_assert_int_lt(record_write(dir, &rec, NULL, 0), 0);
	log = capture_end();
	ck_assert_contains(log, "for a copy");
	{
		char *text = fakesys_read(dir, "vfio-binder/boot");

		ck_assert_ptr_null(text);
	}
	record_free(&rec);
	free(missing);
}
END_TEST

START_TEST(test_read_missing)
{
	struct boot_record back;
	char err[256];

	ck_assert_int_eq(read_back(&back, err, sizeof(err)), -ENOENT);
}
END_TEST

START_TEST(test_read_bad)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "time 1\nversion 1\n", "vfio-binder/boot:1: the record does not start with 'version'" },
		{ "version 1\nfunction 01:00.0 vfio-pci bound\n", "vfio-binder/boot:2: not a valid record line" },
		{ "version 1\nfunction 0000:01:00.0 vfio-pci maybe\n", "vfio-binder/boot:2: not a valid record line" },
		{ "version 1\nfunction 0000:01:00.0 ../x bound\n", "vfio-binder/boot:2: not a valid record line" },
		{ "version 1\nconfig /etc/vfio.conf\n", "vfio-binder/boot:2: not a valid record line" },
		{ "version 1\ntime -5\n", "vfio-binder/boot:2: not a valid record line" },
		{ "version 2\n", "record version 2, newer than this vfio-binder reads (1)" },
		{ "", "empty record" },
	};

	char *d;

	ck_assert_int_ge(asprintf(&d, "%s/vfio-binder", dir), 0);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	free(d);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct boot_record back;
		char err[512] = "";

		put("vfio-binder/boot", cases[i].text);
		ck_assert_int_lt(read_back(&back, err, sizeof(err)), 0);
		ck_assert_contains(err, cases[i].msg);
	}
}
END_TEST

START_TEST(test_read_unknown_keys)
{
	struct boot_record back;
	char err[256];

	{
		char *d;

		ck_assert_int_ge(asprintf(&d, "%s/vfio-binder", dir), 0);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		free(d);
	}
	/* Later versions may add lines: a reader of version 1 skips what it does not know. */
	put("vfio-binder/boot", "version 1\nkernel 6.1.0\ntime 7\n\nfunction 0000:01:00.0 vfio-pci bound\n");
	ck_assert_int_eq(read_back(&back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.time, 7);
	ck_assert_uint_eq(back.n, 1);
	ck_assert_ptr_null(back.config);
	record_free(&back);
}
END_TEST

static int runtime_back(struct runtime *rt, char *err, size_t size)
{
	struct sysfs run = { .root_fd = -1 };
	int r;

	ck_assert_int_eq(sysfs_open(&run, dir), 0);
	r = runtime_read(&run, rt, err, size);
	sysfs_close(&run);
	return r;
}

/* The runtime record: one line per function, its last change; the command kept whole. */
START_TEST(test_runtime_round_trip)
{
	struct runtime rt = { 0 }, back = { 0 };
	struct pci_addr a = addr("0000:2d:00.1"), b = addr("0000:01:00.0"), c = addr("0000:01:00.1");
	char err[256] = "", *text;

	ck_assert_int_eq(runtime_set(&rt, &a, RUNTIME_RESERVED, 100, "vfio-pci", "reserve 0000:2d:00.0"), 0);
	ck_assert_int_eq(runtime_set(&rt, &b, RUNTIME_RESERVED, 101, "vfio-pci", "reserve --force 0000:01:00.0"), 0);
	/* the last change of a function replaces its line */
	ck_assert_int_eq(runtime_set(&rt, &b, RUNTIME_RELEASED, 102, "", "release --configured 0000:01:00.0\nforged 1"), 0);
	ck_assert_int_eq(runtime_set(&rt, &c, RUNTIME_RELEASED, 103, "snd_hda_intel", "release 0000:01:00.0"), 0);
	ck_assert_int_eq(runtime_write(dir, &rt), 0);
	text = fakesys_read(dir, "vfio-binder/runtime");
	ck_assert_str_eq(text,
			 "version 1\n"
			 "function 0000:01:00.0 released 102 - release --configured 0000:01:00.0 forged 1\n"
			 "function 0000:01:00.1 released 103 snd_hda_intel release 0000:01:00.0\n"
			 "function 0000:2d:00.1 reserved 100 vfio-pci reserve 0000:2d:00.0");
	free(text);
	ck_assert_uint_eq(mode_of("vfio-binder/runtime"), 0644);
	ck_assert_int_eq(runtime_back(&back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 3);
	ck_assert(runtime_is_released(&back, &b));
	ck_assert(runtime_is_released(&back, &c));
	ck_assert(!runtime_is_released(&back, &a));
	ck_assert(!runtime_is_released(NULL, &a));
	ck_assert_str_eq(runtime_find(&back, &b)->driver, "");
	ck_assert_str_eq(runtime_find(&back, &c)->driver, "snd_hda_intel");
	ck_assert_str_eq(runtime_find(&back, &b)->command, "release --configured 0000:01:00.0 forged 1");
	ck_assert_int_eq(runtime_find(&back, &a)->time, 100);
	runtime_free(&back);
	runtime_free(&rt);
}
END_TEST

START_TEST(test_runtime_read_bad)
{
	static const struct {
		const char *text, *err;
		int r;
	} cases[] = {
		{ "", "empty record", -EINVAL },
		{ "function 0000:01:00.0 reserved 1 vfio-pci x\n", "runtime:1: not a valid record line", -EINVAL },
		{ "version 2\n", "record version newer than this vfio-binder reads (1)", -EPROTONOSUPPORT },
		{ "version 1\nfunction 0000:01:00.0 taken 1 vfio-pci x\n", "runtime:2: not a valid record line", -EINVAL },
		{ "version 1\nfunction 01:00.0 reserved 1 vfio-pci x\n", "runtime:2:", -EINVAL },
		{ "version 1\nfunction 0000:01:00.0 reserved -1 vfio-pci x\n", "runtime:2:", -EINVAL },
		{ "version 1\nfunction 0000:01:00.0 reserved 1 ../x x\n", "runtime:2:", -EINVAL },
		{ "version 1\nfunction 0000:01:00.0 reserved 1 vfio-pci\n", "runtime:2:", -EINVAL },
	};
	struct runtime rt;
	char err[256];

	ck_assert_int_eq(runtime_back(&rt, err, sizeof(err)), -ENOENT);
	{
		char *d;

		ck_assert_int_ge(asprintf(&d, "%s/vfio-binder", dir), 0);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		free(d);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		err[0] = '\0';
		put("vfio-binder/runtime", cases[i].text);
		ck_assert_int_eq(runtime_back(&rt, err, sizeof(err)), cases[i].r);
		ck_assert_contains(err, cases[i].err);
		ck_assert_uint_eq(rt.n, 0);
	}
	/* later versions may add keys: skipped */
	put("vfio-binder/runtime", "version 1\nowner root\nfunction 0000:01:00.0 reserved 5 vfio-pci reserve 0000:01:00.0\n");
	ck_assert_int_eq(runtime_back(&rt, err, sizeof(err)), 0);
	ck_assert_uint_eq(rt.n, 1);
	runtime_free(&rt);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_format);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_write_failure_is_a_warning);
	tcase_add_test(tc, test_read_missing);
	tcase_add_test(tc, test_read_bad);
	tcase_add_test(tc, test_read_unknown_keys);
	tcase_add_test(tc, test_runtime_round_trip);
	tcase_add_test(tc, test_runtime_read_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
