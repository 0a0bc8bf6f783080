// SPDX-License-Identifier: GPL-2.0-or-later
/* mkfakesys TOPOLOGY DIR: build a fake sysfs tree for the quick start, tests and benchmarks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fakesys.h"

int main(int argc, char *argv[])
{
	int r;

	if (argc != 3) {
		fprintf(stderr, "Usage: mkfakesys TOPOLOGY DIR\n");
		return 2;
	}
	if (mkdir(argv[2], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkfakesys: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	r = fakesys_build_file(argv[1], argv[2]);
	if (r < 0) {
		fprintf(stderr, "mkfakesys: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	return 0;
}
