/* The names of one group: the rules that a group's attribute names obey together (one root
 * attribute on "/", slot grammar, no slot twice, the order of list-like indices and of dict
 * key(i)/value(i) pairs, creation-order tracking). One implementation for the whole-file
 * checker and both readers of the extension (pybridge/src/load.c, load_v2.c), so that the
 * loader refuses exactly the names the validator refuses. */
#include "jxv_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void jxv_group_names_begin(jxv_group_names *g, jxv_layout layout, jxv_ctag tag, int is_root,
                           int untracked, uint64_t total, const char *gpath)
{
    memset(g, 0, sizeof *g);
    g->layout = layout;
    g->tag = tag;
    g->is_root = is_root;
    /* one attribute has no order to lose */
    g->untracked = untracked && !is_root && total > 1;
    g->total = total;
    g->gpath = gpath;
    jxv__order_init(&g->order);
    jxv__map_init(&g->slots);
    jxv__map_init(&g->numbers);
}

void jxv_group_names_free(jxv_group_names *g)
{
    jxv__map_free(&g->slots);
    jxv__map_free(&g->numbers);
    for (size_t i = 0; i < g->nnumbers; i++)
        free(g->number_slots[i].vkey);
    free(g->number_slots);
}

/* Refuses a number or range key equal to an earlier one (int(1), float(1.0), bool(True) and
 * complex(1+0j) are one Python key; so are range(0,0) and range(5,3)); 0 or -1 (with a
 * violation). Strings, None and Ellipsis are one key only with the same text, which the
 * slot map catches; a NaN is no other key. */
static int check_number_key(jxv_group_names *g, const jxv_name *nm, const char *name,
                            size_t len, jxv_report *rep)
{
    if (!jxv__vkey_number_slot(g->layout, nm->slot, nm->slot_len))
        return 0;
    jxv_buf vk = {0};
    int has = jxv__vkey_atom(g->layout, nm->slot, nm->slot_len, &vk);
    if (vk.oom) {
        jxv__buf_free(&vk);
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, g->gpath, "", 0, "out of memory");
    }
    if (!has) {
        jxv__buf_free(&vk);
        return 0;
    }
    uintptr_t earlier = (uintptr_t)jxv__map_get(&g->numbers, vk.data, vk.len);
    if (earlier) {
        const struct jxv_number_slot *e = &g->number_slots[earlier - 1];
        char wbuf[JXV_WHERE_CAP];
        char *w = jxv__attr_where_in(wbuf, sizeof wbuf, g->gpath, name, len);
        jxv_fail(rep, JXV_RULE_DUPLICATE_SLOT, w ? w : g->gpath, name, len,
                 "the key equals the key %.*s of an earlier entry (Python compares numbers by "
                 "value: int(1), float(1.0) and bool(True) are one key)",
                 (int)(e->slot_len > 200 ? 200 : e->slot_len), e->slot);
        if (w)
            JXV_WHERE_FREE(w, wbuf);
        jxv__buf_free(&vk);
        return -1;
    }
    if (g->nnumbers == g->capnumbers) {
        size_t ncap = g->capnumbers ? 2 * g->capnumbers : 8;
        struct jxv_number_slot *ns = realloc(g->number_slots, ncap * sizeof *ns);
        if (!ns) {
            jxv__buf_free(&vk);
            return jxv_fail(rep, JXV_RULE_SLOT_NAME, g->gpath, "", 0, "out of memory");
        }
        g->number_slots = ns;
        g->capnumbers = ncap;
    }
    /* the buffer becomes the entry's key (freed by jxv_group_names_free) */
    struct jxv_number_slot *e = &g->number_slots[g->nnumbers];
    e->vkey = vk.data;
    e->slot = nm->slot;
    e->slot_len = nm->slot_len;
    if (jxv__map_put(&g->numbers, vk.data, vk.len, (void *)(uintptr_t)(g->nnumbers + 1)) < 0) {
        jxv__buf_free(&vk);
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, g->gpath, "", 0, "out of memory");
    }
    g->nnumbers++;
    return 0;
}

/* An untracked container group keeps its children's order only in the order of their names:
 * list-like children with zero-padded indices (the first child's form decides; the order
 * rules hold the rest to it), and dicts of more than JXV_MAX_TRACKED entries whose slots are
 * all simple atoms (readers take the entries in name order; a key(i)/value(i) pair cannot
 * keep its two names next to each other in name order). */
static int untracked_ok(const jxv_group_names *g, const jxv_name *nm)
{
    if (g->tag == JXV_TAG_DICT && g->total > JXV_MAX_TRACKED)
        return nm->slot_kind == JXV_SLOT_SIMPLE ||
               (nm->slot_kind == JXV_SLOT_INDEX && !nm->index_width &&
                g->layout == JXV_LAYOUT_V2);
    return g->order.n > 0 || (nm->slot_kind == JXV_SLOT_INDEX && nm->index_width);
}

/* Appends the violation of name to rep with its path "<group>@<name>", built only now: a
 * reader calls this once per attribute and almost never fails. */
#define FAIL(rule, ...)                                                                        \
    do {                                                                                       \
        char wbuf_[JXV_WHERE_CAP];                                                             \
        char *w_ = jxv__attr_where_in(wbuf_, sizeof wbuf_, g->gpath, name, len);               \
        jxv_fail(rep, rule, w_ ? w_ : g->gpath, name, len, __VA_ARGS__);                       \
        if (w_)                                                                                \
            JXV_WHERE_FREE(w_, wbuf_);                                                         \
    } while (0)

int jxv_group_names_add(jxv_group_names *g, const char *name, size_t len, jxv_name *nm,
                        jxv_report *rep)
{
    if (g->is_root) {
        const char *s = name;
        size_t sl = len;
        if (g->layout == JXV_LAYOUT_V2) {
            jxv__strip(&s, &sl);
            if (jxv__eq(name, len, "JAXON_VERSION"))
                return JXV_NAMES_NO_NODE;
        }
        if (!jxv__starts(s, sl, "JAXON_ROOT")) {
            FAIL(JXV_RULE_STRAY_OBJECT,
                 "the root group of a Jaxon file carries only the root attribute%s",
                 g->layout == JXV_LAYOUT_V2 ? " and JAXON_VERSION" : "");
            return JXV_NAMES_REFUSED;
        }
        if (g->root_found) {
            FAIL(JXV_RULE_ROOT, "the root group carries exactly one root attribute");
            return JXV_NAMES_REFUSED;
        }
    }
    if (jxv_parse_attr_name(g->layout, name, len, nm, g->gpath, NULL) < 0) {
        /* again with the report and the attribute's path: parsing has no side effects */
        char wbuf[JXV_WHERE_CAP];
        char *w = jxv__attr_where_in(wbuf, sizeof wbuf, g->gpath, name, len);
        jxv_parse_attr_name(g->layout, name, len, nm, w ? w : g->gpath, rep);
        if (w)
            JXV_WHERE_FREE(w, wbuf);
        g->order.reported = 1; /* order rules make no sense with a broken slot */
        return JXV_NAMES_BAD_SLOT;
    }
    if (g->is_root) {
        if (nm->slot_kind != JXV_SLOT_ROOT) {
            FAIL(JXV_RULE_ROOT, "the root attribute is named JAXON_ROOT with an optional typehint");
            return JXV_NAMES_REFUSED;
        }
        g->root_found = 1;
        return JXV_NAMES_NODE;
    }
    if (nm->slot_kind == JXV_SLOT_ROOT) {
        FAIL(JXV_RULE_SLOT_NAME, "JAXON_ROOT is the slot of the root node only");
        return JXV_NAMES_REFUSED;
    }
    if (!g->slots_checked_by_caller) {
        if (g->slots.cap == 0 && jxv__map_reserve(&g->slots, g->total) < 0) {
            FAIL(JXV_RULE_SLOT_NAME, "out of memory");
            return JXV_NAMES_REFUSED;
        }
        int had = jxv__map_add(&g->slots, nm->slot, nm->slot_len, g);
        if (had < 0) {
            FAIL(JXV_RULE_SLOT_NAME, "out of memory");
            return JXV_NAMES_REFUSED;
        }
        if (had) {
            FAIL(JXV_RULE_DUPLICATE_SLOT, "another node of this group already uses the slot "
                 "%.*s", (int)(nm->slot_len > 200 ? 200 : nm->slot_len), nm->slot);
            return JXV_NAMES_REFUSED;
        }
        if (g->tag == JXV_TAG_DICT &&
            (nm->slot_kind == JXV_SLOT_SIMPLE || nm->slot_kind == JXV_SLOT_INDEX) &&
            check_number_key(g, nm, name, len, rep) < 0)
            return JXV_NAMES_REFUSED;
    }
    int bad = 0;
    if (g->untracked && !g->order.reported && !untracked_ok(g, nm)) {
        g->order.reported = 1;
        jxv_fail(rep, JXV_RULE_INDEX_ORDER, g->gpath, "", 0,
                 "the group does not track attribute creation order, so the order of its "
                 "children cannot be recovered");
        bad = 1;
    }
    int was_reported = g->order.reported;
    char wbuf[JXV_WHERE_CAP];
    if (jxv__order_add(&g->order, g->layout, nm, g->tag, name, len, g->gpath, NULL) < 0) {
        if (!was_reported) {
            char *w = jxv__attr_where_in(wbuf, sizeof wbuf, g->gpath, name, len);
            jxv__order_add(&g->order, g->layout, nm, g->tag, name, len, w ? w : g->gpath, rep);
            if (w)
                JXV_WHERE_FREE(w, wbuf);
            bad = 1;
        }
        /* the state moves on as if the hypothesis had held, for the rest of the group */
        g->order.reported = 1;
        jxv__order_add(&g->order, g->layout, nm, g->tag, name, len, g->gpath, NULL);
    }
    return bad ? JXV_NAMES_BAD_ORDER : JXV_NAMES_NODE;
}
#undef FAIL

int jxv_group_names_end(jxv_group_names *g, jxv_report *rep)
{
    if (g->is_root)
        return g->root_found
                   ? 0
                   : jxv_fail(rep, JXV_RULE_ROOT, "/", "", 0,
                              "no JAXON_ROOT attribute on /: a Jaxon file has exactly one root "
                              "attribute JAXON_ROOT[:typehint]");
    return jxv__order_close(&g->order, g->tag, g->gpath, rep);
}
