/* HDF5 plumbing for the extension: registering the connector, property lists, and the one
 * place where HDF5 error stacks become Python exceptions. */
#include "h5util.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <H5PLpublic.h>

#include "jaxon/vol.h"
#include "jxv.h"

hid_t jx_vol_id(JxState *st)
{
    if (st->vol_id >= 0)
        return st->vol_id;
    if (!st->vol_checked) {
        st->vol_checked = 1;
        /* Our package directory goes *after* HDF5_PLUGIN_PATH, so a plugin the user points
         * HDF5 at is the one used; registration by name then returns that same connector. */
        if (st->plugin_dir) {
            const char *dir = PyUnicode_AsUTF8(st->plugin_dir);
            if (!dir)
                return -1;
            if (H5PLappend(dir) < 0) {
                jx_raise_h5(st->JaxonError, "cannot add %s to the HDF5 plugin path", dir);
                return -1;
            }
        }
        st->vol_id = H5VLregister_connector_by_name(JAXON_VOL_NAME, H5P_DEFAULT);
    }
    if (st->vol_id < 0) {
        jx_raise_h5(st->JaxonError,
                    "the jaxon VOL connector plugin (libjaxon_vol.so) could not be loaded from "
                    "HDF5_PLUGIN_PATH or %S", st->plugin_dir ? st->plugin_dir : Py_None);
        return -1;
    }
    return st->vol_id;
}

/* Info for the bridge's own files: report=none, because the Python library reports through
 * its exceptions only (the connector's stderr lines are for people running HDF5 tools). When
 * HDF5_VOL_CONNECTOR already selects jaxon, its info (e.g. validate=warn) is kept with
 * report=none put in front; otherwise jaxon is stacked on native with validate=strict. The
 * connector writes report only when it is none, so the prefix never repeats the key. */
static herr_t set_silent_vol(hid_t fapl, hid_t vol, int env_is_jaxon, int for_load)
{
    char own[64];
    char *env_str = NULL, *text = own;
    if (env_is_jaxon) {
        void *env_info = NULL;
        if (H5Pget_vol_info(fapl, &env_info) < 0)
            return -1;
        herr_t rc = env_info ? H5VLconnector_info_to_str(env_info, vol, &env_str) : 0;
        if (env_info)
            H5VLfree_connector_info(vol, env_info);
        if (rc < 0)
            return -1;
        const char *s = env_str ? env_str : "";
        const char *r = strstr(s, "report=none;"), *u = strstr(s, "under_vol=");
        if (r && (!u || r < u)) {
            H5free_memory(env_str);
            return 0; /* already silent */
        }
        size_t n = strlen(s) + sizeof "report=none;";
        if (!(text = malloc(n))) {
            H5free_memory(env_str);
            return -1;
        }
        snprintf(text, n, "report=none;%s", s);
        H5free_memory(env_str);
    } else {
        /* Loads skip the connector's whole-file check at open: the loader checks every
         * name and value it reads and names the location of what it rejects, and a
         * second full walk would cost more than the load itself. Writes stay strict. */
        snprintf(own, sizeof own, "%s",
                 for_load ? "validate=strict;open_check=off;report=none"
                          : "validate=strict;report=none");
    }
    void *info = NULL;
    herr_t rc = H5VLconnector_str_to_info(text, vol, &info);
    if (text != own)
        free(text);
    if (rc < 0)
        return -1;
    rc = H5Pset_vol(fapl, vol, info);
    H5VLfree_connector_info(vol, info);
    return rc;
}

hid_t jx_make_fapl(JxState *st, int for_load, int in_memory, const void *image,
                   size_t image_len)
{
    hid_t vol = jx_vol_id(st);
    if (vol < 0)
        return -1;
    hid_t fapl = -1, def_vol = -1;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        goto error;
    if (H5Pget_vol_id(fapl, &def_vol) < 0)
        goto error;
    {
        int cmp = 1;
        if (H5VLcmp_connector_cls(&cmp, def_vol, vol) < 0)
            goto error;
        if (set_silent_vol(fapl, vol, cmp == 0, for_load) < 0)
            goto error;
    }
    H5VLclose(def_vol);
    def_vol = -1;
    /* Low bound 1.8 (2008): every object header is version 2, so a group whose attribute
     * creation order cannot be tracked (more than 65,535 children) still gets dense
     * B-tree attribute storage; with version-1 headers HDF5 keeps a list (quadratic to
     * fill), and forcing the new format per group corrupts such groups in 1.14.5. */
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) < 0)
        goto error;
    if (in_memory) {
        if (H5Pset_fapl_core(fapl, 1 << 20, 0) < 0)
            goto error;
        if (image && H5Pset_file_image(fapl, (void *)(uintptr_t)image, image_len) < 0)
            goto error;
    }
    return fapl;
error:
    if (def_vol >= 0)
        H5VLclose(def_vol);
    if (fapl >= 0)
        H5Pclose(fapl);
    jx_raise_h5(st->JaxonError, "cannot set up HDF5 file access");
    return -1;
}

static herr_t set_creation_order(hid_t plist)
{
    if (H5Pset_link_creation_order(plist, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0)
        return -1;
    if (H5Pset_attr_creation_order(plist, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0)
        return -1;
    /* no timestamps: the same pytree gives the same bytes */
    return H5Pset_obj_track_times(plist, 0);
}

hid_t jx_make_fcpl(void)
{
    hid_t p = H5Pcreate(H5P_FILE_CREATE);
    if (p >= 0 && set_creation_order(p) < 0) {
        H5Pclose(p);
        p = -1;
    }
    return p;
}

hid_t jx_make_gcpl(void)
{
    hid_t p = H5Pcreate(H5P_GROUP_CREATE);
    if (p >= 0 && set_creation_order(p) < 0) {
        H5Pclose(p);
        p = -1;
    }
    return p;
}

/* ---- error translation ---------------------------------------------------------------- */

/* HDF5 errors that say something about the operating system rather than the file: raised as
 * the OSError subclass a Python user expects, whatever class the caller asked for. */
typedef struct OsErrorEntry {
    hid_t *minor;       /* HDF5 minor error code (a library global, hence the pointer) */
    int err;            /* errno of the OSError */
    const char *what;   /* what it means for the user */
} OsErrorEntry;

static const OsErrorEntry os_error_table[] = {
    {&H5E_CANTLOCKFILE_g, EWOULDBLOCK,
     "the file is locked by another process that has it open (HDF5 file locking); close it "
     "there first"},
};

/* The connector's error class, from jaxon_vol_error_class in the plugin HDF5 loaded (its
 * frames are told apart by class id, never by the class name any library could register).
 * Looked up in the process's loaded objects until found: the plugin is loaded at most once
 * per process, like this cache. */
static hid_t (*connector_error_class)(void);

static int find_plugin(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *name = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    if (!name || strcmp(name + 1, "libjaxon_vol.so") != 0)
        return 0;
    void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (h)
        *(void **)data = dlsym(h, "jaxon_vol_error_class"); /* h stays open, as the plugin */
    return 1;
}

static hid_t our_error_class(void)
{
    if (!connector_error_class) {
        void *fn = NULL;
        dl_iterate_phdr(find_plugin, &fn);
        connector_error_class = (hid_t(*)(void))fn;
    }
    return connector_error_class ? connector_error_class() : H5I_INVALID_HID;
}

typedef struct ErrWalk {
    hid_t our_cls;          /* the connector's error class */
    char rule[40];          /* the first violated rule reported by the connector */
    char rule_path[512];    /* and its HDF5 path */
    const OsErrorEntry *os; /* the first frame found in os_error_table */
    int os_errno;           /* the first "errno = N" a frame reports (a failed system call) */
    char ours[1024];  /* first message pushed by the jaxon connector (or validator) */
    char inner[512];  /* innermost library description */
    char outer[512];  /* outermost (API) description */
    int frames;
} ErrWalk;

static int is_rule(const char *name)
{
    for (int r = 0; r < JXV_RULE__COUNT; r++)
        if (strcmp(name, jxv_rule_name((jxv_rule)r)) == 0)
            return 1;
    return 0;
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *ud)
{
    ErrWalk *w = ud;
    const char *desc = e->desc ? e->desc : "";
    for (size_t i = 0; !w->os && i < sizeof os_error_table / sizeof os_error_table[0]; i++)
        if (e->min_num == *os_error_table[i].minor)
            w->os = &os_error_table[i];
    const char *en = w->os_errno ? NULL : strstr(desc, "errno = ");
    if (en)
        w->os_errno = atoi(en + 8);
    int ours = w->our_cls >= 0 && e->cls_id == w->our_cls;
    char minor[64] = "";
    if (ours && H5Eget_msg(e->min_num, NULL, minor, sizeof minor) > 0 && is_rule(minor)) {
        /* a rule frame: its minor message is the rule's name, its description the path */
        if (!w->rule[0]) {
            snprintf(w->rule, sizeof w->rule, "%s", minor);
            snprintf(w->rule_path, sizeof w->rule_path, "%s", desc);
        }
        return 0;
    }
    if (ours) {
        size_t len = strlen(w->ours);
        if (len == 0)
            snprintf(w->ours, sizeof w->ours, "%s", desc);
        else if (len + 3 < sizeof w->ours && !strstr(w->ours, desc))
            snprintf(w->ours + len, sizeof w->ours - len, "; %s", desc);
    }
    if (w->frames == 0)
        snprintf(w->outer, sizeof w->outer, "%s", desc);
    snprintf(w->inner, sizeof w->inner, "%s", desc);
    w->frames++;
    return 0;
}

static PyObject *raise_v(PyObject *exc_type, const char *fmt, va_list ap)
{
    ErrWalk w;
    memset(&w, 0, sizeof w);
    w.our_cls = our_error_class();
    if (getenv("JAXON_DEBUG_H5"))
        H5Eprint2(H5E_DEFAULT, stderr);
    /* Walk a copy: H5Eget_class_name in the callback is an API call that would clear the
     * thread's current stack under our feet. Taking the copy also clears it. */
    hid_t stack = H5Eget_current_stack();
    if (stack >= 0) {
        H5Ewalk2(stack, H5E_WALK_UPWARD, walk_cb, &w);
        H5Eclose_stack(stack);
    }
    if (PyErr_Occurred())
        return NULL; /* an exception raised inside a callback wins */
    PyObject *msg = PyUnicode_FromFormatV(fmt, ap);
    if (!msg)
        return NULL;
    if (w.os) {
        PyObject *args = Py_BuildValue("(iN)", w.os->err,
                                       PyUnicode_FromFormat("%U: %s", msg, w.os->what));
        Py_DECREF(msg);
        if (args) {
            PyErr_SetObject(PyExc_OSError, args); /* OSError(errno, ...) picks the subclass */
            Py_DECREF(args);
        }
        return NULL;
    }
    if (w.os_errno > 0 && !w.ours[0]) {
        /* a failed system call (ENOSPC, EIO, EACCES, ...): OSError with its errno */
        PyObject *args = Py_BuildValue("(iN)", w.os_errno,
                                       PyUnicode_FromFormat("%U: %s", msg, strerror(w.os_errno)));
        Py_DECREF(msg);
        if (args) {
            PyErr_SetObject(PyExc_OSError, args);
            Py_DECREF(args);
        }
        return NULL;
    }
    const char *detail = w.ours[0] ? w.ours : (w.inner[0] ? w.inner : NULL);
    if (detail) {
        PyObject *full = w.ours[0] || !w.outer[0] || strcmp(w.outer, w.inner) == 0
                             ? PyUnicode_FromFormat("%U: %s", msg, detail)
                             : PyUnicode_FromFormat("%U: %s (%s)", msg, w.outer, w.inner);
        Py_DECREF(msg);
        if (!full)
            return NULL;
        msg = full;
    }
    if (!w.rule[0]) {
        PyErr_SetObject(exc_type, msg);
        Py_DECREF(msg);
        return NULL;
    }
    /* the connector refused the file or the write: the rule and path as attributes */
    PyObject *inst = PyObject_CallOneArg(exc_type, msg);
    Py_DECREF(msg);
    PyObject *rule = inst ? PyUnicode_FromString(w.rule) : NULL;
    PyObject *path = rule ? PyUnicode_DecodeUTF8(w.rule_path, (Py_ssize_t)strlen(w.rule_path),
                                                 "backslashreplace")
                          : NULL;
    if (path && PyObject_SetAttrString(inst, "rule", rule) == 0 &&
        PyObject_SetAttrString(inst, "path", path) == 0)
        PyErr_SetObject((PyObject *)Py_TYPE(inst), inst);
    Py_XDECREF(inst);
    Py_XDECREF(rule);
    Py_XDECREF(path);
    return NULL;
}

PyObject *jx_raise_h5(PyObject *exc_type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_v(exc_type, fmt, ap);
    va_end(ap);
    return NULL;
}

int jx_raise_h5_int(PyObject *exc_type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_v(exc_type, fmt, ap);
    va_end(ap);
    return -1;
}

PyObject *jx_connector_name(hid_t obj_id)
{
    char name[64] = "";
    if (H5VLget_connector_name(obj_id, name, sizeof name) < 0)
        return jx_raise_h5(PyExc_RuntimeError, "cannot read the connector name");
    return PyUnicode_FromString(name);
}
