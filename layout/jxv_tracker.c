/* The write-time tracker: the Jaxon state of one file being written through the connector.
 *
 * The connector reports every create/write *before* forwarding it; each event is checked
 * against what can be known at that moment of the writer order (spec §3.11 / §4.11):
 *   - a container's group is created, then its children, then its own attribute in the
 *     parent, so the tag of a group (and with it the order rules of its children) is only
 *     known after the children: children are checked against "list" and "dict" at once;
 *   - a v1 storage-hint node writes its attribute (value = typehint), then the dataset;
 *     v2 writes the group/dataset first and then the attribute with the typeinfo;
 *   - a node becomes a valid reference target when its own attribute is written.
 * A refused event (return -1) leaves the state unchanged, because the connector does not
 * forward it. Everything is keyed by normalised path in hash tables: no per-group scans. */
#include "jxv_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jxv_tracker_internal.h"

static const char TREE[] = "/JAXON_ROOT";

static int in_tree(const char *path)
{
    size_t n = sizeof TREE - 1;
    return strncmp(path, TREE, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int push(void ***v, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = item;
    return 0;
}

/* ---- objects -------------------------------------------------------------------------- */

static tobj *obj_get(const jxv_tracker *t, const char *path)
{
    return jxv__map_get(&t->objs, path, strlen(path));
}

/* obj_get for attribute events, which come group by group: the last group answers without
 * hashing its path (objects live as long as the tracker). */
static tobj *obj_get_recent(jxv_tracker *t, const char *path)
{
    size_t len = strlen(path);
    tobj *o = t->last_obj;
    if (o && o->path_len == len && memcmp(o->path, path, len) == 0)
        return o;
    o = jxv__map_get(&t->objs, path, len);
    if (o)
        t->last_obj = o;
    return o;
}

/* Parent path of a normalised path (a new malloc'd string). */
static char *parent_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return jxv__strndup("/", 1);
    return jxv__strndup(path, (size_t)(slash - path));
}

static tobj *obj_add(jxv_tracker *t, char *path, int kind, int explicit_create, tobj *parent)
{
    tobj *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->path = path;
    o->path_len = strlen(path);
    o->kind = kind;
    o->explicit_create = explicit_create;
    o->in_tree = in_tree(path);
    o->parent = parent;
    jxv__order_init(&o->order);
    if (jxv__map_put(&t->objs, o->path, o->path_len, o) < 0 ||
        push((void ***)&t->objv, &t->nobj, &t->capobj, o) < 0) {
        free(o);
        return NULL;
    }
    return o;
}

/* Creates the object at path and every missing intermediate group (HDF5 does the same with
 * create_intermediate_group). Takes ownership of path. NULL on OOM. */
static tobj *obj_create(jxv_tracker *t, char *path, int kind)
{
    char *pp = parent_path(path);
    if (!pp) {
        free(path);
        return NULL;
    }
    tobj *parent = obj_get(t, pp);
    if (!parent) {
        parent = obj_create(t, pp, OBJ_GROUP);
        if (!parent) {
            free(path);
            return NULL;
        }
        parent->explicit_create = 0;
    } else {
        free(pp);
    }
    tobj *o = obj_add(t, path, kind, 1, parent);
    if (!o)
        free(path);
    return o;
}

static void obj_free(tobj *o)
{
    jxv__map_free(&o->slots);
    free(o->path);
    free(o);
}

static void node_free(tnode *n)
{
    free(n->value);
    free(n->expect_path); /* the node itself belongs to a node_block */
}

/* ---- lifecycle ------------------------------------------------------------------------ */

jxv_tracker *jxv_tracker_new(void)
{
    jxv_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->layout = JXV_LAYOUT_V1;
    char *root = jxv__strndup("/", 1);
    if (!root || !obj_add(t, root, OBJ_GROUP, 1, NULL)) {
        free(root);
        jxv_tracker_free(t);
        return NULL;
    }
    return t;
}

void jxv_tracker_free(jxv_tracker *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nobj; i++)
        obj_free(t->objv[i]);
    for (size_t i = 0; i < t->nnode; i++)
        node_free(t->nodev[i]);
    for (size_t i = 0; i < t->nextra; i++)
        free(t->extra[i]);
    free(t->extra);
    free(t->objv);
    free(t->nodev);
    jxv__map_free(&t->objs);
    jxv__map_free(&t->expect);
    for (node_block *b = t->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(t);
}

int jxv_tracker_is_jaxon(const jxv_tracker *t)
{
    return t && t->is_jaxon;
}

void jxv_tracker_seal(jxv_tracker *t, jxv_layout layout)
{
    if (!t)
        return;
    t->is_jaxon = 1;
    t->sealed = 1;
    t->layout = layout;
    t->version_seen = layout == JXV_LAYOUT_V2;
}

int jxv_tracker_is_sealed(const jxv_tracker *t)
{
    return t && t->sealed;
}

/* Does a sealed tree cover what is at path (normalised)? The tree and everything on "/". */
static int sealed_covers(const jxv_tracker *t, const char *path)
{
    if (!t->sealed)
        return 0;
    const char *slash = strrchr(path, '/');
    return in_tree(path) || slash == path;
}

static int refuse_sealed(const char *where, const char *name, size_t len, const char *what,
                         jxv_report *rep)
{
    return jxv_fail(rep, JXV_RULE_COMPLETE_TREE, where, name, len,
                    "the file held a complete Jaxon tree when it was opened for writing, and "
                    "%s would change it (write the whole tree to a new file instead)",
                    what);
}

int jxv_tracker_attr_matters(const jxv_tracker *t, const char *parent)
{
    if (!t || !parent)
        return 0;
    if (parent[0] != '/')
        return 1; /* not normalised: let jxv_on_attr_create decide */
    /* jxv_on_attr_create: "/" is always checked; below, only a Jaxon tree. A node is only
     * recorded by a checked create, and jxv_on_attr_write_text only looks at recorded nodes,
     * at JAXON_VERSION on "/" and at JAXON_DTYPE on a dataset of the tree. */
    if (parent[1] == '\0')
        return 1;
    if (!t->is_jaxon)
        return 0;
    /* in_tree on a normalised path; an unnormalised one ("/JAXON_ROOT/../x", "//JAXON_ROOT")
     * is left to the tracker. */
    if (strstr(parent, "//") || strstr(parent, "/.") )
        return 1;
    return in_tree(parent);
}

int jxv_tracker_wants_text(const jxv_tracker *t)
{
    return t && (t->is_jaxon || t->version_seen);
}

int jxv_tracker_root_written(const jxv_tracker *t)
{
    return t && t->root && t->root->registered;
}

static void become_jaxon(jxv_tracker *t)
{
    if (!t->is_jaxon) {
        t->is_jaxon = 1;
        t->layout = t->version_seen ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1;
    }
}

static int oom(jxv_report *rep, const char *where)
{
    return jxv_fail(rep, JXV_RULE_STRAY_OBJECT, where, "", 0,
                    "the validator ran out of memory");
}

/* ---- ownership of groups and datasets ------------------------------------------------- */

/* The object a node owns is named like its slot in the node's group (spec §1). Checks that
 * it exists with the right kind and is not owned yet; *out gets it. */
static int find_owned(jxv_tracker *t, tnode *n, int kind, tobj **out, const char *where,
                      jxv_report *rep)
{
    char *path = jxv__join_path(n->parent->path, n->nm.slot, n->nm.slot_len);
    if (!path)
        return oom(rep, where);
    tobj *o = obj_get(t, path);
    free(path);
    jxv_rule rule = kind == OBJ_GROUP ? JXV_RULE_CONTAINER_GROUP : JXV_RULE_DATASET;
    if (!o || !o->explicit_create || o->kind != kind)
        return jxv_fail(rep, rule, where, n->name, n->name_len,
                        kind == OBJ_GROUP
                            ? "a container node's group (named like its slot) is created "
                              "before the container's attribute"
                            : "a node stored in a dataset needs the dataset named like its "
                              "slot");
    if (o->owner)
        return jxv_fail(rep, rule, where, n->name, n->name_len,
                        "this %s already belongs to another node",
                        kind == OBJ_GROUP ? "group" : "dataset");
    *out = o;
    return 0;
}

/* v2 data node: its dataset was created before the attribute and must fit the tag. */
static int find_owned_dataset(jxv_tracker *t, tnode *n, tobj **out, const char *where,
                              jxv_report *rep)
{
    if (find_owned(t, n, OBJ_DATASET, out, where, rep) < 0)
        return -1;
    if ((*out)->has_dtype)
        return jxv__check_data_type(t->layout, n->info.data, n->info.jax_dtype,
                                    n->info.jax_len, &(*out)->dtype, 1, (*out)->path, rep);
    return 0;
}

static void take_owned(jxv_tracker *t, tnode *n, tobj *o)
{
    t->completed = o;
    n->owned = o;
    o->owner = n;
    for (tobj *p = o->parent; p && p != n->parent; p = p->parent)
        p->intermediate_ok = 1;
}

/* Container node complete: its group exists and its children fit its tag. */
static int check_container(jxv_tracker *t, tnode *n, tobj **group, const char *where,
                           jxv_report *rep)
{
    if (find_owned(t, n, OBJ_GROUP, group, where, rep) < 0)
        return -1;
    return jxv__order_close(&(*group)->order, n->info.tag, (*group)->path, rep);
}

/* ---- references ----------------------------------------------------------------------- */

static int referenceable_v1(const tnode *target)
{
    switch (target->info.kind) {
    case JXV_N_ATOM:
        return target->info.is_str;
    case JXV_N_NUMERIC:
        return 0;
    default:
        return 1;
    }
}

/* The node of group g whose attribute is called name, if any. */
static tnode *node_by_name(const jxv_tracker *t, const tobj *g, const char *name, size_t len)
{
    const char *slot, *hint;
    size_t slot_len, hint_len;
    jxv__split_attr_name(t->layout, name, len, &slot, &slot_len, &hint, &hint_len);
    tnode *n = jxv__map_get(&g->slots, slot, slot_len);
    return n && n->name_len == len && memcmp(n->name, name, len) == 0 ? n : NULL;
}

static int check_ref(jxv_tracker *t, const char *text, size_t len, tnode **target,
                     const char *where, jxv_report *rep)
{
    jxv_refsplit rs;
    if (jxv__ref_resolve_split(t->layout, text, len, &rs, where, rep) < 0)
        return -1;
    tobj *g = obj_get(t, rs.group.data ? rs.group.data : "/");
    tnode *n = NULL;
    if (g && rs.last.data) {
        if (t->layout == JXV_LAYOUT_V1)
            n = node_by_name(t, g, rs.last.data, rs.last.len);
        else
            n = jxv__map_get(&g->slots, rs.last.data, rs.last.len);
    }
    jxv__refsplit_free(&rs);
    if (!n)
        return jxv_fail(rep, JXV_RULE_REF_TARGET, where, text, len,
                        t->layout == JXV_LAYOUT_V1
                            ? "no node at this path (a v1.2.0 reference names the group path "
                              "and the target's full attribute name, and targets are written "
                              "before references)"
                            : "no node at this path (a reference names the group path and the "
                              "target's slot, and targets are written before references)");
    if (n->info.kind == JXV_N_REF)
        return jxv_fail(rep, JXV_RULE_REF_TARGET, where, text, len,
                        "a reference points to a stored node, never to another reference");
    if (!n->registered)
        return jxv_fail(rep, JXV_RULE_REF_TARGET, where, text, len,
                        "the target is not complete yet (a node becomes a reference target "
                        "when its own attribute is written; references to an enclosing "
                        "container are cycles)");
    if (t->layout == JXV_LAYOUT_V1 && !referenceable_v1(n))
        return jxv_fail(rep, JXV_RULE_REF_TARGET, where, text, len,
                        "None, Ellipsis, numbers, range and slice are copied, never "
                        "referenced");
    *target = n;
    return 0;
}

/* ---- events --------------------------------------------------------------------------- */

/* Common gate of group/dataset/link creation: 1 = check, 0 = accept unchecked, -1 = refused. */
static int gate_object(jxv_tracker *t, const char *path, const char *where, jxv_report *rep)
{
    if (sealed_covers(t, path)) {
        const char *base = strrchr(path, '/') + 1;
        return refuse_sealed(where, base, strlen(base), "creating an object", rep);
    }
    if (!t->is_jaxon) {
        if (in_tree(path)) {
            become_jaxon(t);
            return 1;
        }
        return 0;
    }
    if (in_tree(path))
        return 1;
    char *pp = parent_path(path);
    if (!pp)
        return oom(rep, where);
    int on_root = strcmp(pp, "/") == 0;
    free(pp);
    if (on_root)
        return jxv_fail(rep, JXV_RULE_STRAY_OBJECT, where, path, strlen(path),
                        "in a Jaxon file the root group holds only JAXON_ROOT");
    return 0;
}

static int create_object(jxv_tracker *t, const char *parent, const char *name, int kind,
                         const jxv_type *type, jxv_report *rep)
{
    if (!t)
        return 0;
    char *path = jxv__join_path(parent, name, name ? strlen(name) : 0);
    if (!path)
        return oom(rep, parent);
    int g = gate_object(t, path, path, rep);
    if (g <= 0) {
        /* before the root appears, remember the direct children of "/" for finish() */
        if (g == 0 && !t->is_jaxon && !obj_get(t, path)) {
            char *pp = parent_path(path);
            int on_root = pp && strcmp(pp, "/") == 0;
            free(pp);
            if (on_root) {
                if (!obj_create(t, path, kind))
                    return oom(rep, parent);
                return 0;
            }
        }
        free(path);
        return g;
    }
    if (obj_get(t, path)) {
        free(path); /* HDF5 itself refuses to create an existing name */
        return 0;
    }
    char *pp = parent_path(path);
    if (!pp) {
        free(path);
        return oom(rep, parent);
    }
    tobj *po = obj_get(t, pp);
    free(pp);
    if (po && po->owner && po->owner->registered) {
        int r = jxv_fail(rep, JXV_RULE_CONTAINER_GROUP, path, name, name ? strlen(name) : 0,
                         "children of a container are created before the container's own "
                         "attribute");
        free(path);
        return r;
    }
    tnode *owner = NULL;
    if (kind == OBJ_DATASET && t->layout == JXV_LAYOUT_V1) {
        owner = jxv__map_get(&t->expect, path, strlen(path));
        if (!owner) {
            int r = jxv_fail(rep, JXV_RULE_STRAY_OBJECT, path, name, name ? strlen(name) : 0,
                             "a dataset in a v1.2.0 tree belongs to a node whose attribute "
                             "value is a data typehint, written just before the dataset");
            free(path);
            return r;
        }
        /* JAXON_DTYPE, which names an opaque jax array's dtype, is written after the
         * dataset: taken as there (the file's check sees whether it is) */
        if (type && jxv__check_data_type(t->layout, owner->info.data, JXV_DTYPE_ATTR,
                                         strlen(JXV_DTYPE_ATTR), type, 1, path, rep) < 0) {
            free(path);
            return -1;
        }
    }
    tobj *o = obj_create(t, path, kind);
    if (!o)
        return oom(rep, parent);
    if (type) {
        o->dtype = *type;
        o->has_dtype = 1;
    }
    if (owner)
        take_owned(t, owner, o);
    return 0;
}

int jxv_on_group_create(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep)
{
    return create_object(t, parent, name, OBJ_GROUP, NULL, rep);
}

int jxv_on_dataset_create(jxv_tracker *t, const char *parent, const char *name,
                          const jxv_type *type, jxv_report *rep)
{
    return create_object(t, parent, name, OBJ_DATASET, type, rep);
}

/* A zeroed node with its own copy of the attribute name, not recorded yet (one that is never
 * recorded stays in its block, unused, until the tracker is freed). NULL when out of memory. */
static tnode *node_new(jxv_tracker *t, const char *name, size_t len)
{
    size_t size = (sizeof(tnode) + len + 1 + 15) & ~(size_t)15;
    node_block *b = t->blocks;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > NODE_BLOCK_BYTES ? size : NODE_BLOCK_BYTES;
        if (!(b = calloc(1, sizeof *b + cap)))
            return NULL;
        b->cap = cap;
        b->next = t->blocks;
        t->blocks = b;
    }
    tnode *n = (tnode *)(void *)(b->data + b->used);
    b->used += size;
    memcpy(n->name_buf, name, len);
    n->name = n->name_buf;
    n->name_len = len;
    return n;
}

/* Records node n (from node_new) in parent; -1 when out of memory (n is not recorded). */
static int node_add(jxv_tracker *t, tnode *n, tobj *parent, const jxv_name *nm,
                    const jxv_nodeinfo *info)
{
    n->parent = parent;
    n->nm = *nm;
    n->info = *info;
    if (jxv__map_put(&parent->slots, n->nm.slot, n->nm.slot_len, n) < 0 ||
        push((void ***)&t->nodev, &t->nnode, &t->capnode, n) < 0)
        return -1;
    t->last = n;
    return 0;
}

/* Re-points the jxv_name of a copied attribute name into the copy. */
static void rebase_name(jxv_name *nm, const char *from, const char *to)
{
    nm->slot = to + (nm->slot - from);
    if (nm->hint)
        nm->hint = to + (nm->hint - from);
}

static void rebase_info(jxv_nodeinfo *info, const char *from, size_t len, const char *to)
{
    if (info->tags && info->tags >= from && info->tags <= from + len)
        info->tags = to + (info->tags - from);
    if (info->jax_dtype && info->jax_dtype >= from && info->jax_dtype <= from + len)
        info->jax_dtype = to + (info->jax_dtype - from);
}

static int attr_on_root(jxv_tracker *t, const char *name, size_t len, const jxv_type *type,
                        const char *where, jxv_report *rep)
{
    if (jxv__eq(name, len, "JAXON_VERSION")) {
        if (t->is_jaxon)
            return jxv_fail(rep, JXV_RULE_ROOT, where, name, len,
                            "JAXON_VERSION is the first attribute of a v2 file, written "
                            "before the root node");
        t->version_seen = 1;
        return 0;
    }
    const char *s = name;
    size_t sl = len;
    if (t->version_seen)
        jxv__strip(&s, &sl);
    if (!jxv__starts(s, sl, "JAXON_ROOT")) {
        if (t->is_jaxon)
            return jxv_fail(rep, JXV_RULE_STRAY_OBJECT, where, name, len,
                            "the root group of a Jaxon file carries only the root attribute%s",
                            t->layout == JXV_LAYOUT_V2 ? " and JAXON_VERSION" : "");
        char *copy = jxv__strndup(name, len);
        if (!copy || push((void ***)&t->extra, &t->nextra, &t->capextra, copy) < 0) {
            free(copy);
            return oom(rep, where);
        }
        return 0;
    }
    jxv_layout layout = t->is_jaxon ? t->layout : (t->version_seen ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1);
    jxv_name nm;
    if (jxv_parse_attr_name(layout, name, len, &nm, where, rep) < 0)
        return -1;
    if (nm.slot_kind != JXV_SLOT_ROOT)
        return jxv_fail(rep, JXV_RULE_ROOT, where, name, len,
                        "the root attribute is named JAXON_ROOT with an optional typehint");
    if (t->root)
        return jxv_fail(rep, JXV_RULE_ROOT, where, name, len,
                        "the root group carries exactly one root attribute");
    jxv_nodeinfo info;
    if (jxv__classify_attr(layout, &nm, type, &info, where, rep) < 0)
        return -1;
    int was = t->is_jaxon;
    become_jaxon(t);
    tobj *rootobj = obj_get(t, "/");
    tobj *owned = NULL;
    if (info.kind == JXV_N_CONTAINER || info.kind == JXV_N_DATA_DSET) {
        /* v2: group/dataset first, then the attribute */
        tnode tmp = {.parent = rootobj, .name = (char *)(uintptr_t)name, .name_len = len,
                     .nm = nm, .info = info};
        int r = info.kind == JXV_N_CONTAINER
                    ? check_container(t, &tmp, &owned, where, rep)
                    : find_owned_dataset(t, &tmp, &owned, where, rep);
        if (r < 0) {
            if (!was)
                t->is_jaxon = 0;
            return -1;
        }
    }
    tnode *n = node_new(t, name, len);
    if (!n)
        return oom(rep, where);
    rebase_name(&nm, name, n->name);
    rebase_info(&info, name, len, n->name);
    t->last_order_before = rootobj->order;
    if (node_add(t, n, rootobj, &nm, &info) < 0)
        return oom(rep, where);
    t->root = n;
    if (owned)
        take_owned(t, n, owned);
    if (info.kind != JXV_N_PENDING && info.kind != JXV_N_REF)
        n->registered = 1;
    return 0;
}

int jxv_on_attr_create(jxv_tracker *t, const char *parent, const char *name,
                       const jxv_type *type, jxv_report *rep)
{
    if (!t || !name)
        return 0;
    char *ppath_owned = NULL, wbuf[JXV_WHERE_CAP];
    const char *ppath = jxv__is_normalised(parent)
                            ? parent
                            : (ppath_owned = jxv__join_path(parent, NULL, 0));
    size_t len = strlen(name);
    char *where = ppath ? jxv__attr_where_in(wbuf, sizeof wbuf, ppath, name, len) : NULL;
    int r = 0;
    if (!where) {
        r = oom(rep, parent);
        goto done;
    }
    if (sealed_covers(t, ppath)) {
        r = refuse_sealed(where, name, len, "adding an attribute", rep);
        goto done;
    }
    if (!type) {
        /* the connector always knows the datatype of an attribute it creates */
        if (t->is_jaxon || strcmp(ppath, "/") == 0)
            r = jxv_fail(rep, JXV_RULE_VALUE_TYPE, where, name, len,
                         "no datatype was given for this attribute");
        goto done;
    }
    if (strcmp(ppath, "/") == 0) {
        r = attr_on_root(t, name, len, type, where, rep);
        goto done;
    }
    if (!t->is_jaxon || !in_tree(ppath))
        goto done;
    tobj *po = obj_get_recent(t, ppath);
    if (!po)
        goto done; /* a group this tracker never saw (file opened for writing again) */
    if (po->kind == OBJ_DATASET) {
        if (strcmp(name, JXV_DTYPE_ATTR) == 0 && po->owner &&
            (po->owner->info.data == JXV_D_JAX || po->owner->info.data == JXV_D_NDARRAY) &&
            !po->dtype_attr) {
            if (type->kind == JXV_T_FIXED_STRING && type->utf8 && type->space == JXV_S_SCALAR)
                po->dtype_attr = 1;
            else
                r = jxv_fail(rep, JXV_RULE_VALUE_TYPE, where, name, len,
                             "JAXON_DTYPE holds the jax dtype name as a fixed-length UTF-8 "
                             "string");
            goto done;
        }
        r = jxv_fail(rep, JXV_RULE_STRAY_OBJECT, where, name, len,
                     "Jaxon datasets carry no attributes (except JAXON_DTYPE on the dataset of "
                     "a jax.Array or numpy.ndarray)");
        goto done;
    }
    if (!po->explicit_create) {
        r = jxv_fail(rep, JXV_RULE_STRAY_OBJECT, where, name, len,
                     "this group only exists as an intermediate group of a name containing "
                     "'/' and carries no Jaxon attribute");
        goto done;
    }
    jxv_name nm;
    if (jxv_parse_attr_name(t->layout, name, len, &nm, where, rep) < 0) {
        r = -1;
        goto done;
    }
    /* One lookup for both questions: the same name (HDF5 refuses an existing attribute
     * name itself; its parse succeeded when it was created) or another name on this slot. */
    const tnode *same_slot = jxv__map_get(&po->slots, nm.slot, nm.slot_len);
    if (same_slot && same_slot->name_len == len && memcmp(same_slot->name, name, len) == 0)
        goto done;
    if (nm.slot_kind == JXV_SLOT_ROOT) {
        r = jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                     "JAXON_ROOT is the slot of the root node only");
        goto done;
    }
    if (same_slot) {
        r = jxv_fail(rep, JXV_RULE_DUPLICATE_SLOT, where, name, len,
                     "another node of this group already uses the slot %.*s",
                     (int)(nm.slot_len > 200 ? 200 : nm.slot_len), nm.slot);
        goto done;
    }
    if (po->owner && po->owner->registered) {
        r = jxv_fail(rep, JXV_RULE_CONTAINER_GROUP, where, name, len,
                     "children of a container are written before the container's own "
                     "attribute");
        goto done;
    }
    jxv_nodeinfo info;
    if (jxv__classify_attr(t->layout, &nm, type, &info, where, rep) < 0) {
        r = -1;
        goto done;
    }
    tnode *n = node_new(t, name, len);
    if (!n) {
        r = oom(rep, where);
        goto done;
    }
    char *copy = n->name;
    rebase_name(&nm, name, copy);
    rebase_info(&info, name, len, copy);
    tnode tmp = {.parent = po, .name = copy, .name_len = len, .nm = nm, .info = info};
    tobj *owned = NULL;
    if (info.kind == JXV_N_CONTAINER)
        r = check_container(t, &tmp, &owned, where, rep);
    else if (info.kind == JXV_N_DATA_DSET)
        r = find_owned_dataset(t, &tmp, &owned, where, rep);
    jxv_order saved = po->order;
    if (r == 0)
        r = jxv__order_add(&po->order, t->layout, &nm, JXV_TAG_NONE, copy, len, where, rep);
    if (r < 0) { /* n stays unused in its block */
        po->order = saved;
        goto done;
    }
    if (node_add(t, n, po, &nm, &info) < 0) {
        po->order = saved;
        r = oom(rep, where);
        goto done;
    }
    t->last_order_before = saved;
    if (owned)
        take_owned(t, n, owned);
    if (info.kind != JXV_N_PENDING && info.kind != JXV_N_REF)
        n->registered = 1;
done:
    JXV_WHERE_FREE(where, wbuf);
    free(ppath_owned);
    return r;
}

int jxv_on_attr_write_text(jxv_tracker *t, const char *parent, const char *name,
                           const char *text, size_t len, jxv_report *rep)
{
    if (!t || !name || (!t->is_jaxon && !t->version_seen))
        return 0;
    if (!text)
        text = "", len = 0;
    char *ppath_owned = NULL, wbuf[JXV_WHERE_CAP];
    const char *ppath = jxv__is_normalised(parent)
                            ? parent
                            : (ppath_owned = jxv__join_path(parent, NULL, 0));
    if (!ppath)
        return oom(rep, parent);
    if (sealed_covers(t, ppath)) {
        size_t nl = strlen(name);
        char *w = jxv__attr_where(ppath, name, nl);
        int r = refuse_sealed(w ? w : ppath, name, nl, "rewriting a text attribute", rep);
        free(w);
        free(ppath_owned);
        return r;
    }
    if (t->version_seen && strcmp(ppath, "/") == 0 && strcmp(name, "JAXON_VERSION") == 0) {
        size_t vl = len;
        while (vl && text[vl - 1] == '\0')
            vl--;
        snprintf(t->version, sizeof t->version, "%.*s", (int)(vl < 31 ? vl : 31), text);
        free(ppath_owned);
        return 0;
    }
    if (!t->is_jaxon) {
        free(ppath_owned);
        return 0;
    }
    tobj *po = obj_get_recent(t, ppath);
    size_t nlen = strlen(name);
    if (po && po->kind == OBJ_DATASET && po->dtype_attr == 1 &&
        strcmp(name, JXV_DTYPE_ATTR) == 0) {
        while (len && text[len - 1] == '\0')
            len--;
        int r = 0;
        if (!jxv__jax_dtype_ok(text, len)) {
            char *w = jxv__attr_where(ppath, name, nlen);
            r = jxv_fail(rep, JXV_RULE_TYPE_TAG, w ? w : ppath, text, len,
                         "JAXON_DTYPE holds a jax dtype name, e.g. bfloat16");
            free(w);
        } else {
            po->dtype_attr = 2;
        }
        free(ppath_owned);
        return r;
    }
    /* A writer writes an attribute right after creating it: try the last node before the
     * table (same answer: names are unique per group). */
    tnode *n = NULL;
    if (po && t->last && t->last->parent == po && t->last->name_len == nlen &&
        memcmp(t->last->name, name, nlen) == 0)
        n = t->last;
    else if (po)
        n = node_by_name(t, po, name, nlen);
    if (!n || n->written || (n->info.kind != JXV_N_PENDING && n->info.kind != JXV_N_REF)) {
        free(ppath_owned);
        return 0;
    }
    char *where = jxv__attr_where_in(wbuf, sizeof wbuf, ppath, name, nlen);
    free(ppath_owned);
    if (!where)
        return oom(rep, parent);
    while (len && text[len - 1] == '\0') /* readers drop the NUL padding */
        len--;
    jxv_nodeinfo info = n->info;
    tnode *target = NULL;
    tobj *owned = NULL;
    int r = jxv__classify_text(t->layout, &n->nm, text ? text : "", len, &info, where, rep);
    if (r == 0 && info.kind == JXV_N_REF)
        r = check_ref(t, text, len, &target, where, rep);
    char *value = NULL;
    if (r == 0 && (info.kind == JXV_N_CONTAINER || info.kind == JXV_N_DATA_DSET)) {
        value = jxv__strndup(text, len);
        if (!value)
            r = oom(rep, where);
        else
            rebase_info(&info, text, len, value);
    }
    if (r == 0 && info.kind == JXV_N_CONTAINER) {
        tnode tmp = *n;
        tmp.info = info;
        r = check_container(t, &tmp, &owned, where, rep);
    }
    char *expect = NULL;
    if (r == 0 && info.kind == JXV_N_DATA_DSET) {
        expect = jxv__join_path(n->parent->path, n->nm.slot, n->nm.slot_len);
        if (!expect)
            r = oom(rep, where);
        else if (jxv__map_put(&t->expect, expect, strlen(expect), n) < 0)
            r = oom(rep, where);
    }
    if (r < 0) {
        n->failed = 1; /* reported now; finish() does not report it again */
        free(value);
        free(expect);
        JXV_WHERE_FREE(where, wbuf);
        return -1;
    }
    n->info = info;
    n->value = value;
    n->value_len = len;
    n->expect_path = expect;
    JXV_WHERE_FREE(where, wbuf);
    if (owned)
        take_owned(t, n, owned);
    if (target)
        target->refcount++;
    n->written = 1;
    n->registered = 1;
    return 0;
}

int jxv_on_link_create(jxv_tracker *t, const char *parent, const char *name, const char *target,
                       jxv_report *rep)
{
    if (!t || !t->is_jaxon)
        return 0;
    if (!target) /* an anonymous dataset being given its name: same as creating it */
        return create_object(t, parent, name, OBJ_DATASET, NULL, rep);
    char *path = jxv__join_path(parent, name, name ? strlen(name) : 0);
    if (!path)
        return oom(rep, parent);
    int r = 0;
    if (in_tree(path) || (parent && strcmp(parent, "/") == 0))
        r = jxv_fail(rep, JXV_RULE_STRAY_OBJECT, path, target, strlen(target),
                     "the Jaxon layout has no extra hard or soft links");
    free(path);
    return r;
}

static int refuse_change(jxv_tracker *t, const char *parent, const char *name, const char *what,
                         jxv_report *rep)
{
    if (!t || !t->is_jaxon)
        return 0;
    char *path = jxv__join_path(parent, NULL, 0);
    if (!path)
        return oom(rep, parent);
    int r = 0;
    if (in_tree(path) || strcmp(path, "/") == 0) {
        char *where = jxv__attr_where(path, name ? name : "", name ? strlen(name) : 0);
        r = jxv_fail(rep, JXV_RULE_STRAY_OBJECT, where ? where : path, name,
                     name ? strlen(name) : 0,
                     "a Jaxon tree is written once in order; %s inside it is not allowed",
                     what);
        free(where);
    }
    free(path);
    return r;
}

int jxv_on_link_move(jxv_tracker *t, const char *src_parent, const char *src_name,
                     const char *dst_parent, const char *dst_name, jxv_report *rep)
{
    if (refuse_change(t, src_parent, src_name, "moving or renaming a link", rep) < 0)
        return -1;
    return refuse_change(t, dst_parent, dst_name, "moving or renaming a link", rep);
}

int jxv_on_attr_rename(jxv_tracker *t, const char *parent, const char *old_name,
                       const char *new_name, jxv_report *rep)
{
    (void)new_name;
    return refuse_change(t, parent, old_name, "renaming an attribute", rep);
}

/* Deleting the attribute created last while its node is incomplete (its text was refused or
 * not written yet) undoes it: that is how h5py cleans up after a refused write, and without
 * it the delete would be refused and the half-made attribute would stay. 1 when undone. */
static int undo_last_node(jxv_tracker *t, const char *parent, const char *name)
{
    tnode *n = t ? t->last : NULL;
    if (!n || n->registered || !name || !parent)
        return 0;
    size_t nl = strlen(name);
    if (n->name_len != nl || memcmp(n->name, name, nl) != 0)
        return 0;
    char *path = jxv__join_path(parent, NULL, 0);
    int same = path && strcmp(path, n->parent->path) == 0;
    free(path);
    if (!same)
        return 0;
    tobj *g = n->parent;
    g->order = t->last_order_before;
    /* the map has no deletion: the slot answers "no node" until a new node takes it */
    jxv__map_put(&g->slots, n->nm.slot, n->nm.slot_len, NULL);
    if (t->nnode > 0 && t->nodev[t->nnode - 1] == n)
        t->nnode--;
    node_free(n);
    n->value = n->expect_path = NULL;
    if (t->root == n)
        t->root = NULL;
    t->last = NULL;
    return 1;
}

int jxv_on_delete(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep)
{
    return refuse_change(t, parent, name, "deleting", rep);
}

int jxv_on_attr_delete(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep)
{
    if (undo_last_node(t, parent, name))
        return 0;
    return refuse_change(t, parent, name, "deleting", rep);
}

/* ---- whole-file checks ---------------------------------------------------------------- */

int jxv_tracker_finish(jxv_tracker *t, jxv_report *rep)
{
    if (!t || !t->is_jaxon || t->sealed)
        return 0;
    size_t before = rep ? rep->count : 0;
    int bad = 0;
    if (!t->root)
        bad |= jxv_fail(rep, JXV_RULE_ROOT, "/", "", 0,
                        "a Jaxon file has exactly one root attribute JAXON_ROOT[:typehint] on /");
    for (size_t i = 0; i < t->nextra; i++)
        bad |= jxv_fail(rep, JXV_RULE_STRAY_OBJECT, "/", t->extra[i], strlen(t->extra[i]),
                        "the root group of a Jaxon file carries only the root attribute%s",
                        t->layout == JXV_LAYOUT_V2 ? " and JAXON_VERSION" : "");
    for (size_t i = 0; i < t->nnode; i++) {
        tnode *n = t->nodev[i];
        if (n->failed)
            continue;
        char wbuf[JXV_WHERE_CAP];
        char *where = jxv__attr_where_in(wbuf, sizeof wbuf, n->parent->path, n->name,
                                         n->name_len);
        if (!n->registered)
            bad |= jxv_fail(rep, JXV_RULE_VALUE_TYPE, where, n->name, n->name_len,
                            "the string attribute was created but its text never written");
        else if (n->info.kind == JXV_N_DATA_DSET && !n->owned)
            bad |= jxv_fail(rep, JXV_RULE_DATASET, where, n->name, n->name_len,
                            "a node whose value is a data typehint has its data in a dataset "
                            "named like its slot, and the dataset is missing");
        JXV_WHERE_FREE(where, wbuf);
    }
    for (size_t i = 0; i < t->nobj; i++) {
        tobj *o = t->objv[i];
        if (!o->parent || !o->explicit_create || o->owner || o->intermediate_ok)
            continue;
        const char *base = strrchr(o->path, '/');
        base = base ? base + 1 : o->path;
        if (!o->in_tree)
            bad |= jxv_fail(rep, JXV_RULE_STRAY_OBJECT, o->path, base, strlen(base),
                            "in a Jaxon file the root group holds only JAXON_ROOT");
        else if (o->kind == OBJ_GROUP)
            bad |= jxv_fail(rep, JXV_RULE_CONTAINER_GROUP, o->path, base, strlen(base),
                            "every group of the Jaxon tree belongs to a container node (an "
                            "attribute named like the group in its parent)");
        else
            bad |= jxv_fail(rep, JXV_RULE_STRAY_OBJECT, o->path, base, strlen(base),
                            "every dataset of the Jaxon tree belongs to a node stored in a "
                            "dataset");
    }
    return (bad || (rep && rep->count > before)) ? -1 : 0;
}
