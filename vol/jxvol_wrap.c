/* Wrapper objects, shared file state, path helpers and the VOL 'wrap' class.
 *
 * The library asks a pass-through connector to wrap every object that the terminal connector
 * turns into a new hid_t behind our back (iteration callbacks, H5Dget_type on committed types,
 * external-link targets, f->vol_obj at POST_OPEN...). It builds a wrap context from the top
 * object of each API call and hands it to wrap_object. */
#include "jxvol_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- shared file state ------------------------------------------------------------------- */

jxvol_file_state *jxvol_fs_new(jaxon_validate_mode mode, hid_t under_vol_id, const char *filename,
                               int opened_existing)
{
    jxvol_file_state *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    fs->refcount = 1;
    fs->under_vol_id = H5I_INVALID_HID;
    fs->mode = mode;
    fs->opened_existing = opened_existing;
    if (filename && !(fs->filename = strdup(filename))) {
        free(fs);
        return NULL;
    }
    if (mode != JAXON_VALIDATE_OFF && jxvol_v_tracker_new(fs) < 0) {
        free(fs->filename);
        free(fs);
        return NULL;
    }
    if (H5Iinc_ref(under_vol_id) >= 0)
        fs->under_vol_id = under_vol_id;
    /* The native connector has no wrap callbacks: its wrap context is always NULL. */
    H5VL_class_value_t value = -1;
    if (fs->under_vol_id >= 0 && H5VLget_value(fs->under_vol_id, &value) >= 0 &&
        value == H5VL_NATIVE_VALUE) {
        fs->under_no_wrap = 1;
        fs->shared_ctx.under_vol_id = fs->under_vol_id;
        fs->shared_ctx.fs = fs;
    }
    return fs;
}

jxvol_file_state *jxvol_fs_ref(jxvol_file_state *fs)
{
    if (fs)
        fs->refcount++;
    return fs;
}

void jxvol_fs_unref(jxvol_file_state *fs)
{
    if (!fs || --fs->refcount > 0)
        return;
    jxvol_v_tracker_free(fs);
    if (fs->under_vol_id >= 0) {
        hid_t err = jxvol_stack_save(); /* may run on an error path */
        H5Idec_ref(fs->under_vol_id);
        jxvol_stack_restore(err);
    }
    free(fs->filename);
    free(fs);
}

/* ---- wrapper objects --------------------------------------------------------------------- */

jxvol_obj *jxvol_obj_new(void *under_obj, hid_t under_vol_id, H5I_type_t type,
                         jxvol_file_state *fs, const char *path)
{
    jxvol_obj *o = calloc(1, sizeof *o);
    if (!o || (path && !(o->path = strdup(path)))) {
        free(o);
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory wrapping an object");
        return NULL;
    }
    o->under_object = under_obj;
    o->under_vol_id = under_vol_id;
    o->type = type;
    o->npoints = -1;
    o->fs = jxvol_fs_ref(fs);
    if (!fs || fs->under_vol_id != under_vol_id) {
        /* H5Iinc_ref is a public API call and would clear the error stack; it cannot fail
         * for a registered connector id, and we only get here on success paths. */
        H5Iinc_ref(under_vol_id);
        o->owns_vol_ref = 1;
    }
    return o;
}

void jxvol_obj_free(jxvol_obj *o)
{
    if (!o)
        return;
    if (o->owns_vol_ref) {
        /* Runs on error paths too: H5Idec_ref is a public call that would wipe the messages
         * the application is about to see, so save and restore the stack around it. */
        hid_t err = jxvol_stack_save();
        H5Idec_ref(o->under_vol_id);
        jxvol_stack_restore(err);
    }
    jxvol_fs_unref(o->fs);
    if (!o->attr_name_in_path)
        free(o->attr_name);
    free(o->path);
    free(o);
}

/* ---- paths ------------------------------------------------------------------------------- */

/* Appends the components of name (split on '/', skipping empty and ".") to buf. */
static size_t append_components(char *buf, size_t len, const char *name)
{
    const char *p = name;
    while (*p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || (n == 1 && start[0] == '.'))
            continue;
        buf[len++] = '/';
        memcpy(buf + len, start, n);
        len += n;
    }
    return len;
}

char *jxvol_path_join(const char *parent, const char *name)
{
    if (!name)
        return NULL;
    if (name[0] != '/' && !parent)
        return NULL;
    const char *base = name[0] == '/' ? "" : parent;
    size_t cap = strlen(base) + strlen(name) + 3;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    /* Worst case every component gains one '/', bounded by strlen(base)+strlen(name)+1. */
    size_t len = append_components(buf, 0, base);
    len = append_components(buf, len, name);
    if (len == 0)
        buf[len++] = '/';
    buf[len] = '\0';
    return buf;
}

char *jxvol_loc_path(const jxvol_obj *o, const H5VL_loc_params_t *lp)
{
    if (!o || !o->path || !lp)
        return NULL;
    /* For attributes the wrapper's path is that of the object carrying it. */
    if (lp->type == H5VL_OBJECT_BY_SELF)
        return strdup(o->path);
    if (lp->type == H5VL_OBJECT_BY_NAME)
        return jxvol_path_join(o->path, lp->loc_data.loc_by_name.name);
    return NULL;
}

char *jxvol_child_path(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name)
{
    if (!name)
        return NULL;
    if (name[0] == '/')
        return jxvol_path_join("/", name);
    char *base = jxvol_loc_path(o, lp);
    char *path = jxvol_path_join(base, name);
    free(base);
    return path;
}

int jxvol_path_split(const char *path, char **parent, const char **name)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash || slash[1] == '\0')
        return -1;
    size_t plen = slash == path ? 1 : (size_t)(slash - path);
    char *p = malloc(plen + 1);
    if (!p)
        return -1;
    memcpy(p, path, plen);
    p[plen] = '\0';
    *parent = p;
    *name = slash + 1;
    return 0;
}

/* ---- the wrap class ---------------------------------------------------------------------- */

/* Returns the terminal object: the library unwraps ids through this for H5Fget_obj_count,
 * reference conversion and H5VLobject(), so it must recurse down the whole stack. */
void *jxvol_get_object(const void *obj)
{
    const jxvol_obj *o = obj;
    return H5VLget_object(o->under_object, o->under_vol_id);
}

herr_t jxvol_get_wrap_ctx(const void *obj, void **wrap_ctx)
{
    const jxvol_obj *o = obj;
    if (o->fs && o->fs->under_no_wrap && o->under_vol_id == o->fs->under_vol_id) {
        *wrap_ctx = &jxvol_fs_ref(o->fs)->shared_ctx;
        return 0;
    }
    jxvol_wrap_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory creating a wrap context");
        return -1;
    }
    if (H5VLget_wrap_ctx(o->under_object, o->under_vol_id, &ctx->under_wrap_ctx) < 0) {
        free(ctx);
        return -1;
    }
    ctx->under_vol_id = o->under_vol_id;
    ctx->fs = jxvol_fs_ref(o->fs);
    if (!ctx->fs || ctx->fs->under_vol_id != ctx->under_vol_id) {
        H5Iinc_ref(ctx->under_vol_id);
        ctx->owns_vol_ref = 1;
    }
    *wrap_ctx = ctx;
    return 0;
}

/* Wraps an object the terminal connector created: we do not know its path (NULL), but
 * validation can still look it up later through H5VL_OBJECT_GET_NAME if needed. */
void *jxvol_wrap_object(void *obj, H5I_type_t obj_type, void *wrap_ctx)
{
    jxvol_wrap_ctx *ctx = wrap_ctx;
    void *under = H5VLwrap_object(obj, obj_type, ctx->under_vol_id, ctx->under_wrap_ctx);
    if (!under)
        return NULL;
    jxvol_obj *o = jxvol_obj_new(under, ctx->under_vol_id, obj_type, ctx->fs, NULL);
    if (!o)
        H5VLunwrap_object(under, ctx->under_vol_id);
    return o;
}

void *jxvol_unwrap_object(void *obj)
{
    jxvol_obj *o = obj;
    void *under = H5VLunwrap_object(o->under_object, o->under_vol_id);
    if (under)
        jxvol_obj_free(o);
    return under;
}

herr_t jxvol_free_wrap_ctx(void *wrap_ctx)
{
    jxvol_wrap_ctx *ctx = wrap_ctx;
    herr_t ret = 0;
    if (ctx->fs && ctx == &ctx->fs->shared_ctx) {
        jxvol_fs_unref(ctx->fs);
        return 0;
    }
    /* Runs after every API call on our objects, also while an error is being reported. The
     * native connector has no wrap context, so in the common case nothing here calls HDF5;
     * otherwise keep the application's stack. */
    if (ctx->under_wrap_ctx || ctx->owns_vol_ref) {
        hid_t err = jxvol_stack_save();
        if (ctx->under_wrap_ctx && H5VLfree_wrap_ctx(ctx->under_wrap_ctx, ctx->under_vol_id) < 0)
            ret = -1;
        if (ctx->owns_vol_ref)
            H5Idec_ref(ctx->under_vol_id);
        jxvol_stack_restore(err);
    }
    jxvol_fs_unref(ctx->fs);
    free(ctx);
    return ret;
}
