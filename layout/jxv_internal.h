/* Internals shared by the jxv_*.c files (not part of the jxv.h API used by the connector).
 * Names use the jxv__ prefix so they never collide with the public jxv_ functions. */
#ifndef JXV_INTERNAL_H
#define JXV_INTERNAL_H

#include "jxv.h"
#include "jxv_tags.h" /* jxv_ctag, jxv_dhint and the tag table */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- small string helpers -------------------------------------------------------------- */

/* Does [s, s+len) equal the NUL-terminated literal lit? Inline: with a literal the length
 * and the comparison fold into a few instructions, and the atom and name checks run these
 * for every node a reader loads. */
static inline int jxv__eq(const char *s, size_t len, const char *lit)
{
    size_t n = __builtin_strlen(lit);
    return len == n && __builtin_memcmp(s, lit, n) == 0;
}
/* Does [s, s+len) start with the literal lit? */
static inline int jxv__starts(const char *s, size_t len, const char *lit)
{
    size_t n = __builtin_strlen(lit);
    return len >= n && __builtin_memcmp(s, lit, n) == 0;
}
/* Is [s, s+len) valid UTF-8 (strict: no overlongs, no surrogates)? */
int jxv__utf8_valid(const char *s, size_t len);
/* Number of code points of valid UTF-8 text. */
size_t jxv__utf8_count(const char *s, size_t len);
/* Python str.isspace() on the UTF-8 character at s (n = bytes available); returns its byte
 * length if it is whitespace, else 0. v2 readers strip exactly these characters. */
size_t jxv__space_at(const char *s, size_t n);
/* Length of the whitespace character ending at s + n (n = bytes before the end), else 0. */
size_t jxv__space_before(const char *s, size_t n);
/* Strips Python whitespace on both sides of [*s, *s + *len). */
void jxv__strip(const char **s, size_t *len);
/* malloc'd NUL-terminated copy (NULL on allocation failure). */
char *jxv__strndup(const char *s, size_t len);
/* malloc'd printf result, NULL on failure. */
char *jxv__aprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable byte buffer; on allocation failure oom is set and further appends are dropped. */
typedef struct jxv_buf {
    char *data;
    size_t len, cap;
    int oom;
} jxv_buf;
void jxv__buf_add(jxv_buf *b, const char *s, size_t len);
void jxv__buf_adds(jxv_buf *b, const char *s);
void jxv__buf_free(jxv_buf *b);

/* Normalises an HDF5 path: parent + "/" + name split on '/', dropping empty and "."
 * components; always absolute, "/" for the root. Returns a malloc'd string or NULL. */
char *jxv__join_path(const char *parent, const char *name, size_t name_len);

/* The dataspace fields of *out (space, rank, npoints) from a valid dataspace id, with its
 * one to three public calls and no guard of the error stack (for the checker, whose every
 * call clears it anyway). -1 if HDF5 cannot describe it. */
int jxv__describe_space(hid_t space_id, jxv_type *out);
/* The datatype fields of *out the same way (its two to four public calls); the dataspace
 * fields are left alone. -1 if HDF5 cannot describe it. */
int jxv__describe_type(hid_t type_id, jxv_type *out);

/* ---- hash map: bytes -> pointer, no deletion ------------------------------------------ */

/* 24 bytes: the validator keeps one entry per node for the whole file, and a smaller table
 * is fewer fresh pages (page faults dominated the connector's cost on a 50k-node write). */
typedef struct jxv_map_entry {
    const char *key; /* not owned: points into the value's own storage */
    void *value;
    uint32_t hash;   /* 0: empty slot */
    uint32_t len;
} jxv_map_entry;

typedef struct jxv_map {
    jxv_map_entry *slots;
    size_t cap, count;
} jxv_map;

void jxv__map_init(jxv_map *m);
void jxv__map_free(jxv_map *m); /* frees the table only, not keys or values */
void *jxv__map_get(const jxv_map *m, const char *key, size_t len);
/* Inserts or replaces; the key bytes must outlive the map. Returns 0, or -1 on OOM or a key
 * of 4 GiB or more. */
int jxv__map_put(jxv_map *m, const char *key, size_t len, void *value);
/* Whether group gid tracks the creation order of its attributes: 1 yes, 0 no, -1 HDF5
 * cannot say. The layout's one iteration order follows from it (spec §10.2.2): creation
 * order when tracked, else increasing name order. */
int jxv__crt_order_tracked(hid_t gid);
/* The piece of a v2 typeinfo chain "tag#marshal#…" (spec §4.3) that starts at i, stripped as
 * the v2 reader strips it, in *piece; returns the index of the '#' that ends it (or len). */
size_t jxv__typeinfo_piece(const char *text, size_t len, size_t i, const char **piece,
                          size_t *piece_len);
/* A link access property list callback (H5Pset_elink_cb) that refuses every external link:
 * a Jaxon file is self-contained, and a hostile one must not make a reader open other files.
 * The checker, the loader and `jaxon tree` all traverse with it. */
herr_t jxv__refuse_external_link(const char *parent_file, const char *parent_group,
                                 const char *child_file, const char *child_object,
                                 unsigned *acc_flags, hid_t fapl_id, void *op_data);
/* Inserts key -> value unless the key is there: 1 if it was (nothing changed), 0 inserted,
 * -1 on OOM. One probe where jxv__map_get + jxv__map_put take two. */
int jxv__map_add(jxv_map *m, const char *key, size_t len, void *value);
/* Room for n entries without growing (fewer rehashes when the size is known). 0 / -1. */
int jxv__map_reserve(jxv_map *m, uint64_t n);

/* Where the slot and the typehint of an attribute name are, without checking the name (the
 * split jxv_parse_attr_name checks); hint is NULL when there is none. */
void jxv__split_attr_name(jxv_layout layout, const char *name, size_t len, const char **slot,
                          size_t *slot_len, const char **hint, size_t *hint_len);

/* ---- rules of single nodes, shared by the tracker and the checker -------------------- */

/* What a node turned out to be. */
typedef enum jxv_nkind {
    JXV_N_PENDING = 0, /* string attribute whose text is not known yet */
    JXV_N_ATOM,        /* text atom ('str', int(…), None …) */
    JXV_N_NUMERIC,     /* numeric scalar attribute */
    JXV_N_REF,         /* reference: value is a path */
    JXV_N_CONTAINER,   /* owns a group */
    JXV_N_DATA_ATTR,   /* data stored in the attribute itself (v1 N:numpy.ndarray …) */
    JXV_N_DATA_DSET,   /* data stored in a dataset named like the slot */
    JXV_N_BAD          /* violation already reported */
} jxv_nkind;


typedef struct jxv_nodeinfo {
    jxv_nkind kind;
    jxv_ctag tag;
    jxv_dhint data;
    const char *tags; size_t tags_len;     /* the "#…" chain after the builtin, may be empty */
    const char *jax_dtype; size_t jax_len; /* v2 jax.Array[<dtype>] argument */
    int is_str;                            /* text atom that is a quoted string */
    size_t str_codepoints;                 /* for v2 referenceability of strings */
} jxv_nodeinfo;

/* Parses a v2 typeinfo into *info (tag/data/tags). Appends type-tag violations. */
int jxv__parse_typeinfo_v2(const char *text, size_t len, jxv_nodeinfo *info, const char *where,
                           jxv_report *rep);
/* Parses a v1 value typehint (container tag + chain, or data typehint) into *info. */
int jxv__parse_value_hint_v1(const char *text, size_t len, jxv_nodeinfo *info,
                             const char *where, jxv_report *rep);
/* Is s a jax dtype name (numpy numeric dtypes and the ml_dtypes jax knows)? */
int jxv__jax_dtype_ok(const char *s, size_t len);
/* The JAXON_DTYPE extension (spec §10.3.1): the only attribute a dataset may carry, on the
 * dataset of a v1 jax.Array or numpy.ndarray node, holding the exact jax dtype name
 * (written by our saver for dtypes that numpy cannot name, e.g. bfloat16). */
#define JXV_DTYPE_ATTR "JAXON_DTYPE"
/* Does a v1 text start like an atom (reader's prefix test)? */
int jxv__v1_claims_atom(const char *text, size_t len);

/* First classification from the name and the HDF5 type only (attribute create time). */
int jxv__classify_attr(jxv_layout layout, const jxv_name *nm, const jxv_type *ty,
                       jxv_nodeinfo *info, const char *where, jxv_report *rep);
/* Completes a JXV_N_PENDING (or v1 ref) node with its text value. The text must already have
 * its trailing NULs stripped. */
int jxv__classify_text(jxv_layout layout, const jxv_name *nm, const char *text, size_t len,
                       jxv_nodeinfo *info, const char *where, jxv_report *rep);
/* Checks the datatype/dataspace of data stored for hint (attribute or dataset form). */
int jxv__check_data_type(jxv_layout layout, jxv_dhint hint, const char *jax_dtype,
                         size_t jax_len, const jxv_type *ty, int in_dataset, const char *where,
                         jxv_report *rep);
/* Is ty the v2 placeholder E (float64, simple, rank 1, extent 0)? */
int jxv__is_placeholder(const jxv_type *ty);

/* ---- per-group slot order ------------------------------------------------------------- */

/* The order of the children of a group is checked against two hypotheses at once because
 * the container tag arrives only after the children (spec §3.11): "list-like" (slots 0,1,2…)
 * and "dict" (simple slots, key(i) immediately followed by value(i), i = entry number). */
typedef struct jxv_order {
    uint64_t n;        /* children so far */
    uint64_t entries;  /* dict entries so far */
    int64_t open_key;  /* index of a key(i) waiting for its value(i), -1 if none */
    uint8_t list_bad, dict_bad; /* code of the first break, 0 = still plausible */
    uint8_t reported;           /* a violation was already reported for this group */
    unsigned pad_width;         /* index width of the first child if zero-padded, else 0 */
    uint64_t list_expect, dict_expect;       /* expected index at the break */
    const char *list_bad_name, *dict_bad_name; /* the child that broke it (caller-owned) */
    size_t list_bad_len, dict_bad_len;
} jxv_order;

void jxv__order_init(jxv_order *o);
/* Feeds one child slot. known is the container tag when the caller already knows it (the
 * checker), JXV_TAG_NONE otherwise (the tracker). Returns 0, or -1 with a violation when the
 * known tag's hypothesis breaks or, tag unknown, neither hypothesis survives; the state is
 * then left unchanged. child_name must stay valid as long as the order state is used. */
int jxv__order_add(jxv_order *o, jxv_layout layout, const jxv_name *nm, jxv_ctag known,
                   const char *child_name, size_t child_len, const char *where,
                   jxv_report *rep);
/* Called when the container tag becomes known: reports the break of that tag's hypothesis
 * (and an unpaired trailing key(i) for dicts). */
int jxv__order_close(const jxv_order *o, jxv_ctag tag, const char *where, jxv_report *rep);

/* Reads a fixed-length string attribute of size bytes with its own type ft (the copy that
 * H5Aget_type returns is a memory type, usable for the read as it is), trailing NULs
 * removed as h5py does. The text is put in stack (stack_cap bytes) when it fits, else
 * malloc'd: free *out only if it is not stack. 0, 1 when it is larger than JXV_MAX_TEXT (not
 * read), -1 when HDF5 failed or memory ran out (jxv_check.c). */
int jxv__read_text(hid_t aid, hid_t ft, size_t size, char *stack, size_t stack_cap,
                   char **out, size_t *len);

/* ---- numbers in texts (jxv_numbers.c) ------------------------------------------------ */

/* Each returns NULL when the text is valid, else the reason (a static string, or msg). */
/* A decimal index without sign (leading zeros allowed; the caller decides). */
const char *jxv__parse_index(const char *s, size_t len, uint64_t *out);
/* CPython's repr of an int: optional '-', digits, no leading zeros, at most 4,300 digits. */
const char *jxv__check_int_repr(const char *s, size_t len);
/* CPython's repr of a float (shortest round-trip digits, repr's exponent rules). */
const char *jxv__check_float_repr(const char *s, size_t len, char *msg, size_t cap);
/* jxv__check_float_repr that also gives the double of a valid text (value may be NULL). */
const char *jxv__check_float_value(const char *s, size_t len, char *msg, size_t cap,
                                   double *value);
/* CPython's repr of a complex number. */
const char *jxv__check_complex_repr(const char *s, size_t len, char *msg, size_t cap);
/* The index of the operator between the real and imaginary parts of a complex repr's body
 * (the text before its 'j'), or 0 for a pure imaginary number. */
size_t jxv__complex_operator(const char *s, size_t body);
/* The members of range(…)/slice(…): ints, and None for slices. */
const char *jxv__check_members(const char *s, size_t len, int is_slice, char *msg, size_t cap);
/* word(…): *inner is the text between the parentheses. */
const char *jxv__check_call(const char *s, size_t len, const char *word, const char **inner,
                            size_t *inner_len, char *msg, size_t cap);

/* ---- value keys: Python's equality of dict keys as bytes (jxv_values.c) -------------- */

/* Each appends to out a byte string that is equal for two keys exactly when a Python dict
 * takes them for one key (1, 1.0, True, np.int64(1) and 1+0j; 'a' and np.str_('a'), …);
 * the encoding is described at the top of jxv_values.c. They return 1, or 0 when the value
 * has no such string and equals only itself (NaN; for atoms also a range beyond 64 bits, a
 * slice or a text that is no atom): the caller then compares it by node identity. Memory
 * failures set out->oom. */
/* A text atom (a simple slot or an atom node's text) of the layout. */
int jxv__vkey_atom(jxv_layout layout, const char *text, size_t len, jxv_buf *out);
/* A float of any width, exactly (is_long_double: a NumPy long double, which NumPy hashes as
 * its nearest double, so that one no double equals is never one key with an int). */
int jxv__vkey_float(jxv_buf *out, long double x, int is_long_double);
int jxv__vkey_complex(jxv_buf *out, long double re, long double im, int is_long_double);
void jxv__vkey_int(jxv_buf *out, int negative, uint64_t magnitude);
/* 1 if a dict's simple slot can be one Python key with a different slot text (a number or
 * a range), 0 for strings, None and Ellipsis (equal only to the same text). */
int jxv__vkey_number_slot(jxv_layout layout, const char *slot, size_t len);

/* ---- the names of one group (jxv_names.c): checker and readers alike ----------------- */

/* The rules that the attribute names of one group obey together: one root attribute on "/",
 * the slot grammar (jxv_parse_attr_name), no slot twice, list-like indices 0, 1, 2, … and
 * dict key(i)/value(i) pairs in order, and an order that survives (creation order tracked,
 * or names whose order is the children's). Feed every attribute name in the layout's
 * iteration order (creation order when tracked, else increasing name order). */
typedef struct jxv_group_names {
    jxv_layout layout;
    jxv_ctag tag;      /* the group's container tag; JXV_TAG_NONE for "/" */
    int is_root;       /* the attributes of "/" */
    int untracked;     /* the group does not track attribute creation order */
    uint64_t total;    /* attributes of the group */
    const char *gpath; /* HDF5 path of the group, for violations */
    int root_found;
    jxv_order order;
    jxv_map slots;     /* slot -> slot, keys point into the caller's names */
    /* Set by the readers: they build the dict of a group's keys and refuse an entry that
     * does not grow it (duplicate-slot), and list-like slots are unique by index-order, so
     * the slot map would only repeat that check for every name of the group. */
    int slots_checked_by_caller;
    /* dicts: the value key (jxv__vkey_atom) of each number or range slot, in storage owned
     * here (int(1), float(1.0), bool(True) are one Python key); the map's value is the
     * entry's index + 1 in number_slots, for the message */
    jxv_map numbers;
    struct jxv_number_slot {
        char *vkey;
        const char *slot;
        size_t slot_len;
    } *number_slots;
    size_t nnumbers, capnumbers;
} jxv_group_names;

void jxv_group_names_begin(jxv_group_names *g, jxv_layout layout, jxv_ctag tag, int is_root,
                           int untracked, uint64_t total, const char *gpath);
/* What jxv_group_names_add found. Readers refuse every negative result; the checker goes on
 * to report every violation of the file. */
enum {
    JXV_NAMES_NODE = 0,       /* a node's name, nm filled */
    JXV_NAMES_NO_NODE = 1,    /* a name that is no node (v2 JAXON_VERSION on "/") */
    JXV_NAMES_BAD_SLOT = -1,  /* the name breaks the slot grammar (the object named like its
                                 slot part is still that name's, not a stray one) */
    JXV_NAMES_REFUSED = -2,   /* a well-formed name that may not be there (a second root
                                 attribute, a slot used twice, …): no node */
    JXV_NAMES_BAD_ORDER = -3  /* the group's order breaks here; nm is filled and the node
                                 itself may be checked further */
};
/* One attribute name; violations are appended to rep (may be NULL). The name must stay
 * valid until jxv_group_names_free (slots point into it). */
int jxv_group_names_add(jxv_group_names *g, const char *name, size_t len, jxv_name *nm,
                        jxv_report *rep);
/* After the last name: a trailing key(i) without value(i), zero padding where the group is
 * small enough to track creation order, no root attribute on "/". 0 or -1 as above. */
int jxv_group_names_end(jxv_group_names *g, jxv_report *rep);
void jxv_group_names_free(jxv_group_names *g);

/* ---- reference paths ------------------------------------------------------------------ */

/* Joins the elements of a reference path into (group path, last element) as the tracker and
 * the checker key their nodes: "/JAXON_ROOT/'k/1'" and "'x". */
typedef struct jxv_refsplit {
    jxv_buf group;  /* normalised absolute group path */
    jxv_buf last;   /* last element */
    int count;
} jxv_refsplit;
int jxv__ref_resolve_split(jxv_layout layout, const char *text, size_t len, jxv_refsplit *out,
                           const char *where, jxv_report *rep);
void jxv__refsplit_free(jxv_refsplit *r);

/* Path text for violations: "<group>@<attr>" in a malloc'd string (NULL on OOM). */
char *jxv__attr_where(const char *group, const char *name, size_t name_len);
/* The same in buf when it fits (cap bytes), else malloc'd: free the result only if it is
 * not buf (JXV_WHERE_FREE). Avoids an allocation per event for text that is only read when
 * a violation is reported. */
char *jxv__attr_where_in(char *buf, size_t cap, const char *group, const char *name,
                         size_t name_len);
#define JXV_WHERE_CAP 256
#define JXV_WHERE_FREE(w, buf)                                                                 \
    do {                                                                                       \
        if ((w) != (buf))                                                                      \
            free(w);                                                                           \
    } while (0)
/* Is p what jxv__join_path(p, NULL, 0) returns (absolute, no empty or "." component, no
 * trailing '/')? Then it can be used as it is. */
int jxv__is_normalised(const char *p);

#endif /* JXV_INTERNAL_H */
