// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libkmod.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "modload.h"

__attribute__((format(printf, 6, 0)))
static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	log_fullv(priority, format, args);
}

int modload(void *userdata, const char *module, const char *options, unsigned flags)
{
	struct kmod_ctx *ctx;
	struct kmod_list *list = NULL, *l;
	int r;

	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		log_error("module %s: libkmod cannot start (is /lib/modules/$(uname -r) there?)", module);
		return -ENOMEM;
	}
	kmod_set_log_fn(ctx, kmod_log, NULL);
	kmod_set_log_priority(ctx, log_get_max_level() >= LOG_DEBUG ? LOG_DEBUG : LOG_ERR);

	r = kmod_module_new_from_lookup(ctx, module, &list);
	if (r < 0) {
		log_error("module %s: lookup failed: %s", module, strerror(-r));
		goto out;
	}
	if (flags & MODLOAD_ALIAS) {
		struct kmod_list *allowed = NULL;

		if (!list) {
			log_info("%s: no module of the running kernel matches it", module);
			r = 1;
			goto out;
		}
		r = kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, list, &allowed);
		kmod_module_unref_list(list);
		list = allowed;
		if (r < 0) {
			log_error("%s: cannot apply the modprobe.d blacklist: %s", module, strerror(-r));
			goto out;
		}
		if (!list) {
			log_notice("%s: every module that matches it is blacklisted in modprobe.d: none loaded", module);
			r = 1;
			goto out;
		}
	}
	if (!list) {
		log_error("module %s: not found in the modules of the running kernel; "
			  "install it (or add it to the initramfs) or set driver = in /etc/vfio.conf", module);
		r = -ENOENT;
		goto out;
	}
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);
		int state = kmod_module_get_initstate(mod);
		int q;

		if (state == KMOD_MODULE_BUILTIN) {
			log_debug("module %s is built into the kernel", name);
			if (options)
				log_warning("module %s is built in: its options (%s) can only be given on the kernel command line, as %s.OPTION=VALUE",
					    name, options, name);
			kmod_module_unref(mod);
			continue;
		}
		/* Loaded already (rd.driver.pre, a softdep, an earlier run): its parameters are set. */
		if (state == KMOD_MODULE_LIVE && options)
			log_warning("module %s is already loaded, so the options of [options] (%s) do not apply: give them "
				    "on the kernel command line as %s.OPTION=VALUE (e.g. %s.disable_vga=1) or in an "
				    "'options %s ...' line in /etc/modprobe.d/ (rebuild the initramfs), and reboot",
				    name, options, name, name, name);
		q = kmod_module_probe_insert_module(mod, (flags & MODLOAD_IGNORE_INSTALL ? KMOD_PROBE_IGNORE_COMMAND : 0) |
							 (flags & MODLOAD_ALIAS ? KMOD_PROBE_APPLY_BLACKLIST : 0),
						    options, NULL, NULL, NULL);
		if (q == -EEXIST)
			q = 0;
		if (q < 0) {
			log_error("module %s: cannot load: %s", name, strerror(-q));
			r = q;
		} else {
			log_debug("module %s %s%s%s", name, state == KMOD_MODULE_LIVE ? "was loaded already" : "loaded",
				  options && state != KMOD_MODULE_LIVE ? " with " : "",
				  options && state != KMOD_MODULE_LIVE ? options : "");
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	list = NULL;
out:
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return r < 0 ? r : r == 1 ? 1 : 0;
}

int modload_none(void *userdata, const char *module, const char *options, unsigned flags)
{
	log_notice("not loading %s: %s is not the running kernel's sysfs", module, (const char *)userdata);
	return 1;
}
