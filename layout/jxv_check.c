/* The whole-file checker: walks an existing file through the public HDF5 API and reports
 * every layout violation of v1.2.0 or v2.x (chosen by JAXON_VERSION on "/", spec §10.2).
 *
 * Hostile files: attributes are read with H5Aiterate2 (never by index, which is quadratic,
 * spec §11); recursion is bounded by JXV_MAX_NESTING; every object reached as a node's group is
 * remembered by its token, so hard-link cycles and shared groups are reported instead of
 * walked twice; external links are never followed (the link access list refuses them);
 * string values are read only up to JXV_MAX_TEXT bytes. References are resolved after the walk
 * against the table of every node seen, so they cost O(1) each. */
#include "jxv_check_internal.h"
#include "jxv_integrity.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>


void *jxv__chk_alloc(chk *c, size_t n)
{
    arena_chunk *a = malloc(sizeof *a + n);
    if (!a)
        return NULL;
    a->next = c->arena;
    c->arena = a;
    return a->data;
}

char *jxv__chk_dup(chk *c, const char *s, size_t n)
{
    char *p = jxv__chk_alloc(c, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void arena_free(chk *c)
{
    while (c->arena) {
        arena_chunk *n = c->arena->next;
        free(c->arena);
        c->arena = n;
    }
}

int jxv__chk_oom(chk *c, const char *where)
{
    c->failed = 1;
    return jxv_fail(c->rep, JXV_RULE_STRAY_OBJECT, where, "", 0,
                    "the validator ran out of memory");
}

/* ---- one group ------------------------------------------------------------------------ */

typedef struct descend {
    const char *slot;
    size_t slot_len;
    const char *where;
    jxv_nodeinfo info;   /* tags/jax_dtype point into arena copies */
    cnode *node;         /* the node owning the group or dataset */
    int in_key;          /* the node is a dict key or inside one (gctx.in_key) */
} descend;

typedef struct gctx {
    chk *c;
    const char *gpath;
    jxv_ctag tag;
    int is_root;
    cnode *self;         /* the container node of this group (NULL for "/") */
    const H5O_token_t *token; /* the group's token in the arena, for its nodes (cnode) */
    /* the group's nodes are parts of a dict key (the group of a key(i), or a group inside
     * one): their value keys are taken while their values are at hand (jxv_keys.c) */
    int in_key;
    jxv_group_names names; /* the rules of the group's names together (jxv_names.c) */
    jxv_map owned;       /* normalised relative path of a node's object */
    jxv_map prefixes;    /* proper prefixes of owned paths (intermediate groups) */
    descend *items;
    size_t nitems, capitems;
} gctx;

static int check_group(chk *c, hid_t gid, const char *gpath, jxv_ctag tag, cnode *self,
                       int depth, int in_key);

/* Normalised relative path of a slot ('x/y' -> 'x / y'', "." and empty parts dropped). */
static char *rel_path(chk *c, const char *slot, size_t len)
{
    char *p = jxv__join_path(NULL, slot, len);
    if (!p)
        return NULL;
    char *r = jxv__chk_dup(c, p + 1, strlen(p + 1));
    free(p);
    return r;
}

static int add_owned(gctx *g, const char *slot, size_t len)
{
    char *rel = rel_path(g->c, slot, len);
    if (!rel)
        return -1;
    size_t rl = strlen(rel);
    if (jxv__map_put(&g->owned, rel, rl, rel) < 0)
        return -1;
    for (size_t i = 0; i < rl; i++)
        if (rel[i] == '/' && jxv__map_put(&g->prefixes, rel, i, rel) < 0)
            return -1;
    return 0;
}

/* Appends the item at *item (size bytes) to the array *arr of *n items (capacity *cap). */
static int push_grow(void **arr, size_t *n, size_t *cap, const void *item, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        void *p = realloc(*arr, nc * size);
        if (!p)
            return -1;
        *arr = p;
        *cap = nc;
    }
    memcpy((char *)*arr + *n * size, item, size);
    (*n)++;
    return 0;
}

static int push_key(chk *c, const key_node *k)
{
    return push_grow((void **)&c->keys, &c->nkeys, &c->capkeys, k, sizeof *k);
}

static int push_ref(chk *c, const pending_ref *r)
{
    return push_grow((void **)&c->refs, &c->nrefs, &c->caprefs, r, sizeof *r);
}

static int push_item(gctx *g, const descend *d)
{
    return push_grow((void **)&g->items, &g->nitems, &g->capitems, d, sizeof *d);
}

/* Reads a fixed-length string attribute; trailing NUL padding removed like h5py does.
 * Returns 0, 1 if too large to read, -1 on HDF5 failure. */
#define FREE_TEXT(t, buf)                                                                      \
    do {                                                                                       \
        if ((t) != (buf))                                                                      \
            free(t);                                                                           \
    } while (0)

int jxv__read_text(hid_t aid, hid_t ft, size_t size, char *stack, size_t stack_cap,
                   char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (size > JXV_MAX_TEXT)
        return 1;
    char *buf = stack && size + 1 <= stack_cap ? stack : malloc(size + 1);
    if (!buf)
        return -1;
    if (H5Aread(aid, ft, buf) < 0) {
        if (buf != stack)
            free(buf);
        return -1;
    }
    size_t n = size;
    while (n && buf[n - 1] == '\0')
        n--;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int read_text(hid_t aid, size_t size, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (size > JXV_MAX_TEXT)
        return 1;
    hid_t ft = H5Aget_type(aid);
    if (ft < 0)
        return -1;
    hid_t mt = H5Tcopy(ft);
    H5Tclose(ft);
    if (mt < 0)
        return -1;
    char *buf = malloc(size + 1);
    if (!buf) {
        H5Tclose(mt);
        return -1;
    }
    if (H5Aread(aid, mt, buf) < 0) {
        H5Tclose(mt);
        free(buf);
        return -1;
    }
    H5Tclose(mt);
    size_t n = size;
    while (n && buf[n - 1] == '\0')
        n--;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Python's hash() of the value a node loads as, as far as its kind tells (custom objects:
 * whatever their class says, which only the loading program knows: taken as hashable). */
static uint8_t hash_kind(const jxv_nodeinfo *info, const char *text, size_t tlen)
{
    int custom = info->tags && info->tags_len > 0;
    switch (info->kind) {
    case JXV_N_REF:
        return H_REF;
    case JXV_N_CONTAINER:
        if (custom)
            return H_YES;
        return info->tag == JXV_TAG_TUPLE || info->tag == JXV_TAG_FROZENSET ? H_DEEP : H_NO;
    case JXV_N_DATA_ATTR:
    case JXV_N_DATA_DSET:
        if (custom)
            return H_YES;
        /* a loaded memoryview is writable, and writable ones do not hash */
        return info->data == JXV_D_NDARRAY || info->data == JXV_D_JAX ||
                       info->data == JXV_D_BYTEARRAY || info->data == JXV_D_VOID ||
                       info->data == JXV_D_MEMORYVIEW
                   ? H_NO
                   : H_YES;
    case JXV_N_ATOM: /* slice: unhashable before Python 3.12, which jaxon supports */
        return text && !info->is_str && tlen >= 6 && memcmp(text, "slice(", 6) == 0 ? H_NO
                                                                                    : H_YES;
    default:
        return H_YES;
    }
}

/* Registers a node for reference resolution and the checks of dict keys. */
static cnode *register_node(gctx *g, const jxv_name *nm, const char *name, size_t len,
                            const jxv_nodeinfo *info, const char *text, size_t tlen)
{
    chk *c = g->c;
    const char *key = c->layout == JXV_LAYOUT_V1 ? name : nm->slot;
    size_t kl = c->layout == JXV_LAYOUT_V1 ? len : nm->slot_len;
    size_t gl = strlen(g->gpath);
    char *k = jxv__chk_alloc(c, gl + 1 + kl);
    cnode *n = jxv__chk_alloc(c, sizeof *n);
    if (!k || !n)
        return NULL;
    memset(n, 0, sizeof *n);
    memcpy(k, g->gpath, gl);
    k[gl] = '\0';
    memcpy(k + gl + 1, key, kl);
    n->group = g->token;
    n->name = name; /* the walk's arena copy (attr_cb) */
    n->is_ref = info->kind == JXV_N_REF;
    n->referenceable = !(info->kind == JXV_N_NUMERIC ||
                         (info->kind == JXV_N_ATOM && !info->is_str));
    n->hash = hash_kind(info, text, tlen);
    if (n->hash == H_DEEP)
        n->deep = info->tag == JXV_TAG_FROZENSET ? DEEP_SET : DEEP_TUPLE;
    if (info->kind == JXV_N_CONTAINER) {
        char *p = jxv__join_path(g->gpath, nm->slot, nm->slot_len);
        if (!p)
            return NULL;
        n->owned = jxv__chk_dup(c, p, strlen(p));
        free(p);
        if (!n->owned)
            return NULL;
    }
    if (g->self) {
        n->next = g->self->children;
        g->self->children = n;
    }
    return jxv__map_put(&c->nodes, k, gl + 1 + kl, n) < 0 ? NULL : n;
}

static int check_node_typed(gctx *g, hid_t aid, hid_t ft, const jxv_type *ty,
                            const jxv_name *nm, const char *name, size_t len,
                            const char *where);

/* The description of ft, an attribute's datatype with that data size and character set
 * (from its H5A_info_t), through c->seen; dataspace fields from sp. -1 if HDF5 cannot
 * describe them. */
static int describe_attr(chk *c, hid_t ft, hid_t sp, const H5A_info_t *ainfo, jxv_type *out)
{
    seen_type *e = NULL;
    for (size_t i = 0; i < SEEN_TYPES && !e; i++) {
        seen_type *s = &c->seen[i];
        if (s->copy >= 0 && s->data_size == ainfo->data_size && s->cset == ainfo->cset &&
            H5Tequal(ft, s->copy) > 0)
            e = s;
    }
    /* ids fresh from H5Aget_type/H5Aget_space: jxv_describe_valid needs no print guard */
    if (!e) {
        if (jxv_describe_valid(ft, sp, out) < 0)
            return -1;
        e = &c->seen[c->seen_next];
        c->seen_next = (c->seen_next + 1) % SEEN_TYPES;
        if (e->copy >= 0)
            H5Tclose(e->copy);
        e->copy = H5Tcopy(ft); /* a failed copy only means no entry this time */
        e->data_size = ainfo->data_size;
        e->cset = ainfo->cset;
        e->d = *out;
        return 0;
    }
    *out = e->d;
    /* the dataspace: a scalar (every text node) answers with one call */
    return jxv__describe_space(sp, out);
}

/* Checks one attribute of a group as a node. */
static int check_node(gctx *g, hid_t aid, const H5A_info_t *ainfo, const jxv_name *nm,
                      const char *name, size_t len, const char *where)
{
    chk *c = g->c;
    jxv_type ty;
    hid_t ft = H5Aget_type(aid), sp = H5Aget_space(aid);
    int ok = ft >= 0 && sp >= 0 && describe_attr(c, ft, sp, ainfo, &ty) == 0;
    if (sp >= 0)
        H5Sclose(sp);
    if (!ok) {
        if (ft >= 0)
            H5Tclose(ft);
        return jxv_fail(c->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                        "HDF5 cannot describe this attribute's datatype or dataspace");
    }
    int ret = check_node_typed(g, aid, ft, &ty, nm, name, len, where);
    H5Tclose(ft);
    return ret;
}

/* check_node once the attribute's type is known; ft stays open for reading the text. */
static int check_node_typed(gctx *g, hid_t aid, hid_t ft, const jxv_type *tyin,
                            const jxv_name *nmin, const char *name, size_t len,
                            const char *where)
{
    chk *c = g->c;
    jxv_type ty = *tyin;
    jxv_name nm = *nmin;
    c->nnodes++;
    jxv_nodeinfo info;
    if (jxv__classify_attr(c->layout, &nm, &ty, &info, where, c->rep) < 0) {
        /* its group or dataset, if any, is not a stray object on top of this violation */
        if (add_owned(g, nm.slot, nm.slot_len) < 0)
            return jxv__chk_oom(c, where);
        return -1;
    }
    char *text = NULL, tbuf[256];
    size_t tlen = 0;
    if (info.kind == JXV_N_PENDING || info.kind == JXV_N_REF) {
        int r = jxv__read_text(aid, ft, ty.size, tbuf, sizeof tbuf, &text, &tlen);
        if (r == 1)
            return jxv_fail(c->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                            "text attribute larger than 256 MiB: not checked");
        if (r < 0)
            return jxv_fail(c->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                            "HDF5 cannot read this string attribute");
        if (jxv__classify_text(c->layout, &nm, text, tlen, &info, where, c->rep) < 0) {
            FREE_TEXT(text, tbuf);
            if (add_owned(g, nm.slot, nm.slot_len) < 0)
                return jxv__chk_oom(c, where);
            return -1;
        }
    }
    int ret = 0;
    /* name is the walk's own copy (attr_cb): nm points into it and outlives this callback */
    const char *cname = name;
    jxv_name cnm = nm;
    cnode *node = register_node(g, &cnm, cname, len, &info, text, tlen);
    if (!node)
        ret = jxv__chk_oom(c, where);
    int dict_key = g->tag == JXV_TAG_DICT && cnm.slot_kind == JXV_SLOT_KEY;
    int key_pos = dict_key || g->tag == JXV_TAG_SET || g->tag == JXV_TAG_FROZENSET;
    /* a leaf of a dict key: its value key now, while the attribute is open and its text
     * read (a key(i) holding a tuple of texts and numbers needs no second read) */
    if (ret == 0 && (dict_key || g->in_key) &&
        jxv__key_leaf_now(c, node, aid, ft, &ty, &cnm, &info, text, tlen) < 0)
        ret = jxv__chk_oom(c, where);
    if (ret == 0 && key_pos) {
        key_node kn = {node, jxv__chk_dup(c, where, strlen(where)),
                       g->tag == JXV_TAG_DICT ? g->self : NULL};
        if (!kn.where || push_key(c, &kn) < 0)
            ret = jxv__chk_oom(c, where);
    }
    if (ret == 0 && info.kind == JXV_N_REF) {
        pending_ref pr = {jxv__chk_dup(c, where, strlen(where)), jxv__chk_dup(c, text, tlen), tlen,
                          jxv__chk_dup(c, g->gpath, strlen(g->gpath)), node};
        if (!pr.where || !pr.text || !pr.group || push_ref(c, &pr) < 0)
            ret = jxv__chk_oom(c, where);
    }
    if (ret == 0 && (info.kind == JXV_N_CONTAINER || info.kind == JXV_N_DATA_DSET)) {
        descend d = {cnm.slot, cnm.slot_len, jxv__chk_dup(c, where, strlen(where)), info, node,
                     dict_key || g->in_key};
        /* tags / jax dtype point into the name (v2) or the text (v1): re-point to copies */
        if (info.tags && info.tags_len) {
            d.info.tags = jxv__chk_dup(c, info.tags, info.tags_len);
            if (!d.info.tags)
                ret = jxv__chk_oom(c, where);
        }
        if (info.jax_dtype) {
            d.info.jax_dtype = jxv__chk_dup(c, info.jax_dtype, info.jax_len);
            if (!d.info.jax_dtype)
                ret = jxv__chk_oom(c, where);
        }
        if (ret == 0 && (!d.where || push_item(g, &d) < 0 ||
                         add_owned(g, cnm.slot, cnm.slot_len) < 0))
            ret = jxv__chk_oom(c, where);
    }
    FREE_TEXT(text, tbuf);
    return ret;
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ud)
{
    gctx *g = ud;
    chk *c = g->c;
    size_t len = strlen(name);
    /* the walk's copy: slots and node names point into it until the end of the check */
    char *cname = jxv__chk_dup(c, name, len);
    if (!cname)
        return jxv__chk_oom(c, g->gpath);
    jxv_name nm;
    int r = jxv_group_names_add(&g->names, cname, len, &nm, c->rep);
    if (r == JXV_NAMES_NO_NODE || r == JXV_NAMES_REFUSED)
        return c->failed ? -1 : 0;
    if (r == JXV_NAMES_BAD_SLOT) {
        /* the object named like the slot part is not a stray object on top of this */
        const char *slot, *hint;
        size_t sl, hl;
        jxv__split_attr_name(c->layout, cname, len, &slot, &sl, &hint, &hl);
        if (c->layout == JXV_LAYOUT_V2)
            jxv__strip(&slot, &sl);
        if (sl && add_owned(g, slot, sl) < 0)
            return jxv__chk_oom(c, g->gpath);
        return c->failed ? -1 : 0;
    }
    char wbuf[JXV_WHERE_CAP];
    char *where = jxv__attr_where_in(wbuf, sizeof wbuf, g->gpath, name, len);
    if (!where) {
        jxv__chk_oom(c, g->gpath);
        return -1;
    }
    hid_t aid = H5Aopen(loc, name, H5P_DEFAULT);
    if (aid < 0) {
        jxv_fail(c->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                 "HDF5 cannot open this attribute");
    } else {
        check_node(g, aid, ainfo, &nm, cname, len, where);
        H5Aclose(aid);
    }
    JXV_WHERE_FREE(where, wbuf);
    return c->failed ? -1 : 0;
}

/* ---- links: every object of a group belongs to a node (or lies on the way to one) ----- */

typedef struct lctx {
    gctx *g;
    hid_t gid;       /* the node group the relative paths start from */
    const char *prefix;
} lctx;

static herr_t link_cb(hid_t loc, const char *name, const H5L_info2_t *info, void *ud)
{
    lctx *l = ud;
    gctx *g = l->g;
    chk *c = g->c;
    char *rel = l->prefix ? jxv__aprintf("%s/%s", l->prefix, name) : jxv__strndup(name, strlen(name));
    if (!rel) {
        jxv__chk_oom(c, g->gpath);
        return -1;
    }
    char *full = jxv__join_path(g->gpath, rel, strlen(rel));
    if (!full) {
        free(rel);
        jxv__chk_oom(c, g->gpath);
        return -1;
    }
    size_t rl = strlen(rel);
    if (info->type != H5L_TYPE_HARD) {
        jxv_fail(c->rep, JXV_RULE_STRAY_OBJECT, full, name, strlen(name),
                 "the Jaxon layout has only hard links (no soft or external links)");
    } else if (jxv__map_get(&g->owned, rel, rl)) {
        /* the object of a node: checked when the node is descended into */
    } else if (jxv__map_get(&g->prefixes, rel, rl)) {
        /* an intermediate group of a slot containing '/': only more links, no attributes */
        H5O_info2_t oi;
        hid_t sub = H5Oopen(loc, name, c->lapl);
        if (sub < 0 || H5Oget_info3(sub, &oi, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) < 0 ||
            oi.type != H5O_TYPE_GROUP) {
            jxv_fail(c->rep, JXV_RULE_STRAY_OBJECT, full, name, strlen(name),
                     "expected an intermediate group of a slot name containing '/'");
        } else {
            if (oi.num_attrs > 0)
                jxv_fail(c->rep, JXV_RULE_STRAY_OBJECT, full, name, strlen(name),
                         "an intermediate group of a slot name containing '/' carries no "
                         "attributes");
            lctx sub_l = {g, l->gid, rel};
            H5Literate2(sub, H5_INDEX_NAME, H5_ITER_INC, NULL, link_cb, &sub_l);
        }
        if (sub >= 0)
            H5Oclose(sub);
    } else {
        jxv_fail(c->rep, g->is_root ? JXV_RULE_STRAY_OBJECT : JXV_RULE_STRAY_OBJECT, full, name,
                 strlen(name),
                 g->is_root ? "in a Jaxon file the root group holds only JAXON_ROOT"
                            : "this object belongs to no node of its group (no attribute "
                              "named like it with a container or data typehint)");
    }
    free(full);
    free(rel);
    return c->failed ? -1 : 0;
}

/* ---- descending into a node's group or dataset ---------------------------------------- */

/* Marks an object as reached; 1 if it was reached before. */
static int seen_before(chk *c, const H5O_token_t *tok)
{
    if (jxv__map_get(&c->visited, (const char *)tok, sizeof *tok))
        return 1;
    char *k = jxv__chk_dup(c, (const char *)tok, sizeof *tok);
    if (!k || jxv__map_put(&c->visited, k, sizeof *tok, k) < 0)
        return -1;
    return 0;
}

typedef struct dctx {
    chk *c;
    const char *path;
    int jax; /* the dataset of a v1 jax.Array/numpy.ndarray node: JAXON_DTYPE is allowed */
} dctx;

/* Attributes of a node's dataset: none, except JAXON_DTYPE on jax.Array/numpy.ndarray data. */
static herr_t dataset_attr_cb(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ud)
{
    (void)ainfo;
    dctx *dc = ud;
    size_t len = strlen(name);
    char *where = jxv__attr_where(dc->path, name, len);
    if (!where) {
        jxv__chk_oom(dc->c, dc->path);
        return -1;
    }
    if (!dc->jax || strcmp(name, JXV_DTYPE_ATTR) != 0) {
        jxv_fail(dc->c->rep, JXV_RULE_STRAY_OBJECT, where, name, len,
                 "Jaxon datasets carry no attributes (except JAXON_DTYPE on the dataset of a "
                 "jax.Array or numpy.ndarray)");
        free(where);
        return 0;
    }
    hid_t aid = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t ft = aid >= 0 ? H5Aget_type(aid) : H5I_INVALID_HID;
    hid_t sp = aid >= 0 ? H5Aget_space(aid) : H5I_INVALID_HID;
    jxv_type ty;
    char *text = NULL;
    size_t tlen = 0;
    if (ft < 0 || sp < 0 || jxv_describe(ft, sp, &ty) < 0 || ty.kind != JXV_T_FIXED_STRING ||
        !ty.utf8 || ty.space != JXV_S_SCALAR || read_text(aid, ty.size, &text, &tlen) != 0)
        jxv_fail(dc->c->rep, JXV_RULE_VALUE_TYPE, where, name, len,
                 "JAXON_DTYPE holds the jax dtype name as a fixed-length UTF-8 string");
    else if (!jxv__jax_dtype_ok(text, tlen))
        jxv_fail(dc->c->rep, JXV_RULE_TYPE_TAG, where, text, tlen,
                 "JAXON_DTYPE holds a jax dtype name, e.g. bfloat16");
    free(text);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (aid >= 0)
        H5Aclose(aid);
    free(where);
    return 0;
}

/* v2 readers strip link names (spec §4.4): a node whose slot names no object directly uses
 * the first direct child link (name order) whose stripped name is the slot and whose object
 * has the wanted type, as pybridge/src/load_v2.c's open_child does. */
typedef struct stripped_find {
    chk *c;
    const char *slot;
    size_t slot_len;
    H5O_type_t want;
    hid_t obj;
    H5O_info2_t *oi;
    char *raw; /* the link's name, arena-owned */
} stripped_find;

static herr_t stripped_link_cb(hid_t loc, const char *name, const H5L_info2_t *info, void *ud)
{
    stripped_find *f = ud;
    const char *s = name;
    size_t n = strlen(name);
    jxv__strip(&s, &n);
    if (info->type != H5L_TYPE_HARD || n != f->slot_len || memcmp(s, f->slot, n) != 0 ||
        strlen(name) == n)
        return 0;
    hid_t obj = H5Oopen(loc, name, f->c->lapl);
    if (obj < 0)
        return 0;
    if (H5Oget_info3(obj, f->oi, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) < 0 || f->oi->type != f->want) {
        H5Oclose(obj);
        return 0;
    }
    f->raw = jxv__chk_dup(f->c, name, strlen(name));
    if (!f->raw) {
        H5Oclose(obj);
        return -1;
    }
    f->obj = obj;
    return 1;
}

hid_t jxv__chk_open_stripped(chk *c, hid_t gid, const char *slot, size_t slot_len,
                             H5O_type_t want, H5O_info2_t *oi, char **raw)
{
    stripped_find f = {c, slot, slot_len, want, H5I_INVALID_HID, oi, NULL};
    hsize_t pos = 0;
    if (memchr(slot, '/', slot_len))
        return H5I_INVALID_HID; /* a path, not one link name */
    H5Literate2(gid, H5_INDEX_NAME, H5_ITER_INC, &pos, stripped_link_cb, &f);
    *raw = f.raw;
    return f.obj;
}

static hid_t open_stripped_link(gctx *g, hid_t gid, const descend *d, H5O_type_t want,
                                H5O_info2_t *oi)
{
    char *raw = NULL;
    hid_t obj = jxv__chk_open_stripped(g->c, gid, d->slot, d->slot_len, want, oi, &raw);
    stripped_find f = {g->c, d->slot, d->slot_len, want, obj, oi, raw};
    if (f.obj >= 0 && jxv__map_put(&g->owned, f.raw, strlen(f.raw), f.raw) < 0) {
        H5Oclose(f.obj);
        jxv__chk_oom(g->c, d->where);
        return H5I_INVALID_HID;
    }
    return f.obj;
}

static void descend_into(chk *c, gctx *g, hid_t gid, const char *gpath, const descend *d,
                         int depth)
{
    int container = d->info.kind == JXV_N_CONTAINER;
    jxv_rule rule = container ? JXV_RULE_CONTAINER_GROUP : JXV_RULE_DATASET;
    char *path = jxv__join_path(gpath, d->slot, d->slot_len);
    if (!path) {
        jxv__chk_oom(c, gpath);
        return;
    }
    char *lname = jxv__strndup(d->slot, d->slot_len);
    H5O_info2_t oi;
    hid_t obj = lname ? H5Oopen(gid, lname, c->lapl) : H5I_INVALID_HID;
    H5O_type_t want = container ? H5O_TYPE_GROUP : H5O_TYPE_DATASET;
    int found = obj >= 0 && H5Oget_info3(obj, &oi, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) >= 0 &&
                oi.type == want;
    if (!found && lname && c->layout == JXV_LAYOUT_V2) {
        if (obj >= 0)
            H5Oclose(obj);
        obj = open_stripped_link(g, gid, d, want, &oi);
        found = obj >= 0;
    }
    free(lname);
    if (!found) {
        jxv_fail(c->rep, rule, d->where, d->slot, d->slot_len,
                 container ? "a container node has a group named like its slot in the same "
                             "parent group"
                           : "a node stored in a dataset has the dataset named like its slot "
                             "in the same parent group");
        goto out;
    }
    int seen = seen_before(c, &oi.token);
    if (seen < 0) {
        jxv__chk_oom(c, path);
        goto out;
    }
    if (seen) {
        jxv_fail(c->rep, rule, path, d->slot, d->slot_len,
                 "this object is also reached as another node's object through a hard link "
                 "(shared objects are written once and referenced by path)");
        goto out;
    }
    if (container) {
        if (depth + 1 > JXV_MAX_NESTING) {
            if (!c->depth_reported)
                jxv_fail(c->rep, JXV_RULE_CONTAINER_GROUP, path, d->slot, d->slot_len,
                         "containers nested deeper than %d levels are not checked further",
                         JXV_MAX_NESTING);
            c->depth_reported = 1;
            goto out;
        }
        check_group(c, obj, path, d->info.tag, d->node, depth + 1, d->in_key);
    } else {
        if (oi.num_attrs > 0) {
            dctx dc = {c, path,
                       (d->info.data == JXV_D_JAX || d->info.data == JXV_D_NDARRAY) &&
                           c->layout == JXV_LAYOUT_V1};
            hsize_t apos = 0;
            H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &apos, dataset_attr_cb, &dc);
        }
        if ((c->flags & JXV_CHECK_CHECKSUMS) && /* integrity hook (spec §12) */
            jxv__integrity_check_dataset(obj, path, c->records_required, c->rep) < 0)
            jxv__chk_oom(c, path);
        hid_t ft = H5Dget_type(obj), sp = H5Dget_space(obj);
        jxv_type ty;
        if (ft < 0 || sp < 0 || jxv_describe(ft, sp, &ty) < 0)
            jxv_fail(c->rep, JXV_RULE_DATASET, path, d->slot, d->slot_len,
                     "HDF5 cannot describe this dataset's datatype or dataspace");
        else {
            /* v1: whether the dataset names its jax dtype (JAXON_DTYPE, checked above) */
            const char *jd = d->info.jax_dtype;
            size_t jl = d->info.jax_len;
            if (c->layout == JXV_LAYOUT_V1 && oi.num_attrs > 0 &&
                H5Aexists(obj, JXV_DTYPE_ATTR) > 0) {
                jd = JXV_DTYPE_ATTR;
                jl = strlen(JXV_DTYPE_ATTR);
            }
            jxv__check_data_type(c->layout, d->info.data, jd, jl, &ty, 1, path, c->rep);
        }
        if (ft >= 0)
            H5Tclose(ft);
        if (sp >= 0)
            H5Sclose(sp);
    }
out:
    if (obj >= 0)
        H5Oclose(obj);
    free(path);
}

static int check_group(chk *c, hid_t gid, const char *gpath, jxv_ctag tag, cnode *self,
                       int depth, int in_key)
{
    gctx g;
    memset(&g, 0, sizeof g);
    g.c = c;
    g.self = self;
    g.gpath = gpath;
    g.tag = tag;
    g.is_root = depth == 0;
    g.in_key = in_key;
    if (c->flags & JXV_CHECK_CHECKSUMS) { /* integrity hook (spec §12) */
        uint32_t v;
        if (g.is_root)
            c->records_required = jxv__integrity_read_record(gid, &v) == JXV_RECORD_VALUE;
        if (jxv__integrity_check_group(gid, gpath, c->records_required, c->rep) < 0)
            return jxv__chk_oom(c, gpath);
    }

    H5_index_t idx = jxv__crt_order_tracked(gid) > 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    H5O_info2_t oi;
    uint64_t nattrs = 0;
    if (H5Oget_info3(gid, &oi, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) >= 0) {
        nattrs = oi.num_attrs;
        g.token = (const H5O_token_t *)jxv__chk_dup(c, (const char *)&oi.token, sizeof oi.token);
        if (!g.token)
            return jxv__chk_oom(c, gpath);
    }
    jxv_group_names_begin(&g.names, c->layout, tag, g.is_root, idx == H5_INDEX_NAME, nattrs,
                          gpath);
    hsize_t pos = 0;
    if (H5Aiterate2(gid, idx, H5_ITER_INC, &pos, attr_cb, &g) < 0 && !c->failed)
        jxv_fail(c->rep, JXV_RULE_STRAY_OBJECT, gpath, "", 0,
                 "HDF5 failed while iterating the attributes of this group");
    jxv_group_names_end(&g.names, c->rep);
    /* nodes first: a v2 node may own a link whose name is its slot with whitespace around */
    for (size_t i = 0; i < g.nitems && !c->failed; i++)
        descend_into(c, &g, gid, gpath, &g.items[i], depth);
    if (!c->failed) {
        lctx l = {&g, gid, NULL};
        hsize_t lpos = 0;
        H5Literate2(gid, H5_INDEX_NAME, H5_ITER_INC, &lpos, link_cb, &l);
    }
    free(g.items);
    jxv_group_names_free(&g.names);
    jxv__map_free(&g.owned);
    jxv__map_free(&g.prefixes);
    return c->failed ? -1 : 0;
}

/* ---- references ----------------------------------------------------------------------- */

static void resolve_refs(chk *c)
{
    for (size_t i = 0; i < c->nrefs; i++) {
        const pending_ref *r = &c->refs[i];
        jxv_refsplit rs;
        if (jxv__ref_resolve_split(c->layout, r->text, r->len, &rs, r->where, c->rep) < 0)
            continue;
        jxv_buf key = {0};
        jxv__buf_adds(&key, rs.group.data ? rs.group.data : "/");
        jxv__buf_add(&key, "", 1);
        jxv__buf_add(&key, rs.last.data ? rs.last.data : "", rs.last.len);
        jxv__refsplit_free(&rs);
        if (key.oom) {
            jxv__buf_free(&key);
            jxv__chk_oom(c, r->where);
            return;
        }
        cnode *n = jxv__map_get(&c->nodes, key.data, key.len);
        jxv__buf_free(&key);
        if (!n) {
            jxv_fail(c->rep, JXV_RULE_REF_TARGET, r->where, r->text, r->len,
                     c->layout == JXV_LAYOUT_V1
                         ? "no node at this path (a v1.2.0 reference names the group path and "
                           "the target's full attribute name)"
                         : "no node at this path (a reference names the group path and the "
                           "target's slot)");
        } else if (n->is_ref) {
            jxv_fail(c->rep, JXV_RULE_REF_TARGET, r->where, r->text, r->len,
                     "a reference points to a stored node, never to another reference");
        } else if (n->owned &&
                   (strcmp(n->owned, r->group) == 0 ||
                    (strncmp(n->owned, r->group, strlen(n->owned)) == 0 &&
                     r->group[strlen(n->owned)] == '/'))) {
            jxv_fail(c->rep, JXV_RULE_REF_TARGET, r->where, r->text, r->len,
                     "a reference to an enclosing container is a cycle; readers fail on it");
        } else if (c->layout == JXV_LAYOUT_V1 && !n->referenceable) {
            jxv_fail(c->rep, JXV_RULE_REF_TARGET, r->where, r->text, r->len,
                     "None, Ellipsis, numbers, range and slice are copied, never referenced");
        } else if (r->node) {
            r->node->target = n;
        }
    }
}

/* ---- entry points --------------------------------------------------------------------- */

static void read_version(hid_t root, char *out, size_t cap)
{
    hid_t aid = H5Aopen(root, "JAXON_VERSION", H5P_DEFAULT);
    if (aid < 0)
        return;
    hid_t ft = H5Aget_type(aid);
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0) {
        char *text;
        size_t len;
        if (read_text(aid, H5Tget_size(ft), &text, &len) == 0) {
            snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), text);
            free(text);
        }
    }
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(aid);
}

int jxv_check_file_ex(hid_t file_id, jxv_report *rep, jxv_check_stats *stats)
{
    return jxv_check_file_opts(file_id, rep, stats, 0);
}

int jxv_check_file_opts(hid_t file_id, jxv_report *rep, jxv_check_stats *stats, unsigned flags)
{
    chk c;
    memset(&c, 0, sizeof c);
    c.rep = rep;
    c.file = file_id;
    c.flags = flags;
    c.layout = JXV_LAYOUT_V1;
    for (size_t i = 0; i < SEEN_TYPES; i++)
        c.seen[i].copy = H5I_INVALID_HID;
    jxv_check_stats st;
    memset(&st, 0, sizeof st);
    int ret = 0;
    hid_t root = H5I_INVALID_HID;
    H5E_BEGIN_TRY
    {
        c.lapl = H5Pcreate(H5P_LINK_ACCESS);
        if (c.lapl < 0 || H5Pset_elink_cb(c.lapl, jxv__refuse_external_link, NULL) < 0)
            ret = -1;
        if (ret == 0)
            root = H5Gopen2(file_id, "/", H5P_DEFAULT);
        if (root < 0)
            ret = -1;
        if (ret == 0) {
            if (H5Aexists(root, "JAXON_VERSION") > 0) {
                c.layout = JXV_LAYOUT_V2;
                /* records are an extension of our v1.2.0 files (spec §12.2); the v2.x reader
                 * ignores them, and so does the check */
                c.flags &= ~(unsigned)JXV_CHECK_CHECKSUMS;
                st.is_jaxon = 1;
                read_version(root, st.version, sizeof st.version);
            } else {
                snprintf(st.version, sizeof st.version, "1.2.0");
            }
            st.layout = c.layout;
            size_t before = rep->count;
            if (check_group(&c, root, "/", JXV_TAG_NONE, NULL, 0, 0) < 0 && c.failed)
                ret = -1;
            if (ret == 0)
                resolve_refs(&c);
            if (ret == 0 && !c.failed)
                jxv__check_keys(&c);
            if (c.nnodes > 0)
                st.is_jaxon = 1;
            (void)before;
        }
        if (root >= 0)
            H5Gclose(root);
        if (c.lapl >= 0)
            H5Pclose(c.lapl);
        for (size_t i = 0; i < SEEN_TYPES; i++)
            if (c.seen[i].copy >= 0)
                H5Tclose(c.seen[i].copy);
    }
    H5E_END_TRY
    st.nodes = c.nnodes;
    if (stats)
        *stats = st;
    free(c.refs);
    free(c.keys);
    jxv__map_free(&c.nodes);
    jxv__map_free(&c.visited);
    jxv__map_free(&c.vals);
    jxv__buf_free(&c.vbuf);
    arena_free(&c);
    return ret;
}

/* jxv_probe_file: stops at the first attribute of "/" that names the root. */
static herr_t probe_root_attr(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ud)
{
    (void)loc;
    (void)ainfo;
    (void)ud;
    return strncmp(name, "JAXON_ROOT", 10) == 0 && (name[10] == '\0' || name[10] == ':');
}

int jxv_probe_file(hid_t file_id, jxv_check_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->layout = JXV_LAYOUT_V1;
    snprintf(stats->version, sizeof stats->version, "1.2.0");
    int ret = 0;
    H5E_BEGIN_TRY
    {
        hid_t root = H5Gopen2(file_id, "/", H5P_DEFAULT);
        if (root < 0) {
            ret = -1;
        } else if (H5Aexists(root, "JAXON_VERSION") > 0) {
            stats->is_jaxon = 1;
            stats->layout = JXV_LAYOUT_V2;
            stats->version[0] = '\0';
            read_version(root, stats->version, sizeof stats->version);
        } else if (H5Lexists(root, "JAXON_ROOT", H5P_DEFAULT) > 0) {
            stats->is_jaxon = 1;
        } else {
            hsize_t pos = 0;
            stats->is_jaxon = H5Aiterate2(root, H5_INDEX_NAME, H5_ITER_INC, &pos,
                                          probe_root_attr, NULL) > 0;
        }
        if (root >= 0)
            H5Gclose(root);
    }
    H5E_END_TRY
    return ret;
}

int jxv_check_file(hid_t file_id, jxv_report *rep)
{
    return jxv_check_file_ex(file_id, rep, NULL);
}
