/* The whole-file checker's state, shared by its two files: jxv_check.c walks the file and
 * resolves the references, jxv_keys.c then checks dict keys and set elements (hashable, and
 * no two keys of one dict equal as Python compares them). Not used outside the checker. */
#ifndef JXV_CHECK_INTERNAL_H
#define JXV_CHECK_INTERNAL_H

#include "jxv_internal.h"

/* Strings that live until the end of the check (map keys, pending references). */
typedef struct arena_chunk {
    struct arena_chunk *next;
    char data[];
} arena_chunk;

/* Whether a node's loaded value can be a dict key or set element (Python's hash()). */
enum {
    H_YES,
    H_NO,
    H_DEEP,     /* tuple, frozenset: as their elements */
    H_REF,
    H_VISITING  /* H_DEEP being decided by jxv_keys.c's walk */
};

/* cnode.deep: a container compared by its elements (no custom tags) */
enum { DEEP_NO, DEEP_TUPLE, DEEP_SET };

/* jxv_keys.c: a node's value key not decided yet, or being decided (a cycle). */
#define VID_NONE 0u
#define VID_BUSY UINT32_MAX

/* One node of the file: an attribute of a group that passed the name rules. */
typedef struct cnode cnode;
struct cnode {
    uint8_t is_ref;
    uint8_t referenceable;
    uint8_t hash;        /* H_*; H_DEEP becomes H_YES or H_NO once evaluated */
    uint8_t deep;        /* DEEP_*: a plain tuple or frozenset */
    uint32_t vid;        /* jxv_keys.c: the id of its value key, VID_NONE until needed */
    const char *owned;   /* normalised path of the group of a container, else NULL */
    cnode *target;       /* a reference's resolved node */
    cnode *children;     /* a container's nodes, newest first */
    cnode *next;         /* sibling in the parent container's list */
    cnode *resume;       /* the walks of jxv_keys.c: the child to look at next (each once) */
    /* where the node is, to read its value again when it turns out to be a dict key: the
     * token of its group (one arena copy per group; NULL if HDF5 could not give it) and its
     * attribute's full name (the walk's arena copy) */
    const H5O_token_t *group;
    const char *name;
};

/* A dict key(i) node or a set/frozenset element: loaded as a key, so it must hash, and the
 * keys of one dict must differ (the loader's unhashable-key and duplicate-slot). */
typedef struct key_node {
    cnode *node;
    const char *where;
    cnode *dict;         /* the dict's node (keys); NULL for set elements */
} key_node;

typedef struct pending_ref {
    const char *where;
    const char *text;
    size_t len;
    const char *group;   /* path of the group holding the reference */
    cnode *node;         /* the reference's own node */
} pending_ref;

/* Attribute datatypes seen by the walk. Describing one takes five public calls; a file of
 * 50,000 text nodes has a few dozen distinct types. An entry is found by the attribute's
 * data size and character set, which H5Aiterate2 hands over for free, and proven to be the
 * same type with one H5Tequal against a private copy. */
#define SEEN_TYPES 16
typedef struct seen_type {
    hid_t copy;          /* H5I_INVALID_HID: free */
    hsize_t data_size;
    H5T_cset_t cset;
    jxv_type d;          /* the datatype part of the description */
} seen_type;

typedef struct chk {
    jxv_report *rep;
    jxv_layout layout;
    hid_t file;          /* the file checked (jxv_keys.c reads key values again) */
    hid_t lapl;
    jxv_map nodes;       /* "<group>\0<key>" -> cnode (key: v1 full name, v2 slot) */
    jxv_map visited;     /* object token -> marker */
    arena_chunk *arena;
    pending_ref *refs;
    size_t nrefs, caprefs;
    key_node *keys;
    size_t nkeys, capkeys;
    uint64_t nnodes;
    int failed;          /* HDF5 could not answer something essential */
    int depth_reported;
    seen_type seen[SEEN_TYPES];
    unsigned seen_next;  /* round-robin replacement */
    unsigned flags;      /* JXV_CHECK_* */
    int records_required; /* integrity: "/" has a record, so must every group and dataset */
    /* jxv_keys.c: the value keys of dict keys met so far (bytes in the arena -> id), and a
     * buffer to build one in */
    jxv_map vals;
    uint32_t nvals;
    jxv_buf vbuf;
} chk;

/* n bytes that live until the end of the check; NULL when memory ran out. */
void *jxv__chk_alloc(chk *c, size_t n);
/* A copy of [s, s+n) with a NUL after it, in the check's arena. */
char *jxv__chk_dup(chk *c, const char *s, size_t n);
/* v2 readers strip link names (spec §4.4): the object of the first hard link of gid (name
 * order) whose stripped name is the slot, not spelled exactly so, and whose object has the
 * type want (as pybridge/src/load_v2.c's open_child finds it); *oi filled, *raw its link name
 * (arena-owned). H5I_INVALID_HID when there is none. */
hid_t jxv__chk_open_stripped(chk *c, hid_t gid, const char *slot, size_t slot_len,
                             H5O_type_t want, H5O_info2_t *oi, char **raw);
/* Marks the check failed (out of memory) and reports it at where; returns -1. */
int jxv__chk_oom(chk *c, const char *where);

/* During the walk, for a node that is a dict's key(i) or inside one: its value key when it
 * is a leaf whose value is at hand (a text atom, a number, bytes in the attribute), else
 * nothing (later, if needed). aid/ft: its attribute and datatype, open; text: its text if
 * it has one. 0, or -1 when memory ran out. */
int jxv__key_leaf_now(chk *c, cnode *n, hid_t aid, hid_t ft, const jxv_type *ty,
                      const jxv_name *nm, const jxv_nodeinfo *info, const char *text,
                      size_t tlen);
/* After the walk and the references: every dict key and set element hashes, and the keys of
 * one dict differ as Python compares them (jxv_keys.c). */
void jxv__check_keys(chk *c);

#endif /* JXV_CHECK_INTERNAL_H */
