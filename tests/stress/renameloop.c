// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * renameloop DIR: renames a file back and forth in DIR until killed. Any
 * rename anywhere in the system makes openat2(RESOLVE_BENEATH) walks through
 * ".." fail with EAGAIN while it runs (the kernel's rename_lock sequence
 * moved), which is what early boot does too. Prints how many renames it
 * made when it gets SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char *argv[])
{
	char a[4096], b[4096];
	unsigned long n = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "Usage: renameloop DIR\n");
		return 2;
	}
	snprintf(a, sizeof(a), "%s/a", argv[1]);
	snprintf(b, sizeof(b), "%s/b", argv[1]);
	f = fopen(a, "w");
	if (!f) {
		perror(a);
		return 1;
	}
	fclose(f);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop) {
		if (rename(a, b) < 0 || rename(b, a) < 0) {
			perror("rename");
			return 1;
		}
		n += 2;
	}
	printf("%lu renames\n", n);
	return 0;
}
