/* The attribute names of a group (names.h), shared by the loader and jaxon.tree so that
 * both see a group's children in the same order as the validator and h5py. */
#include "names.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "jxv_internal.h"

int jx_names_add(JxNames *nl, const char *name)
{
    size_t n = strlen(name) + 1;
    if (nl->len + n > nl->cap) {
        size_t cap = (nl->len + n) * 2 + 256;
        char *b = PyMem_RawRealloc(nl->buf, cap);
        if (!b)
            goto nomem;
        nl->buf = b;
        nl->cap = cap;
    }
    if (nl->n == nl->ncap) {
        size_t ncap = nl->ncap * 2 + 16;
        size_t *o = PyMem_RawRealloc(nl->off, ncap * sizeof *o);
        if (!o)
            goto nomem;
        nl->off = o;
        nl->ncap = ncap;
    }
    memcpy(nl->buf + nl->len, name, n);
    nl->off[nl->n++] = nl->len;
    nl->len += n;
    return 0;
nomem:
    nl->oom = 1;
    return -1;
}

static herr_t collect_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)loc;
    JxNames *nl = data;
    if (info->corder_valid) {
        if (nl->n > 0 && info->corder <= nl->last_corder)
            nl->unordered = 1;
        nl->last_corder = info->corder;
    }
    return jx_names_add(nl, name) < 0 ? -1 : 0;
}

static herr_t link_cb(hid_t loc, const char *name, const H5L_info2_t *info, void *data)
{
    (void)loc;
    (void)info;
    return jx_names_add(data, name) < 0 ? -1 : 0;
}

int jx_names_collect_links(hid_t gid, JxNames *nl)
{
    hsize_t pos = 0;
    return H5Literate2(gid, H5_INDEX_NAME, H5_ITER_INC, &pos, link_cb, nl) < 0 ? -1 : 0;
}

int jx_names_collect(hid_t gid, JxNames *nl)
{
    hsize_t pos = 0;
    int tracked = jxv__crt_order_tracked(gid);
    if (tracked < 0)
        return -1;
    nl->tracked = tracked;
    if (!nl->tracked) /* native order of the name index is hash order */
        return H5Aiterate2(gid, H5_INDEX_NAME, H5_ITER_INC, &pos, collect_cb, nl) < 0 ? -1 : 0;
    /* H5_ITER_INC makes HDF5 decode every attribute into a table and sort it; native order
     * walks the creation-order B-tree directly (25-30% faster on wide groups). The callback
     * checks that the order really increases (compact storage or a missing index could
     * differ), and the names are collected again with INC if not. */
    if (H5Aiterate2(gid, H5_INDEX_CRT_ORDER, H5_ITER_NATIVE, &pos, collect_cb, nl) < 0)
        return -1;
    if (!nl->unordered)
        return 0;
    nl->n = nl->len = 0;
    nl->unordered = 0;
    pos = 0;
    return H5Aiterate2(gid, H5_INDEX_CRT_ORDER, H5_ITER_INC, &pos, collect_cb, nl) < 0 ? -1 : 0;
}

void jx_names_free(JxNames *nl)
{
    PyMem_RawFree(nl->buf);
    PyMem_RawFree(nl->off);
    memset(nl, 0, sizeof *nl);
}
