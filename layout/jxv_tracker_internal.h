/* The state of the write-time tracker (jxv_tracker.c), shared with the annotations it
 * writes (jxv_annotate.c). Private to the layout library. */
#ifndef JXV_TRACKER_INTERNAL_H
#define JXV_TRACKER_INTERNAL_H

#include "jxv_internal.h"

enum { OBJ_GROUP = 1, OBJ_DATASET = 2 };

typedef struct tnode tnode;

typedef struct tobj {
    char *path;
    size_t path_len;
    int kind;
    int explicit_create;     /* 0: made by HDF5 as an intermediate group of a longer name */
    int in_tree;             /* "/JAXON_ROOT" or below */
    int intermediate_ok;     /* lies between a node's group and the node's own object */
    struct tobj *parent;
    tnode *owner;
    jxv_order order;
    jxv_type dtype;          /* datasets: as created, when the connector knew it */
    int has_dtype;
    int dtype_attr;          /* JAXON_DTYPE extension: 1 created, 2 written */
    /* The annotation on the file is current: written with its owner's refcount as it is now
     * (a later reference changes the text, and close writes it again). */
    uint8_t annotated;
    uint32_t annotated_refs;
    /* This group's nodes by slot (a full attribute name is found through its slot: see
     * node_by_name). Per group rather than one table for the file: a writer works group by
     * group, so the small table stays in cache. */
    jxv_map slots;
} tobj;

struct tnode {
    tobj *parent;
    char *name;
    size_t name_len;
    jxv_name nm;             /* points into name */
    jxv_nodeinfo info;       /* tags point into name or value */
    char *value;             /* v1 container/data typehint text, kept for annotations */
    size_t value_len;
    char *expect_path;       /* v1 storage hint: key of t->expect, the dataset to come */
    tobj *owned;
    uint32_t refcount;
    uint8_t registered;      /* complete: may be referenced, children may not follow */
    uint8_t written;
    uint8_t failed;          /* a violation was reported for it already */
    char name_buf[];         /* name points here: node and name are one allocation */
};

/* Nodes live until the tracker is freed: they are carved from large zeroed blocks instead of
 * one calloc each (a node per attribute; malloc's bookkeeping for them, interleaved with
 * HDF5's own allocations, was a visible part of the write overhead). */
typedef struct node_block {
    struct node_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} node_block;
#define NODE_BLOCK_BYTES (64 * 1024 - 64)

struct jxv_tracker {
    int is_jaxon;
    int sealed;              /* jxv_tracker_seal: the tree was in the file before */
    int version_seen;
    char version[32];        /* text written to JAXON_VERSION (v2), for the annotation */
    jxv_layout layout;
    jxv_map objs;    /* normalised path -> tobj (the nodes are in tobj.slots) */
    jxv_map expect;  /* path of a v1 storage-hint dataset still to come -> tnode */
    tobj **objv;     /* creation order, for finish and annotations */
    size_t nobj, capobj;
    tnode **nodev;
    size_t nnode, capnode;
    tnode *root;
    tnode *last;     /* the node created last: its text write usually comes next */
    /* Its group's slot order before it was added, so that deleting it again while it is
     * incomplete undoes it (see undo_last_node). */
    jxv_order last_order_before;
    tobj *last_obj;  /* the group of the last attribute event: writers go group by group */
    tobj *completed; /* the object the last event gave its node (jxv_tracker_annotate_completed) */
    char **extra;    /* attributes on "/" written before the file became Jaxon */
    size_t nextra, capextra;
    node_block *blocks; /* where the nodes live, newest first */
};

#endif /* JXV_TRACKER_INTERNAL_H */
