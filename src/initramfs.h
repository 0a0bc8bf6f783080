/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Looking inside an initramfs image with the generator's own tools
 * (lsinitrd, lsinitramfs, lsinitcpio), run as child processes without a
 * shell. Nothing here writes to the image or next to it; the only write is
 * unmkinitramfs or lsinitcpio -x unpacking into a private temporary
 * directory (removed again) when lsinitrd is not there to print one file.
 */

enum initramfs_gen { GEN_UNKNOWN, GEN_DRACUT, GEN_INITRAMFS_TOOLS, GEN_MKINITCPIO };

const char *initramfs_gen_name(enum initramfs_gen g);
/* The command that rebuilds the image for kernel kver. */
const char *initramfs_gen_rebuild(enum initramfs_gen g, const char *kver, char *buf, size_t size);

struct image_listing {
	const char *tool;	/* "lsinitramfs", "lsinitrd" or "lsinitcpio" */
	char **names;		/* member paths, without "./" or a leading "/" */
	size_t n;
};

/* The first executable called name in $PATH, malloc'd; NULL when none. */
char *tool_find(const char *name);

/*
 * Runs argv (argv[0] a path) with stdin and stderr on /dev/null, in cwd
 * when not NULL, and returns what it printed (up to max bytes, the rest
 * read and dropped) in *out. Returns the exit status (0..255, 128+N for a
 * signal) or -errno when it could not be run.
 */
int spawn_capture(const char *const argv[], const char *cwd, size_t max, char **out, size_t *len);

/*
 * Lists image with the first lister installed, the generator's own first
 * (hint). -ENOENT: none of them is installed. Otherwise the lister's exit
 * status (> 0: it failed) or 0.
 */
int image_list(const char *image, enum initramfs_gen hint, struct image_listing *ret);
void image_listing_free(struct image_listing *l);
/* The member whose path is suffix or ends in "/" suffix; NULL when none. */
const char *image_find(const struct image_listing *l, const char *suffix);
/* A member in any directory whose file name starts with prefix (e.g. "vfio-pci.ko"). */
const char *image_find_file(const struct image_listing *l, const char *prefix);
/* Which generator built it, from what only that generator puts in. */
enum initramfs_gen image_generator(const struct image_listing *l);
/*
 * The bytes of one member: lsinitrd -f when dracut's lsinitrd is installed
 * (it reads every generator's images), else unmkinitramfs or lsinitcpio -x
 * into a temporary directory. Returns 0, -ENOENT when no tool can do it or
 * the member is not there, or another -errno.
 */
int image_extract(const char *image, const char *member, size_t max, char **data, size_t *len);
