// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * floor: the least any program must do to apply policy = boot_vga on this
 * tree: list /sys/bus/pci/devices and read the class of every function
 * (3D controllers have no boot_vga file, so the class is the only way to
 * find every GPU), nothing else. Not a peer: timed next to them, it shows
 * how much faster than the others any correct binder could possibly be.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	char path[300], buf[64];
	unsigned display = 0;

	if (!d)
		return 1;
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/class", de->d_name);
		fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* "0x03": display class, what the policy is after */
		if (read(fd, buf, sizeof(buf)) >= 4 && buf[2] == '0' && buf[3] == '3')
			display++;
		close(fd);
	}
	closedir(d);
	printf("%u display functions\n", display);
	return 0;
}
