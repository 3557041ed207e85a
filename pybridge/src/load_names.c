/* The names of a group, checked before any of its children is loaded: the layout library's
 * rules of a group's names together (layout/jxv_names.c), the same function the validator's
 * whole-file checker calls. Both readers (v1.2.0 in load.c, v2 in load_v2.c) refuse exactly
 * the names the validator refuses, with the validator's rule name in JaxonFormatError.rule. */
#include "load_internal.h"

#include "jxv_internal.h"

#include <stdlib.h>
#include <string.h>

int jx_ld_collect_names(Loader *L, hid_t gid, const char *attr, JxNames *nl)
{
    /* every container lists its names first: Ctrl-C is honoured here between containers */
    if (PyErr_CheckSignals() < 0)
        return -1;
    if (jx_names_collect(gid, nl) == 0)
        return 0;
    if (nl->oom) {
        H5Eclear2(H5E_DEFAULT);
        PyErr_NoMemory();
        return -1;
    }
    jx_ld_h5_error(L, attr, "cannot list the group's attributes");
    return -1;
}

int jx_ld_check_names(Loader *L, const JxNames *nl, int v2, int ctag, int is_root)
{
    jxv_group_names g;
    jxv_report rep;
    jxv_name nm;
    const char *bad = NULL;
    int rc = 0;
    jxv_report_init(&rep);
    jxv_group_names_begin(&g, v2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1, (jxv_ctag)ctag, is_root,
                          !nl->tracked, nl->n, "");
    g.slots_checked_by_caller = 1; /* load_walk.c: a dict entry must grow the dict */
    for (size_t i = 0; i < nl->n; i++) {
        const char *name = jx_names_at(nl, i);
        if (jxv_group_names_add(&g, name, strlen(name), &nm, &rep) < 0) {
            bad = name;
            rc = -1;
            break;
        }
    }
    if (rc == 0 && jxv_group_names_end(&g, &rep) < 0)
        rc = -1;
    if (rc < 0) {
        if (rep.count)
            jx_ld_rule_error(L, NULL, bad, jxv_rule_name(rep.items[0].rule), "%s",
                             rep.items[0].message);
        else
            PyErr_NoMemory();
    }
    jxv_group_names_free(&g);
    jxv_report_clear(&rep);
    return rc;
}

PyObject *jx_ld_dup_key(Loader *L, const char *name, PyObject *key)
{
    /* int(1), float(1.0) and bool(True) are three slots but one Python key: the dict would
     * silently lose entries (the validator's rule duplicate-slot, jxv_names.c) */
    PyObject *shown = PyObject_Repr(key);
    if (!shown)
        return NULL;
    jx_ld_rule_error(L, NULL, name, "duplicate-slot", "the key %.200U equals the key of an "
                     "earlier entry of this dict", shown);
    Py_DECREF(shown);
    return NULL;
}

int jx_ld_hard_link(Loader *L, hid_t pgid, const char *link, const char *attr)
{
    /* a soft link could lead anywhere in the file (outside JAXON_ROOT too) and an external
     * one into another file: the layout has hard links only (the validator's stray-object) */
    H5L_info2_t li;
    if (H5Lget_info2(pgid, link, &li, H5P_DEFAULT) < 0) {
        jx_ld_h5_error(L, attr, "cannot inspect the link to the node's object");
        return -1;
    }
    if (li.type == H5L_TYPE_HARD)
        return 0;
    jx_ld_rule_error(L, NULL, attr, "stray-object", "the node's object is reached through a "
                     "%s link; the Jaxon layout has only hard links",
                     li.type == H5L_TYPE_SOFT ? "soft" : "external or user-defined");
    return -1;
}

/* Does the node of attribute name (slot and hint split) own an object named like its slot?
 * v2 says so in the name (a container tag or a dataset builtin); v1 in the text of a name
 * without typehint (a container tag or a data typehint: the storage-hint form). */
static int owns_object(hid_t gid, int v2, const char *name, const char *hint, size_t hl)
{
    jxv_nodeinfo info;
    memset(&info, 0, sizeof info);
    if (v2)
        return hint && jxv__parse_typeinfo_v2(hint, hl, &info, "", NULL) == 0 &&
               (info.tag != JXV_TAG_NONE || info.data != JXV_D_NONE);
    if (hint)
        return 0; /* a reference, or data kept in the attribute itself */
    int owns = 0;
    hid_t aid = H5Aopen(gid, name, H5P_DEFAULT);
    hid_t ft = aid >= 0 ? H5Aget_type(aid) : -1;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0) {
        char small[256], *text = NULL;
        size_t len = 0;
        if (jxv__read_text(aid, ft, H5Tget_size(ft), small, sizeof small, &text, &len) == 0) {
            owns = jxv__parse_value_hint_v1(text, len, &info, "", NULL) == 0;
            if (text != small)
                free(text);
        }
    }
    if (ft >= 0)
        H5Tclose(ft);
    if (aid >= 0)
        H5Aclose(aid);
    H5Eclear2(H5E_DEFAULT);
    return owns;
}

typedef struct LinkCheck {
    jxv_map slots; /* first path component of every attribute's slot -> that component */
    jxv_map claimed; /* v2: slots a link was found for (one link per slot) */
    int v2;
    const char *bad; /* the first link that belongs to no node */
    char *bad_copy;
    int bad_soft;
} LinkCheck;

static herr_t link_cb(hid_t gid, const char *name, const H5L_info2_t *info, void *data)
{
    LinkCheck *lc = data;
    const char *s = name;
    size_t n = strlen(name);
    if (lc->v2)
        jxv__strip(&s, &n);
    const char *slot = info->type == H5L_TYPE_HARD ? jxv__map_get(&lc->slots, s, n) : NULL;
    int stray = !slot;
    if (slot && lc->v2) {
        /* a v2 reader strips link names, but opens an exactly named link first and takes
         * one link per slot (load_v2.c's open_child): a second one is a stray object */
        if (n != strlen(name)) {
            char *exact = jxv__strndup(s, n);
            stray = !exact || H5Lexists(gid, exact, H5P_DEFAULT) > 0;
            free(exact);
            H5Eclear2(H5E_DEFAULT);
        }
        if (!stray && jxv__map_get(&lc->claimed, slot, n))
            stray = 1;
        else if (!stray && jxv__map_put(&lc->claimed, slot, n, &lc->claimed) < 0)
            stray = 1; /* no memory: reported as the first bad link, not silently passed */
    }
    if (stray) {
        lc->bad_soft = info->type != H5L_TYPE_HARD;
        lc->bad_copy = jxv__strndup(name, strlen(name));
        return 1;
    }
    return 0;
}

int jx_ld_check_links(Loader *L, hid_t gid, const JxNames *nl, int v2, size_t opened,
                      int is_root)
{
    H5G_info_t gi;
    if (H5Gget_info(gid, &gi) < 0) {
        jx_ld_h5_error(L, NULL, "cannot inspect the group");
        return -1;
    }
    /* the walk opened every link through a hard link (jx_ld_hard_link): nothing else */
    if (gi.nlinks == opened)
        return 0;
    /* fewer: an object opened before (a forward reference) or a stray one. Every link must
     * be hard and named like the slot (or its first component) of a node that owns an
     * object (a container or data in a dataset). */
    LinkCheck lc;
    memset(&lc, 0, sizeof lc);
    lc.v2 = v2;
    jxv__map_init(&lc.slots);
    jxv__map_init(&lc.claimed);
    int rc = -1;
    for (size_t i = 0; i < nl->n; i++) {
        const char *name = jx_names_at(nl, i), *slot, *hint;
        size_t sl, hl;
        jxv__split_attr_name(v2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1, name, strlen(name), &slot,
                             &sl, &hint, &hl);
        if (!owns_object(gid, v2, name, hint, hl))
            continue;
        const char *slash = memchr(slot, '/', sl);
        if (slash)
            sl = (size_t)(slash - slot);
        if (jxv__map_put(&lc.slots, slot, sl, (void *)(uintptr_t)slot) < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    hsize_t pos = 0;
    herr_t r = H5Literate2(gid, H5_INDEX_NAME, H5_ITER_INC, &pos, link_cb, &lc);
    if (r < 0) {
        jx_ld_h5_error(L, NULL, "cannot list the group's links");
        goto done;
    }
    if (r == 0) {
        rc = 0;
        goto done;
    }
    if (!lc.bad_copy) {
        PyErr_NoMemory();
        goto done;
    }
    if (lc.bad_soft)
        jx_ld_rule_error(L, NULL, NULL, "stray-object", "the link %.200s is not a hard link; "
                         "the Jaxon layout has only hard links", lc.bad_copy);
    else
        jx_ld_rule_error(L, NULL, NULL, "stray-object", "the object %.200s belongs to no node "
                         "of the group (%s)", lc.bad_copy,
                         is_root ? "the root group holds only JAXON_ROOT"
                                 : "every group and dataset is a node's object");
done:
    free(lc.bad_copy);
    jxv__map_free(&lc.slots);
    jxv__map_free(&lc.claimed);
    return rc;
}

/* The error of an atom the check refused (its report holds the reason). */
static int atom_refused(Loader *L, const char *name, jxv_report *rep)
{
    if (rep->count)
        jx_ld_rule_error(L, NULL, name, "atom-text", "%s", rep->items[0].message);
    else
        PyErr_NoMemory();
    jxv_report_clear(rep);
    return -1;
}

int jx_ld_check_atom(Loader *L, int v2, const char *name, const char *text, size_t n)
{
    /* the validator's canonical-text rules (jxv_grammar.c): Python's constructors would also
     * take int(007) or float(1.50), which no writer produces and the validator refuses */
    jxv_report rep;
    jxv_report_init(&rep);
    if (jxv_check_atom(v2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1, text, n, "", &rep) == 0)
        return 0;
    return atom_refused(L, name, &rep);
}

int jx_ld_check_atom_v1(Loader *L, const char *name, const char *text, size_t n, jxv_atom *a)
{
    jxv_report rep;
    jxv_report_init(&rep);
    if (jxv_check_atom_v1(text, n, "", &rep, a) == 0)
        return 0;
    return atom_refused(L, name, &rep);
}

int jx_ld_check_data(Loader *L, int v2, const char *name, int dhint, const char *jax_dtype,
                     size_t jax_len, hid_t id, int is_dataset, hid_t ftype, hid_t space)
{
    /* the validator's rules for the datatype and dataspace of data of each typehint
     * (jxv_node.c): a reader would convert many wrong ones without a word */
    hid_t ft = ftype >= 0 ? ftype : is_dataset ? H5Dget_type(id) : H5Aget_type(id);
    hid_t sp = space >= 0 ? space : is_dataset ? H5Dget_space(id) : H5Aget_space(id);
    jxv_type ty;
    /* ids HDF5 returned are a valid datatype and dataspace */
    int described = ft >= 0 && sp >= 0 && jxv_describe_valid(ft, sp, &ty) == 0;
    if (ft >= 0 && ftype < 0)
        H5Tclose(ft);
    if (sp >= 0 && space < 0)
        H5Sclose(sp);
    if (!described) {
        jx_ld_h5_error(L, name, "cannot describe the data's datatype or dataspace");
        return -1;
    }
    return jx_ld_check_described(L, v2, name, dhint, jax_dtype, jax_len, id, is_dataset, &ty);
}

int jx_ld_check_described(Loader *L, int v2, const char *name, int dhint,
                          const char *jax_dtype, size_t jax_len, hid_t id, int is_dataset,
                          const jxv_type *ty)
{
    int dtype_attr = 0;
    if (is_dataset) {
        /* a node's dataset carries no attribute but v1's JAXON_DTYPE on array data (spec
         * §10.3.1; the validator's stray-object) */
        H5O_info2_t oi;
        if (H5Oget_info3(id, &oi, H5O_INFO_NUM_ATTRS) < 0) {
            jx_ld_h5_error(L, name, "cannot inspect the dataset");
            return -1;
        }
        dtype_attr = !v2 && (dhint == JXV_D_NDARRAY || dhint == JXV_D_JAX) &&
                     oi.num_attrs == 1 && H5Aexists(id, JXV_DTYPE_ATTR) > 0;
        if (oi.num_attrs > 0 && !dtype_attr) {
            H5Eclear2(H5E_DEFAULT);
            jx_ld_rule_error(L, NULL, name, "stray-object", "the dataset of a node carries no "
                             "attribute (but JAXON_DTYPE on v1 array data)");
            return -1;
        }
    }
    jxv_report rep;
    jxv_report_init(&rep);
    if (dtype_attr) { /* v1: the library asks whether the dataset names its jax dtype */
        jax_dtype = JXV_DTYPE_ATTR;
        jax_len = strlen(JXV_DTYPE_ATTR);
    }
    if (jxv__check_data_type(v2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1, (jxv_dhint)dhint, jax_dtype,
                             jax_len, ty, is_dataset, "", &rep) == 0)
        return 0;
    if (rep.count)
        jx_ld_rule_error(L, NULL, name, jxv_rule_name(rep.items[0].rule), "%s",
                         rep.items[0].message);
    else
        PyErr_NoMemory();
    jxv_report_clear(&rep);
    return -1;
}

int jx_ld_check_placeholder(Loader *L, hid_t gid, const char *name, const char *where)
{
    /* v2: the attribute of a node kept in a group or dataset holds the placeholder E, an
     * empty float64 array of shape (0) (the validator's value-type) */
    hid_t aid = H5Aopen(gid, name, H5P_DEFAULT);
    hid_t ft = aid >= 0 ? H5Aget_type(aid) : -1, sp = aid >= 0 ? H5Aget_space(aid) : -1;
    jxv_type ty;
    int ok = ft >= 0 && sp >= 0 && jxv_describe(ft, sp, &ty) == 0;
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (aid >= 0)
        H5Aclose(aid);
    if (!ok) {
        jx_ld_h5_error(L, name, "cannot inspect the attribute");
        return -1;
    }
    if (jxv__is_placeholder(&ty))
        return 0;
    jx_ld_rule_error(L, NULL, name, "value-type", "the attribute of a node stored in a %s holds "
                     "the placeholder E (empty float64 array of shape (0))", where);
    return -1;
}

/* Collects the elements of a reference path, each followed by a NUL. */
typedef struct RefKey {
    char *k;
    size_t len, nel, *starts;
    int nul;
} RefKey;

static int ref_elem(const char *e, size_t el, void *ud)
{
    RefKey *rk = ud;
    if (memchr(e, '\0', el)) {
        rk->nul = 1; /* a NUL inside a name can match no HDF5 name */
        return -1;
    }
    if (rk->starts)
        rk->starts[rk->nel] = rk->len;
    rk->nel++;
    memcpy(rk->k + rk->len, e, el);
    rk->len += el;
    rk->k[rk->len++] = '\0';
    return 0;
}

int jx_ld_ref_key(Loader *L, int v2, const char *name, const char *s, size_t n, char *k,
                  size_t *starts, size_t *klen)
{
    RefKey rk = {k, 0, 0, starts, 0};
    jxv_report rep;
    jxv_report_init(&rep);
    /* the layout library's tokeniser (the validator's): v1 unescapes \\ and \/, v2 strips
     * elements and keeps quoted literals */
    int count = jxv_split_ref_path(v2 ? JXV_LAYOUT_V2 : JXV_LAYOUT_V1, s, n, ref_elem, &rk, "",
                                   &rep);
    if (count < 0) {
        if (rep.count)
            jx_ld_rule_error(L, NULL, name, "ref-path", "%s", rep.items[0].message);
        else if (rk.nul)
            jx_ld_rule_error(L, NULL, name, "ref-target", "a reference path element holds a "
                             "NUL, which no name of a node does");
        else
            PyErr_NoMemory();
        jxv_report_clear(&rep);
        return -1;
    }
    *klen = rk.len - 1; /* without the last NUL */
    /* every node lives under JAXON_ROOT, and no slot starts with '/' (HDF5 would take such
     * a name as an absolute path, out of the tree) */
    int outside = rk.nel == 0 || strcmp(k, "JAXON_ROOT") != 0;
    for (size_t i = 0; i < *klen && !outside; i += strlen(k + i) + 1)
        outside = k[i] == '/' || k[i] == '\0';
    if (outside) {
        jx_ld_rule_error(L, NULL, name, "ref-target", "a reference path leads to a node under "
                         "/JAXON_ROOT (no element of it starts with /)");
        return -1;
    }
    return (int)rk.nel;
}
