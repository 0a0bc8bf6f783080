// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfs.h"
#include "testutil.h"

/*
 * openat2() with RESOLVE_BENEATH fails with EAGAIN when a mount or rename
 * anywhere on the system races with a ".." of the walk, and every
 * bus/pci/devices link is "../../../devices/...". On a busy host (containers
 * starting, another test suite mounting) reads failed at random: "cannot
 * read its class (Resource temporarily unavailable)". Here a child mounts
 * and unmounts in a private namespace for the whole loop, and every read
 * must succeed. The mounts need CAP_SYS_ADMIN: without it the loop runs with
 * nothing racing, and says so if it fails.
 */
START_TEST(test_read_survives_concurrent_mounts)
{
	char *topo = topology_path("turing-4fn-amd-host"), *text = fakesys_read("/", topo);
	char *dir = fakesys_new_text(text), *mnt, buf[64];
	struct sysfs sfs = { .root_fd = -1 };
	int pipefd[2], failures = 0, reads = 5000;
	char ready = 0;
	pid_t child;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(sysfs_open(&sfs, dir), 0);
	ck_assert_int_ge(asprintf(&mnt, "%s.mnt", dir), 0);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		bool ok = unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;

		ready = ok ? 'm' : 'n';
		if (write(pipefd[1], &ready, 1) != 1 || !ok)
			_exit(0);
		for (;;)
			if (mount("none", mnt, "tmpfs", 0, NULL) == 0)
				umount(mnt);
	}
	ck_assert_int_eq(read(pipefd[0], &ready, 1), 1);
	for (int i = 0; i < reads; i++)
		if (sysfs_read(&sfs, "bus/pci/devices/0000:2d:00.0/class", buf, sizeof(buf)) < 0)
			failures++;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	rmdir(mnt);
	ck_assert_msg(failures == 0, "%d of %d reads failed (%s)", failures, reads,
		      ready == 'm' ? "mounts racing" : "no mounts racing: not root");
	ck_assert_str_eq(buf, "0x030000");
	sysfs_close(&sfs);
	fakesys_remove(dir);
	free(mnt);
	free(text);
	free(topo);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysfs");
	TCase *tc = tcase_create("openat2");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_read_survives_concurrent_mounts);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
