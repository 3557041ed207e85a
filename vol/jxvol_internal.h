/* Internal declarations shared by the jaxon VOL connector's source files.
 *
 * The connector is a pass-through: every object the library hands us is a jxvol_obj that
 * wraps the under connector's object. Each .c file implements one VOL class and exports its
 * sub-table (jxvol_attr_cls, ...); jxvol_main.c assembles them into the H5VL_class_t.
 * Names shared between files use the jxvol_ prefix; nothing here is exported from the .so.
 */
#ifndef JXVOL_INTERNAL_H
#define JXVOL_INTERNAL_H

#include <hdf5.h>
#include <H5VLconnector.h>
#include <H5VLconnector_passthru.h>
#include <H5VLnative.h>

#include <stddef.h>

#include "jaxon/vol.h"
#include "jxv.h"

/* ---- connector state ---------------------------------------------------------------------- */

/* Connector info: what the info string / H5Pset_vol describes. */
typedef struct jxvol_info {
    jaxon_validate_mode mode;
    int open_check;       /* validate the whole layout of existing files when they are opened */
    int report;           /* 1: say violations on stderr (report=stderr), 0: report=none */
    hid_t under_vol_id;   /* one reference held by this info */
    void *under_vol_info; /* owned; freed with H5VLfree_connector_info */
    /* Not NULL: HDF5_VOL_CONNECTOR gave a string that cannot be parsed ("'<string>': <why>",
     * owned). HDF5 would fall back to native when from_str fails there, so the info stands
     * in for the connector and every file access through it fails, naming the bad part. */
    char *bad;
} jxvol_info;

/* State of one open file, shared (refcounted) by the file wrapper and every object wrapper
 * opened in it, so that the tracker outlives the file id while objects are still open. */
typedef struct jxvol_wrap_ctx {
    hid_t under_vol_id; /* a reference of its own only if owns_vol_ref, as in jxvol_obj */
    int owns_vol_ref;
    void *under_wrap_ctx;
    struct jxvol_file_state *fs; /* one reference, or NULL */
} jxvol_wrap_ctx;

typedef struct jxvol_file_state {
    unsigned refcount;
    /* The under connector has no wrap callbacks (native): every wrap context of this file is
     * the same, so get_wrap_ctx hands out shared_ctx (one file-state reference each) instead
     * of allocating one and asking the under connector, once per API call on our objects. */
    int under_no_wrap;
    jxvol_wrap_ctx shared_ctx;
    hid_t under_vol_id; /* one reference, shared by every wrapper of this file (see jxvol_obj) */
    /* The under connector's class, for calling its hot callbacks directly (see
     * jxvol_under_cls); NULL when unknown or when it lacks one of them. */
    const H5VL_class_t *under_cls;
    jaxon_validate_mode mode;
    int report;           /* 1: violations are also said on stderr (report=stderr) */
    jxv_tracker *tracker; /* NULL when mode == OFF */
    jxv_type_memo types;  /* recent datatype descriptions (only with a tracker) */
    char *filename;       /* as given to H5Fcreate/H5Fopen */
    int opened_existing;  /* 1: H5Fopen (checked by file_open), 0: H5Fcreate */
    int writable;         /* created, or opened read-write: annotations may be written */
    int dirty;            /* tracker events since the last whole-tree check */
    int refused;          /* a strict refusal was reported to the application */
    int finish_reported;  /* the last whole-tree check found violations and reported them */
    int comments;         /* the under connector takes object comments: 1 yes, -1 no, 0 not asked */
    unsigned annotate_failures; /* comments that failed since the last warning */
    /* The under close failed (e.g. ENOSPC at the final flush). HDF5 keeps the file id and
     * closes it again at library shutdown, when the under file is half torn down: nothing
     * but that retried close may touch it (no checks, no annotations). */
    int close_failed;
    /* Integrity records the application set, written with the annotations
     * (jxvol_records.c; NULL until the first one). */
    struct jxvol_records *records;
} jxvol_file_state;

/* The wrapper around an under-connector object. */
typedef struct jxvol_obj {
    void *under_object;
    /* The under connector. Its reference is normally the file state's: an H5Iinc_ref and
     * H5Idec_ref per wrapper are public calls (global lock, API context), a large part of
     * the connector's cost per object. Only a wrapper without a matching file state holds
     * its own reference (owns_vol_ref). */
    hid_t under_vol_id;
    int owns_vol_ref;
    H5I_type_t type;    /* H5I_FILE, H5I_GROUP, ... or H5I_BADID when unknown */
    /* Absolute HDF5 path, or NULL when not known (anonymous objects, objects that reached us
     * through wrap_object). For attributes: the path of the object the attribute is on. */
    char *path;
    char *attr_name;          /* attributes only: the attribute's name */
    int attr_name_in_path;    /* attr_name lives in path's allocation (after its NUL) */
    /* Attributes only, what attr_write needs without asking HDF5 again: */
    long long npoints;        /* elements of the dataspace given at create, -1 unknown */
    int v_skip;               /* the tracker ignored the create, so it ignores the writes */
    jxvol_file_state *fs;     /* one reference, or NULL */
} jxvol_obj;

/* Wrap context (jxvol_wrap_ctx, above): what wrap_object needs to make a jxvol_obj out of
 * an under object. */

/* ---- error reporting (jxvol_main.c) ------------------------------------------------------ */

/* Our error class and messages; valid between initialize and terminate. */
hid_t jxvol_err_class(void);
hid_t jxvol_err_major(void);      /* "Jaxon VOL connector" */
hid_t jxvol_err_min_args(void);   /* bad argument / malformed info string */
hid_t jxvol_err_min_layout(void); /* Jaxon layout violation */
hid_t jxvol_err_min_nomem(void);  /* out of memory */
hid_t jxvol_err_min_under(void);  /* under connector mismatch or failure */

/* How many more messages we may push on the default error stack (0 when full). HDF5 1.14.5
 * holds 32 entries per stack (H5E_NSLOTS, not public) and drops a push to a full stack
 * without freeing what H5Epush2 copied or releasing the message ids it referenced: memory
 * leaks and the library later fails to shut down ("infinite loop closing library", fixed
 * upstream in HDFGroup/hdf5 PR #6607). A stack fills when an application makes many failing
 * calls without a clearing API call in between. JXVOL_ERR_RESERVED slots are left for the
 * frames the library pushes after our callback returns. */
#define JXVOL_ERR_SLOTS 32
#define JXVOL_ERR_RESERVED 8
size_t jxvol_err_room(void);

/* Keeping the application's error stack across our own cleanup calls (public calls clear
 * the stack on entry): jxvol_stack_save returns a saved copy, or H5I_INVALID_HID when the
 * stack is empty (the common case: copying it registers an id, which on every wrapper free
 * and every API call's wrap context was the connector's largest per-call cost), and
 * jxvol_stack_restore puts the stack back exactly (an empty stack stays empty). */
hid_t jxvol_stack_save(void);
void jxvol_stack_restore(hid_t saved);

/* Pushes one message with our class, if the stack has room. No other HDF5 API call that
 * clears the stack may follow before returning (H5Eget_num does not clear it). */
#define JXVOL_PUSH(min, ...)                                                                  \
    do {                                                                                      \
        if (jxvol_err_room() > 0)                                                             \
            H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, jxvol_err_class(),            \
                     jxvol_err_major(), (min), __VA_ARGS__);                                  \
    } while (0)

/* ---- what people see on stderr (jxvol_say.c) ----------------------------------------------
 *
 * Every line starts with "jaxon: ". A violation is jaxon-validate's line behind that prefix:
 *     jaxon: <file>: <path>: [<rule>] <message>: «<text>»
 * Nothing is said for files opened with report=none (the Python bridge reports through
 * exceptions only). HDF5's tools hide the error stack and retry a refused open with other
 * connectors, so stderr is the only place a person running them sees the violations. */
void jxvol_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void jxvol_say_violation(const char *filename, const jxv_violation *v);
/* 1 the first time in this process that a report about this file (same device, inode, size
 * and modification time; the name when it cannot be stat'ed) is asked for, 0 afterwards: a
 * tool that opens a file several times shows its violations once. */
int jxvol_say_first_for_file(const char *filename);
/* "jaxon: bad info string '<str>': <why>[; <consequence>]", once per string. */
void jxvol_say_bad_info(const char *str, const char *why, const char *consequence);
/* H5PLget_plugin_info's check (jxvol_host.c): ours_cls when the libhdf5 that calls the plugin
 * (the object holding caller) is the one the plugin is linked to; otherwise a class that
 * refuses every file and says why on stderr once, naming both versions. Calls nothing in our
 * libhdf5. */
const H5VL_class_t *jxvol_host_class(const void *caller, const H5VL_class_t *ours_cls);

/* ---- objects (jxvol_wrap.c) -------------------------------------------------------------- */

/* New wrapper for under_obj; takes a reference on fs, and on under_vol_id unless fs holds it.
 * path is copied (may be NULL). Returns NULL with an error pushed if out of memory. */
jxvol_obj *jxvol_obj_new(void *under_obj, hid_t under_vol_id, H5I_type_t type,
                         jxvol_file_state *fs, const char *path);
/* Frees the wrapper (not the under object); keeps the HDF5 error stack intact. */
void jxvol_obj_free(jxvol_obj *o);

/* Path helpers: join parent + relative name into a normalised absolute path (drops empty and
 * "." components; an absolute name replaces the parent). Returns malloc'd text or NULL (no
 * parent path known, or out of memory). */
char *jxvol_path_join(const char *parent, const char *name);
/* The absolute path of the object a loc_params names relative to o (BY_SELF: o's path;
 * BY_NAME: joined). NULL if unknown. malloc'd. */
char *jxvol_loc_path(const jxvol_obj *o, const H5VL_loc_params_t *lp);
/* The absolute path of name relative to the location lp names from o; NULL when unknown
 * (no name, as for anonymous objects, or no known location path). malloc'd. */
char *jxvol_child_path(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name);
/* Split an absolute path into its parent (malloc'd) and its last component (pointer into
 * path). Returns -1 for "/" or on allocation failure. */
int jxvol_path_split(const char *path, char **parent, const char **name);

/* Shared per-file state. */
/* under_vol_id: the state takes one reference of its own. */
jxvol_file_state *jxvol_fs_new(jaxon_validate_mode mode, hid_t under_vol_id, const char *filename,
                               int opened_existing);
jxvol_file_state *jxvol_fs_ref(jxvol_file_state *fs);
void jxvol_fs_unref(jxvol_file_state *fs);

/* ---- the unwrap → call → wrap helper (jxvol_forward.c) ------------------------------------ */

/* The class of o's under connector when its callbacks may be called directly, else NULL (then
 * the caller goes through the public H5VL<class>_<op> entry). Each such entry is a public
 * call (global lock, connector id lookup, function stack) around one call of the under
 * class's callback; our callbacks always run inside an API call that holds the lock, and on
 * the attribute path these entries were ~4% of a native attribute's cost. Only for objects
 * of the file state's under connector, whose class the state found at open (and holds a
 * reference on through under_vol_id). */
static inline const H5VL_class_t *jxvol_under_cls(const jxvol_obj *o)
{
    return o->fs && o->under_vol_id == o->fs->under_vol_id ? o->fs->under_cls : NULL;
}
/* Looks up the class of the under connector of a file just created/opened (fs->under_cls);
 * leaves it NULL, and the error stack as it was, when that fails or a hot callback is
 * missing. */
void jxvol_fs_find_under_cls(jxvol_file_state *fs, void *under_file);

/* Wraps the result of a create/open call made on parent's under object; on wrap failure the
 * under object is closed again so nothing leaks. path may be NULL. */
void *jxvol_wrap_result(void *under_result, const jxvol_obj *parent, H5I_type_t type,
                        char *path_owned, hid_t dxpl_id);
/* Closes an under object of the given type (used on error paths). */
void jxvol_close_under(void *under, hid_t under_vol_id, H5I_type_t type, hid_t dxpl_id);

/* ---- info (jxvol_info.c) ----------------------------------------------------------------- */

/* Parses "validate=..;under_vol=..;under_info={..}" (own options in any order before
 * under_vol). On failure pushes an error naming the problem and returns -1. */
int jxvol_info_parse(const char *str, jxvol_info **out);
/* Serialises info into a malloc'd string that jxvol_info_parse reads back. */
int jxvol_info_format(const jxvol_info *info, char **out);
/* Reads our info from a fapl (NULL info: native below, validate=strict). Caller frees with
 * jxvol_info_release. */
int jxvol_info_from_fapl(hid_t fapl_id, jxvol_info **out);
void jxvol_info_release(jxvol_info *info);
const char *jxvol_mode_name(jaxon_validate_mode mode);

/* ---- validation bridge (jxvol_validate.c) ------------------------------------------------- */

/* Creates fs->tracker (0, or -1 when out of memory) / frees it. */
/* One minor error message per layout rule (its text is the rule's stable name, e.g.
 * "index-order"), so that a program reading our frames off the error stack learns the rule
 * from the message id, not from prose. Created with the error class, closed with it. */
int jxvol_v_rule_msgs_create(hid_t cls);
void jxvol_v_rule_msgs_close(void);
int jxvol_v_tracker_new(jxvol_file_state *fs);
void jxvol_v_tracker_free(jxvol_file_state *fs);
/* Each returns 0 to go on, -1 to refuse (strict mode: error pushed, caller returns at once).
 * All are no-ops when the object has no file state, the mode is off or a path is unknown. */
int jxvol_v_group_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name);
int jxvol_v_dataset_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name,
                           hid_t type_id, hid_t space_id);
int jxvol_v_datatype_commit(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name);
/* attr_create also tells what the attribute's writes need (*npoints: elements of the
 * dataspace, -1 unknown; *skip: 1 when the tracker ignores this attribute's values). */
int jxvol_v_attr_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name,
                        hid_t type_id, hid_t space_id, long long *npoints, int *skip);
int jxvol_v_attr_write(const jxvol_obj *attr, hid_t mem_type_id, const void *buf);
int jxvol_v_attr_rename(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *old_name,
                        const char *new_name);
int jxvol_v_attr_delete(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name);
int jxvol_v_link_create(const H5VL_link_create_args_t *args, const jxvol_obj *o,
                        const H5VL_loc_params_t *lp, const jxvol_obj *curr);
int jxvol_v_link_move(const jxvol_obj *src, const H5VL_loc_params_t *lp1, const jxvol_obj *dst,
                      const H5VL_loc_params_t *lp2, int is_copy);
int jxvol_v_object_copy(const jxvol_obj *src, const H5VL_loc_params_t *lp1, const char *src_name,
                        const jxvol_obj *dst, const H5VL_loc_params_t *lp2, const char *dst_name);
int jxvol_v_link_delete(const jxvol_obj *o, const H5VL_loc_params_t *lp);
/* After forwarding an attribute create/write or a group/dataset create (ok: it succeeded):
 * annotates the object the event completed, when o's under object (of type obj_type) is that
 * object or holds its node's attribute. Best effort, keeps the error stack. */
void jxvol_v_annotate_completed(const jxvol_obj *o, int ok, H5I_type_t obj_type, hid_t dxpl_id);
/* jxvol_records.c (validation build only): put keeps the record (JXV_RECORD_CAP bytes at
 * most) of the object at path (normalised, absolute), replacing an earlier one; 0 or -1
 * when out of memory. take: the record of path, marked merged (the caller writes it with
 * the annotation), or NULL. flush: merge(path, record) for every record not merged yet
 * (merge returns 0 when it wrote it). free: at the end of the file state. */
typedef struct jxvol_records jxvol_records;
int jxvol_records_put(jxvol_file_state *fs, const char *path, const char *record);
const char *jxvol_records_take(jxvol_file_state *fs, const char *path);
void jxvol_records_flush(jxvol_file_state *fs, int (*merge)(const char *path, const char *record,
                                                            void *ud),
                         void *ud);
void jxvol_records_free(jxvol_file_state *fs);
/* An object 'optional' call the connector handles itself (returns 1, result in *ret):
 * a comment that starts with an integrity record (spec §12) is kept with the object's
 * annotation (jxvol_records.c). 0: forward it unchanged. */
int jxvol_v_object_optional(const jxvol_obj *o, const H5VL_loc_params_t *lp,
                            H5VL_optional_args_t *args, hid_t dxpl_id, herr_t *ret);
/* At flush (at_close 0) and close (1): the whole-tree rules and the annotations (object
 * comments). At flush, once the root attribute is written, strict mode returns -1 with the
 * violations pushed. At close it never fails: violations not reported before are printed on
 * stderr and noted in the comment on "/" (a failed close would leave the file id alive). */
int jxvol_v_file_finish(jxvol_obj *file, hid_t dxpl_id, int at_close);
/* Whole-file check of an existing file, run by file_open right after the under connector
 * opened it. fapl_id is the application's fapl (naming this connector), scratch_fapl a copy
 * the check may change, info our info for this open. Strict: -1 with the violations pushed;
 * the caller then closes the under file and fails the open. Warn: violations on stderr, 0. */
/* probe_only: no check, only whether the file holds a Jaxon tree (for a file opened for
 * writing with open_check=off). *layout gets 0 (not a Jaxon file, or not known), 1 (v1.2.0)
 * or 2 (v2.x). */
int jxvol_v_check_existing(const char *filename, unsigned flags, hid_t fapl_id, hid_t scratch_fapl,
                           const jxvol_info *info, int probe_only, int *layout);
/* A file opened for writing held a Jaxon tree of that layout (1 or 2): see jxv_tracker_seal. */
void jxvol_v_seal(jxvol_file_state *fs, int layout);

/* ---- callbacks, one group per VOL class and file ----------------------------------------- */
/* jxvol_main.c lists them in the class table; a static initialiser cannot copy sub-tables
 * defined in other files, so each file exports its functions rather than a table. */

/* jxvol_info.c */
void *jxvol_info_copy(const void *info);
herr_t jxvol_info_cmp(int *cmp_value, const void *info1, const void *info2);
herr_t jxvol_info_free(void *info);
herr_t jxvol_info_to_str(const void *info, char **str);
herr_t jxvol_info_from_str(const char *str, void **info);

/* jxvol_wrap.c */
void *jxvol_get_object(const void *obj);
herr_t jxvol_get_wrap_ctx(const void *obj, void **wrap_ctx);
void *jxvol_wrap_object(void *obj, H5I_type_t obj_type, void *wrap_ctx);
void *jxvol_unwrap_object(void *obj);
herr_t jxvol_free_wrap_ctx(void *wrap_ctx);

/* jxvol_attr.c */
void *jxvol_attr_create(void *obj, const H5VL_loc_params_t *loc_params, const char *attr_name,
                        hid_t type_id, hid_t space_id, hid_t acpl_id, hid_t aapl_id, hid_t dxpl_id,
                        void **req);
void *jxvol_attr_open(void *obj, const H5VL_loc_params_t *loc_params, const char *attr_name,
                      hid_t aapl_id, hid_t dxpl_id, void **req);
herr_t jxvol_attr_read(void *attr, hid_t mem_type_id, void *buf, hid_t dxpl_id, void **req);
herr_t jxvol_attr_write(void *attr, hid_t mem_type_id, const void *buf, hid_t dxpl_id, void **req);
herr_t jxvol_attr_get(void *obj, H5VL_attr_get_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_attr_specific(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_attr_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_attr_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_attr_close(void *attr, hid_t dxpl_id, void **req);

/* jxvol_dataset.c */
void *jxvol_dataset_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                           hid_t lcpl_id, hid_t type_id, hid_t space_id, hid_t dcpl_id,
                           hid_t dapl_id, hid_t dxpl_id, void **req);
void *jxvol_dataset_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                         hid_t dapl_id, hid_t dxpl_id, void **req);
herr_t jxvol_dataset_read(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                          hid_t file_space_id[], hid_t dxpl_id, void *buf[], void **req);
herr_t jxvol_dataset_write(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                           hid_t file_space_id[], hid_t dxpl_id, const void *buf[], void **req);
herr_t jxvol_dataset_get(void *obj, H5VL_dataset_get_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_dataset_specific(void *obj, H5VL_dataset_specific_args_t *args, hid_t dxpl_id,
                              void **req);
herr_t jxvol_dataset_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_dataset_close(void *dset, hid_t dxpl_id, void **req);

/* jxvol_datatype.c */
void *jxvol_datatype_commit(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                            hid_t type_id, hid_t lcpl_id, hid_t tcpl_id, hid_t tapl_id,
                            hid_t dxpl_id, void **req);
void *jxvol_datatype_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                          hid_t tapl_id, hid_t dxpl_id, void **req);
herr_t jxvol_datatype_get(void *obj, H5VL_datatype_get_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_datatype_specific(void *obj, H5VL_datatype_specific_args_t *args, hid_t dxpl_id,
                               void **req);
herr_t jxvol_datatype_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_datatype_close(void *dt, hid_t dxpl_id, void **req);

/* jxvol_file.c */
void *jxvol_file_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id,
                        hid_t dxpl_id, void **req);
void *jxvol_file_open(const char *name, unsigned flags, hid_t fapl_id, hid_t dxpl_id, void **req);
herr_t jxvol_file_get(void *obj, H5VL_file_get_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_file_specific(void *obj, H5VL_file_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_file_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_file_close(void *file, hid_t dxpl_id, void **req);

/* jxvol_group.c */
void *jxvol_group_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                         hid_t lcpl_id, hid_t gcpl_id, hid_t gapl_id, hid_t dxpl_id, void **req);
void *jxvol_group_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                       hid_t gapl_id, hid_t dxpl_id, void **req);
herr_t jxvol_group_get(void *obj, H5VL_group_get_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_group_specific(void *obj, H5VL_group_specific_args_t *args, hid_t dxpl_id,
                            void **req);
herr_t jxvol_group_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_group_close(void *grp, hid_t dxpl_id, void **req);

/* jxvol_link.c */
herr_t jxvol_link_create(H5VL_link_create_args_t *args, void *obj,
                         const H5VL_loc_params_t *loc_params, hid_t lcpl_id, hid_t lapl_id,
                         hid_t dxpl_id, void **req);
herr_t jxvol_link_copy(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
                       const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id,
                       hid_t dxpl_id, void **req);
herr_t jxvol_link_move(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
                       const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id,
                       hid_t dxpl_id, void **req);
herr_t jxvol_link_get(void *obj, const H5VL_loc_params_t *loc_params, H5VL_link_get_args_t *args,
                      hid_t dxpl_id, void **req);
herr_t jxvol_link_specific(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_link_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_link_optional(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_optional_args_t *args, hid_t dxpl_id, void **req);

/* jxvol_object.c */
void *jxvol_object_open(void *obj, const H5VL_loc_params_t *loc_params, H5I_type_t *opened_type,
                        hid_t dxpl_id, void **req);
herr_t jxvol_object_copy(void *src_obj, const H5VL_loc_params_t *loc_params1, const char *src_name,
                         void *dst_obj, const H5VL_loc_params_t *loc_params2, const char *dst_name,
                         hid_t ocpypl_id, hid_t lcpl_id, hid_t dxpl_id, void **req);
herr_t jxvol_object_get(void *obj, const H5VL_loc_params_t *loc_params,
                        H5VL_object_get_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_object_specific(void *obj, const H5VL_loc_params_t *loc_params,
                             H5VL_object_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t jxvol_object_optional(void *obj, const H5VL_loc_params_t *loc_params,
                             H5VL_optional_args_t *args, hid_t dxpl_id, void **req);

/* jxvol_introspect.c */
herr_t jxvol_introspect_get_conn_cls(void *obj, H5VL_get_conn_lvl_t lvl,
                                     const H5VL_class_t **conn_cls);
herr_t jxvol_introspect_get_cap_flags(const void *info, uint64_t *cap_flags);
herr_t jxvol_introspect_opt_query(void *obj, H5VL_subclass_t cls, int opt_type, uint64_t *flags);

/* jxvol_blob.c */
herr_t jxvol_blob_put(void *obj, const void *buf, size_t size, void *blob_id, void *ctx);
herr_t jxvol_blob_get(void *obj, const void *blob_id, void *buf, size_t size, void *ctx);
herr_t jxvol_blob_specific(void *obj, void *blob_id, H5VL_blob_specific_args_t *args);
herr_t jxvol_blob_optional(void *obj, void *blob_id, H5VL_optional_args_t *args);

/* jxvol_token.c */
herr_t jxvol_token_cmp(void *obj, const H5O_token_t *token1, const H5O_token_t *token2,
                       int *cmp_value);
herr_t jxvol_token_to_str(void *obj, H5I_type_t obj_type, const H5O_token_t *token,
                          char **token_str);
herr_t jxvol_token_from_str(void *obj, H5I_type_t obj_type, const char *token_str,
                            H5O_token_t *token);

/* jxvol_optional.c: the catch-all 'optional' callback */
herr_t jxvol_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);

/* jxvol_main.c: the class itself. */
const H5VL_class_t *jxvol_get_class(void);

#endif /* JXVOL_INTERNAL_H */
