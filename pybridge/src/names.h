/* The attribute names of a group, in the one order every reader of the layout uses. */
#ifndef JX_NAMES_H
#define JX_NAMES_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

typedef struct JxNames {
    char *buf;           /* NUL-terminated names, back to back */
    size_t len, cap;
    size_t *off;         /* where each name starts in buf */
    size_t n, ncap;
    int64_t last_corder; /* creation order of the last name, when HDF5 reports it */
    int unordered;       /* a name came with a creation order not above the previous one */
    int tracked;         /* the group tracks attribute creation order (jx_names_collect) */
    int oom;             /* memory ran out (the collection failed) */
} JxNames;

/* Collects every attribute name of gid: in creation order when the group tracks it, else in
 * increasing name order (what h5py, Python jaxon and the validator iterate). 0, or -1 when
 * HDF5 failed or memory ran out (nl->oom); no Python exception is set either way. */
int jx_names_collect(hid_t gid, JxNames *nl);
/* The link names of gid in increasing name order; same return convention. */
int jx_names_collect_links(hid_t gid, JxNames *nl);
/* Appends one name: 0, or -1 with nl->oom set. */
int jx_names_add(JxNames *nl, const char *name);
void jx_names_free(JxNames *nl);

static inline const char *jx_names_at(const JxNames *nl, size_t i)
{
    return nl->buf + nl->off[i];
}

#endif /* JX_NAMES_H */
