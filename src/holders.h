/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pciaddr.h"
#include "sysfs.h"

/*
 * Who holds a PCI function, looked for before it is unbound: an unbind
 * while a process has the device open waits for that process (nvidia,
 * vfio-pci) or takes the device from under it (a display server, a mounted
 * file system). Every file is read through the root-dirfd layer below the
 * sysfs, proc and dev roots, so tests point them at fake trees.
 *
 * What counts as holding a function:
 *  - a process with an open file on one of its device nodes: DRM card and
 *    render nodes (its drm/), ALSA nodes (its sound/card*), framebuffers
 *    (its graphics/fb*), /dev/nvidiaN when the nvidia driver has it, and for
 *    release /dev/vfio/GROUP and /dev/vfio/devices/vfioN. Matched by the
 *    path of PROC/PID/fd/N and, on the running system's /proc, by the
 *    device number of the file it opened (major:minor from sysfs);
 *  - the framebuffer console (vtcon*, fbcon) drawing on its framebuffer:
 *    the kernel drops it when the driver goes, so --force may skip it;
 *  - a mounted file system, a swap area or a stacked device (device
 *    mapper, md) on a block device below it;
 *  - a network interface below it that is up.
 * What cannot be read (another user's /proc/PID/fd) is a holder too: when
 * unsure, the host keeps the device.
 */

enum holder_kind {
	HOLDER_PROCESS,
	HOLDER_VTCON,
	HOLDER_MOUNT,
	HOLDER_SWAP,
	HOLDER_STACKED,
	HOLDER_NETDEV,
	HOLDER_UNKNOWN,	/* something that could not be read */
	HOLDER_KIND_COUNT
};

struct holder {
	enum holder_kind kind;
	struct pci_addr addr;	/* the function it holds */
	int pid;		/* a process: its PID, else 0 */
	char comm[64];		/* a process: PROC/PID/comm */
	char node[160];		/* /dev/dri/card0, /dev/nvme0n1p1, eth0, vtcon1, or what could not be read */
	char where[192];	/* a mount point, the stacked device, the framebuffer a console draws on */
	char fix[320];		/* the command that ends it */
	bool droppable;		/* the kernel drops it safely when the driver goes (vtcon): --force skips it */
};

struct holders {
	struct holder *v;
	size_t n;
};

struct holder_roots {
	const struct sysfs *sys, *proc, *dev;
	/*
	 * proc is the running system's /proc: an fd is also matched by the
	 * device number of what it opened (a container's /dev, a path through
	 * /dev/char). Never on a fake tree, whose links lead into this
	 * machine's /dev.
	 */
	bool proc_real;
};

struct holder_target {
	struct pci_addr addr;
	const char *driver;	/* bound now, "" for none */
	int iommu_group;	/* or < 0 */
	/*
	 * release: the holders of its VFIO group and device (/dev/vfio/N); else
	 * those of its native driver's nodes, consoles, mounts and interfaces.
	 */
	bool vfio;
};

/*
 * Looks for every holder of the n targets and adds them to ret. Returns 0,
 * or -ENOMEM; what cannot be read is a HOLDER_UNKNOWN entry, not an error.
 */
int holders_find(const struct holder_roots *r, const struct holder_target *t, size_t n, struct holders *ret);
void holders_free(struct holders *h);
/* "process", "vtcon", "mount", "swap", "stacked", "netdev", "unknown": the JSON key. */
const char *holder_kind_str(enum holder_kind k);
/* Whether root is the running system's directory path (stat: same device and inode). */
bool root_is(const struct sysfs *root, const char *path);
