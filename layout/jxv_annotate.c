/* Annotations: the object comments the connector writes on the groups and datasets of a
 * Jaxon tree, describing each node (what jaxon tree and h5dump users read), built from the
 * tracker's state (jxv_tracker_internal.h). */
#include "jxv_tracker_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- annotations ---------------------------------------------------------------------- */

/* The outermost marshal tag of a "#a#b" chain (the last one) without brackets. */
static void last_tag(const char *tags, size_t len, const char **tag, size_t *tl)
{
    const char *h = tags + len;
    while (h > tags && h[-1] != '#')
        h--;
    *tag = h;
    *tl = (size_t)(tags + len - h);
}

/* Appends the decimal text of v (snprintf costs ~1,000 instructions; annotations are written
 * for every container). */
static void buf_add_u64(jxv_buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jxv__buf_add(b, tmp + n, sizeof tmp - n);
}

static void describe_container(const jxv_tracker *t, const tnode *n, jxv_buf *b)
{
    const tobj *g = n->owned;
    int dict = n->info.tag == JXV_TAG_DICT;
    uint64_t count = dict ? g->order.entries : g->order.n;
    const char *unit = dict ? "entr" : "item";
    const char *tag = NULL;
    size_t tl = 0;
    if (n->info.tags && n->info.tags_len)
        last_tag(n->info.tags, n->info.tags_len, &tag, &tl);
    const char *arg = NULL;
    size_t al = 0;
    int dataclass = 0;
    if (tag && tl) {
        const char *open = memchr(tag, '[', tl);
        if (t->layout == JXV_LAYOUT_V2 && open && tag[tl - 1] == ']') {
            arg = open + 1;
            al = tl - (size_t)(open - tag) - 2;
            dataclass = jxv__starts(tag, tl, "dclass[");
        } else if (t->layout == JXV_LAYOUT_V1 && memchr(tag, '.', tl)) {
            arg = tag;
            al = tl;
            dataclass = 1;
        }
    }
    if (dict && dataclass) {
        jxv__buf_adds(b, "dataclass ");
        jxv__buf_add(b, arg, al);
        jxv__buf_adds(b, ", ");
        buf_add_u64(b, count);
        jxv__buf_adds(b, count == 1 ? " field" : " fields");
        return;
    }
    if (arg) {
        jxv__buf_add(b, arg, al);
        jxv__buf_adds(b, " object (");
    } else if (tag && tl) {
        jxv__buf_adds(b, "marshaled as ");
        jxv__buf_add(b, tag, tl);
        jxv__buf_adds(b, " (");
    }
    jxv__buf_adds(b, jxv_ctag_name(n->info.tag));
    jxv__buf_adds(b, ", ");
    buf_add_u64(b, count);
    jxv__buf_adds(b, " ");
    jxv__buf_adds(b, unit);
    jxv__buf_adds(b, dict ? (count == 1 ? "y" : "ies") : (count == 1 ? "" : "s"));
    if (tag && tl)
        jxv__buf_add(b, ")", 1);
}

/* The annotation of o into b (emptied first); 0 when o has none (not a node's object). */
static int annotation_text(const jxv_tracker *t, const tobj *o, jxv_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    if (!o->parent) {
        jxv__buf_adds(b, "Jaxon layout v");
        jxv__buf_adds(b, t->layout == JXV_LAYOUT_V1 ? "1.2.0" : (t->version[0] ? t->version : "2"));
        jxv__buf_adds(b, " (written through the jaxon VOL connector)");
        return 1;
    }
    if (!o->owner)
        return 0;
    const tnode *n = o->owner;
    if (n->info.kind == JXV_N_CONTAINER) {
        describe_container(t, n, b);
    } else {
        jxv__buf_adds(b, jxv_dhint_name(n->info.data));
        if (n->info.data == JXV_D_JAX && n->info.jax_dtype) {
            jxv__buf_add(b, "[", 1);
            jxv__buf_add(b, n->info.jax_dtype, n->info.jax_len);
            jxv__buf_add(b, "]", 1);
        }
        jxv__buf_adds(b, " data");
    }
    if (n->refcount) {
        jxv__buf_adds(b, "; shared object, referenced ");
        buf_add_u64(b, n->refcount);
        jxv__buf_adds(b, n->refcount == 1 ? " time" : " times");
    }
    return 1;
}

/* Hands o's annotation to fn (name: how fn addresses o; text built in b) and marks o when
 * fn wrote it. Returns fn's result with "not written" (> 0) as 0, -1 when out of memory. */
static int write_annotation(const jxv_tracker *t, tobj *o, const char *name,
                            int (*fn)(const char *name, const char *text, void *ud), void *ud,
                            jxv_buf *b)
{
    if (!annotation_text(t, o, b))
        return 0;
    if (b->oom)
        return -1;
    int r = fn(name, b->data, ud);
    if (r == 0) {
        o->annotated = 1;
        o->annotated_refs = o->owner ? o->owner->refcount : 0;
    }
    return r > 0 ? 0 : r;
}

int jxv_tracker_foreach_annotation(jxv_tracker *t,
                                   int (*fn)(const char *path, const char *text, void *ud),
                                   void *ud)
{
    if (!t || !t->is_jaxon || t->sealed || !fn)
        return 0;
    jxv_buf b = {0};
    int r = 0;
    for (size_t i = 0; i < t->nobj && r == 0; i++) {
        tobj *o = t->objv[i];
        /* Written when its node completed (or by an earlier pass) and still true. The
         * layout record on "/" is written every time: it replaces the INVALID comment an
         * earlier finish with violations may have left. */
        if (o->annotated && o->parent && o->annotated_refs == o->owner->refcount)
            continue;
        r = write_annotation(t, o, o->path, fn, ud, &b);
    }
    jxv__buf_free(&b);
    return r;
}

int jxv_tracker_annotate_completed(jxv_tracker *t, const char *loc_path,
                                   int (*fn)(const char *rel, const char *text, void *ud),
                                   void *ud)
{
    if (!t)
        return 0;
    tobj *o = t->completed;
    t->completed = NULL;
    if (!o || !fn || !o->owner || !t->is_jaxon || !loc_path)
        return 0;
    /* The location is the object itself, or the group holding the node's attribute: then
     * the object is its slot there (a v1 key with '/' goes through intermediate groups,
     * still below that group). Any other location: left to the pass at close. */
    const tobj *g = o->owner->parent;
    size_t gl = g->path_len == 1 ? 0 : g->path_len;
    const char *rel;
    if (strcmp(loc_path, o->path) == 0)
        rel = NULL;
    else if (strcmp(loc_path, g->path) == 0 && o->path_len > gl + 1 &&
             memcmp(o->path, g->path, gl) == 0 && o->path[gl] == '/')
        rel = o->path + gl + 1;
    else
        return 0;
    jxv_buf b = {0};
    int r = write_annotation(t, o, rel, fn, ud, &b);
    jxv__buf_free(&b);
    return r;
}
