/* Helpers shared by the connector tests: scratch file names, the error stack as text, and the
 * connector id / fapl for explicit stacking. Header-only: each test is one executable. */
#ifndef JAXON_VOL_TEST_UTIL_H
#define JAXON_VOL_TEST_UTIL_H

#include <hdf5.h>
#include <H5VLconnector_passthru.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "<JAXON_TEST_TMP>/<name>" in a static buffer (one at a time). */
static inline const char *tmp_path(const char *name)
{
    static char buf[4096];
    const char *dir = getenv("JAXON_TEST_TMP");
    snprintf(buf, sizeof buf, "%s/%s", dir && *dir ? dir : ".", name);
    return buf;
}

typedef struct err_text {
    char buf[8192];
    size_t len;
} err_text;

static inline herr_t err_walk_cb(unsigned n, const H5E_error2_t *e, void *ud)
{
    err_text *t = ud;
    char cls[64] = "", min[128] = "";
    H5Eget_class_name(e->cls_id, cls, sizeof cls);
    H5Eget_msg(e->min_num, NULL, min, sizeof min);
    int w = snprintf(t->buf + t->len, sizeof t->buf - t->len, "#%u [%s] %s: %s | %s\n", n, cls,
                     e->func_name ? e->func_name : "", e->desc ? e->desc : "", min);
    if (w > 0 && (size_t)w < sizeof t->buf - t->len)
        t->len += (size_t)w;
    return 0;
}

/* The current error stack as text (every frame: class, function, description, minor). The
 * stack is walked as a detached copy because the name lookups in the callback are API calls
 * that would clear the default stack mid-walk; it is put back afterwards. */
static inline const char *error_stack_text(err_text *t)
{
    t->len = 0;
    t->buf[0] = '\0';
    hid_t st = H5Eget_current_stack();
    if (st < 0)
        return t->buf;
    H5Ewalk2(st, H5E_WALK_DOWNWARD, err_walk_cb, t);
    H5Eset_current_stack(st);
    return t->buf;
}

/* Prints the ids still open (debugging aid for leak assertions). */
static inline void print_open_ids(void)
{
    hid_t ids[32];
    ssize_t n = H5Fget_obj_ids(H5F_OBJ_ALL, H5F_OBJ_ALL, 32, ids);
    for (ssize_t i = 0; i < n; i++) {
        char name[256] = "";
        H5Iget_name(ids[i], name, sizeof name);
        fprintf(stderr, "  open id %lld type %d name '%s' refs %d\n", (long long)ids[i],
                (int)H5Iget_type(ids[i]), name, H5Iget_ref(ids[i]));
    }
}

/* A fapl that stacks the jaxon connector (loaded as a plugin) with the given info string. */
static inline hid_t jaxon_fapl(const char *info_str)
{
    hid_t vol = H5VLregister_connector_by_name("jaxon", H5P_DEFAULT);
    if (vol < 0)
        return H5I_INVALID_HID;
    void *info = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (info_str && H5VLconnector_str_to_info(info_str, vol, &info) < 0) {
        H5Pclose(fapl);
        H5VLclose(vol);
        return H5I_INVALID_HID;
    }
    if (H5Pset_vol(fapl, vol, info) < 0) {
        H5Pclose(fapl);
        fapl = H5I_INVALID_HID;
    }
    if (info)
        H5VLfree_connector_info(vol, info);
    H5VLclose(vol);
    return fapl;
}

/* Name of the connector behind an id, in a static buffer. */
static inline const char *connector_name(hid_t id)
{
    static char name[64];
    name[0] = '\0';
    if (H5VLget_connector_name(id, name, sizeof name) < 0)
        return "(error)";
    return name;
}

/* The shell words that run h5dump ($JAXON_H5DUMP, quoted), or NULL if it is not set. In
 * sanitizer builds $JAXON_H5DUMP_PRELOAD names the ASan runtime: the installed h5dump is not
 * instrumented, and our instrumented plugin only loads into it with the runtime preloaded
 * (leak checks are off for h5dump itself, which is not ours). Static buffer. */
static inline const char *h5dump_command(void)
{
    static char buf[8192];
    const char *h5dump = getenv("JAXON_H5DUMP");
    const char *preload = getenv("JAXON_H5DUMP_PRELOAD");
    if (!h5dump || !*h5dump)
        return NULL;
    if (preload && *preload)
        snprintf(buf, sizeof buf, "LD_PRELOAD='%s' ASAN_OPTIONS=detect_leaks=0 '%s'", preload,
                 h5dump);
    else
        snprintf(buf, sizeof buf, "'%s'", h5dump);
    return buf;
}

/* Redirects stderr (fd 2) into a scratch file until stderr_capture_end, which returns what
 * was written (static buffer, truncated to 16 KiB). Not nestable. */
typedef struct stderr_capture {
    int saved_fd;
    char path[4096];
    char text[16384];
} stderr_capture;

static inline int stderr_capture_begin(stderr_capture *c, const char *name)
{
    snprintf(c->path, sizeof c->path, "%s", tmp_path(name));
    fflush(stderr);
    c->saved_fd = dup(2);
    int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (c->saved_fd < 0 || fd < 0)
        return -1;
    dup2(fd, 2);
    close(fd);
    return 0;
}

static inline const char *stderr_capture_end(stderr_capture *c)
{
    fflush(stderr);
    dup2(c->saved_fd, 2);
    close(c->saved_fd);
    c->text[0] = '\0';
    FILE *f = fopen(c->path, "r");
    if (f) {
        size_t n = fread(c->text, 1, sizeof c->text - 1, f);
        c->text[n] = '\0';
        fclose(f);
    }
    return c->text;
}

#endif /* JAXON_VOL_TEST_UTIL_H */
