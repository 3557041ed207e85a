/* The bridge between the VOL callbacks and the jxv layout validator.
 *
 * Callbacks call a jxvol_v_* function *before* forwarding, so a refused operation leaves
 * nothing to undo. Each one works out absolute paths from our wrappers, feeds the tracker and
 * then applies the file's validation mode to the report:
 *   strict: every violation is pushed on the HDF5 error stack with our class, and the caller
 *           returns its failure value at once (no other HDF5 API call may follow a push,
 *           because public calls clear the stack);
 *   warn:   violations are printed on stderr and the operation goes on;
 *   off:    the file state has no tracker and nothing is checked.
 * Objects whose path we do not know (reached through iteration or tokens) are looked up with
 * H5VL_OBJECT_GET_NAME; anonymous objects have none, and their events are left to the link
 * that later names them. */
#include "jxvol_internal.h"
#include "jxv_tags.h"

#include "jxv_integrity.h"
#include "jxv_internal.h" /* path helpers for the integrity records */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jxvol_v_tracker_new(jxvol_file_state *fs)
{
    jxv_type_memo_init(&fs->types);
    fs->tracker = jxv_tracker_new();
    return fs->tracker ? 0 : -1;
}

void jxvol_v_tracker_free(jxvol_file_state *fs)
{
    jxvol_records_free(fs);
    if (!fs->tracker)
        return;
    hid_t err = jxvol_stack_save(); /* closing the type copies is a public call */
    jxv_type_memo_clear(&fs->types);
    jxvol_stack_restore(err);
    jxv_tracker_free(fs->tracker);
    fs->tracker = NULL;
}

static jxv_tracker *tracker_of(const jxvol_obj *o)
{
    if (!o || !o->fs || o->fs->mode == JAXON_VALIDATE_OFF)
        return NULL;
    return o->fs->tracker;
}


/* ---- one error message per rule -------------------------------------------------------- */

static hid_t rule_msgs[JXV_RULE__COUNT];
static int rule_msgs_made;

int jxvol_v_rule_msgs_create(hid_t cls)
{
    for (int r = 0; r < JXV_RULE__COUNT; r++) {
        rule_msgs[r] = H5Ecreate_msg(cls, H5E_MINOR, jxv_rule_name((jxv_rule)r));
        if (rule_msgs[r] < 0) {
            rule_msgs_made = r;
            jxvol_v_rule_msgs_close();
            return -1;
        }
    }
    rule_msgs_made = JXV_RULE__COUNT;
    return 0;
}

void jxvol_v_rule_msgs_close(void)
{
    for (int r = 0; r < rule_msgs_made; r++)
        H5Eclose_msg(rule_msgs[r]);
    rule_msgs_made = 0;
}

static hid_t rule_msg(jxv_rule rule)
{
    return (int)rule < rule_msgs_made ? rule_msgs[rule] : jxvol_err_min_layout();
}

/* Asks the under connector for the name the object was opened by. NULL if anonymous. */
static char *lookup_path(const jxvol_obj *o)
{
    if (!o->under_object || o->type == H5I_ATTR || o->type == H5I_BADID)
        return NULL;
    H5VL_loc_params_t lp = {.obj_type = o->type, .type = H5VL_OBJECT_BY_SELF};
    size_t len = 0;
    H5VL_object_get_args_t args = {.op_type = H5VL_OBJECT_GET_NAME};
    args.args.get_name.buf_size = 0;
    args.args.get_name.buf = NULL;
    args.args.get_name.name_len = &len;
    if (H5VLobject_get(o->under_object, &lp, o->under_vol_id, &args, H5P_DATASET_XFER_DEFAULT,
                       NULL) < 0 ||
        len == 0)
        return NULL;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    args.args.get_name.buf_size = len + 1;
    args.args.get_name.buf = buf;
    if (H5VLobject_get(o->under_object, &lp, o->under_vol_id, &args, H5P_DATASET_XFER_DEFAULT,
                       NULL) < 0 ||
        buf[0] != '/') {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Absolute path of the location lp names from o (malloc'd), or NULL if unknown. */
static char *where(const jxvol_obj *o, const H5VL_loc_params_t *lp)
{
    if (!o)
        return NULL;
    if (o->path)
        return jxvol_loc_path(o, lp);
    char *self = lookup_path(o);
    if (!self || !lp || lp->type == H5VL_OBJECT_BY_SELF)
        return self;
    char *path = lp->type == H5VL_OBJECT_BY_NAME
                     ? jxvol_path_join(self, lp->loc_data.loc_by_name.name)
                     : NULL;
    free(self);
    return path;
}

/* Most violations printed for one report: a hostile file can have millions. The error stack
 * holds far fewer (jxvol_err_room). The last line says how many were left out. */
#define JXVOL_MAX_SHOWN 100

/* Says every violation of rep on stderr (at most JXVOL_MAX_SHOWN, then how many more). */
static void say_violations(const char *filename, const jxv_report *rep)
{
    size_t shown = rep->count < JXVOL_MAX_SHOWN ? rep->count : JXVOL_MAX_SHOWN;
    const char *f = filename ? filename : "?";
    for (size_t i = 0; i < shown; i++)
        jxvol_say_violation(f, &rep->items[i]);
    if (rep->count > shown)
        jxvol_say("%s: ... and %zu more layout violation(s)", f, rep->count - shown);
    if (rep->out_of_memory)
        jxvol_say("%s: the layout validator ran out of memory", f);
}

/* Applies mode to a finished report. strict and can_fail: the violations are pushed on the
 * error stack with our class (as many as it holds, then "... and N more") and -1 returned.
 * Otherwise (warn mode, or a strict check that cannot fail its call, i.e. at close) they are
 * said on stderr when say_as (the file name) is not NULL (report=stderr), and 0 is returned. rc is what the
 * jxv call returned. Clears the report. */
static int report_violations(jaxon_validate_mode mode, const char *say_as, jxv_report *rep,
                             int rc, int can_fail)
{
    int refuse = 0;
    if (mode == JAXON_VALIDATE_STRICT && can_fail && (rc < 0 || rep->count > 0)) {
        /* The error stack is small: keep two slots for "... and N more" and the caller's
         * summary line. */
        size_t shown = rep->count < JXVOL_MAX_SHOWN ? rep->count : JXVOL_MAX_SHOWN;
        size_t room = jxvol_err_room();
        room = room > 2 ? room - 2 : 0;
        if (shown > room / 2) /* two frames each */
            shown = room / 2;
        for (size_t i = 0; i < shown; i++) {
            const jxv_violation *v = &rep->items[i];
            /* two frames: the sentence for people (innermost, the one h5py shows), then
             * the rule's own message id with the path alone (what a program reads, see
             * include/jaxon/vol.h) */
            JXVOL_PUSH(jxvol_err_min_layout(),
                       "Jaxon layout violation at \"%s\" (rule %s): %s; offending text: \"%s\"",
                       v->path ? v->path : "?", jxv_rule_name(v->rule),
                       v->message ? v->message : "", v->text ? v->text : "");
            JXVOL_PUSH(rule_msg(v->rule), "%s", v->path ? v->path : "");
        }
        if (rep->count > shown)
            JXVOL_PUSH(jxvol_err_min_layout(), "... and %zu more Jaxon layout violation(s)",
                       rep->count - shown);
        if (rep->out_of_memory || rep->count == 0)
            JXVOL_PUSH(jxvol_err_min_nomem(), "the layout validator ran out of memory");
        refuse = 1;
    } else if (mode != JAXON_VALIDATE_OFF && say_as && (rep->count > 0 || rep->out_of_memory)) {
        say_violations(say_as, rep);
    }
    jxv_report_clear(rep);
    return refuse ? -1 : 0;
}

/* The file name to say violations of fs's file under, or NULL with report=none. */
static const char *say_file(const jxvol_file_state *fs)
{
    return fs->report ? (fs->filename ? fs->filename : "?") : NULL;
}

/* report_violations for one tracker event on o's file: the tree changed since the last
 * whole-tree check, and a strict refusal is remembered (see jxvol_v_file_finish). */
static int settle(const jxvol_obj *o, jxv_report *rep, int rc)
{
    o->fs->dirty = 1;
    int r = report_violations(o->fs->mode, say_file(o->fs), rep, rc, 1);
    if (r < 0)
        o->fs->refused = 1;
    return r;
}

enum { FINISH_ROOT_WRITE, FINISH_FLUSH, FINISH_CLOSE };
static int finish_tree(const jxvol_obj *o, jxvol_obj *file, hid_t dxpl_id, int when);

/* ---- creates ----------------------------------------------------------------------------- */

/* The tracker events that name one object in the group lp points at from o. */
typedef enum parent_event_kind {
    EV_GROUP_CREATE, EV_DATASET_CREATE, EV_DATATYPE_COMMIT, EV_ATTR_RENAME, EV_ATTR_DELETE
} parent_event_kind;

/* Works out the parent path, runs the event (name2: the new name of a rename; ty: a new
 * dataset's type) and settles its report. */
static int parent_event(const jxvol_obj *o, const H5VL_loc_params_t *lp, parent_event_kind kind,
                        const char *name, const char *name2, const jxv_type *ty)
{
    jxv_tracker *t = tracker_of(o);
    if (!t || !name || (kind == EV_ATTR_RENAME && !name2))
        return 0;
    char *parent = where(o, lp);
    if (!parent)
        return 0;
    jxv_report rep;
    jxv_report_init(&rep);
    int rc = 0;
    switch (kind) {
    case EV_GROUP_CREATE:
        rc = jxv_on_group_create(t, parent, name, &rep);
        break;
    case EV_DATASET_CREATE:
        rc = jxv_on_dataset_create(t, parent, name, ty, &rep);
        break;
    case EV_DATATYPE_COMMIT:
        /* A committed datatype is a named object without a Jaxon meaning: the tracker sees
         * it as a link to an unknown target, which it accepts outside the Jaxon tree only. */
        rc = jxv_on_link_create(t, parent, name, NULL, &rep);
        break;
    case EV_ATTR_RENAME:
        rc = jxv_on_attr_rename(t, parent, name, name2, &rep);
        break;
    case EV_ATTR_DELETE:
        rc = jxv_on_attr_delete(t, parent, name, &rep);
        break;
    }
    free(parent);
    return settle(o, &rep, rc);
}

int jxvol_v_group_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name)
{
    return parent_event(o, lp, EV_GROUP_CREATE, name, NULL, NULL);
}

int jxvol_v_dataset_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name,
                           hid_t type_id, hid_t space_id)
{
    jxv_type ty;
    if (!tracker_of(o) || !name || jxv_describe(type_id, space_id, &ty) < 0)
        return 0; /* an undescribable type fails in the under connector anyway */
    return parent_event(o, lp, EV_DATASET_CREATE, name, NULL, &ty);
}

int jxvol_v_datatype_commit(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name)
{
    return parent_event(o, lp, EV_DATATYPE_COMMIT, name, NULL, NULL);
}

int jxvol_v_attr_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name,
                        hid_t type_id, hid_t space_id, long long *npoints, int *skip)
{
    jxv_tracker *t = tracker_of(o);
    *npoints = -1;
    *skip = 1;
    if (!t || !name)
        return 0;
    /* The common case: the location's own path, no copy. */
    char *owned = NULL;
    const char *parent = o->path && lp && lp->type == H5VL_OBJECT_BY_SELF
                             ? o->path
                             : (owned = where(o, lp));
    if (!parent)
        return 0;
    /* Attributes the tracker ignores (outside the Jaxon tree, any attribute of a plain file
     * except on "/") need no description of their type, and their values are ignored too. */
    if (!jxv_tracker_attr_matters(t, parent)) {
        free(owned);
        return 0;
    }
    jxv_type ty;
    if (jxv_describe_memo(&o->fs->types, type_id, space_id, &ty) < 0) {
        free(owned);
        return 0; /* an undescribable type fails in the under connector anyway */
    }
    /* Only string attributes carry text: a string can be written to no other file type,
     * and the tracker ignores the values of every other kind. */
    *skip = ty.kind != JXV_T_FIXED_STRING && ty.kind != JXV_T_VLEN_STRING;
    *npoints = ty.space == JXV_S_NULL ? 0 : (long long)ty.npoints;
    jxv_report rep;
    jxv_report_init(&rep);
    int rc = jxv_on_attr_create(t, parent, name, &ty, &rep);
    free(owned);
    return settle(o, &rep, rc);
}

/* ---- attribute values -------------------------------------------------------------------- */

/* The attribute's name from the under connector, for attributes opened by index. */
static char *lookup_attr_name(const jxvol_obj *a)
{
    size_t len = 0;
    H5VL_attr_get_args_t args = {.op_type = H5VL_ATTR_GET_NAME};
    args.args.get_name.loc_params.type = H5VL_OBJECT_BY_SELF;
    args.args.get_name.loc_params.obj_type = H5I_ATTR;
    args.args.get_name.attr_name_len = &len;
    if (H5VLattr_get(a->under_object, a->under_vol_id, &args, H5P_DATASET_XFER_DEFAULT, NULL) < 0)
        return NULL;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    args.args.get_name.buf_size = len + 1;
    args.args.get_name.buf = buf;
    if (H5VLattr_get(a->under_object, a->under_vol_id, &args, H5P_DATASET_XFER_DEFAULT, NULL) < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Number of elements of the attribute's dataspace, or -1. */
static long long attr_npoints(const jxvol_obj *a)
{
    H5VL_attr_get_args_t args = {.op_type = H5VL_ATTR_GET_SPACE};
    if (H5VLattr_get(a->under_object, a->under_vol_id, &args, H5P_DATASET_XFER_DEFAULT, NULL) < 0)
        return -1;
    hssize_t n = H5Sget_simple_extent_npoints(args.args.get_space.space_id);
    H5Sclose(args.args.get_space.space_id);
    return (long long)n;
}

/* Is a node's text a v1 data typehint, whose data follows in a dataset? */
static int names_dataset(const char *text, size_t len)
{
    while (len > 0 && text[len - 1] == '\0')
        len--;
    if (len > 0 && text[0] == '!')
        return 1;
    const jxv_tag *t = jxv_tag_find(1, text, len);
    return t && t->data != JXV_D_NONE;
}

int jxvol_v_attr_write(const jxvol_obj *a, hid_t mem_type_id, const void *buf)
{
    jxv_tracker *t = tracker_of(a);
    if (!t || !buf || a->v_skip || !jxv_tracker_wants_text(t))
        return 0;
    /* Jaxon text lives in scalar string attributes; other shapes are judged at create time.
     * The dataspace was remembered at create; attributes opened later are asked. */
    long long np = a->npoints >= 0 ? a->npoints : attr_npoints(a);
    if (np != 1)
        return 0;
    const char *text;
    size_t len;
    jxv_type mt; /* usually the create's type: one H5Tequal against the memo */
    if (jxv_describe_type_memo(&a->fs->types, mem_type_id, &mt) < 0 ||
        (mt.kind != JXV_T_VLEN_STRING && mt.kind != JXV_T_FIXED_STRING))
        return 0;
    if (mt.kind == JXV_T_VLEN_STRING) {
        text = *(const char *const *)buf; /* vlen strings arrive as char *[] */
        len = text ? strlen(text) : 0;
        if (!text)
            text = "";
    } else {
        text = buf;
        len = mt.size; /* the tracker strips the NUL padding itself */
    }
    char *looked_up = a->attr_name ? NULL : lookup_attr_name(a);
    const char *name = a->attr_name ? a->attr_name : looked_up;
    if (!a->path || !name) {
        free(looked_up);
        return 0;
    }
    jxv_report rep;
    jxv_report_init(&rep);
    int root_before = jxv_tracker_root_written(t);
    int rc = jxv_on_attr_write_text(t, a->path, name, text, len, &rep);
    free(looked_up);
    if (settle(a, &rep, rc) < 0)
        return -1;
    /* The root attribute is the last step of a save: check the whole tree now, while a
     * strict refusal can still fail an ordinary call (see jxvol_v_file_finish). Unless
     * the root's data goes to a dataset, which the writer creates right after the
     * attribute (spec 3.11): then the flush that ends the save checks the tree. */
    if (!root_before && jxv_tracker_root_written(t) && !names_dataset(text, len))
        return finish_tree(a, NULL, H5P_DATASET_XFER_DEFAULT, FINISH_ROOT_WRITE);
    return 0;
}

int jxvol_v_attr_rename(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *old_name,
                        const char *new_name)
{
    return parent_event(o, lp, EV_ATTR_RENAME, old_name, new_name, NULL);
}

int jxvol_v_attr_delete(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name)
{
    return parent_event(o, lp, EV_ATTR_DELETE, name, NULL, NULL);
}

/* ---- links ------------------------------------------------------------------------------- */

int jxvol_v_link_create(const H5VL_link_create_args_t *args, const jxvol_obj *o,
                        const H5VL_loc_params_t *lp, const jxvol_obj *curr)
{
    const jxvol_obj *any = o ? o : curr;
    jxv_tracker *t = tracker_of(any);
    if (!t || !lp || lp->type != H5VL_OBJECT_BY_NAME)
        return 0;
    /* The new link's location: obj (NULL means "same location as the target"). */
    H5VL_loc_params_t self = {.obj_type = any->type, .type = H5VL_OBJECT_BY_SELF};
    char *parent = where(any, &self);
    if (!parent)
        return 0;
    const char *name = lp->loc_data.loc_by_name.name;
    char *target = NULL;
    switch (args->op_type) {
    case H5VL_LINK_CREATE_HARD:
        target = curr ? where(curr, &args->args.hard.curr_loc_params) : NULL;
        break;
    case H5VL_LINK_CREATE_SOFT:
        target = jxvol_path_join(parent, args->args.soft.target);
        break;
    case H5VL_LINK_CREATE_UD: /* external and user-defined links: target not in this file */
        break;
    }
    jxv_report rep;
    jxv_report_init(&rep);
    int rc = jxv_on_link_create(t, parent, name, target, &rep);
    free(parent);
    free(target);
    return settle(any, &rep, rc);
}

/* Splits "where o/lp points" into parent path and last name. */
static int resolve_link(const jxvol_obj *o, const H5VL_loc_params_t *lp, char **full, char **parent,
                        const char **name)
{
    *full = *parent = NULL;
    if (!o || !lp || lp->type != H5VL_OBJECT_BY_NAME)
        return -1;
    H5VL_loc_params_t self = {.obj_type = o->type, .type = H5VL_OBJECT_BY_SELF};
    char *base = where(o, &self);
    *full = jxvol_path_join(base, lp->loc_data.loc_by_name.name);
    free(base);
    if (!*full || jxvol_path_split(*full, parent, name) < 0) {
        free(*full);
        *full = NULL;
        return -1;
    }
    return 0;
}

int jxvol_v_link_move(const jxvol_obj *src, const H5VL_loc_params_t *lp1, const jxvol_obj *dst,
                      const H5VL_loc_params_t *lp2, int is_copy)
{
    /* H5L_SAME_LOC: a NULL side uses the other side's object. */
    const jxvol_obj *s = src ? src : dst, *d = dst ? dst : src;
    jxv_tracker *t = tracker_of(s);
    if (!t)
        return 0;
    char *sfull, *sparent, *dfull, *dparent;
    const char *sname, *dname;
    if (resolve_link(s, lp1, &sfull, &sparent, &sname) < 0)
        return 0;
    if (resolve_link(d, lp2, &dfull, &dparent, &dname) < 0) {
        free(sfull);
        free(sparent);
        return 0;
    }
    jxv_report rep;
    jxv_report_init(&rep);
    /* A copied link is a new link to the same object. */
    int rc = is_copy ? jxv_on_link_create(t, dparent, dname, sfull, &rep)
                     : jxv_on_link_move(t, sparent, sname, dparent, dname, &rep);
    free(sfull);
    free(sparent);
    free(dfull);
    free(dparent);
    return settle(s, &rep, rc);
}

int jxvol_v_object_copy(const jxvol_obj *src, const H5VL_loc_params_t *lp1, const char *src_name,
                        const jxvol_obj *dst, const H5VL_loc_params_t *lp2, const char *dst_name)
{
    jxv_tracker *t = tracker_of(dst);
    if (!t || !src_name || !dst_name)
        return 0;
    char *sbase = where(src, lp1), *dbase = where(dst, lp2);
    char *sfull = jxvol_path_join(sbase, src_name);
    int rc = 0;
    jxv_report rep;
    jxv_report_init(&rep);
    /* The copy is a new object; to the tracker it is a new link named dst_name whose content
     * is that of the source (the closest event jxv.h offers). */
    if (dbase)
        rc = jxv_on_link_create(t, dbase, dst_name, sfull, &rep);
    free(sbase);
    free(dbase);
    free(sfull);
    return settle(dst, &rep, rc);
}

int jxvol_v_link_delete(const jxvol_obj *o, const H5VL_loc_params_t *lp)
{
    jxv_tracker *t = tracker_of(o);
    char *full, *parent;
    const char *name;
    if (!t || resolve_link(o, lp, &full, &parent, &name) < 0)
        return 0; /* by-index deletes: the name is not known here */
    jxv_report rep;
    jxv_report_init(&rep);
    int rc = jxv_on_delete(t, parent, name, &rep);
    free(full);
    free(parent);
    return settle(o, &rep, rc);
}

/* ---- whole file -------------------------------------------------------------------------- */

/* Whether the under connector of o's file takes object comments (asked once per file). */
static int can_annotate(const jxvol_obj *o)
{
    jxvol_file_state *fs = o->fs;
    if (!fs->writable)
        return 0;
    if (fs->comments == 0) {
        uint64_t flags = 0;
        hid_t err = jxvol_stack_save();
        fs->comments = H5VLintrospect_opt_query(o->under_object, o->under_vol_id,
                                                H5VL_SUBCLS_OBJECT, H5VL_NATIVE_OBJECT_SET_COMMENT,
                                                &flags) >= 0 &&
                               (flags & H5VL_OPT_QUERY_SUPPORTED)
                           ? 1
                           : -1;
        jxvol_stack_restore(err);
    }
    return fs->comments > 0;
}

/* One native object operation (get or set comment) on the object at lp through the under
 * connector. */
static herr_t under_object_optional(const jxvol_obj *o, void *under, const H5VL_loc_params_t *lp,
                                    H5VL_optional_args_t *oa, hid_t dxpl_id)
{
    const H5VL_class_t *uc = jxvol_under_cls(o);
    return uc ? uc->object_cls.optional(under, lp, oa, dxpl_id, NULL)
              : H5VLobject_optional(under, lp, o->under_vol_id, oa, dxpl_id, NULL);
}

/* The comment of the object at lp (malloc'd), or NULL when it has none or it cannot be
 * read (the error stack is the caller's to restore). */
static char *get_comment(const jxvol_obj *o, void *under, const H5VL_loc_params_t *lp,
                         hid_t dxpl_id)
{
    size_t len = 0;
    H5VL_native_object_optional_args_t na;
    na.get_comment.buf = NULL;
    na.get_comment.buf_size = 0;
    na.get_comment.comment_len = &len;
    H5VL_optional_args_t oa = {.op_type = H5VL_NATIVE_OBJECT_GET_COMMENT, .args = &na};
    if (under_object_optional(o, under, lp, &oa, dxpl_id) < 0 || len == 0)
        return NULL;
    char *buf = malloc(len + 1);
    na.get_comment.buf = buf;
    na.get_comment.buf_size = len + 1;
    if (!buf || under_object_optional(o, under, lp, &oa, dxpl_id) < 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static herr_t write_comment(const jxvol_obj *o, void *under, const H5VL_loc_params_t *lp,
                            const char *text, hid_t dxpl_id)
{
    H5VL_native_object_optional_args_t na;
    na.set_comment.comment = text;
    H5VL_optional_args_t oa = {.op_type = H5VL_NATIVE_OBJECT_SET_COMMENT, .args = &na};
    return under_object_optional(o, under, lp, &oa, dxpl_id);
}

/* Sets the integrity record (spec §12) record as the start of the comment of the object at
 * lp, keeping the annotation already there (read back first). */
static herr_t merge_record_now(const jxvol_obj *o, void *under, const H5VL_loc_params_t *lp,
                               const char *record, hid_t dxpl_id)
{
    hid_t err = jxvol_stack_save();
    char *old = get_comment(o, under, lp, dxpl_id);
    jxvol_stack_restore(err);
    char *merged = jxv_record_merge(record, old);
    free(old);
    herr_t r = write_comment(o, under, lp, merged ? merged : record, dxpl_id);
    free(merged);
    return r;
}

/* The normalised absolute path of the object at name relative to o (o itself when name is
 * NULL), malloc'd; NULL when o's path is not known. */
static char *object_path(const jxvol_obj *o, const char *name)
{
    if (!o->path)
        return NULL;
    return name ? jxv__join_path(o->path, name, strlen(name)) : jxv__strndup(o->path, strlen(o->path));
}

/* Sets one object comment through the under connector: name relative to the under object
 * under (of type obj_type), or the object itself when name is NULL. Annotations never add
 * attributes or links; an integrity record the application set for the object goes in
 * front (jxvol_records.c). Returns the under connector's result. */
static herr_t set_comment(const jxvol_obj *o, void *under, H5I_type_t obj_type, const char *name,
                          const char *text, hid_t dxpl_id)
{
    H5VL_loc_params_t lp = {.obj_type = obj_type,
                            .type = name ? H5VL_OBJECT_BY_NAME : H5VL_OBJECT_BY_SELF};
    if (name) {
        lp.loc_data.loc_by_name.name = name;
        lp.loc_data.loc_by_name.lapl_id = H5P_LINK_ACCESS_DEFAULT;
    }
    const char *record = NULL;
    if (o->fs->records) {
        /* at close names are absolute (o is the file); else relative to o */
        char *path = obj_type == H5I_FILE && name ? jxv__strndup(name, strlen(name))
                                                  : object_path(o, name);
        record = jxvol_records_take(o->fs, path);
        free(path);
    }
    char *merged = record ? jxv_record_merge(record, text) : NULL;
    herr_t r = write_comment(o, under, &lp, merged ? merged : text, dxpl_id);
    free(merged);
    return r;
}

int jxvol_v_object_optional(const jxvol_obj *o, const H5VL_loc_params_t *lp,
                            H5VL_optional_args_t *args, hid_t dxpl_id, herr_t *ret)
{
    if (args->op_type != H5VL_NATIVE_OBJECT_SET_COMMENT || !o->fs || !can_annotate(o))
        return 0;
    const char *text = ((H5VL_native_object_optional_args_t *)args->args)->set_comment.comment;
    if (!text || strncmp(text, JXV_RECORD_PREFIX, JXV_RECORD_PREFIX_LEN) != 0)
        return 0;
    /* Kept for the annotation when the tracker will annotate this tree (written with it, or
     * merged at flush/close); else, or when the path is unknown, merged now. */
    jxv_tracker *t = tracker_of(o);
    char *path = NULL;
    if (t && jxv_tracker_is_jaxon(t) && !jxv_tracker_is_sealed(t) &&
        strlen(text) < JXV_RECORD_CAP &&
        (lp->type == H5VL_OBJECT_BY_SELF || lp->type == H5VL_OBJECT_BY_NAME))
        path = object_path(o, lp->type == H5VL_OBJECT_BY_NAME ? lp->loc_data.loc_by_name.name
                                                              : NULL);
    if (path && jxvol_records_put(o->fs, path, text) == 0) {
        free(path);
        *ret = 0;
        return 1;
    }
    free(path);
    *ret = merge_record_now(o, o->under_object, lp, text, dxpl_id);
    return 1;
}

typedef struct annotate_ctx {
    const jxvol_obj *obj; /* the wrapper whose under object is the location */
    H5I_type_t obj_type;
    hid_t dxpl_id;
} annotate_ctx;

/* Comments by full path from the file (at close) or relative to a fresh object (as nodes
 * complete). A failure is counted and said once at close; annotation goes on. */
static int annotate_one(const char *path, const char *text, void *ud)
{
    annotate_ctx *ac = ud;
    hid_t err = jxvol_stack_save();
    if (set_comment(ac->obj, ac->obj->under_object, ac->obj_type, path, text, ac->dxpl_id) < 0) {
        ac->obj->fs->annotate_failures++;
        jxvol_stack_restore(err);
        return 1; /* not annotated: close tries again by full path */
    }
    jxvol_stack_restore(err);
    return 0;
}

void jxvol_v_annotate_completed(const jxvol_obj *o, int ok, H5I_type_t obj_type, hid_t dxpl_id)
{
    jxv_tracker *t = tracker_of(o);
    if (!t)
        return;
    if (!ok || !can_annotate(o)) {
        jxv_tracker_annotate_completed(t, NULL, NULL, NULL);
        return;
    }
    annotate_ctx ac = {o, obj_type, dxpl_id};
    /* An attribute wrapper's path is that of the object it is on. */
    jxv_tracker_annotate_completed(t, o->path, annotate_one, &ac);
}

/* A record set after its object was annotated (a dataset's, after its data): merged into
 * the comment there, by path from the file. */
static int merge_record_at(const char *path, const char *record, void *ud)
{
    annotate_ctx *ac = ud;
    H5VL_loc_params_t lp = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_NAME};
    lp.loc_data.loc_by_name.name = path;
    lp.loc_data.loc_by_name.lapl_id = H5P_LINK_ACCESS_DEFAULT;
    hid_t err = jxvol_stack_save();
    herr_t r = merge_record_now(ac->obj, ac->obj->under_object, &lp, record, ac->dxpl_id);
    if (r < 0)
        ac->obj->fs->annotate_failures++;
    jxvol_stack_restore(err);
    return r < 0 ? 1 : 0;
}

/* Writes the tracker's annotations as object comments; when the finished tree has
 * violations, the comment on "/" says so (h5dump shows it). Best effort: never fails and
 * leaves the application's error stack as it was. */
static void annotate(jxvol_obj *file, hid_t dxpl_id, const jxv_report *rep)
{
    jxv_tracker *t = file->fs->tracker;
    hid_t err = jxvol_stack_save();
    if (can_annotate(file)) {
        annotate_ctx ac = {file, H5I_FILE, dxpl_id};
        jxv_tracker_foreach_annotation(t, annotate_one, &ac);
        jxvol_records_flush(file->fs, merge_record_at, &ac);
        if (rep->count > 0) {
            const jxv_violation *v = &rep->items[0];
            char text[1024];
            snprintf(text, sizeof text,
                     "INVALID Jaxon file: %zu layout violation(s) when the connector finished "
                     "the tree; first at \"%.300s\" (rule %s): %.300s",
                     rep->count, v->path ? v->path : "?", jxv_rule_name(v->rule),
                     v->message ? v->message : "");
            annotate_one("/", text, &ac);
        }
        if (file->fs->annotate_failures && file->fs->report)
            jxvol_say("%s: %u annotation(s) could not be written",
                      file->fs->filename ? file->fs->filename : "?",
                      file->fs->annotate_failures);
        file->fs->annotate_failures = 0;
    }
    jxvol_stack_restore(err);
}

/* The whole-tree rules (jxv_tracker_finish), run at three moments:
 *   FINISH_ROOT_WRITE  the root attribute's text is being written, the last step of a save;
 *                      strict refuses that write (file may be NULL: no annotations);
 *   FINISH_FLUSH       H5Fflush once the root is written; strict fails the flush;
 *   FINISH_CLOSE       H5Fclose; never fails (see jxvol_v_file_finish).
 * Returns -1 only for a strict refusal, with the violations pushed. */
static int finish_tree(const jxvol_obj *o, jxvol_obj *file, hid_t dxpl_id, int when)
{
    jxvol_file_state *fs = o->fs;
    jxv_tracker *t = tracker_of(o);
    /* A sealed tree cannot have changed (every change was refused or, validate=warn,
     * reported when it happened): nothing to check or annotate. */
    if (!t || !jxv_tracker_is_jaxon(t) || jxv_tracker_is_sealed(t))
        return 0;
    if (when == FINISH_FLUSH && (!jxv_tracker_root_written(t) || !fs->dirty))
        return 0; /* a flush in the middle of a save, or nothing new since the last check */
    int was_dirty = fs->dirty;
    jxv_report rep;
    jxv_report_init(&rep);
    int rc = jxv_tracker_finish(t, &rep);
    fs->dirty = 0;
    if (file && fs->writable)
        annotate(file, dxpl_id, &rep);
    if (when == FINISH_CLOSE) {
        /* Said already: by an earlier finish of the same tree, or the application got a
         * strict refusal for this file (the incomplete tree is its consequence). */
        if ((!was_dirty && fs->finish_reported) || fs->refused) {
            jxv_report_clear(&rep);
            return 0;
        }
        if (rep.count > 0 && fs->mode != JAXON_VALIDATE_OFF && fs->report)
            jxvol_say("%s: closed with %zu Jaxon layout violation(s)%s",
                      fs->filename ? fs->filename : "?", rep.count,
                      fs->mode == JAXON_VALIDATE_STRICT
                          ? " (validate=strict: it will be refused when opened)"
                          : " (validate=warn)");
        report_violations(fs->mode, say_file(fs), &rep, rc, 0);
        return 0;
    }
    fs->finish_reported = rep.count > 0 || rep.out_of_memory;
    size_t count = rep.count;
    if (report_violations(fs->mode, say_file(fs), &rep, rc, 1) < 0) {
        fs->refused = 1;
        JXVOL_PUSH(jxvol_err_min_layout(),
                   "the Jaxon tree of \"%s\" is not complete and consistent %s (%zu "
                   "violation(s)); refused by validate=strict",
                   fs->filename ? fs->filename : "?",
                   when == FINISH_ROOT_WRITE ? "when its root attribute is written" : "at flush",
                   count);
        return -1;
    }
    return 0;
}

int jxvol_v_file_finish(jxvol_obj *file, hid_t dxpl_id, int at_close)
{
    if (!file->under_object)
        return 0;
    /* Why close never fails: when a file close callback fails, HDF5 keeps the file id
     * registered (the application would have to call H5Fclose again, and until then the id
     * counts as open). So the whole-tree rules are enforced where a failure is clean: at the
     * root attribute write and at H5Fflush. What is still wrong at close is printed on
     * stderr and recorded in the comment on "/"; the file is closed and the id released. */
    return finish_tree(file, file, dxpl_id, at_close ? FINISH_CLOSE : FINISH_FLUSH);
}

void jxvol_v_seal(jxvol_file_state *fs, int layout)
{
    if (fs->tracker && layout)
        jxv_tracker_seal(fs->tracker, layout == 2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1);
}

int jxvol_v_check_existing(const char *filename, unsigned flags, hid_t fapl_id, hid_t scratch_fapl,
                           const jxvol_info *info, int probe_only, int *layout)
{
    jaxon_validate_mode mode = info->mode;
    *layout = 0;
    if (mode == JAXON_VALIDATE_OFF)
        return 0;
    /* The checker needs a file id. The file cannot be opened a second time with another
     * connector while it is open through ours: HDF5 records the first opener's connector in
     * the shared file struct and gives it to every later H5F_t of that file, so closing a
     * native second id fails in H5F__dest ("can't unwrap VOL object") and leaks it. A second
     * open through this connector with validate=off is consistent with that record. It shares
     * the file state the under open just built (no second superblock read); read-only is
     * always compatible with the first open, and SWMR readers must say so again. */
    unsigned ro = H5F_ACC_RDONLY | (flags & H5F_ACC_SWMR_READ);
    jxv_report rep;
    jxv_check_stats st;
    jxv_report_init(&rep);
    memset(&st, 0, sizeof st);
    hid_t fid = H5I_INVALID_HID, self = H5I_INVALID_HID;
    jxvol_info off = *info;
    off.mode = JAXON_VALIDATE_OFF;
    H5E_BEGIN_TRY
    {
        if (H5Pget_vol_id(fapl_id, &self) >= 0 && H5Pset_vol(scratch_fapl, self, &off) >= 0)
            fid = H5Fopen(filename, ro, scratch_fapl);
        if (self >= 0)
            H5VLclose(self);
    }
    H5E_END_TRY
    /* report=stderr: what this open finds is said once per file and process (a tool may
     * open a file several times, and retries a refused open natively). */
    int say = info->report && !probe_only && jxvol_say_first_for_file(filename);
    if (fid < 0) {
        if (mode == JAXON_VALIDATE_STRICT) {
            if (say)
                jxvol_say("%s: cannot reopen the file read-only for Jaxon layout validation; "
                          "refused by validate=strict", filename);
            JXVOL_PUSH(jxvol_err_min_under(),
                       "cannot reopen \"%s\" read-only for Jaxon layout validation "
                       "(validate=strict); open it with validate=warn or validate=off to skip "
                       "the check",
                       filename);
            return -1;
        }
        if (say)
            jxvol_say("%s: cannot reopen the file for Jaxon layout validation; not checked",
                      filename);
        return 0;
    }
    int rc = probe_only ? jxv_probe_file(fid, &st) : jxv_check_file_ex(fid, &rep, &st);
    H5E_BEGIN_TRY { H5Fclose(fid); }
    H5E_END_TRY
    if (st.is_jaxon)
        *layout = st.layout == JXV_LAYOUT_V2 ? 2 : 1;
    if (probe_only) {
        if (rc < 0 && mode == JAXON_VALIDATE_STRICT) {
            JXVOL_PUSH(jxvol_err_min_under(),
                       "cannot tell whether \"%s\" holds a Jaxon tree (validate=strict)",
                       filename);
            return -1;
        }
        return 0;
    }
    if (!st.is_jaxon) {
        /* A plain HDF5 file is never affected (jxv.h contract). */
        jxv_report_clear(&rep);
        return 0;
    }
    if (rc < 0 && rep.count == 0 && !rep.out_of_memory) {
        if (mode == JAXON_VALIDATE_STRICT) {
            if (say)
                jxvol_say("%s: the Jaxon layout validator could not read all of the file; "
                          "refused by validate=strict", filename);
            JXVOL_PUSH(jxvol_err_min_under(),
                       "the Jaxon layout validator could not read all of \"%s\"", filename);
            return -1;
        }
        if (say)
            jxvol_say("%s: the Jaxon layout validator could not read all of the file; "
                      "opened anyway (validate=warn)", filename);
        return 0;
    }
    size_t count = rep.count;
    int oom = rep.out_of_memory;
    /* Strict refusals are said too: tools hide the error stack that carries them. */
    if (say && (count > 0 || oom))
        say_violations(filename, &rep);
    if (report_violations(mode, NULL, &rep, rc, 1) < 0) {
        if (say)
            jxvol_say("%s: not a valid Jaxon file (layout v%s, %zu violation(s)); refused by "
                      "validate=strict",
                      filename, st.version, count);
        JXVOL_PUSH(jxvol_err_min_layout(),
                   "\"%s\" is not a valid Jaxon file (layout v%s, %zu violation(s)); refused "
                   "by validate=strict",
                   filename, st.version, count);
        return -1;
    }
    if (say && (count > 0 || oom))
        jxvol_say("%s: not a valid Jaxon file (layout v%s, %zu violation(s)); opened anyway "
                  "(validate=warn)",
                  filename, st.version, count);
    return 0;
}
