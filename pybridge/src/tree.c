/* jaxon.tree(): the pytree of a file described from its metadata, without loading it.
 *
 * The walk reads attribute names, datatypes, dataspaces and small text values; array data
 * (datasets, array-valued attributes) is described by its shape, dtype and size, never
 * read. It imports nothing: class tags are shown as the text the file holds.
 *
 * The layout knowledge is the validator's (layout, linked in as jaxon_layout):
 * attribute names are split and classified by jxv_parse_attr_name / jxv__classify_attr /
 * jxv__classify_text, reference paths by jxv__ref_resolve_split, so this file holds no
 * copy of the tag table or of the name and path grammars. What the validator rejects
 * becomes a node of kind "invalid" carrying the rule and the location, and the walk goes
 * on: a hostile file yields a described tree, never a crash. Like the whole-file checker,
 * it bounds recursion, remembers every group it entered (hard-link cycles), refuses
 * external links and caps the text it reads. */
#include "tree.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5util.h"
#include "jxv_internal.h"
#include "names.h"
#include "tree_show.h"

#define TEXT_READ_MAX ((size_t)16 << 20) /* larger text attributes are described, not read */
#define PREVIEW_MAX 60                   /* code points of a value shown */

/* ---- nodes ---------------------------------------------------------------------------- */

/* The fields of jaxon._tree.TreeNode, set on every node (the class has __slots__). */
enum field {
    F_KIND, F_TYPE, F_KEY, F_KEY_NODE, F_PATH, F_LOCATION, F_CLASSES, F_DTYPE, F_STORED_DTYPE,
    F_SHAPE, F_NBYTES, F_STORAGE, F_VALUE, F_LENGTH, F_CHILDREN, F_SHARED_WITH, F_SAME_AS,
    F_SHARED_ID, F_ERROR, F_LAYOUT, F__COUNT
};
static const char *const field_names[F__COUNT] = {
    "kind", "type", "key", "key_node", "path", "location", "classes", "dtype", "stored_dtype",
    "shape", "nbytes", "storage", "value", "length", "children", "shared_with", "same_as",
    "shared_id", "error", "layout"};

/* One call of tree(). */
typedef struct Tw {
    JxState *st;
    PyObject *cls;               /* TreeNode */
    PyObject *names[F__COUNT];   /* interned field names */
    jxv_layout layout;
    hid_t lapl;                  /* refuses external links */
    PyObject *targets;           /* bytes "<group>\0<key>" -> node, as the checker keys nodes */
    PyObject *refs;              /* list of (node, text bytes, where str) */
    PyObject *visited;           /* set of bytes(object token) */
    jxv_report rep;              /* violations of the node being read */
    PyObject *root;              /* the root node, once "/" was walked */
} Tw;

/* Sets field f of node to v (stolen; NULL means an error is already set). */
static int set(Tw *t, PyObject *node, int f, PyObject *v)
{
    if (!v)
        return -1;
    int r = PyObject_SetAttr(node, t->names[f], v);
    Py_DECREF(v);
    return r;
}

static PyObject *str_or_none(const char *s)
{
    return s ? PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace") : Py_NewRef(Py_None);
}

static PyObject *strn(const char *s, size_t n)
{
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "replace");
}

static PyObject *new_node(Tw *t, const char *kind, PyObject *path, const char *location)
{
    PyObject *n = PyObject_CallNoArgs(t->cls);
    if (!n)
        return NULL;
    for (int f = 0; f < F__COUNT; f++) {
        PyObject *v;
        switch (f) {
        case F_KIND: v = PyUnicode_FromString(kind); break;
        case F_PATH: v = Py_NewRef(path); break;
        case F_LOCATION: v = str_or_none(location); break;
        /* tuples: the empty one is a shared, untracked singleton, and most nodes are
         * leaves (one list per leaf would double the objects the cyclic GC tracks) */
        case F_CLASSES:
        case F_CHILDREN:
        case F_SHARED_WITH: v = PyTuple_New(0); break;
        default: v = Py_NewRef(Py_None); break;
        }
        if (set(t, n, f, v) < 0) {
            Py_DECREF(n);
            return NULL;
        }
    }
    return n;
}

static PyObject *get(Tw *t, PyObject *node, int f)
{
    return PyObject_GetAttr(node, t->names[f]);
}

/* The first violation of t->rep becomes the node's error ("[rule] message: «text»"); the
 * node's kind becomes "invalid" when its own content could not be read (mark_invalid), and
 * stays what it is for a rule about its place (order of the children of a group). The
 * report is emptied. */
static int note_violation(Tw *t, PyObject *node, int mark_invalid)
{
    if (t->rep.count == 0 && !t->rep.out_of_memory) {
        jxv_report_clear(&t->rep);
        return 0;
    }
    if (!mark_invalid) { /* a node already invalid keeps the reason its content failed */
        PyObject *had = get(t, node, F_ERROR);
        int keep = had && had != Py_None;
        Py_XDECREF(had);
        if (!had || keep) {
            jxv_report_clear(&t->rep);
            return had ? 0 : -1;
        }
    }
    PyObject *msg;
    if (t->rep.count == 0) {
        msg = PyUnicode_FromString("[validator] out of memory");
    } else {
        const jxv_violation *v = &t->rep.items[0];
        /* the format string must be ASCII: the guillemets go in as %s arguments */
        int has_text = v->text && v->text[0];
        msg = PyUnicode_FromFormat("[%s] %s%s%s%s", jxv_rule_name(v->rule), v->message,
                                   has_text ? ": \xC2\xAB" : "", has_text ? v->text : "",
                                   has_text ? "\xC2\xBB" : "");
        if (msg && mark_invalid && set(t, node, F_LOCATION, str_or_none(v->path)) < 0)
            Py_CLEAR(msg);
    }
    jxv_report_clear(&t->rep);
    if (set(t, node, F_ERROR, msg) < 0)
        return -1;
    return mark_invalid ? set(t, node, F_KIND, PyUnicode_FromString("invalid")) : 0;
}

static int take_violation(Tw *t, PyObject *node)
{
    return note_violation(t, node, 1);
}

/* dtype, shape, nbytes of data held by an attribute or a dataset (type t, space sp). */
static int describe_data(Tw *t, PyObject *node, hid_t ft, hid_t sp)
{
    jxv_buf b = {0};
    jx_tr_dtype_name(ft, &b, 0);
    int r = set(t, node, F_DTYPE, b.oom ? NULL : strn(b.data ? b.data : "", b.len));
    if (b.oom && r == 0)
        PyErr_NoMemory(), r = -1;
    jxv__buf_free(&b);
    if (r < 0)
        return -1;
    unsigned long long n;
    if (set(t, node, F_SHAPE, jx_tr_space_shape(sp, &n)) < 0)
        return -1;
    size_t size = H5Tget_size(ft);
    unsigned long long nb = size && n > ULLONG_MAX / size ? ULLONG_MAX : n * size;
    return set(t, node, F_NBYTES, PyLong_FromUnsignedLongLong(nb));
}

/* ---- reading small values ---------------------------------------------------------------- */

/* A fixed-length string attribute's text, malloc'd (the layout library's reader, with no
 * stack buffer: the caller frees it). 0 ok, -1 HDF5 failed or the text is too large. */
static int read_text(hid_t aid, hid_t ft, size_t size, char **out, size_t *len)
{
    return jxv__read_text(aid, ft, size, NULL, 0, out, len) == 0 ? 0 : -1;
}

/* ---- the walk -------------------------------------------------------------------------- */

/* A child whose group or dataset is visited after the attributes of its parent. */
typedef struct Pending {
    PyObject *node;   /* borrowed from the parent's children (or key_node) */
    char *slot;       /* the object's link name */
    jxv_nodeinfo info;
    char *jax_dtype;  /* copy of info.jax_dtype */
} Pending;

typedef struct Gw {
    Tw *t;
    const char *gpath;  /* normalised path of this group */
    PyObject *parent;   /* the container node, NULL for "/" */
    PyObject *ppath;    /* its Python path text */
    jxv_ctag tag;
    int is_root;
    unsigned long long pos;
    PyObject *open_key; /* a key(i) node waiting for its value(i) */
    PyObject *kids;     /* the children so far (list); the parent gets them as a tuple */
    PyObject *root;     /* "/" only: the root node */
    Pending *items;
    size_t n, cap;
    int failed;
    jxv_order order;    /* the validator's order rules for the children (index, key/value) */
    jxv_report order_rep;
} Gw;

static int walk_group(Tw *t, hid_t gid, const char *gpath, PyObject *parent, jxv_ctag tag,
                      int depth);

/* The display text of a child's key and its Python path in the parent. */
static int key_and_path(Gw *g, PyObject *node, const jxv_name *nm)
{
    Tw *t = g->t;
    PyObject *key = NULL, *path = NULL;
    if (g->is_root) {
        return set(t, node, F_PATH, PyUnicode_FromString("root"));
    }
    if (g->tag != JXV_TAG_DICT) {
        key = PyLong_FromUnsignedLongLong(g->pos);
        path = key ? PyUnicode_FromFormat("%U[%llu]", g->ppath, g->pos) : NULL;
    } else if (nm->slot_kind == JXV_SLOT_KEY) {
        key = PyUnicode_FromFormat("<key %llu>", (unsigned long long)nm->index);
        path = key ? PyUnicode_FromFormat("%U<key %llu>", g->ppath,
                                          (unsigned long long)nm->index)
                   : NULL;
    } else if (nm->slot_kind == JXV_SLOT_VALUE) {
        PyObject *kv = NULL;
        if (g->open_key) {
            kv = get(t, g->open_key, F_VALUE);
            PyObject *kind = kv ? get(t, g->open_key, F_KIND) : NULL;
            if (kind && kv != Py_None && PyUnicode_CompareWithASCIIString(kind, "atom") != 0 &&
                PyUnicode_CompareWithASCIIString(kind, "scalar") != 0)
                Py_SETREF(kv, Py_NewRef(Py_None));
            Py_XDECREF(kind);
            if (!kind)
                Py_CLEAR(kv);
            if (!kv)
                return -1;
        }
        key = kv && kv != Py_None
                  ? Py_NewRef(kv)
                  : PyUnicode_FromFormat("<key %llu>", (unsigned long long)nm->index);
        Py_XDECREF(kv);
        path = key ? PyUnicode_FromFormat("%U[%U]", g->ppath, key) : NULL;
    } else {
        jxv_buf b = {0};
        size_t sl;
        if (nm->slot_kind == JXV_SLOT_INDEX) /* v2 int key */
            jxv__buf_add(&b, nm->slot, nm->slot_len);
        else
            jx_tr_atom_display(t->layout, nm->slot, nm->slot_len, &b, PREVIEW_MAX, &sl);
        key = b.oom ? PyErr_NoMemory() : strn(b.data ? b.data : "", b.len);
        jxv__buf_free(&b);
        path = key ? PyUnicode_FromFormat("%U[%U]", g->ppath, key) : NULL;
    }
    if (set(t, node, F_KEY, key) < 0) {
        Py_XDECREF(path);
        return -1;
    }
    return set(t, node, F_PATH, path);
}

/* The class tags of a "#a#b" chain as a tuple, innermost first (as the file stores them). */
static PyObject *class_tags(const char *tags, size_t n)
{
    PyObject *list = PyList_New(0);
    for (size_t i = 0, j; list && i < n; i = j + 1) {
        const char *p;
        size_t pl;
        j = jxv__typeinfo_piece(tags, n, i, &p, &pl);
        if (j == i)
            continue; /* the '#' before each tag */
        PyObject *s = strn(p, pl);
        if (!s || PyList_Append(list, s) < 0)
            Py_CLEAR(list);
        Py_XDECREF(s);
    }
    if (!list)
        return NULL;
    PyObject *tup = PyList_AsTuple(list);
    Py_DECREF(list);
    return tup;
}

static int push_pending(Gw *g, PyObject *node, const jxv_name *nm, const jxv_nodeinfo *info)
{
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        Pending *p = realloc(g->items, nc * sizeof *p);
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        g->items = p;
        g->cap = nc;
    }
    Pending *p = &g->items[g->n];
    memset(p, 0, sizeof *p);
    p->slot = jxv__strndup(nm->slot, nm->slot_len);
    p->info = *info;
    p->info.tags = NULL;
    p->info.tags_len = 0;
    if (info->jax_dtype) {
        p->jax_dtype = jxv__strndup(info->jax_dtype, info->jax_len);
        p->info.jax_dtype = p->jax_dtype;
    }
    if (!p->slot || (info->jax_dtype && !p->jax_dtype)) {
        free(p->slot);
        free(p->jax_dtype);
        PyErr_NoMemory();
        return -1;
    }
    p->node = node;
    g->n++;
    return 0;
}

/* Registers a node as a possible reference target under the checker's key. */
static int register_target(Gw *g, const jxv_name *nm, const char *name, size_t len,
                           PyObject *node)
{
    const char *k = g->t->layout == JXV_LAYOUT_V1 ? name : nm->slot;
    size_t kl = g->t->layout == JXV_LAYOUT_V1 ? len : nm->slot_len;
    jxv_buf b = {0};
    jxv__buf_adds(&b, g->gpath);
    jxv__buf_add(&b, "", 1);
    jxv__buf_add(&b, k, kl);
    if (b.oom) {
        jxv__buf_free(&b);
        PyErr_NoMemory();
        return -1;
    }
    PyObject *key = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
    jxv__buf_free(&b);
    int r = key ? PyDict_SetItem(g->t->targets, key, node) : -1;
    Py_XDECREF(key);
    return r;
}

/* Fills node from one attribute of the group. Returns -1 only on a Python error; layout
 * violations make the node invalid. */
static int read_node(Gw *g, hid_t aid, const char *name, size_t len, const char *where,
                     PyObject *node, const jxv_name *nm)
{
    Tw *t = g->t;
    jxv_type ty;
    jxv_nodeinfo info;
    char *text = NULL;
    size_t tlen = 0;
    int ret = 0;
    hid_t ft = H5Aget_type(aid), sp = H5Aget_space(aid);
    /* fresh ids from H5Aget_type/space, and HDF5 prints nothing here (H5Eset_auto2) */
    if (ft < 0 || sp < 0 || jxv_describe_valid(ft, sp, &ty) < 0) {
        jxv_fail(&t->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                 "HDF5 cannot describe this attribute's datatype or dataspace");
        goto invalid;
    }
    if (jxv__classify_attr(t->layout, nm, &ty, &info, where, &t->rep) < 0)
        goto invalid;
    if (info.kind == JXV_N_PENDING || info.kind == JXV_N_REF) {
        if (ty.size > TEXT_READ_MAX) {
            /* only a string can be this long; describe it unread */
            if (set(t, node, F_KIND, PyUnicode_FromString("atom")) < 0 ||
                set(t, node, F_TYPE, PyUnicode_FromString("str")) < 0 ||
                set(t, node, F_NBYTES, PyLong_FromSize_t(ty.size)) < 0 ||
                set(t, node, F_STORAGE, PyUnicode_FromString("attribute")) < 0)
                ret = -1;
            goto done;
        }
        if (read_text(aid, ft, ty.size, &text, &tlen) < 0) {
            jxv_fail(&t->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                     "HDF5 cannot read this string attribute");
            goto invalid;
        }
        if (jxv__classify_text(t->layout, nm, text, tlen, &info, where, &t->rep) < 0)
            goto invalid;
    }
    switch (info.kind) {
    case JXV_N_ATOM: {
        jxv_buf b = {0};
        size_t cps = 0;
        const char *type = jx_tr_atom_display(t->layout, text, tlen, &b, PREVIEW_MAX, &cps);
        if (set(t, node, F_VALUE, b.oom ? PyErr_NoMemory() : strn(b.data ? b.data : "", b.len)) < 0 ||
            set(t, node, F_KIND, PyUnicode_FromString("atom")) < 0 ||
            set(t, node, F_TYPE, PyUnicode_FromString(type)) < 0 ||
            (info.is_str && set(t, node, F_LENGTH, PyLong_FromSize_t(cps)) < 0))
            ret = -1;
        jxv__buf_free(&b);
        break;
    }
    case JXV_N_NUMERIC: {
        jxv_buf b = {0};
        jx_tr_dtype_name(ft, &b, 0);
        PyObject *dt = b.oom ? PyErr_NoMemory() : strn(b.data ? b.data : "", b.len);
        jxv__buf_free(&b);
        if (!dt || set(t, node, F_TYPE, PyUnicode_FromFormat("numpy.%U", dt)) < 0 ||
            set(t, node, F_DTYPE, Py_NewRef(dt)) < 0 ||
            set(t, node, F_KIND, PyUnicode_FromString("scalar")) < 0 ||
            set(t, node, F_VALUE, jx_tr_numeric_text(aid, ft)) < 0)
            ret = -1;
        Py_XDECREF(dt);
        break;
    }
    case JXV_N_REF: {
        PyObject *w = PyUnicode_FromString(where);
        PyObject *tb = PyBytes_FromStringAndSize(text, (Py_ssize_t)tlen);
        PyObject *item = w && tb ? PyTuple_Pack(3, node, tb, w) : NULL;
        Py_XDECREF(w);
        Py_XDECREF(tb);
        if (!item || PyList_Append(t->refs, item) < 0 ||
            set(t, node, F_KIND, PyUnicode_FromString("ref")) < 0 ||
            set(t, node, F_TYPE, PyUnicode_FromString("ref")) < 0)
            ret = -1;
        Py_XDECREF(item);
        break;
    }
    case JXV_N_CONTAINER: {
        const char *tn = jxv_ctag_name(info.tag);
        if (set(t, node, F_KIND, PyUnicode_FromString(tn)) < 0 ||
            set(t, node, F_TYPE, PyUnicode_FromString(tn)) < 0 ||
            set(t, node, F_STORAGE, PyUnicode_FromString("group")) < 0 ||
            set(t, node, F_CLASSES, class_tags(info.tags, info.tags_len)) < 0 ||
            push_pending(g, node, nm, &info) < 0)
            ret = -1;
        break;
    }
    case JXV_N_DATA_ATTR:
    case JXV_N_DATA_DSET: {
        const char *tn = jxv_dhint_name(info.data);
        int v1_dill = info.data == JXV_D_DILL && t->layout == JXV_LAYOUT_V1 && nm->hint &&
                      nm->hint_len > 1;
        if (set(t, node, F_CLASSES,
                v1_dill ? class_tags(nm->hint + 1, nm->hint_len - 1) /* "!module.Class" */
                        : class_tags(info.tags, info.tags_len)) < 0 ||
            set(t, node, F_KIND, PyUnicode_FromString("data")) < 0 ||
            set(t, node, F_TYPE, PyUnicode_FromString(tn)) < 0) {
            ret = -1;
            break;
        }
        if (info.kind == JXV_N_DATA_ATTR) {
            if (set(t, node, F_STORAGE, PyUnicode_FromString("attribute")) < 0 ||
                describe_data(t, node, ft, sp) < 0)
                ret = -1;
        } else if (push_pending(g, node, nm, &info) < 0) {
            ret = -1;
        }
        break;
    }
    default:
        goto invalid;
    }
    if (ret == 0 && register_target(g, nm, name, len, node) < 0)
        ret = -1;
    goto done;
invalid:
    ret = take_violation(t, node);
done:
    jxv_report_clear(&t->rep);
    free(text);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    return ret;
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ud)
{
    (void)ainfo;
    Gw *g = ud;
    Tw *t = g->t;
    size_t len = strlen(name);
    if (g->is_root) {
        /* "/" holds the root node and JAXON_VERSION; anything else is the validator's
         * business (stray-object), not part of the pytree */
        const char *s = name;
        size_t sl = len;
        if (t->layout == JXV_LAYOUT_V2)
            jxv__strip(&s, &sl);
        if (g->root || !jxv__starts(s, sl, "JAXON_ROOT") ||
            (sl > 10 && s[10] != ':' && !jxv__space_at(s + 10, sl - 10)))
            return 0;
    }
    char *where = jxv__attr_where(g->gpath, name, len);
    if (!where) {
        PyErr_NoMemory();
        g->failed = 1;
        return -1;
    }
    PyObject *node = new_node(t, "invalid", Py_None, where);
    jxv_name nm;
    int ret = node ? 0 : -1;
    int parsed = 0, order_error = 0;
    if (node) {
        parsed = jxv_parse_attr_name(t->layout, name, len, &nm, where, &t->rep) == 0;
        if (parsed && g->is_root && nm.slot_kind != JXV_SLOT_ROOT) {
            jxv_fail(&t->rep, JXV_RULE_ROOT, where, name, len,
                     "the root attribute is named JAXON_ROOT with an optional typehint");
            parsed = 0;
        }
        if (!parsed) {
            /* a slot we cannot parse: placed by position so the tree still shows it */
            memset(&nm, 0, sizeof nm);
            nm.slot = name;
            nm.slot_len = len;
            nm.slot_kind = JXV_SLOT_INDEX;
            jxv_ctag saved = g->tag;
            g->tag = JXV_TAG_LIST;
            ret = key_and_path(g, node, &nm);
            g->tag = saved;
            if (ret == 0)
                ret = take_violation(t, node);
        } else {
            ret = key_and_path(g, node, &nm);
        }
    }
    if (ret == 0 && parsed) {
        hid_t aid = H5Aopen(loc, name, H5P_DEFAULT);
        if (!g->is_root && !g->order.reported &&
            jxv__order_add(&g->order, t->layout, &nm, g->tag, name, len, where,
                           &g->order_rep) < 0) {
            /* the first break only: after it every later child would be reported. The
             * violation waits in order_rep while read_node uses t->rep. */
            g->order.reported = 1;
            order_error = 1;
        }
        if (aid < 0) {
            jxv_fail(&t->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                     "HDF5 cannot open this attribute");
            ret = take_violation(t, node);
        } else {
            ret = read_node(g, aid, name, len, where, node, &nm);
            H5Aclose(aid);
        }
        if (ret == 0 && order_error) {
            jxv_report_clear(&t->rep);
            t->rep = g->order_rep;
            jxv_report_init(&g->order_rep);
            ret = note_violation(t, node, 0);
        }
    }
    if (ret == 0) {
        if (g->is_root) {
            g->root = Py_NewRef(node);
        } else if (parsed && g->tag == JXV_TAG_DICT && nm.slot_kind == JXV_SLOT_KEY) {
            if (g->open_key) { /* key(i) without its value(i): show it on its own */
                ret = PyList_Append(g->kids, g->open_key);
                if (ret == 0 && !order_error) {
                    jxv_fail(&t->rep, JXV_RULE_KEY_VALUE, where, name, len,
                             "a key(i) is immediately followed by its value(i)");
                    ret = note_violation(t, g->open_key, 0);
                }
                Py_CLEAR(g->open_key);
            }
            g->open_key = Py_NewRef(node);
        } else {
            if (parsed && g->tag == JXV_TAG_DICT && nm.slot_kind == JXV_SLOT_VALUE &&
                g->open_key) {
                ret = set(t, node, F_KEY_NODE, g->open_key);
                g->open_key = NULL; /* reference moved into the field */
            }
            if (ret == 0 && PyList_Append(g->kids, node) < 0)
                ret = -1;
            g->pos++;
        }
    }
    Py_XDECREF(node);
    free(where);
    if (ret < 0) {
        g->failed = 1;
        return -1;
    }
    return 0;
}

/* The attribute names of a group, in iteration order, NUL-separated in one buffer. */
/* Opens a child object by its link name (no external links), checking its type. */
static hid_t open_child(Tw *t, hid_t gid, const char *slot, H5O_type_t want, H5O_info2_t *oi)
{
    hid_t obj = H5Oopen(gid, slot, t->lapl);
    if (obj < 0)
        return H5I_INVALID_HID;
    if (H5Oget_info3(obj, oi, H5O_INFO_BASIC) < 0 || oi->type != want) {
        H5Oclose(obj);
        return H5I_INVALID_HID;
    }
    return obj;
}

/* The dataset of a data node: shape, dtype, size; the exact dtype of our jax arrays. */
static int describe_dataset(Tw *t, hid_t gid, const char *gpath, const Pending *p)
{
    H5O_info2_t oi;
    char *path = jxv__join_path(gpath, p->slot, strlen(p->slot));
    hid_t d = open_child(t, gid, p->slot, H5O_TYPE_DATASET, &oi);
    int ret = 0;
    if (d < 0) {
        jxv_fail(&t->rep, JXV_RULE_DATASET, path ? path : gpath, p->slot, strlen(p->slot),
                 "a node stored in a dataset has the dataset named like its slot in the same "
                 "parent group");
        free(path);
        return take_violation(t, p->node);
    }
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    if (ft < 0 || sp < 0) {
        jxv_fail(&t->rep, JXV_RULE_DATASET, path ? path : gpath, p->slot, strlen(p->slot),
                 "HDF5 cannot describe this dataset's datatype or dataspace");
        ret = take_violation(t, p->node);
    } else {
        ret = set(t, p->node, F_STORAGE, PyUnicode_FromString("dataset"));
        if (ret == 0)
            ret = describe_data(t, p->node, ft, sp);
        /* the dtype the loader returns, when the storage type is another one: v2's
         * jax.Array[<dtype>] (spec §4.9) or our JAXON_DTYPE dataset attribute */
        char *exact = NULL;
        size_t elen = 0;
        if (p->jax_dtype) {
            exact = jxv__strndup(p->jax_dtype, strlen(p->jax_dtype));
            elen = exact ? strlen(exact) : 0;
        } else if (H5Aexists(d, JXV_DTYPE_ATTR) > 0) {
            hid_t aid = H5Aopen(d, JXV_DTYPE_ATTR, H5P_DEFAULT);
            hid_t at = aid >= 0 ? H5Aget_type(aid) : H5I_INVALID_HID;
            if (at >= 0 && H5Tget_class(at) == H5T_STRING && H5Tis_variable_str(at) == 0 &&
                H5Tget_size(at) <= 64 && read_text(aid, at, H5Tget_size(at), &exact, &elen) == 0 &&
                !jxv__jax_dtype_ok(exact, elen)) {
                free(exact);
                exact = NULL;
            }
            if (at >= 0)
                H5Tclose(at);
            if (aid >= 0)
                H5Aclose(aid);
        }
        if (ret == 0 && exact) {
            PyObject *stored = get(t, p->node, F_DTYPE);
            PyObject *ex = strn(exact, elen);
            int differs = stored && ex ? PyObject_RichCompareBool(stored, ex, Py_NE) : -1;
            if (differs < 0 || (differs && set(t, p->node, F_STORED_DTYPE, Py_NewRef(stored)) < 0) ||
                set(t, p->node, F_DTYPE, Py_NewRef(ex)) < 0)
                ret = -1;
            Py_XDECREF(stored);
            Py_XDECREF(ex);
        }
        free(exact);
    }
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    H5Oclose(d);
    free(path);
    return ret;
}

static int descend(Tw *t, hid_t gid, const char *gpath, const Pending *p, int depth)
{
    if (p->info.kind != JXV_N_CONTAINER)
        return describe_dataset(t, gid, gpath, p);
    char *path = jxv__join_path(gpath, p->slot, strlen(p->slot));
    if (!path) {
        PyErr_NoMemory();
        return -1;
    }
    H5O_info2_t oi;
    int ret = 0;
    hid_t sub = open_child(t, gid, p->slot, H5O_TYPE_GROUP, &oi);
    if (sub < 0) {
        jxv_fail(&t->rep, JXV_RULE_CONTAINER_GROUP, path, p->slot, strlen(p->slot),
                 "a container node has a group named like its slot in the same parent group");
        ret = take_violation(t, p->node);
    } else {
        PyObject *tok = PyBytes_FromStringAndSize((const char *)&oi.token, sizeof oi.token);
        int seen = tok ? PySet_Contains(t->visited, tok) : -1;
        if (seen == 0)
            seen = PySet_Add(t->visited, tok) < 0 ? -1 : 0;
        Py_XDECREF(tok);
        if (seen < 0) {
            ret = -1;
        } else if (seen) {
            jxv_fail(&t->rep, JXV_RULE_CONTAINER_GROUP, path, p->slot, strlen(p->slot),
                     "this group is also reached as another node's group through a hard link "
                     "(shared objects are written once and referenced by path)");
            ret = take_violation(t, p->node);
        } else if (depth + 1 > JXV_MAX_NESTING) {
            jxv_fail(&t->rep, JXV_RULE_CONTAINER_GROUP, path, p->slot, strlen(p->slot),
                     "containers nested deeper than %d levels are not shown", JXV_MAX_NESTING);
            ret = take_violation(t, p->node);
        } else {
            ret = walk_group(t, sub, path, p->node, p->info.tag, depth + 1);
        }
        H5Oclose(sub);
    }
    free(path);
    return ret;
}

static int walk_group(Tw *t, hid_t gid, const char *gpath, PyObject *parent, jxv_ctag tag,
                      int depth)
{
    Gw g;
    memset(&g, 0, sizeof g);
    g.t = t;
    g.gpath = gpath;
    g.parent = parent;
    g.tag = tag;
    g.is_root = parent == NULL;
    jxv__order_init(&g.order);
    jxv_report_init(&g.order_rep);
    int ret = 0;
    g.kids = PyList_New(0);
    if (!g.kids)
        return -1;
    if (parent) {
        g.ppath = get(t, parent, F_PATH);
        if (!g.ppath) {
            Py_DECREF(g.kids);
            return -1;
        }
    }
    /* names first, then one node per name, in the order the loader and the validator use */
    JxNames nl;
    memset(&nl, 0, sizeof nl);
    int it = jx_names_collect(gid, &nl);
    if (it < 0) {
        H5Eclear2(H5E_DEFAULT);
        if (nl.oom) {
            PyErr_NoMemory();
            ret = -1;
        } else if (parent) {
            jxv_fail(&t->rep, JXV_RULE_STRAY_OBJECT, gpath, "", 0,
                     "HDF5 failed while iterating the attributes of this group");
            ret = take_violation(t, parent);
        }
    }
    for (size_t i = 0; ret == 0 && it >= 0 && i < nl.n; i++)
        if (attr_cb(gid, jx_names_at(&nl, i), NULL, &g) < 0)
            ret = -1;
    jx_names_free(&nl);
    if (ret == 0 && g.open_key) { /* a trailing key(i) without value(i) */
        jxv_fail(&t->rep, JXV_RULE_KEY_VALUE, gpath, "", 0,
                 "a key(i) is not followed by its value(i)");
        ret = note_violation(t, g.open_key, 0) == 0 ? PyList_Append(g.kids, g.open_key) : -1;
    }
    Py_CLEAR(g.open_key);
    jxv_report_clear(&g.order_rep);
    for (size_t i = 0; i < g.n; i++) {
        if (ret == 0)
            ret = descend(t, gid, gpath, &g.items[i], depth);
        free(g.items[i].slot);
        free(g.items[i].jax_dtype);
    }
    free(g.items);
    if (ret == 0 && parent) {
        ret = set(t, parent, F_LENGTH, PyLong_FromSsize_t(PyList_GET_SIZE(g.kids)));
        if (ret == 0)
            ret = set(t, parent, F_CHILDREN, PyList_AsTuple(g.kids));
    }
    Py_XDECREF(g.kids);
    Py_XDECREF(g.ppath);
    if (g.is_root) {
        if (ret == 0)
            t->root = g.root; /* the reference moves to the caller */
        else
            Py_XDECREF(g.root);
    }
    return ret;
}

/* ---- references ------------------------------------------------------------------------ */

/* Points every reference at its target (ref.same_as = the target's path; pairs maps the
 * reference node to the target node). A path that names no node, or another reference,
 * makes the reference invalid (the checker's ref-target rule). */
static int resolve_refs(Tw *t, PyObject *pairs)
{
    Py_ssize_t n = PyList_GET_SIZE(t->refs);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(t->refs, i);
        PyObject *node = PyTuple_GET_ITEM(item, 0), *tb = PyTuple_GET_ITEM(item, 1);
        const char *where = PyUnicode_AsUTF8(PyTuple_GET_ITEM(item, 2));
        const char *text = PyBytes_AS_STRING(tb);
        size_t len = (size_t)PyBytes_GET_SIZE(tb);
        if (!where)
            return -1;
        jxv_refsplit rs;
        if (jxv__ref_resolve_split(t->layout, text, len, &rs, where, &t->rep) < 0) {
            if (take_violation(t, node) < 0)
                return -1;
            continue;
        }
        jxv_buf key = {0};
        jxv__buf_adds(&key, rs.group.data ? rs.group.data : "/");
        jxv__buf_add(&key, "", 1);
        jxv__buf_add(&key, rs.last.data ? rs.last.data : "", rs.last.len);
        jxv__refsplit_free(&rs);
        PyObject *kb = key.oom ? PyErr_NoMemory()
                               : PyBytes_FromStringAndSize(key.data, (Py_ssize_t)key.len);
        jxv__buf_free(&key);
        if (!kb)
            return -1;
        PyObject *target = PyDict_GetItemWithError(t->targets, kb); /* borrowed */
        Py_DECREF(kb);
        if (!target && PyErr_Occurred())
            return -1;
        PyObject *tkind = target ? get(t, target, F_KIND) : NULL;
        if (target && !tkind)
            return -1;
        int is_ref = tkind && PyUnicode_CompareWithASCIIString(tkind, "ref") == 0;
        Py_XDECREF(tkind);
        if (!target || is_ref) {
            jxv_fail(&t->rep, JXV_RULE_REF_TARGET, where, text, len, "%s",
                     !target ? "no node at this path"
                             : "a reference points to a stored node, never to another "
                               "reference");
            if (take_violation(t, node) < 0)
                return -1;
            continue;
        }
        PyObject *tpath = get(t, target, F_PATH);
        int r = tpath && PyDict_SetItem(pairs, node, target) == 0 &&
                        set(t, node, F_SAME_AS, Py_NewRef(tpath)) == 0
                    ? 0
                    : -1;
        Py_XDECREF(tpath);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* Appends node and every node below it to order, in printing order (depth first, a dict
 * entry's key node before its value). */
static int print_order(Tw *t, PyObject *node, PyObject *order)
{
    if (PyList_Append(order, node) < 0)
        return -1;
    PyObject *ch = get(t, node, F_CHILDREN);
    if (!ch)
        return -1;
    int r = 0;
    for (Py_ssize_t i = 0; r == 0 && i < PyTuple_GET_SIZE(ch); i++) {
        PyObject *c = PyTuple_GET_ITEM(ch, i);
        PyObject *kn = get(t, c, F_KEY_NODE);
        if (!kn)
            r = -1;
        else if (kn != Py_None)
            r = print_order(t, kn, order);
        Py_XDECREF(kn);
        if (r == 0)
            r = print_order(t, c, order);
    }
    Py_DECREF(ch);
    return r;
}

/* Fills shared_with (the references' paths, in printing order) and numbers the shared nodes
 * 1, 2, … in printing order; each reference gets its target's number. */
static int number_shared(Tw *t, PyObject *root, PyObject *pairs)
{
    PyObject *order = PyList_New(0), *lists = PyDict_New(); /* target -> list of paths */
    if (!order || !lists || print_order(t, root, order) < 0) {
        Py_XDECREF(order);
        Py_XDECREF(lists);
        return -1;
    }
    int r = 0;
    long next = 0;
    Py_ssize_t n = PyList_GET_SIZE(order);
    for (Py_ssize_t i = 0; r == 0 && i < n; i++) {
        PyObject *node = PyList_GET_ITEM(order, i);
        PyObject *target = PyDict_GetItemWithError(pairs, node); /* borrowed */
        if (!target) {
            r = PyErr_Occurred() ? -1 : 0;
            continue;
        }
        PyObject *list = PyDict_GetItemWithError(lists, target); /* borrowed */
        if (!list && !PyErr_Occurred()) {
            list = PyList_New(0);
            if (list && PyDict_SetItem(lists, target, list) < 0)
                Py_CLEAR(list);
            Py_XDECREF(list); /* the dict holds it */
        }
        PyObject *path = list ? get(t, node, F_PATH) : NULL;
        r = path ? PyList_Append(list, path) : -1;
        Py_XDECREF(path);
    }
    for (Py_ssize_t i = 0; r == 0 && i < n; i++) {
        PyObject *node = PyList_GET_ITEM(order, i);
        PyObject *list = PyDict_GetItemWithError(lists, node);
        if (list)
            r = set(t, node, F_SHARED_WITH, PyList_AsTuple(list)) < 0 ||
                        set(t, node, F_SHARED_ID, PyLong_FromLong(++next)) < 0
                    ? -1
                    : 0;
        else if (PyErr_Occurred())
            r = -1;
    }
    for (Py_ssize_t i = 0; r == 0 && i < n; i++) {
        PyObject *node = PyList_GET_ITEM(order, i);
        PyObject *target = PyDict_GetItemWithError(pairs, node);
        if (target)
            r = set(t, node, F_SHARED_ID, get(t, target, F_SHARED_ID));
        else if (PyErr_Occurred())
            r = -1;
    }
    Py_DECREF(order);
    Py_DECREF(lists);
    return r;
}

/* ---- entry point ----------------------------------------------------------------------- */

/* The version text of a v2 file's JAXON_VERSION ("2.1.0"), "?" when unreadable. */
static PyObject *v2_version(hid_t root)
{
    hid_t aid = H5Aopen(root, "JAXON_VERSION", H5P_DEFAULT);
    hid_t ft = aid >= 0 ? H5Aget_type(aid) : H5I_INVALID_HID;
    char *text = NULL;
    size_t len = 0;
    PyObject *r = NULL;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0 &&
        H5Tget_size(ft) <= 64 && read_text(aid, ft, H5Tget_size(ft), &text, &len) == 0 &&
        jxv__utf8_valid(text, len))
        r = strn(text, len);
    free(text);
    if (ft >= 0)
        H5Tclose(ft);
    if (aid >= 0)
        H5Aclose(aid);
    return r ? r : PyUnicode_FromString("?");
}

static PyObject *tree_of_file(Tw *t, hid_t fid, PyObject *shown)
{
    PyObject *version = NULL, *pairs = NULL, *result = NULL;
    hid_t root = H5Gopen2(fid, "/", H5P_DEFAULT);
    if (root < 0)
        return jx_raise_h5(t->st->JaxonFormatError, "%R: cannot open the root group", shown);
    if (H5Aexists(root, "JAXON_VERSION") > 0) {
        t->layout = JXV_LAYOUT_V2;
        version = v2_version(root);
    } else {
        t->layout = JXV_LAYOUT_V1;
        version = PyUnicode_FromString("1.2.0");
    }
    if (!version || walk_group(t, root, "/", NULL, JXV_TAG_NONE, 0) < 0)
        goto done;
    if (!t->root) {
        PyErr_Format(t->st->JaxonFormatError,
                     "%R: not a Jaxon file: /: [root] no JAXON_ROOT attribute on / (a Jaxon "
                     "file has exactly one root attribute JAXON_ROOT[:typehint])", shown);
        goto done;
    }
    pairs = PyDict_New();
    if (!pairs || resolve_refs(t, pairs) < 0 || number_shared(t, t->root, pairs) < 0)
        goto done;
    result = PyTuple_Pack(2, t->root, version);
done:
    H5Gclose(root);
    Py_XDECREF(version);
    Py_XDECREF(pairs);
    return result;
}

PyObject *jx_tree(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path_or_file", "node_class", NULL};
    JxState *st = jx_state_from_module(module);
    PyObject *source, *cls, *pathb = NULL, *data = NULL, *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:_tree", kwlist, &source, &cls))
        return NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors become exceptions, never printed */
    Tw t;
    memset(&t, 0, sizeof t);
    t.st = st;
    t.cls = cls;
    t.lapl = H5I_INVALID_HID;
    hid_t fapl = H5I_INVALID_HID, fid = H5I_INVALID_HID;
    char image_name[64];
    const char *name = NULL;
    int gc_was_enabled = 0;
    for (int f = 0; f < F__COUNT; f++)
        if (!(t.names[f] = PyUnicode_InternFromString(field_names[f])))
            goto done;
    if (PyUnicode_Check(source) || PyBytes_Check(source) ||
        PyObject_HasAttrString(source, "__fspath__")) {
        PyObject *p = PyObject_CallOneArg(st->os_fspath, source);
        if (!p || !PyUnicode_FSConverter(p, &pathb)) {
            Py_XDECREF(p);
            goto done;
        }
        Py_DECREF(p);
        name = PyBytes_AS_STRING(pathb);
        struct stat sb;
        if (stat(name, &sb) < 0) {
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, source);
            goto done;
        }
        if (S_ISDIR(sb.st_mode)) {
            errno = EISDIR;
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, source);
            goto done;
        }
    } else {
        if (!PyObject_HasAttrString(source, "read")) {
            PyErr_Format(PyExc_TypeError,
                         "tree() needs a path (str or os.PathLike) or a binary file object, "
                         "not %.100s", Py_TYPE(source)->tp_name);
            goto done;
        }
        if (PyObject_HasAttrString(source, "seek")) {
            PyObject *r = PyObject_CallMethod(source, "seek", "i", 0);
            if (!r)
                goto done;
            Py_DECREF(r);
        }
        data = PyObject_CallMethod(source, "read", NULL);
        if (!data)
            goto done;
        if (!PyBytes_Check(data) || PyBytes_GET_SIZE(data) == 0) {
            PyErr_SetString(st->JaxonFormatError,
                            "the file object holds no bytes of an HDF5 file");
            goto done;
        }
        snprintf(image_name, sizeof image_name, "jaxon-tree-image-%p", (void *)data);
        name = image_name;
    }
    if (!(t.targets = PyDict_New()) || !(t.refs = PyList_New(0)) || !(t.visited = PySet_New(NULL)))
        goto done;
    /* the native connector: what is described is the file as stored, whatever
     * HDF5_VOL_CONNECTOR says (jaxon-validate does the same) */
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    t.lapl = H5Pcreate(H5P_LINK_ACCESS);
    if (fapl < 0 || t.lapl < 0 || H5Pset_elink_cb(t.lapl, jxv__refuse_external_link, NULL) < 0 ||
        H5Pset_vol(fapl, H5VL_NATIVE, NULL) < 0 ||
        (data ? H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 ||
                    H5Pset_file_image(fapl, PyBytes_AS_STRING(data),
                                      (size_t)PyBytes_GET_SIZE(data)) < 0
              : H5Pset_fapl_sec2(fapl) < 0)) {
        jx_raise_h5(st->JaxonError, "cannot set up HDF5 file access");
        goto done;
    }
    /* the walk makes a few container objects per node and frees none: the cyclic GC
     * would rescan the growing tree again and again for nothing */
    gc_was_enabled = PyGC_Disable();
    fid = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fid < 0) {
        PyErr_Clear();
        H5Eclear2(H5E_DEFAULT);
        PyErr_Format(st->JaxonFormatError, "%R: not an HDF5 file (or a damaged one): HDF5 "
                     "cannot open it", source);
        goto done;
    }
    result = tree_of_file(&t, fid, source);
done:
    if (gc_was_enabled)
        PyGC_Enable();
    if (fid >= 0)
        H5Fclose(fid);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (t.lapl >= 0)
        H5Pclose(t.lapl);
    H5Eclear2(H5E_DEFAULT);
    jxv_report_clear(&t.rep);
    Py_XDECREF(t.root);
    Py_XDECREF(t.targets);
    Py_XDECREF(t.refs);
    Py_XDECREF(t.visited);
    for (int f = 0; f < F__COUNT; f++)
        Py_XDECREF(t.names[f]);
    Py_XDECREF(pathb);
    Py_XDECREF(data);
    return result;
}
