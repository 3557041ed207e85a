/* Which libhdf5 loaded the plugin.
 *
 * The plugin is linked to the libhdf5 it was built against (libhdf5.so.310 of HDF5 1.14). A
 * process whose HDF5 is another copy (the h5py wheel bundles its own libhdf5 under a mangled
 * soname) still finds the plugin through HDF5_PLUGIN_PATH, and loading it drags our libhdf5 in
 * as a second, uninitialised library. Every callback would then hand the host's ids to our
 * copy ("H5Pget_vol_info(): not a property list") and the host fails on every file.
 *
 * Serving another HDF5 would need every HDF5 call resolved from the host library instead
 * (as hdf5plugin's filters do) and the host's VOL structures to match ours; instead the plugin
 * refuses before anything of ours runs. H5PLget_plugin_info then hands the host a refusing
 * class (jxvol_refusing_class, below) instead of NULL: HDF5 2.0.0 crashes at the first file
 * open whenever the connector named by HDF5_VOL_CONNECTOR cannot be loaded (with any name,
 * measured in docs/connector.md), so with NULL a misconfigured h5py would die with SIGSEGV.
 * The refusing class is the same struct (H5VL_VERSION, which the host checks before using
 * it) and calls no HDF5 function at all: every file open or create through it fails, and
 * the first one (or the first info string) says why on stderr, once.
 *
 * The check only compares addresses (dladdr, dlsym) and reads the host's version string: it
 * calls no HDF5 function, so our libhdf5 stays uninitialised (it has no constructors; HDF5
 * initialises on its first API call) and the host's error stack is left as it was. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include "jxvol_internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef herr_t (*libversion_fn)(unsigned *, unsigned *, unsigned *);

/* H5get_libversion as found from the object containing addr (searching it, then its
 * dependencies), or NULL. dlsym gives the definition's own address, never a PLT stub, so two
 * lookups that reach the same libhdf5 compare equal. *fname gets the object's path. */
static libversion_fn libversion_seen_from(const void *addr, const char **fname)
{
    Dl_info di;
    *fname = NULL;
    if (!addr || !dladdr(addr, &di) || !di.dli_fname || !di.dli_fname[0])
        return NULL;
    *fname = di.dli_fname;
    void *h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return NULL; /* e.g. the main program, which dlopen does not know by its path */
    libversion_fn f = (libversion_fn)dlsym(h, "H5get_libversion");
    dlclose(h); /* RTLD_NOLOAD took a reference on an object that stays loaded */
    return f;
}

/* What the refusing class says, once per process; empty until a foreign host is seen. */
static struct {
    char line[1024];
    int said;
} jxvol_foreign = {"", 0};

static void say_foreign(void)
{
    if (jxvol_foreign.line[0] && !jxvol_foreign.said) {
        jxvol_foreign.said = 1;
        jxvol_say("%s", jxvol_foreign.line);
    }
}

/* ---- the refusing class: no HDF5 call of ours (or of the host's) anywhere ---------------- */

static void *refusing_info_copy(const void *info)
{
    (void)info;
    return malloc(1);
}

static herr_t refusing_info_cmp(int *cmp_value, const void *a, const void *b)
{
    (void)a;
    (void)b;
    *cmp_value = 0;
    return 0;
}

static herr_t refusing_info_free(void *info)
{
    free(info);
    return 0;
}

static herr_t refusing_info_from_str(const char *str, void **info)
{
    (void)str;
    say_foreign(); /* HDF5_VOL_CONNECTOR names us: the process means to use the connector */
    *info = malloc(1);
    return *info ? 0 : -1;
}

static void *refusing_file_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id,
                                  hid_t dxpl_id, void **req)
{
    (void)name, (void)flags, (void)fcpl_id, (void)fapl_id, (void)dxpl_id, (void)req;
    say_foreign();
    return NULL;
}

static void *refusing_file_open(const char *name, unsigned flags, hid_t fapl_id, hid_t dxpl_id,
                                void **req)
{
    (void)name, (void)flags, (void)fapl_id, (void)dxpl_id, (void)req;
    say_foreign();
    return NULL;
}

static herr_t refusing_file_specific(void *obj, H5VL_file_specific_args_t *args, hid_t dxpl_id,
                                     void **req)
{
    (void)obj, (void)dxpl_id, (void)req;
    /* Also the host's probe of every plugin after a failed open. Failing it (rather than
     * answering "not accessible") keeps the application's own error: HDF5 2.0.0 drops what it
     * pushed for a failed probe, but reports a plain "open failed" after a negative answer
     * (a missing file would no longer raise FileNotFoundError in h5py). */
    if (args->op_type == H5VL_FILE_IS_ACCESSIBLE)
        *args->args.is_accessible.accessible = 0;
    return -1;
}

static herr_t refusing_cap_flags(const void *info, uint64_t *cap_flags)
{
    (void)info;
    *cap_flags = H5VL_CAP_FLAG_NONE;
    return 0;
}

static const H5VL_class_t jxvol_refusing_class = {
    .version = H5VL_VERSION,
    .value = JAXON_VOL_VALUE,
    .name = JAXON_VOL_NAME,
    .cap_flags = H5VL_CAP_FLAG_NONE,
    .info_cls = {.size = 1,
                 .copy = refusing_info_copy,
                 .cmp = refusing_info_cmp,
                 .free = refusing_info_free,
                 .from_str = refusing_info_from_str},
    .file_cls = {.create = refusing_file_create,
                 .open = refusing_file_open,
                 .specific = refusing_file_specific},
    .introspect_cls = {.get_cap_flags = refusing_cap_flags},
};

const H5VL_class_t *jxvol_host_class(const void *caller, const H5VL_class_t *ours_cls)
{
    /* jxvol_foreign is written under the host library's lock (plugin loading and every
     * callback happen inside one of its API calls). */
    const char *host_file = NULL, *plugin_file = NULL;
    libversion_fn theirs = libversion_seen_from(caller, &host_file);
    libversion_fn ours = libversion_seen_from((const void *)&jxvol_host_class, &plugin_file);
    if (!theirs || !ours || theirs == ours)
        return ours_cls; /* the same library, or cannot tell: go on as a plugin does */
    if (!jxvol_foreign.line[0]) {
        /* The host's version from its version string (H5_lib_vers_info_g, exported by every
         * libhdf5 since 1.8): calling its H5get_libversion would be a public API call, which
         * clears the application's error stack (a missing file would no longer report
         * "No such file" in the host's probe of every plugin after a failed open). */
        char host[64] = "another HDF5";
        const char *vers = NULL;
        void *h = host_file ? dlopen(host_file, RTLD_LAZY | RTLD_NOLOAD) : NULL;
        if (h) {
            vers = (const char *)dlsym(h, "H5_lib_vers_info_g");
            dlclose(h);
        }
        const char *v = vers ? strstr(vers, "version: ") : NULL;
        if (v)
            snprintf(host, sizeof host, "HDF5 %.40s", v + strlen("version: "));
        Dl_info oi;
        const char *our_lib = dladdr((const void *)ours, &oi) && oi.dli_fname ? oi.dli_fname : "?";
        snprintf(jxvol_foreign.line, sizeof jxvol_foreign.line,
                 "the jaxon VOL connector plugin is built for HDF5 %d.%d.%d (%.300s) but this "
                 "process uses %s (%.300s); no file can be opened through it (use an h5py "
                 "built against HDF5 %d.%d.%d, see docs/connector.md)",
                 H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE, our_lib, host,
                 host_file ? host_file : "?", H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
    }
    return &jxvol_refusing_class;
}
