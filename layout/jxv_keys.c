/* Dict keys and set elements, checked after the walk has resolved the references (the
 * checker's second half; jxv_check.c is the walk). The loader builds every dict with Python's
 * dict, so a key must hash (unhashable-key) and a key equal to one the dict already holds is
 * refused, since the dict would silently keep one entry for both (duplicate-slot).
 *
 * Equality is Python's, crossing types: a key(i) holding np.int64(1), or a reference to a
 * NumPy scalar, a bytes node, a tuple…, equals the simple key int(1) when the values are
 * equal. Each key gets a value id: two keys have the same id exactly when Python takes them
 * for one dict key. Leaves get theirs from their value key (jxv_values.c), read again from
 * the file only now that they turn out to be keys; tuples and frozensets from the ids of
 * their elements ("T" + ids in order, "Z" + sorted distinct ids), so that a key's bytes stay
 * linear in its size however often its elements are shared. Ids are interned in one table
 * for the whole check: comparing the keys of a dict is one hash lookup per key, and dicts
 * whose keys are all simple slots are never looked at here (jxv_names.c compares those).
 *
 * Walks are iterative: tuples and references nest as deep as the file says. */
#include "jxv_check_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static cnode *deref(cnode *n)
{
    while (n && n->is_ref)
        n = n->target; /* unresolved: reported by ref-target already */
    return n;
}

/* ---- hashability ---------------------------------------------------------------------- */

/* 1 if n loads as an unhashable value: a list, dict, set, array, bytearray, void or slice,
 * a tuple or frozenset holding one, or a reference to one; -1 when memory ran out.
 * Iterative (an explicit stack): chains of references through tuples are not bounded by the
 * nesting depth. */
static int unhashable_node(cnode *n)
{
    cnode **stack = NULL;
    size_t top = 0, cap = 0;
    int result = -1;
    n = deref(n);
    if (!n || n->hash == H_YES || n->hash == H_NO)
        return n && n->hash == H_NO;
    /* post-order over H_DEEP nodes: a node is decided once all its elements are */
#define PUSH(x)                                                                             \
    do {                                                                                    \
        if (top == cap) {                                                                   \
            size_t nc = cap ? 2 * cap : 64;                                                 \
            cnode **ns = realloc(stack, nc * sizeof *ns);                                   \
            if (!ns)                                                                        \
                goto out;                                                                   \
            stack = ns;                                                                     \
            cap = nc;                                                                       \
        }                                                                                   \
        stack[top++] = (x);                                                                 \
    } while (0)
    n->hash = H_VISITING;
    PUSH(n);
    while (top > 0) {
        cnode *t = stack[top - 1], *pending = NULL, *ch;
        uint8_t h = H_YES;
        /* from where the scan stopped for an undecided element: every element is looked
         * at once, so a tuple of n tuples costs n steps, not n squared */
        for (ch = t->resume ? t->resume : t->children; ch; ch = ch->next) {
            cnode *e = deref(ch);
            if (!e || e->hash == H_YES)
                continue;
            if (e->hash == H_NO) {
                h = H_NO;
                break;
            }
            if (e->hash == H_DEEP) { /* not decided: decide it first */
                pending = e;
                break;
            }
            /* H_VISITING: a cycle through references, reported by ref-target */
        }
        if (pending && h != H_NO) {
            t->resume = ch; /* look at it again once it is decided */
            pending->hash = H_VISITING;
            PUSH(pending);
            continue;
        }
        t->hash = h;
        t->resume = NULL; /* free for the value walk */
        top--;
    }
#undef PUSH
    result = n->hash == H_NO;
out:
    free(stack);
    return result;
}

/* ---- reading a key's value again -------------------------------------------------------- */

/* A node read again from its attribute: its classification and, for a text, the text
 * (malloc'd unless it is tbuf), with the attribute and its datatype open. leaf_open gives 0,
 * or -1 when HDF5 cannot give it back (the node then compares by identity; the walk has
 * reported what was wrong with it); leaf_close either way. */
typedef struct leaf {
    hid_t grp, aid, ft; /* grp is borrowed */
    jxv_type ty;
    jxv_name nm;
    jxv_nodeinfo info;
    const char *text;   /* a text's value (tbuf, alloc or the walk's) */
    char *alloc, tbuf[256];
    size_t tlen;
} leaf;

static void leaf_close(leaf *l)
{
    free(l->alloc);
    if (l->ft >= 0)
        H5Tclose(l->ft);
    if (l->aid >= 0)
        H5Aclose(l->aid);
}

/* grp: the node's group, open */
static int leaf_open(chk *c, hid_t grp, const cnode *n, leaf *l)
{
    hid_t sp = H5I_INVALID_HID;
    int ret = -1;
    l->grp = grp;
    l->ft = H5I_INVALID_HID;
    l->text = l->tbuf;
    l->alloc = NULL;
    l->tlen = 0;
    l->tbuf[0] = '\0';
    l->aid = H5Aopen(grp, n->name, H5P_DEFAULT);
    l->ft = l->aid >= 0 ? H5Aget_type(l->aid) : H5I_INVALID_HID;
    sp = l->aid >= 0 ? H5Aget_space(l->aid) : H5I_INVALID_HID;
    if (l->ft < 0 || sp < 0 || jxv_describe_valid(l->ft, sp, &l->ty) < 0 ||
        jxv_parse_attr_name(c->layout, n->name, strlen(n->name), &l->nm, "", NULL) < 0 ||
        jxv__classify_attr(c->layout, &l->nm, &l->ty, &l->info, "", NULL) < 0)
        goto done;
    if (l->info.kind == JXV_N_PENDING) {
        char *t = NULL;
        if (jxv__read_text(l->aid, l->ft, l->ty.size, l->tbuf, sizeof l->tbuf, &t, &l->tlen) != 0)
            goto done;
        l->text = t;
        l->alloc = t != l->tbuf ? t : NULL;
        if (jxv__classify_text(c->layout, &l->nm, t, l->tlen, &l->info, "", NULL) < 0)
            goto done;
    }
    ret = 0;
done:
    if (sp >= 0)
        H5Sclose(sp);
    return ret;
}

/* The value key of a numeric scalar attribute, as the loader makes a NumPy scalar of it
 * (pybridge/src/load_types.c): integers through HDF5's conversion, enums by their raw
 * bytes as their base integer, the bool enum as nonzero, floats at the width NumPy has
 * (half, single, double, long double), h5py's {r, i} complex compound. 0 for any other
 * type (the loader refuses those). */
static int numeric_key(const leaf *l, jxv_buf *out)
{
    const jxv_type *ty = &l->ty;
    unsigned char raw[64];
    switch (ty->kind) {
    case JXV_T_INTEGER: {
        if (ty->size != 1 && ty->size != 2 && ty->size != 4 && ty->size != 8)
            return 0;
        if (ty->is_signed) {
            int64_t v;
            if (H5Aread(l->aid, H5T_NATIVE_INT64, &v) < 0)
                return 0;
            jxv__vkey_int(out, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
        } else {
            uint64_t v;
            if (H5Aread(l->aid, H5T_NATIVE_UINT64, &v) < 0)
                return 0;
            jxv__vkey_int(out, 0, v);
        }
        return 1;
    }
    case JXV_T_BOOL_ENUM:
        if (H5Aread(l->aid, l->ft, raw) < 0)
            return 0;
        jxv__vkey_int(out, 0, raw[0] != 0);
        return 1;
    case JXV_T_ENUM: {
        hid_t base = H5Tget_super(l->ft);
        H5T_order_t order = base >= 0 ? H5Tget_order(base) : H5T_ORDER_ERROR;
        int is_signed = base >= 0 && H5Tget_sign(base) == H5T_SGN_2;
        if (base >= 0)
            H5Tclose(base);
        size_t n = ty->size;
        if ((n != 1 && n != 2 && n != 4 && n != 8) || order == H5T_ORDER_ERROR ||
            H5Aread(l->aid, l->ft, raw) < 0)
            return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v |= (uint64_t)raw[order == H5T_ORDER_BE ? n - 1 - i : i] << (8 * i);
        if (is_signed && n < 8 && (v >> (8 * n - 1)) & 1)
            v |= ~(uint64_t)0 << (8 * n); /* sign-extend */
        int neg = is_signed && (int64_t)v < 0;
        jxv__vkey_int(out, neg, neg ? 0 - v : v);
        return 1;
    }
    case JXV_T_FLOAT:
        if (ty->size == 2) { /* IEEE half: decoded by hand, C11 has no such type */
            if (H5Aread(l->aid, H5T_IEEE_F16LE, raw) < 0)
                return 0;
            unsigned h = raw[0] | (unsigned)raw[1] << 8, e = (h >> 10) & 0x1f, m = h & 0x3ff;
            long double v = e == 0    ? ldexpl((long double)m, -24)
                            : e == 31 ? (m ? (long double)NAN : (long double)INFINITY)
                                      : ldexpl((long double)(m + 1024), (int)e - 25);
            return jxv__vkey_float(out, h & 0x8000 ? -v : v, 0);
        }
        if (ty->size == 4) {
            float v;
            return H5Aread(l->aid, H5T_NATIVE_FLOAT, &v) >= 0 && jxv__vkey_float(out, v, 0);
        }
        if (ty->size == 8) {
            double v;
            return H5Aread(l->aid, H5T_NATIVE_DOUBLE, &v) >= 0 && jxv__vkey_float(out, v, 0);
        }
        if (ty->size > 8 && ty->size <= 16 && sizeof(long double) > 8) {
            long double v;
            return H5Aread(l->aid, H5T_NATIVE_LDOUBLE, &v) >= 0 && jxv__vkey_float(out, v, 1);
        }
        return 0;
    case JXV_T_COMPLEX: {
        size_t part = ty->size / 2;
        hid_t mt = part == 4    ? H5T_NATIVE_FLOAT
                   : part == 8  ? H5T_NATIVE_DOUBLE
                   : part == 16 && sizeof(long double) > 8 ? H5T_NATIVE_LDOUBLE
                                                           : H5I_INVALID_HID;
        if (mt < 0)
            return 0;
        size_t ms = H5Tget_size(mt);
        hid_t ct = H5Tcreate(H5T_COMPOUND, 2 * ms);
        int ok = ct >= 0 && H5Tinsert(ct, "r", 0, mt) >= 0 && H5Tinsert(ct, "i", ms, mt) >= 0 &&
                 2 * ms <= sizeof raw && H5Aread(l->aid, ct, raw) >= 0;
        if (ct >= 0)
            H5Tclose(ct);
        if (!ok)
            return 0;
        long double re, im;
        if (part == 4) {
            float p[2];
            memcpy(p, raw, sizeof p);
            re = p[0], im = p[1];
        } else if (part == 8) {
            double p[2];
            memcpy(p, raw, sizeof p);
            re = p[0], im = p[1];
        } else {
            memcpy(&re, raw, sizeof re);
            memcpy(&im, raw + ms, sizeof im);
        }
        return jxv__vkey_complex(out, re, im, part == 16);
    }
    default:
        return 0;
    }
}

static hid_t open_dataset(chk *c, const leaf *l)
{
    char *slot = jxv__strndup(l->nm.slot, l->nm.slot_len);
    hid_t d = slot ? H5Oopen(l->grp, slot, c->lapl) : H5I_INVALID_HID;
    H5O_info2_t oi;
    if (d >= 0 && (H5Oget_info3(d, &oi, H5O_INFO_BASIC) < 0 || oi.type != H5O_TYPE_DATASET)) {
        H5Oclose(d);
        d = H5I_INVALID_HID;
    }
    free(slot);
    if (d < 0 && c->layout == JXV_LAYOUT_V2) { /* v2 readers strip link names (spec §4.4) */
        char *raw; /* arena-owned */
        d = jxv__chk_open_stripped(c, l->grp, l->nm.slot, l->nm.slot_len, H5O_TYPE_DATASET,
                                   &oi, &raw);
    }
    return d;
}

/* The value key of bytes, numpy.bytes_ (B) or numpy.str_ (S) data, in the attribute itself
 * or in the node's dataset, as the loader reads it: bytes are the raw data (a uint8 vector
 * through HDF5's conversion), numpy.bytes_ and numpy.str_ a scalar fixed-length string
 * whose trailing NULs NumPy drops; a NULL dataspace is the empty value (B2-9). 0 for other
 * data, for data larger than JXV_MAX_TEXT (compared by identity) and for a numpy.str_ that
 * is not UTF-8 (the loader refuses it). */
static int data_key(chk *c, const leaf *l, jxv_buf *out)
{
    jxv_dhint d = l->info.data;
    int dataset = l->info.kind == JXV_N_DATA_DSET, ok = 0;
    if (d != JXV_D_BYTES && d != JXV_D_BYTES_ && d != JXV_D_STR_)
        return 0; /* dill blobs, customs: their class decides; arrays do not hash */
    hid_t obj = dataset ? open_dataset(c, l) : l->aid;
    hid_t ft = obj < 0 ? H5I_INVALID_HID : dataset ? H5Dget_type(obj) : H5Tcopy(l->ft);
    hid_t sp = obj < 0 ? H5I_INVALID_HID : dataset ? H5Dget_space(obj) : H5Aget_space(obj);
    jxv_type ty;
    char *buf = NULL;
    if (ft < 0 || sp < 0 || jxv_describe_valid(ft, sp, &ty) < 0)
        goto done;
    jxv__buf_add(out, d == JXV_D_STR_ ? "S" : "B", 1);
    if (ty.space == JXV_S_NULL) {
        ok = 1;
        goto done;
    }
    int u8 = d == JXV_D_BYTES && ty.kind == JXV_T_INTEGER && ty.size == 1;
    if (d != JXV_D_BYTES && (ty.kind != JXV_T_FIXED_STRING || ty.space != JXV_S_SCALAR))
        goto done;
    if (ty.size == 0 || ty.npoints > JXV_MAX_TEXT / ty.size)
        goto done;
    size_t n = (size_t)(ty.npoints * ty.size);
    hid_t mt = u8 ? H5T_NATIVE_UINT8 : ft; /* the file's own type: the raw bytes */
    buf = malloc(n ? n : 1);
    if (!buf) {
        out->oom = 1;
        goto done;
    }
    if (n && (dataset ? H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)
                      : H5Aread(obj, mt, buf)) < 0)
        goto done;
    if (d != JXV_D_BYTES)
        while (n && buf[n - 1] == '\0')
            n--;
    if (d == JXV_D_STR_ && !jxv__utf8_valid(buf, n))
        goto done;
    jxv__buf_add(out, buf, n);
    ok = 1;
done:
    free(buf);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (dataset && obj >= 0)
        H5Oclose(obj);
    return ok;
}

/* ---- value ids -------------------------------------------------------------------------- */

typedef struct kctx {
    chk *c;
    uint32_t *elems;  /* the element ids of a tuple or frozenset being built */
    size_t capelems;
    /* the value walk's stack: a tuple or frozenset waits for its elements */
    cnode **stack;
    size_t top, cap;
    /* the group of the last leaf read, kept open: a tuple's elements share theirs */
    const H5O_token_t *gtoken;
    hid_t gid;
} kctx;

/* The id of the value key bytes[0, len), one table for the whole check (chk.vals); VID_NONE
 * when memory ran out. */
static uint32_t intern(chk *c, const char *bytes, size_t len)
{
    uintptr_t id = (uintptr_t)jxv__map_get(&c->vals, bytes, len);
    if (id)
        return (uint32_t)id;
    if (c->nvals + 1 >= VID_BUSY)
        return VID_NONE;
    char *copy = jxv__chk_dup(c, bytes, len);
    if (!copy || jxv__map_put(&c->vals, copy, len, (void *)(uintptr_t)(c->nvals + 1)) < 0)
        return VID_NONE;
    return ++c->nvals;
}

/* A key equal to nothing but itself (a NaN, a custom object, a value the file cannot give
 * back): its node. tag tells a node as a key (X) from the text of its dict slot (Y). */
static uint32_t identity(chk *c, const cnode *n, char tag)
{
    char b[1 + sizeof n];
    b[0] = tag;
    memcpy(b + 1, &n, sizeof n);
    return intern(c, b, sizeof b);
}

/* The value id of a leaf read into l (no plain tuple or frozenset); VID_NONE when memory ran
 * out. */
static uint32_t leaf_value(chk *c, const cnode *n, const leaf *l)
{
    int has = 0;
    c->vbuf.len = 0;
    /* a custom object (a tag after the builtin): its class decides, compared by identity */
    if (!(l->info.tags && l->info.tags_len)) {
        switch (l->info.kind) {
        case JXV_N_ATOM:
            has = jxv__vkey_atom(c->layout, l->text, l->tlen, &c->vbuf);
            break;
        case JXV_N_NUMERIC:
            has = numeric_key(l, &c->vbuf);
            break;
        case JXV_N_DATA_ATTR:
        case JXV_N_DATA_DSET:
            has = data_key(c, l, &c->vbuf);
            break;
        default:
            break;
        }
    }
    if (c->vbuf.oom)
        return VID_NONE;
    return has ? intern(c, c->vbuf.data, c->vbuf.len) : identity(c, n, 'X');
}

int jxv__key_leaf_now(chk *c, cnode *n, hid_t aid, hid_t ft, const jxv_type *ty,
                      const jxv_name *nm, const jxv_nodeinfo *info, const char *text,
                      size_t tlen)
{
    if (!n || n->deep || info->kind == JXV_N_REF || info->kind == JXV_N_DATA_DSET ||
        info->kind == JXV_N_CONTAINER)
        return 0; /* from its elements, its target, its dataset: later */
    leaf l;
    l.grp = H5I_INVALID_HID; /* only a dataset needs it */
    l.aid = aid;
    l.ft = ft;
    l.ty = *ty;
    l.nm = *nm;
    l.info = *info;
    l.text = text;
    l.alloc = NULL;
    l.tlen = tlen;
    n->vid = leaf_value(c, n, &l);
    return n->vid == VID_NONE ? -1 : 0;
}

static int elems_reserve(kctx *k, size_t n)
{
    if (n <= k->capelems)
        return 0;
    uint32_t *e = realloc(k->elems, n * sizeof *e);
    if (!e)
        return -1;
    k->elems = e;
    k->capelems = n;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The value id of a node that is no plain tuple or frozenset, read again from the file. */
static uint32_t leaf_id(kctx *k, cnode *n)
{
    chk *c = k->c;
    leaf l;
    uint32_t id = VID_NONE;
    if (n->group && n->group != k->gtoken) {
        if (k->gid >= 0)
            H5Oclose(k->gid);
        k->gid = H5Oopen_by_token(c->file, *n->group);
        k->gtoken = n->group;
    }
    if (!n->group || k->gid < 0)
        return identity(c, n, 'X');
    if (leaf_open(c, k->gid, n, &l) == 0)
        id = leaf_value(c, n, &l);
    else
        id = identity(c, n, 'X');
    leaf_close(&l);
    return id;
}

/* The key of a tuple (its elements' ids in order) or frozenset (the distinct ids, sorted)
 * whose elements all have theirs. */
static uint32_t deep_id(kctx *k, cnode *t)
{
    size_t m = 0, i;
    cnode *ch;
    for (ch = t->children; ch; ch = ch->next)
        m++;
    if (elems_reserve(k, m) < 0)
        return VID_NONE;
    i = m;
    for (ch = t->children; ch; ch = ch->next) { /* newest first: fill from the end */
        cnode *e = deref(ch);
        /* unresolved, or a cycle through references (ref-target's): by identity */
        uint32_t id = !e                   ? identity(k->c, ch, 'X')
                      : e->vid == VID_BUSY ? identity(k->c, e, 'X')
                                           : e->vid;
        if (id == VID_NONE)
            return VID_NONE;
        k->elems[--i] = id;
    }
    if (t->deep == DEEP_SET && m > 1) { /* set equality: the distinct elements, any order */
        qsort(k->elems, m, sizeof *k->elems, cmp_u32);
        size_t u = 0;
        for (i = 0; i < m; i++)
            if (u == 0 || k->elems[u - 1] != k->elems[i])
                k->elems[u++] = k->elems[i];
        m = u;
    }
    jxv_buf *b = &k->c->vbuf;
    b->len = 0;
    jxv__buf_add(b, t->deep == DEEP_SET ? "Z" : "T", 1);
    jxv__buf_add(b, (const char *)k->elems, m * sizeof *k->elems);
    return b->oom ? VID_NONE : intern(k->c, b->data, b->len);
}

/* The value id of the key node n (references followed); VID_NONE when memory ran out.
 * Post-order over tuples and frozensets with an explicit stack; each node is decided once
 * (cnode.vid) and each element looked at once (cnode.resume). */
static uint32_t value_id(kctx *k, cnode *n)
{
    cnode *t = deref(n), *next;
    if (!t)
        return identity(k->c, n, 'X');
    if (t->vid == VID_BUSY) /* left by a walk that ran out of memory */
        return identity(k->c, t, 'X');
    k->top = 0;
    for (next = t->vid == VID_NONE ? t : NULL; next || k->top > 0;) {
        if (next && !next->deep) {
            next->vid = leaf_id(k, next);
            if (next->vid == VID_NONE)
                return VID_NONE;
        } else if (next) {
            if (k->top == k->cap) {
                size_t nc = k->cap ? 2 * k->cap : 64;
                cnode **st = realloc(k->stack, nc * sizeof *st);
                if (!st)
                    return VID_NONE;
                k->stack = st;
                k->cap = nc;
            }
            next->vid = VID_BUSY;
            next->resume = next->children;
            k->stack[k->top++] = next;
        }
        next = NULL;
        if (k->top == 0)
            break;
        cnode *f = k->stack[k->top - 1], *ch;
        for (ch = f->resume; ch && !next; ch = ch->next) {
            cnode *e = deref(ch);
            if (e && e->vid == VID_NONE)
                next = e;
        }
        f->resume = ch;
        if (next)
            continue;
        f->vid = deep_id(k, f); /* every element decided */
        f->resume = NULL;
        if (f->vid == VID_NONE)
            return VID_NONE;
        k->top--;
    }
    return t->vid;
}

/* ---- the keys of one dict --------------------------------------------------------------- */

/* Every key(i) and simple slot of the dict whose node is dict, in entry order: a key equal to
 * an earlier one is a duplicate-slot, unless both are simple slots (jxv_names.c reported
 * those with the group's names). -1 when memory ran out. */
static int check_dict(kctx *k, cnode *dict)
{
    chk *c = k->c;
    size_t n = 0, i = 0;
    for (cnode *ch = dict->children; ch; ch = ch->next)
        n++;
    cnode **entry = malloc((n ? n : 1) * sizeof *entry);
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    uint8_t *is_key = malloc(n ? n : 1);
    jxv_map seen = {0};
    int ret = -1;
    if (!entry || !ids || !is_key)
        goto done;
    i = n;
    for (cnode *ch = dict->children; ch; ch = ch->next) /* newest first */
        entry[--i] = ch;
    for (i = 0; i < n; i++) {
        cnode *ch = entry[i];
        jxv_name nm;
        ids[i] = VID_NONE;
        if (jxv_parse_attr_name(c->layout, ch->name, strlen(ch->name), &nm, "", NULL) < 0 ||
            nm.slot_kind == JXV_SLOT_VALUE)
            continue;
        is_key[i] = nm.slot_kind == JXV_SLOT_KEY;
        if (is_key[i]) {
            int u = unhashable_node(ch);
            if (u < 0)
                goto done;
            if (u) /* reported (unhashable-key) */
                continue;
            ids[i] = value_id(k, ch);
        } else {
            c->vbuf.len = 0;
            int has = jxv__vkey_atom(c->layout, nm.slot, nm.slot_len, &c->vbuf);
            if (c->vbuf.oom)
                goto done;
            /* a NaN slot is a new float object: no other key's */
            ids[i] = has ? intern(c, c->vbuf.data, c->vbuf.len) : identity(c, ch, 'Y');
        }
        if (ids[i] == VID_NONE)
            goto done;
        uintptr_t earlier = (uintptr_t)jxv__map_get(&seen, (const char *)&ids[i], sizeof *ids);
        if (!earlier) {
            void *pos = (void *)(uintptr_t)(i + 1);
            if (jxv__map_put(&seen, (const char *)&ids[i], sizeof *ids, pos) < 0)
                goto done;
            continue;
        }
        cnode *e = entry[earlier - 1];
        if (!is_key[i] && !is_key[earlier - 1])
            continue;
        char *where = jxv__attr_where(dict->owned ? dict->owned : "/", ch->name,
                                      strlen(ch->name));
        if (!where)
            goto done;
        if (is_key[i] && is_key[earlier - 1] && deref(ch) == deref(e))
            jxv_fail(c->rep, JXV_RULE_DUPLICATE_SLOT, where, "", 0,
                     "this key is the same node as the key %.200s of an earlier entry (through a "
                     "reference): the dict would have one entry for both", e->name);
        else
            jxv_fail(c->rep, JXV_RULE_DUPLICATE_SLOT, where, "", 0,
                     "the key equals the key %.200s of an earlier entry: Python compares dict keys "
                     "by value (1, 1.0, True, 1+0j and np.int64(1) are one key, 'a' and "
                     "np.str_('a'), b'a' and np.bytes_(b'a'), equal tuples), so the dict would "
                     "have one entry for both", e->name);
        free(where);
    }
    ret = 0;
done:
    free(entry);
    free(ids);
    free(is_key);
    jxv__map_free(&seen);
    return ret;
}

void jxv__check_keys(chk *c)
{
    kctx k;
    jxv_map done = {0};
    memset(&k, 0, sizeof k);
    k.c = c;
    k.gid = H5I_INVALID_HID;
    for (size_t i = 0; i < c->nkeys && !c->failed; i++) {
        const key_node *kn = &c->keys[i];
        int u = unhashable_node(kn->node);
        if (u < 0) {
            jxv__chk_oom(c, kn->where);
            break;
        }
        if (u)
            jxv_fail(c->rep, JXV_RULE_UNHASHABLE_KEY, kn->where, "", 0,
                     kn->dict ? "a dict key loads as an unhashable value (a list, dict, set, "
                                "array, bytearray, memoryview, slice, or a tuple holding one)"
                              : "a set element loads as an unhashable value (a list, dict, "
                                "set, array, bytearray, memoryview, slice, or a tuple holding one)");
    }
    /* the dicts that have a key(i): only they can hold keys whose texts differ and whose
     * values are equal beyond what the slot texts tell */
    for (size_t i = 0; i < c->nkeys && !c->failed; i++) {
        const key_node *kn = &c->keys[i];
        if (!kn->dict)
            continue;
        int had = jxv__map_add(&done, (const char *)&kn->dict, sizeof kn->dict, kn->dict);
        if (had == 0 && check_dict(&k, kn->dict) < 0)
            had = -1;
        if (had < 0) {
            jxv__chk_oom(c, kn->where);
            break;
        }
    }
    if (k.gid >= 0)
        H5Oclose(k.gid);
    jxv__map_free(&done);
    free(k.elems);
    free(k.stack);
}
