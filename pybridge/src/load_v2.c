/* The v2.x reader (spec §4.12): typeinfo in attribute names ("N:typeinfo"), "E"
 * placeholder values, data in datasets, bare repr atoms, escaped strings, quote-aware
 * reference paths, jaxon[...]/dclass[...]/dill tags and jax.Array[<dtype>].
 *
 * Deliberate differences from Python jaxon 2.x's own reader (all "read what it wrote"):
 *  - groups and datasets are opened by relative path first, so dict keys containing '/'
 *    (nested groups, bug B2-1) load; a direct child whose stripped name matches is the
 *    fallback (whitespace around names, §4.4);
 *  - an unterminated quote, an empty value and a missing dataset are JaxonFormatError
 *    (2.x: accepted / IndexError / KeyError, B2-3, B2-4, B2-6).
 *
 * Identity: every node is cached under its key, the stripped group names from "/" and the
 * stripped slot name joined by NUL, which is also what a reference path tokenises to; a
 * reference whose target is not loaded yet loads it on demand (as 2.x does). Keys being
 * loaded are kept in a set: meeting one again is a cycle. */
#include "load_v2.h"
#include "names.h"
#include "jxv_internal.h"

#include <string.h>

#include "atoms_parse.h"
#include "load_types.h"

/* Nested load_node calls, containers and on-demand reference targets together: a chain of
 * forward references may lead from deep inside one subtree into another, so the C stack is
 * bounded by this count, not by the nesting level (JXV_MAX_NESTING) alone. Twice the nesting
 * limit lets a reference at the deepest level reach a target at the deepest level of
 * another subtree; measured ~0.9 KB of C stack per frame (docs/security.md). */
#define V2_MAX_FRAMES (2 * JXV_MAX_NESTING + 8)

typedef struct V2 {
    Loader *L;
    hid_t root;
    PyObject *loading; /* set of keys being loaded */
    PyObject *tables;  /* group key (bytes) -> {stripped slot (bytes): raw name (bytes)} */
    int frames;        /* load_node calls in progress */
    int nest;          /* containers enclosing the node being loaded (root container: 1) */
    int hops;          /* reference targets being loaded on demand */
    PyObject *refs;    /* keys of the nodes that are references (targets never are, §4.7) */
    int was_ref;       /* set by load_ref, taken by the load_node that loaded the node */
} V2;


typedef enum Kind {
    K_BAD, K_ATOM, K_JAX, K_BYTES, K_BYTEARRAY, K_NDARRAY, K_STR, K_BYTES_, K_VOID,
    K_DICT, K_LIST, K_TUPLE, K_SET, K_FROZENSET
} Kind;
_Static_assert(K_FROZENSET - K_DICT == JXV_TAG_FROZENSET - JXV_TAG_DICT, "containers follow jxv_ctag");

static PyObject *load_node(V2 *V, hid_t gid, const char *raw);

/* ---- whitespace (Python str.isspace): the layout library's (jxv_util.c) ------------- */

static void lstrip(const char **s, size_t *n)
{
    size_t w;
    while (*n > 0 && (w = jxv__space_at(*s, *n)) > 0) {
        *s += w;
        *n -= w;
    }
}

static void rstrip(const char *s, size_t *n)
{
    size_t w;
    while (*n > 0 && (w = jxv__space_before(s, *n)) > 0)
        *n -= w;
}

#define strip jxv__strip

static int eq(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n == w && memcmp(s, word, w) == 0;
}

/* ---- names --------------------------------------------------------------------------- */

/* §4.3, the layout library's split (both parts stripped); ti is the end of the name when
 * there is no typeinfo. */
static void split_name(const char *name, size_t n, const char **slot, size_t *sn,
                       const char **ti, size_t *tn)
{
    jxv__split_attr_name(JXV_LAYOUT_V2, name, n, slot, sn, ti, tn);
    if (!*ti)
        *ti = name + n;
}

/* Splits a typeinfo piece into tag and optional "[argument]" (§4.3). Returns 0, or -1 for
 * bad bracket syntax (no exception set). */
static int split_arg(const char *p, size_t n, size_t *th_len, const char **ta, size_t *ta_len)
{
    *th_len = n;
    *ta = NULL;
    *ta_len = 0;
    if (n == 0)
        return 0;
    const char *open = memchr(p, '[', n);
    if (p[n - 1] == ']') {
        if (memchr(p, ']', n - 1) || !open || memchr(open + 1, '[', (size_t)(p + n - 1 - open - 1)))
            return -1;
        *th_len = (size_t)(open - p);
        rstrip(p, th_len);
        *ta = open + 1;
        *ta_len = (size_t)(p + n - 1 - *ta);
        lstrip(ta, ta_len);
        return 0;
    }
    return open ? -1 : 0;
}

/* The builtin tag th through the layout library's tag table (jxv_tags.c). */
static Kind kind_of(const char *th, size_t n)
{
    if (n == 0)
        return K_ATOM;
    const jxv_tag *t = jxv_tag_find(2, th, n);
    if (!t)
        return K_BAD;
    if (t->ctag != JXV_TAG_NONE)
        return (Kind)(K_DICT + (t->ctag - JXV_TAG_DICT));
    switch (t->data) {
    case JXV_D_JAX: return K_JAX;
    case JXV_D_BYTES: return K_BYTES;
    case JXV_D_BYTEARRAY: return K_BYTEARRAY;
    case JXV_D_NDARRAY: return K_NDARRAY;
    case JXV_D_STR_: return K_STR;
    case JXV_D_BYTES_: return K_BYTES_;
    case JXV_D_VOID: return K_VOID;
    default: return K_BAD;
    }
}

/* ---- attribute and link names -------------------------------------------------------- */


/* Opens the group (want_group) or dataset named by the stripped slot: as a relative path
 * first (nested names, B2-1), then the direct child whose stripped link name equals it. */
static hid_t open_child(V2 *V, hid_t gid, const char *slot, const char *attr, int want_group)
{
    Loader *L = V->L;
    hid_t id = want_group ? H5Gopen2(gid, slot, L->gapl) : H5Dopen2(gid, slot, L->dapl);
    if (id >= 0) {
        if (!strchr(slot, '/') && jx_ld_hard_link(L, gid, slot, attr) < 0) {
            H5Oclose(id);
            return -1;
        }
        jx_ld_opened(L, gid);
        return id;
    }
    H5Eclear2(H5E_DEFAULT);
    JxNames nl;
    memset(&nl, 0, sizeof nl);
    if (jx_names_collect_links(gid, &nl) < 0) {
        int oom = nl.oom;
        jx_names_free(&nl);
        H5Eclear2(H5E_DEFAULT);
        if (oom) {
            PyErr_NoMemory();
            return -1;
        }
    }
    size_t sl = strlen(slot);
    for (size_t i = 0; i < nl.n && id < 0; i++) {
        const char *s = jx_names_at(&nl, i);
        size_t n = strlen(s);
        strip(&s, &n);
        if (n == sl && memcmp(s, slot, n) == 0 && strcmp(jx_names_at(&nl, i), slot) != 0) {
            const char *raw = jx_names_at(&nl, i);
            id = want_group ? H5Gopen2(gid, raw, L->gapl) : H5Dopen2(gid, raw, L->dapl);
            if (id < 0)
                H5Eclear2(H5E_DEFAULT);
            else if (!strchr(raw, '/') && jx_ld_hard_link(L, gid, raw, attr) < 0) {
                H5Oclose(id);
                jx_names_free(&nl);
                return -1;
            } else {
                jx_ld_opened(L, gid);
            }
        }
    }
    jx_names_free(&nl);
    if (id < 0) {
        PyObject *s = jx_ld_shown(slot, sl);
        if (s) {
            jx_ld_format_error(L, attr, want_group ? "container-group" : "dataset", "%s %R not found (the node's data is missing or is "
                               "not a %s)", want_group ? "group" : "dataset", s,
                               want_group ? "group" : "dataset");
            Py_DECREF(s);
        }
    }
    return id;
}

/* ---- atoms --------------------------------------------------------------------------- */

/* Python int(u), float(u), complex(u) in that order; 1 with *out, 0 if none accepts u,
 * -1 on other errors. */
static int try_numbers(const char *s, size_t n, PyObject *u, PyObject **out)
{
    PyObject *r = jx_atom_int(s, (Py_ssize_t)n);
    if (!r && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        r = PyFloat_FromString(u);
    }
    if (!r && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        r = PyObject_CallOneArg((PyObject *)&PyComplex_Type, u);
    }
    if (!r) {
        if (!PyErr_ExceptionMatches(PyExc_ValueError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    *out = r;
    return 1;
}

static PyObject *parse_range(Loader *L, const char *name, const char *s, size_t n)
{
    PyObject *parts[3], *args = NULL, *r = NULL;
    int np = 0;
    if (n < 7 || memcmp(s, "range(", 6) != 0 || s[n - 1] != ')')
        goto bad;
    const char *p = s + 6, *end = s + n - 1;
    while (np < 3) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        PyObject *v = jx_atom_int(p, (Py_ssize_t)(e - p));
        if (!v) {
            if (!PyErr_ExceptionMatches(PyExc_ValueError))
                goto fail;
            PyErr_Clear();
            goto bad;
        }
        parts[np++] = v;
        if (!c)
            break;
        p = c + 1;
        if (np == 3)
            goto bad; /* a fourth part */
    }
    if (np < 2)
        goto bad;
    args = PyTuple_New(np);
    if (!args)
        goto fail;
    for (int i = 0; i < np; i++)
        PyTuple_SET_ITEM(args, i, parts[i]);
    np = 0;
    r = PyObject_Call((PyObject *)&PyRange_Type, args, NULL);
    Py_DECREF(args);
    if (!r && PyErr_ExceptionMatches(PyExc_ValueError))
        goto bad;
    return r;
bad:
    PyErr_Clear();
    {
        PyObject *t = jx_ld_shown(s, n);
        if (t) {
            jx_ld_format_error(L, name, "atom-text", "cannot parse range representation %R", t);
            Py_DECREF(t);
        }
    }
fail:
    for (int i = 0; i < np; i++)
        Py_DECREF(parts[i]);
    return NULL;
}

/* §4.12 simple atoms, on stripped text: 1 with *out, 0 when s is not a simple atom, -1. */
static int parse_simple(Loader *L, const char *name, const char *s, size_t n, PyObject **out)
{
    if (eq(s, n, "None"))
        return *out = Py_NewRef(Py_None), 1;
    if (eq(s, n, "Ellipsis"))
        return *out = Py_NewRef(Py_Ellipsis), 1;
    if (eq(s, n, "True"))
        return *out = Py_NewRef(Py_True), 1;
    if (eq(s, n, "False"))
        return *out = Py_NewRef(Py_False), 1;
    if (n == 0 || s[0] == '/')
        return 0; /* int(), float(), complex() reject it, and it is no range */
    if (s[0] == '\'') {
        if (n < 2 || s[n - 1] != '\'') {
            PyObject *t = jx_ld_shown(s, n);
            if (t) {
                jx_ld_format_error(L, name, "atom-text", "string literal %R is not terminated", t);
                Py_DECREF(t);
            }
            return -1;
        }
        PyObject *u = PyUnicode_DecodeUTF8(s + 1, (Py_ssize_t)(n - 2), "strict");
        if (!u) {
            jx_ld_rewrap(L, name, "atom-text", "the string is not valid UTF-8");
            return -1;
        }
        if (memchr(s + 1, '\\', n - 2)) {
            /* exactly 2.x's unescape: replace \' by ', then \\ by \ */
            static PyObject *bq, *q, *bb, *b;
            if (!bq) {
                bq = PyUnicode_FromString("\\'");
                q = PyUnicode_FromString("'");
                bb = PyUnicode_FromString("\\\\");
                b = PyUnicode_FromString("\\");
                if (!bq || !q || !bb || !b) {
                    Py_CLEAR(bq);
                    Py_DECREF(u);
                    return -1;
                }
            }
            PyObject *u2 = PyUnicode_Replace(u, bq, q, -1);
            Py_DECREF(u);
            u = u2 ? PyUnicode_Replace(u2, bb, b, -1) : NULL;
            Py_XDECREF(u2);
            if (!u)
                return -1;
        }
        *out = u;
        return 1;
    }
    PyObject *u = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
    if (!u) {
        jx_ld_rewrap(L, name, "atom-text", "the text is not valid UTF-8");
        return -1;
    }
    int r = try_numbers(s, n, u, out);
    Py_DECREF(u);
    if (r != 0)
        return r;
    if (n >= 5 && memcmp(s, "range", 5) == 0) {
        *out = parse_range(L, name, s, n);
        return *out ? 1 : -1;
    }
    return 0;
}

/* ---- references ---------------------------------------------------------------------- */

/* The raw attribute name of group gid whose stripped slot is elem (borrowed bytes), or
 * NULL (no exception when simply absent). Each group's names are listed once per load into
 * a table keyed by the group's key gkey, so n forward references into one group cost one
 * listing, not n (before: 16,000 references into a group took minutes). */
static PyObject *find_attr(V2 *V, hid_t gid, PyObject *gkey, const char *elem, size_t en)
{
    Loader *L = V->L;
    PyObject *table = PyDict_GetItemWithError(V->tables, gkey);
    if (!table) {
        JxNames nl;
        if (PyErr_Occurred())
            return NULL;
        memset(&nl, 0, sizeof nl);
        if (jx_ld_collect_names(L, gid, NULL, &nl) < 0)
            return NULL;
        table = PyDict_New();
        for (size_t i = 0; table && i < nl.n; i++) { /* the last one wins, like 2.x's dict */
            const char *raw = jx_names_at(&nl, i), *slot, *ti;
            size_t sn, tn, rn = strlen(raw);
            split_name(raw, rn, &slot, &sn, &ti, &tn);
            PyObject *k = PyBytes_FromStringAndSize(slot, (Py_ssize_t)sn);
            PyObject *v = k ? PyBytes_FromStringAndSize(raw, (Py_ssize_t)rn) : NULL;
            if (!v || PyDict_SetItem(table, k, v) < 0)
                Py_CLEAR(table);
            Py_XDECREF(k);
            Py_XDECREF(v);
        }
        jx_names_free(&nl);
        if (!table)
            return NULL;
        int rc = PyDict_SetItem(V->tables, gkey, table);
        Py_DECREF(table); /* V->tables holds it */
        if (rc < 0)
            return NULL;
    }
    PyObject *k = PyBytes_FromStringAndSize(elem, (Py_ssize_t)en), *raw;
    if (!k)
        return NULL;
    raw = PyDict_GetItemWithError(table, k);
    Py_DECREF(k);
    return raw;
}

/* §4.7: tokenises the path (quote-aware, elements stripped) into a NUL-joined key, finds
 * the target in the cache or loads it from its place. */
static PyObject *load_ref(V2 *V, const char *name, const char *s, size_t n)
{
    Loader *L = V->L;
    char *k = PyMem_Malloc(n + 1), *saved = NULL, *raw = NULL;
    size_t klen = 0, elem_start = 0, saved_len = 0;
    size_t *starts = PyMem_Malloc((n + 1) * sizeof *starts), nel = 0;
    PyObject *key = NULL, *r = NULL;
    hid_t g = -1;
    if (!k || !starts) {
        PyErr_NoMemory();
        goto done;
    }
    int count = jx_ld_ref_key(L, 1, name, s, n, k, starts, &klen);
    if (count < 0)
        goto done;
    nel = (size_t)count;
    elem_start = starts[nel - 1];
    key = PyBytes_FromStringAndSize(k, (Py_ssize_t)klen);
    if (!key)
        goto done;
    r = PyDict_GetItemWithError(L->memo, key);
    if (r || PyErr_Occurred()) {
        Py_XINCREF(r);
        goto target;
    }
    /* not loaded yet: walk to it from "/" */
    g = H5Gopen2(V->root, ".", L->gapl);
    if (g < 0) {
        jx_ld_h5_error(L, name, "cannot open the root group");
        goto done;
    }
    for (size_t e = 0; e + 1 < nel; e++) {
        hid_t c = open_child(V, g, k + starts[e], name, 1);
        H5Gclose(g);
        g = c;
        if (g < 0)
            goto done;
    }
    if (V->hops >= JXV_MAX_NESTING) {
        jx_ld_rule_error(L, NULL, name, "ref-chain", "more than %d references lead to one "
                         "another, each target loaded on demand", JXV_MAX_NESTING);
        goto done;
    }
    PyObject *gkey = PyBytes_FromStringAndSize(k, (Py_ssize_t)elem_start), *rawb;
    rawb = gkey ? find_attr(V, g, gkey, k + elem_start, klen - elem_start) : NULL;
    Py_XDECREF(gkey);
    raw = rawb ? PyMem_Malloc((size_t)PyBytes_GET_SIZE(rawb) + 1) : NULL;
    if (rawb && !raw)
        PyErr_NoMemory();
    else if (raw)
        memcpy(raw, PyBytes_AS_STRING(rawb), (size_t)PyBytes_GET_SIZE(rawb) + 1);
    if (!raw) {
        if (!PyErr_Occurred()) {
            PyObject *t = jx_ld_shown(s, n);
            if (t) {
                jx_ld_format_error(L, name, "ref-target", "the reference %R points to no attribute", t);
                Py_DECREF(t);
            }
        }
        goto done;
    }
    saved = PyMem_Malloc(L->key_len + 1);
    if (!saved || jx_ld_key_reserve(L, elem_start + 1) < 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    saved_len = L->key_len;
    memcpy(saved, L->key, saved_len);
    memcpy(L->key, k, elem_start);
    L->key_len = elem_start;
    {
        /* the target sits in the group of nel - 1 path elements */
        int saved_nest = V->nest;
        V->nest = (int)nel - 1;
        V->hops++;
        r = load_node(V, g, raw);
        V->hops--;
        V->nest = saved_nest;
    }
    if (jx_ld_key_reserve(L, saved_len) < 0) {
        Py_CLEAR(r);
    } else {
        memcpy(L->key, saved, saved_len);
    }
    L->key_len = saved_len;
target:
    /* the validator's ref-target: a reference names a stored node, never another reference
     * (loaded before, or just now on demand) */
    if (r) {
        int is_ref = PySet_Contains(V->refs, key);
        if (is_ref != 0) {
            Py_CLEAR(r);
            if (is_ref > 0)
                jx_ld_rule_error(L, NULL, name, "ref-target", "a reference points to a stored "
                                 "node, never to another reference");
        }
    }
    V->was_ref = r != NULL;
done:
    if (g >= 0)
        H5Gclose(g);
    PyMem_Free(k);
    PyMem_Free(starts);
    PyMem_Free(saved);
    PyMem_Free(raw);
    Py_XDECREF(key);
    return r;
}

/* A node without builtin tag: numeric scalar, simple atom or reference. */
static PyObject *load_atom(V2 *V, hid_t gid, const char *name)
{
    Loader *L = V->L;
    hid_t aid = H5Aopen(gid, name, H5P_DEFAULT), ftype = -1, space = -1;
    PyObject *r = NULL;
    if (aid < 0)
        return jx_ld_h5_error(L, name, "cannot open the attribute");
    ftype = H5Aget_type(aid);
    space = H5Aget_space(aid);
    if (ftype < 0 || space < 0) {
        jx_ld_h5_error(L, name, "cannot inspect the attribute");
        goto done;
    }
    H5T_class_t cls = H5Tget_class(ftype);
    if (cls != H5T_STRING) {
        if ((cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM || cls == H5T_COMPOUND) &&
            H5Sget_simple_extent_type(space) == H5S_SCALAR)
            r = jx_ld_numeric_scalar(L, aid, ftype, name,
                                 "expected a text atom, a reference or a numeric scalar");
        else
            jx_ld_format_error(L, name, "value-type", "expected a fixed-length string or a numeric scalar "
                               "attribute");
        goto done;
    }
    H5Sclose(space);
    H5Tclose(ftype);
    H5Aclose(aid);
    space = ftype = aid = -1;
    Text t;
    if (jx_ld_read_text_attr(L, gid, name, &t) < 0)
        goto done;
    const char *s = t.p;
    size_t n = t.n;
    strip(&s, &n);
    if (n == 0) {
        jx_ld_rule_error(L, NULL, name, "atom-text", "empty string value (neither an atom nor "
                         "a reference)");
    } else if (s[0] == '/' || jx_ld_check_atom(L, 1, name, s, n) == 0) {
        int k = parse_simple(L, name, s, n, &r);
        if (k == 0) {
            if (s[0] == '/') {
                r = load_ref(V, name, s, n);
            } else {
                PyObject *sh = jx_ld_shown(s, n);
                if (sh) {
                    jx_ld_format_error(L, name, "atom-text", "cannot interpret string data %R", sh);
                    Py_DECREF(sh);
                }
            }
        }
    }
    jx_ld_text_free(&t);
done:
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (aid >= 0)
        H5Aclose(aid);
    return r;
}

/* ---- data nodes ---------------------------------------------------------------------- */

static PyObject *empty_value(Kind k)
{
    switch (k) {
    case K_BYTES:
        return PyBytes_FromStringAndSize(NULL, 0);
    case K_BYTEARRAY:
        return PyByteArray_FromStringAndSize(NULL, 0);
    case K_STR: {
        PyObject *e = PyUnicode_FromStringAndSize(NULL, 0), *r;
        r = e ? PyObject_CallOneArg((PyObject *)&PyUnicodeArrType_Type, e) : NULL;
        Py_XDECREF(e);
        return r;
    }
    case K_BYTES_:
    case K_VOID: {
        PyObject *e = PyBytes_FromStringAndSize(NULL, 0), *r;
        PyObject *t = (PyObject *)(k == K_VOID ? &PyVoidArrType_Type : &PyStringArrType_Type);
        r = e ? PyObject_CallOneArg(t, e) : NULL;
        Py_XDECREF(e);
        return r;
    }
    default:
        return NULL;
    }
}

static PyObject *jax_asarray(V2 *V, const char *name)
{
    JxState *st = V->L->st;
    if (!st->jnp_asarray) {
        PyObject *jnp = jx_ld_import(V->L, name, "jax.numpy", "jax", "a jax.Array");
        if (!jnp)
            return NULL;
        st->jnp_asarray = PyObject_GetAttrString(jnp, "asarray");
        Py_DECREF(jnp);
    }
    return st->jnp_asarray;
}

static PyObject *load_dataset(V2 *V, hid_t gid, const char *name, const char *slot, Kind k,
                              const char *ta, size_t ta_len)
{
    Loader *L = V->L;
    PyObject *r = NULL, *arr = NULL;
    Src src = {open_child(V, gid, slot, name, 0), 1};
    if (src.id < 0)
        return NULL;
    hid_t space = H5Dget_space(src.id);
    H5S_class_t sc = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    if (space >= 0)
        H5Sclose(space);
    if (sc == H5S_NO_CLASS) {
        jx_ld_h5_error(L, name, "cannot read the dataset's dataspace");
        goto done;
    }
    if (sc == H5S_NULL) {
        /* B2-9: the empty value, whatever the datatype (float64 for bytes/void); its dataset
         * carries no attribute either (the validator's stray-object) */
        H5O_info2_t oi;
        if (H5Oget_info3(src.id, &oi, H5O_INFO_NUM_ATTRS) < 0)
            jx_ld_h5_error(L, name, "cannot inspect the dataset");
        else if (oi.num_attrs > 0)
            jx_ld_rule_error(L, NULL, name, "stray-object", "the dataset of a node carries no "
                             "attribute (but JAXON_DTYPE on v1 array data)");
        else if (k == K_NDARRAY || k == K_JAX)
            jx_ld_format_error(L, name, "value-type", "an array dataset has a NULL dataspace (no value)");
        else
            r = empty_value(k);
        goto done;
    }
    {
        static const jxv_dhint hint_of[] = {
            [K_JAX] = JXV_D_JAX,        [K_BYTES] = JXV_D_BYTES,
            [K_BYTEARRAY] = JXV_D_BYTEARRAY, [K_NDARRAY] = JXV_D_NDARRAY,
            [K_STR] = JXV_D_STR_,       [K_BYTES_] = JXV_D_BYTES_, [K_VOID] = JXV_D_VOID};
        if (k < (Kind)(sizeof hint_of / sizeof *hint_of) && hint_of[k] != JXV_D_NONE &&
            jx_ld_check_data(L, 1, name, hint_of[k], ta, ta ? ta_len : 0, src.id, 1, -1, -1) < 0)
            goto done;
    }
    switch (k) {
    case K_BYTES:
        r = jx_ld_load_data(L, &src, name, DK_BYTES, NULL, 0);
        break;
    case K_BYTEARRAY:
        r = jx_ld_load_data(L, &src, name, DK_BYTEARRAY, NULL, 0);
        break;
    case K_NDARRAY:
        L->lazy_next = L->opts->lazy && L->opts->lazy_file ? 1 : 0;
        r = jx_ld_load_data(L, &src, name, DK_NDARRAY, NULL, 0);
        break;
    case K_JAX: {
        /* lazy or placed (load_lazy.c): a LazyArray or a placed jax array comes back */
        PyObject *jd = NULL;
        if (L->opts->lazy_file || L->opts->placer) {
            jd = PyUnicode_DecodeUTF8(ta, (Py_ssize_t)ta_len, "strict");
            if (!jd) {
                jx_ld_rewrap(L, name, "dataset", "cannot restore the jax array dtype");
                break;
            }
        }
        L->lazy_next = L->opts->lazy_file ? 2 : 0;
        L->lazy_jax_dtype = jd;
        arr = jx_ld_load_data(L, &src, name, DK_NDARRAY, NULL, 0);
        L->lazy_jax_dtype = NULL;
        if (jd && arr && (!PyArray_Check(arr) || L->opts->placer)) {
            r = PyArray_Check(arr) ? jx_ld_place(L, arr, jd) : Py_NewRef(arr);
            Py_DECREF(jd);
            break;
        }
        Py_XDECREF(jd);
        PyObject *f = arr ? jax_asarray(V, name) : NULL;
        PyObject *dt = f ? PyUnicode_DecodeUTF8(ta, (Py_ssize_t)ta_len, "strict") : NULL;
        PyObject *args = dt ? PyTuple_Pack(1, arr) : NULL;
        PyObject *kw = args ? Py_BuildValue("{sO}", "dtype", dt) : NULL;
        if (kw)
            r = PyObject_Call(f, args, kw);
        if (!r && dt)
            jx_ld_rewrap(L, name, "dataset", "cannot restore the jax array dtype");
        Py_XDECREF(dt);
        Py_XDECREF(args);
        Py_XDECREF(kw);
        break;
    }
    case K_STR:
    case K_BYTES_:
    case K_VOID:
        arr = jx_ld_load_data(L, &src, name, DK_NDARRAY, NULL, 0);
        if (!arr)
            break;
        r = PyArray_Return((PyArrayObject *)Py_NewRef(arr));
        if (!r || k == K_VOID)
            break;
        if (!PyObject_TypeCheck(r, &PyStringArrType_Type)) {
            Py_CLEAR(r);
            jx_ld_format_error(L, name, "dataset", "expected a scalar fixed-length string dataset");
            break;
        }
        if (k == K_STR) {
            PyObject *u = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(r), PyBytes_GET_SIZE(r),
                                               "strict");
            Py_SETREF(r, u ? PyObject_CallOneArg((PyObject *)&PyUnicodeArrType_Type, u) : NULL);
            Py_XDECREF(u);
            if (!r)
                jx_ld_rewrap(L, name, "value-type", "the numpy.str_ data is not valid UTF-8");
        }
        break;
    default:
        break;
    }
done:
    Py_XDECREF(arr);
    H5Dclose(src.id);
    return r;
}

/* ---- containers ---------------------------------------------------------------------- */

/* "key(<int>)" / "value(<int>)" index as Python's int() of the text up to the first ')'. */
/* The shared walk's operations for v2 (load_walk.c). */
static PyObject *v2_node(void *ctx, hid_t gid, const char *name)
{
    return load_node(ctx, gid, name);
}

static int v2_slot_key(Loader *L, const char *name, const char *slot, size_t slot_len,
                       PyObject **key)
{
    return parse_simple(L, name, slot, slot_len, key);
}

static PyObject *load_container(V2 *V, hid_t pgid, const char *name, const char *slot,
                                size_t sn, Kind k)
{
    Loader *L = V->L;
    JxNames nl;
    PyObject *c = NULL, *tok = NULL;
    int pushed = 0;
    memset(&nl, 0, sizeof nl);
    if (V->nest >= JXV_MAX_NESTING)
        return jx_ld_rule_error(L, NULL, name, "depth-limit", "containers nest more than %d "
                                "levels deep (the limit shared by save and load)",
                                JXV_MAX_NESTING);
    hid_t gid = open_child(V, pgid, slot, name, 1);
    if (gid < 0)
        return NULL;
    H5O_info2_t info;
    if (H5Oget_info3(gid, &info, H5O_INFO_BASIC) < 0) {
        jx_ld_h5_error(L, name, "cannot inspect the group");
        goto done;
    }
    /* a group reached twice (hard links) is not a tree: refuse rather than loop or blow up */
    tok = PyBytes_FromStringAndSize((const char *)&info.token, sizeof info.token);
    if (!tok)
        goto done;
    int seen = PySet_Contains(L->visited, tok);
    if (seen != 0 || PySet_Add(L->visited, tok) < 0) {
        if (seen > 0)
            jx_ld_format_error(L, name, "container-group", "the group was already loaded through another link (a "
                               "Jaxon file is a tree)");
        goto done;
    }
    if (jx_ld_key_reserve(L, sn + 1) < 0)
        goto done;
    memcpy(L->key + L->key_len, slot, sn);
    L->key[L->key_len + sn] = '\0';
    L->key_len += sn + 1;
    pushed = 1;
    if (jx_ld_collect_names(L, gid, NULL, &nl) < 0 ||
        jx_ld_check_names(L, &nl, 1, JXV_TAG_DICT + (int)(k - K_DICT), 0) < 0)
        goto done;
    V->nest++;
    hid_t outer_gid = L->cur_gid;
    size_t outer_opened = L->cur_opened;
    L->cur_gid = gid;
    L->cur_opened = 0;
    c = jx_ld_items(L->reader, gid, &nl, JXV_TAG_DICT + (int)(k - K_DICT));
    if (c && !L->opts->load_filter &&
        jx_ld_check_links(L, gid, &nl, 1, L->cur_opened, 0) < 0)
        Py_CLEAR(c);
    L->cur_gid = outer_gid;
    L->cur_opened = outer_opened;
    V->nest--;
done:
    if (pushed)
        L->key_len -= sn + 1;
    Py_XDECREF(tok);
    jx_names_free(&nl);
    H5Gclose(gid);
    return c;
}

/* ---- tags ---------------------------------------------------------------------------- */

/* The class of a jaxon[q]/dclass[q] tag: module before the last dot, under the loading
 * policy (load_policy.c: no import unless allowed, no getattr hooks). */
static PyObject *get_class(Loader *L, const char *name, const char *q, size_t qn)
{
    PyObject *tag = PyUnicode_DecodeUTF8(q, (Py_ssize_t)qn, "strict"), *cls;
    if (!tag)
        return jx_ld_rewrap(L, name, "type-tag", "bad class name in the tag");
    cls = jx_pol_class(L, name, tag, 0);
    Py_DECREF(tag);
    if (cls && !PyType_Check(cls)) {
        jx_ld_format_error(L, name, "class-mismatch", "the tag names %R, which is not a class", cls);
        Py_CLEAR(cls);
    }
    return cls;
}

static PyObject *load_dill_blob(V2 *V, const char *name, PyObject *blob)
{
    Loader *L = V->L;
    PyObject *kw = L->opts->dill_kwargs, *dill, *loads, *args, *r = NULL;
    if (!L->opts->allow_dill)
        return jx_ld_rule_error(L, L->st->JaxonSecurityError, name, "dill-refused",
                                "cannot load a dill serialized object as allow_dill=False "
                                "(unpickling runs code from the file; pass allow_dill=True "
                                "for a trusted file)");
    if (kw && !PyDict_Check(kw)) {
        PyErr_Format(PyExc_TypeError, "dill_kwargs must be a dict, not %.100s",
                     Py_TYPE(kw)->tp_name);
        return NULL;
    }
    dill = jx_ld_import(L, name, "dill", "dill", "a dill blob");
    loads = dill ? PyObject_GetAttrString(dill, "loads") : NULL;
    args = loads ? PyTuple_Pack(1, blob) : NULL;
    if (args)
        r = PyObject_Call(loads, args, kw);
    Py_XDECREF(dill);
    Py_XDECREF(loads);
    Py_XDECREF(args);
    return r;
}

/* One "#tag": custom_unmarshalers first, then jaxon[...], dclass[...], dill. Steals obj. */
static PyObject *unmarshal(V2 *V, const char *name, const char *p, size_t n, PyObject *obj)
{
    Loader *L = V->L;
    PyObject *fns = L->opts->custom_unmarshalers, *tag, *r = NULL;
    tag = PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "strict");
    if (!tag) {
        Py_DECREF(obj);
        return jx_ld_rewrap(L, name, "type-tag", "bad marshaler tag");
    }
    Py_ssize_t nfn = fns ? PyTuple_GET_SIZE(fns) : 0;
    for (Py_ssize_t i = 0; i < nfn; i++) {
        r = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(fns, i), tag, obj, NULL);
        if (!r || r != Py_None)
            goto done;
        Py_CLEAR(r);
    }
    size_t thn, tan;
    const char *ta;
    if (split_arg(p, n, &thn, &ta, &tan) == 0) {
        if (eq(p, thn, "jaxon") || eq(p, thn, "dclass")) {
            if (!ta) {
                jx_ld_format_error(L, name, "type-tag", "expected a type argument for the tag %R", tag);
                goto done;
            }
            PyObject *cls = get_class(L, name, ta, tan);
            if (!cls)
                goto done;
            if (p[0] == 'd') {
                if (!PyDict_CheckExact(obj))
                    jx_ld_format_error(L, name, "type-tag", "expected a dict for a marshaled dataclass");
                else
                    r = jx_pol_type_attr(cls, "__dataclass_fields__")
                            ? jx_ld_dataclass(L, name, cls, obj)
                            : jx_ld_format_error(L, name, "class-mismatch",
                                                 "expected that %R is a dataclass", cls);
            } else {
                PyObject *inst = NULL, *rv = NULL;
                if (!jx_pol_type_attr(cls, "from_jaxon"))
                    jx_ld_format_error(L, name, "class-mismatch", "expected that the class %R marshaled via "
                                       "to_jaxon has the from_jaxon method", cls);
                else if ((inst = jx_pol_new(L, name, cls)) &&
                         (rv = PyObject_CallMethod(inst, "from_jaxon", "O", obj)))
                    r = Py_NewRef(inst);
                Py_XDECREF(inst);
                Py_XDECREF(rv);
            }
            Py_DECREF(cls);
            goto done;
        }
        if (eq(p, thn, "dill")) {
            if (ta)
                jx_ld_format_error(L, name, "type-tag", "did not expect a type argument for the dill tag");
            else
                r = load_dill_blob(V, name, obj);
            goto done;
        }
    }
    jx_ld_format_error(L, name, "class-mismatch", "no suitable unmarshaler found for the tag %R", tag);
done:
    Py_DECREF(tag);
    Py_DECREF(obj);
    return r;
}

/* ---- nodes --------------------------------------------------------------------------- */

static PyObject *load_typed(V2 *V, hid_t gid, const char *raw, const char *slot, size_t sn,
                            const char *ti, size_t tn)
{
    Loader *L = V->L;
    const char *hash = memchr(ti, '#', tn);
    const char *p0 = ti;
    size_t n0 = hash ? (size_t)(hash - ti) : tn, thn, tan;
    const char *ta;
    strip(&p0, &n0);
    if (split_arg(p0, n0, &thn, &ta, &tan) < 0) {
        PyObject *s = jx_ld_shown(p0, n0);
        if (s) {
            jx_ld_format_error(L, raw, "type-tag", "invalid type argument syntax in %R", s);
            Py_DECREF(s);
        }
        return NULL;
    }
    Kind k = kind_of(p0, thn);
    PyObject *obj = NULL;
    if (k == K_BAD) {
        PyObject *s = jx_ld_shown(p0, thn);
        if (s) {
            jx_ld_format_error(L, raw, "type-tag", "type hint %R not understood", s);
            Py_DECREF(s);
        }
        return NULL;
    }
    if (k == K_JAX && !ta)
        return jx_ld_format_error(L, raw, "type-tag", "expected a type argument (the jax dtype)");
    if (k != K_JAX && k != K_ATOM && ta)
        return jx_ld_format_error(L, raw, "type-tag", "did not expect a type argument");
    /* the slot as a C string for HDF5 */
    char small[256], *z = sn < sizeof small ? small : PyMem_Malloc(sn + 1);
    if (!z)
        return PyErr_NoMemory();
    memcpy(z, slot, sn);
    z[sn] = '\0';
    switch (k) {
    case K_ATOM:
        obj = load_atom(V, gid, raw);
        break;
    case K_DICT:
    case K_LIST:
    case K_TUPLE:
    case K_SET:
    case K_FROZENSET:
        if (jx_ld_check_placeholder(L, gid, raw, "group") == 0)
            obj = load_container(V, gid, raw, z, sn, k);
        break;
    default:
        if (jx_ld_check_placeholder(L, gid, raw, "dataset") == 0)
            obj = load_dataset(V, gid, raw, z, k, ta, tan);
        break;
    }
    if (z != small)
        PyMem_Free(z);
    while (obj && hash) {
        const char *p = hash + 1;
        const char *next = memchr(p, '#', (size_t)(ti + tn - p));
        size_t n = next ? (size_t)(next - p) : (size_t)(ti + tn - p);
        hash = next;
        strip(&p, &n);
        obj = unmarshal(V, raw, p, n, obj);
    }
    return obj;
}

static PyObject *load_node(V2 *V, hid_t gid, const char *raw)
{
    Loader *L = V->L;
    const char *slot, *ti;
    size_t sn, tn;
    PyObject *key, *r;
    split_name(raw, strlen(raw), &slot, &sn, &ti, &tn);
    key = jx_ld_key(L, slot, sn);
    if (!key)
        return NULL;
    r = PyDict_GetItemWithError(L->memo, key);
    if (r || PyErr_Occurred()) {
        Py_DECREF(key);
        return Py_XNewRef(r);
    }
    int loading = PySet_Contains(V->loading, key);
    if (loading != 0) {
        if (loading > 0)
            jx_ld_loc_error(L, L->st->CircularPyTreeException, raw,
                            "detected a circular reference (the node refers to itself or an "
                            "enclosing container)");
        Py_DECREF(key);
        return NULL;
    }
    if (V->frames >= V2_MAX_FRAMES) {
        /* containers alone stop at JXV_MAX_NESTING: references taken on demand got here */
        Py_DECREF(key);
        return jx_ld_rule_error(L, NULL, raw, "ref-chain", "loading this node needs more "
                                "than %d nested steps (references whose targets are loaded "
                                "on demand, inside containers)", V2_MAX_FRAMES);
    }
    if (PyErr_CheckSignals() < 0) { /* Ctrl-C between nodes */
        Py_DECREF(key);
        return NULL;
    }
    if (PySet_Add(V->loading, key) < 0) {
        Py_DECREF(key);
        return NULL;
    }
    V->frames++;
    V->was_ref = 0;
    r = load_typed(V, gid, raw, slot, sn, ti, tn);
    V->frames--;
    if (PySet_Discard(V->loading, key) < 0)
        Py_CLEAR(r);
    if (r && V->was_ref && PySet_Add(V->refs, key) < 0)
        Py_CLEAR(r);
    V->was_ref = 0;
    if (r && PyDict_SetItem(L->memo, key, r) < 0)
        Py_CLEAR(r);
    Py_DECREF(key);
    return r;
}

PyObject *jx_load_v2(Loader *L, hid_t root)
{
    V2 V = {L, root, NULL, NULL, 0, 0, 0, NULL, 0};
    JxReader v2 = {L, 1, 0, &V, v2_node, v2_slot_key};
    L->reader = &v2;
    JxNames nl;
    PyObject *r = NULL;
    memset(&nl, 0, sizeof nl);
    V.loading = PySet_New(NULL);
    V.tables = PyDict_New();
    V.refs = PySet_New(NULL);
    if (!V.loading || !V.tables || !V.refs) {
        Py_XDECREF(V.loading);
        Py_XDECREF(V.tables);
        Py_XDECREF(V.refs);
        return NULL;
    }
    L->key_len = 0;
    /* "/" carries the root node's attribute and JAXON_VERSION only (the validator's rules) */
    if (jx_ld_collect_names(L, root, NULL, &nl) < 0 || jx_ld_check_names(L, &nl, 1, JXV_TAG_NONE, 1) < 0)
        goto done;
    const char *root_name = NULL;
    for (size_t i = 0; i < nl.n && !root_name; i++) {
        const char *s = jx_names_at(&nl, i);
        size_t n = strlen(s);
        lstrip(&s, &n);
        if (n >= 10 && memcmp(s, "JAXON_ROOT", 10) == 0)
            root_name = jx_names_at(&nl, i);
    }
    L->cur_gid = root;
    L->cur_opened = 0;
    if (root_name && jx_ld_filter_root(L, &r) > 0)
        r = load_node(&V, root, root_name);
    if (r && !L->opts->load_filter && jx_ld_check_links(L, root, &nl, 1, L->cur_opened, 1) < 0)
        Py_CLEAR(r);
done:
    jx_names_free(&nl);
    Py_XDECREF(V.loading);
    Py_XDECREF(V.tables);
    Py_XDECREF(V.refs);
    return r;
}
