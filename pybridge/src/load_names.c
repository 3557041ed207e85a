/* The names of a group, checked before any of its children is loaded: the layout library's
 * rules of a group's names together (layout/jxv_names.c), the same function the validator's
 * whole-file checker calls. Both readers (v1.2.0 in load.c, v2 in load_v2.c) refuse exactly
 * the names the validator refuses, with the validator's rule name in JaxonFormatError.rule. */
#include "load_internal.h"

#include "jxv_internal.h"

#include <string.h>

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
