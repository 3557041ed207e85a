/* jxv: the Jaxon layout validator, internal API shared by the VOL connector, the
 * jaxon-validate CLI and the C unit tests.
 *
 * Three layers:
 *   1. grammar   (jxv_grammar.c)  pure string functions, no HDF5 calls;
 *   2. tracker   (jxv_tracker.c)  write-time state of one file, fed with events by the
 *                                 connector *before* it forwards each create/write;
 *   3. checker   (jxv_check.c)    whole-file walk of an existing file with the public API.
 * Every violation is appended to a jxv_report; the caller decides what to do with it
 * (push it on the HDF5 error stack, print it, count it).
 */
#ifndef JXV_H
#define JXV_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include "jxv_limits.h"

/* ---- rules --------------------------------------------------------------------------- */

/* Stable identifiers; jxv_rule_name() gives the text used in messages and tests. */
typedef enum jxv_rule {
    JXV_RULE_ROOT,            /* "root": exactly one JAXON_ROOT attribute on "/", version attr */
    JXV_RULE_SLOT_NAME,       /* "slot-name": index / dict-slot / key(i) / value(i) / JAXON_ROOT */
    JXV_RULE_TYPE_TAG,        /* "type-tag": typehint in a name or value (containers, #chains…) */
    JXV_RULE_VALUE_TYPE,      /* "value-type": HDF5 datatype/dataspace fits the tag */
    JXV_RULE_ATOM_TEXT,       /* "atom-text": int(…), float(…), quoted strings, range(…) … */
    JXV_RULE_KEY_VALUE,       /* "key-value": key(i)/value(i) pairing and order */
    JXV_RULE_INDEX_ORDER,     /* "index-order": list-like slots 0,1,2,… in order */
    JXV_RULE_REF_PATH,        /* "ref-path": reference path syntax */
    JXV_RULE_REF_TARGET,      /* "ref-target": reference points to an existing, earlier node */
    JXV_RULE_CONTAINER_GROUP, /* "container-group": container tag ↔ group consistency */
    JXV_RULE_DATASET,         /* "dataset": data-typehint value ↔ dataset consistency */
    JXV_RULE_STRAY_OBJECT,    /* "stray-object": group/dataset/attr with no Jaxon node */
    JXV_RULE_DUPLICATE_SLOT,  /* "duplicate-slot": two nodes with the same slot in one group */
    JXV_RULE_COMPLETE_TREE,   /* "complete-tree": a change to the tree of a file opened for writing */
    JXV_RULE_CHECKSUM,        /* "checksum": an object does not match its CRC-32C record (spec §12) */
    JXV_RULE_UNHASHABLE_KEY,  /* "unhashable-key": a dict key or set element that cannot hash */
    JXV_RULE__COUNT
} jxv_rule;

const char *jxv_rule_name(jxv_rule rule);

/* ---- reports ------------------------------------------------------------------------- */

typedef struct jxv_violation {
    jxv_rule rule;
    char *path;    /* HDF5 path; attributes as "<group path>@<attr name>" */
    char *text;    /* offending text, truncated to JXV_TEXT_MAX bytes with "…" */
    char *message; /* one sentence: what was expected */
} jxv_violation;

#define JXV_TEXT_MAX 200

typedef struct jxv_report {
    jxv_violation *items;
    size_t count;
    size_t capacity;
    int out_of_memory; /* set if an append failed; count is then a lower bound */
} jxv_report;

void jxv_report_init(jxv_report *rep);
void jxv_report_clear(jxv_report *rep); /* frees every item; the report can be reused */
/* Appends a violation (copies the strings); returns -1 (always, for "return jxv_fail(...)"). */
/* Length of the valid UTF-8 character at s (at most n bytes), 0 if it is invalid: overlong
 * forms, surrogates and code points past U+10FFFF are invalid. */
size_t jxv_utf8_char_len(const unsigned char *s, size_t n);

int jxv_fail(jxv_report *rep, jxv_rule rule, const char *path, const char *text, size_t text_len,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- HDF5 type summary ----------------------------------------------------------------- */

typedef enum jxv_tkind {
    JXV_T_FIXED_STRING, JXV_T_VLEN_STRING, JXV_T_INTEGER, JXV_T_FLOAT, JXV_T_BOOL_ENUM,
    JXV_T_ENUM, JXV_T_COMPLEX, JXV_T_COMPOUND, JXV_T_OPAQUE, JXV_T_ARRAY, JXV_T_OTHER
} jxv_tkind;

typedef enum jxv_skind { JXV_S_SCALAR, JXV_S_SIMPLE, JXV_S_NULL } jxv_skind;

/* What the validator needs to know of a (datatype, dataspace) pair. */
typedef struct jxv_type {
    jxv_tkind kind;
    size_t size;       /* H5Tget_size */
    int utf8;          /* strings: cset is UTF-8 */
    int is_signed;     /* integers */
    jxv_skind space;
    int rank;          /* simple dataspaces */
    uint64_t npoints;  /* number of elements (1 for scalar, 0 for null) */
    int big_endian;    /* integers and floats of more than one byte stored big-endian */
} jxv_type;

/* Fills *out from a datatype and a dataspace (H5S_ALL-like ids are not accepted).
 * Preserves the HDF5 error stack. Returns 0, or -1 if HDF5 could not describe them. */
int jxv_describe(hid_t type_id, hid_t space_id, jxv_type *out);
/* jxv_describe for ids known to be a valid datatype and dataspace (a VOL callback's
 * arguments, which the library checked): skips the error-printing guard, the costly part of
 * a call made once per attribute. Same result and same error-stack guarantee. */
int jxv_describe_valid(hid_t type_id, hid_t space_id, jxv_type *out);

/* Describing a datatype takes five public calls of ~750 instructions each (global lock, API
 * context), per attribute. A writer uses few datatypes again and again (jaxon.save keeps
 * one string type per length), so the memo keeps the last few descriptions with a private
 * copy of each type: one H5Tequal against the copy proves the caller's type unchanged (a
 * transient type can be modified under the same id, so the id alone proves nothing). 32
 * entries: a pytree of mixed scalars cycles through more than 8 text lengths (8 entries
 * missed often enough on the random-tree benchmark to cost 0.6 M instructions per 1,000
 * attributes). */
#define JXV_TYPE_MEMO_SIZE 32
/* Dataspaces the same way (H5Sextent_equal against an H5Scopy): a simple dataspace takes
 * three calls to describe, and a writer of many arrays of one shape uses one id. */
#define JXV_SPACE_MEMO_SIZE 4
typedef struct jxv_memo_entry {
    hid_t app;  /* the caller's id, H5I_INVALID_HID if the entry is free */
    hid_t copy; /* our H5Tcopy / H5Scopy of it when it was described */
    jxv_type d; /* the description: its datatype part (e) or dataspace part (s) */
} jxv_memo_entry;
typedef struct jxv_type_memo {
    jxv_memo_entry e[JXV_TYPE_MEMO_SIZE];
    unsigned next;  /* round-robin replacement */
    jxv_memo_entry s[JXV_SPACE_MEMO_SIZE];
    unsigned snext;
} jxv_type_memo;

void jxv_type_memo_init(jxv_type_memo *m);
/* Closes the private copies (those the library has not closed already, e.g. at shutdown). */
void jxv_type_memo_clear(jxv_type_memo *m);
/* jxv_describe_valid through the memo, for a caller whose HDF5 error stack is empty (a VOL
 * callback: the API call that reached it cleared the stack on entry); leaves it empty. */
int jxv_describe_memo(jxv_type_memo *m, hid_t type_id, hid_t space_id, jxv_type *out);
/* The datatype part alone (the dataspace fields of *out are zero). */
int jxv_describe_type_memo(jxv_type_memo *m, hid_t type_id, jxv_type *out);

/* ---- grammar (no HDF5) ----------------------------------------------------------------- */

typedef enum jxv_layout { JXV_LAYOUT_V1 = 1, JXV_LAYOUT_V2 = 2 } jxv_layout;

/* A parsed attribute name: slot [":" typehint]. Pointers point into the name given. */
typedef struct jxv_name {
    const char *slot; size_t slot_len;
    const char *hint; size_t hint_len; /* hint == NULL: no typehint */
    enum { JXV_SLOT_ROOT, JXV_SLOT_INDEX, JXV_SLOT_KEY, JXV_SLOT_VALUE, JXV_SLOT_SIMPLE } slot_kind;
    uint64_t index;                    /* INDEX, KEY, VALUE */
    /* INDEX written with leading zeros ("00042"): its digit count, else 0. Zero-padded names
     * are our extension for list-like containers of more than 65,535 items, whose groups
     * cannot track creation order (spec §11); the group-level rules decide whether they are
     * allowed (index-order), a single name cannot. */
    unsigned index_width;
} jxv_name;

/* Splits and checks an attribute name; on error appends to rep (path = where) and returns -1. */
int jxv_parse_attr_name(jxv_layout layout, const char *name, size_t len, jxv_name *out,
                        const char *where, jxv_report *rep);
/* Is text a simple atom of the layout (None, 'str', int(…), float(…), …)? 1 yes, 0 no. */
int jxv_is_simple_atom(jxv_layout layout, const char *text, size_t len);
/* Checks a text atom; appends the precise reason (rule atom-text) on failure. */
int jxv_check_atom(jxv_layout layout, const char *text, size_t len, const char *where,
                   jxv_report *rep);

/* What a v1 text atom that passed the check holds, so that a reader parses it only once. */
typedef enum jxv_atom_kind {
    JXV_AK_NONE,     /* None */
    JXV_AK_ELLIPSIS, /* Ellipsis */
    JXV_AK_STR,      /* inner: the text between the quotes */
    JXV_AK_INT,      /* inner: Python's repr of the int */
    JXV_AK_FLOAT,    /* value: the double (the one float() makes of the text) */
    JXV_AK_BOOL,     /* truth */
    JXV_AK_COMPLEX,  /* inner: between the parentheses */
    JXV_AK_RANGE,    /* inner: between the parentheses */
    JXV_AK_SLICE     /* inner: between the parentheses */
} jxv_atom_kind;

typedef struct jxv_atom {
    jxv_atom_kind kind;
    const char *inner; /* points into the checked text */
    size_t inner_len;
    double value;
    int truth;
} jxv_atom;

/* jxv_check_atom for a v1 atom that also says what it holds (*out, on success). */
int jxv_check_atom_v1(const char *text, size_t len, const char *where, jxv_report *rep,
                      jxv_atom *out);
/* Checks a value-side typehint (container tag with # chain, or a data typehint). */
int jxv_check_value_typehint(jxv_layout layout, const char *text, size_t len, const char *where,
                             jxv_report *rep);
/* Splits a reference path into elements (unescaping per layout); calls fn for each element.
 * Returns the element count, or -1 with a ref-path violation appended. */
int jxv_split_ref_path(jxv_layout layout, const char *text, size_t len,
                       int (*fn)(const char *elem, size_t elem_len, void *ud), void *ud,
                       const char *where, jxv_report *rep);

/* ---- write-time tracker --------------------------------------------------------------- */

/* One per open file. All paths are absolute HDF5 paths of the *parent* group ("/",
 * "/JAXON_ROOT", "/JAXON_ROOT/'a'"); names are as given to HDF5 (group and dataset names may
 * contain '/' and then create intermediate groups). Every on_* function returns 0 when the
 * operation is valid and -1 (with violations appended) when it must be refused. Until the
 * file shows a Jaxon root (a JAXON_ROOT group or attribute, or JAXON_VERSION, on "/"), events
 * are accepted unchecked: a plain HDF5 file through the connector is never affected. */
typedef struct jxv_tracker jxv_tracker;

jxv_tracker *jxv_tracker_new(void);
void jxv_tracker_free(jxv_tracker *t);
int jxv_tracker_is_jaxon(const jxv_tracker *t);
/* The file was opened for writing with a Jaxon tree (of that layout) already in it. This
 * tracker never saw the tree being written, so it cannot check changes against it; and a
 * tree that was complete stays valid only if nothing is added to it. From now on every
 * attribute, group, dataset or link created in the tree or on "/", and every text written
 * to an attribute there, is refused (rule complete-tree); renames, moves and deletions are
 * refused as in any Jaxon file. Values of numeric attributes and of datasets may still be
 * rewritten in place: their layout stays what it was. jxv_tracker_finish checks nothing
 * (the open-time check covered the tree as it was) and no annotation is written. */
void jxv_tracker_seal(jxv_tracker *t, jxv_layout layout);
int jxv_tracker_is_sealed(const jxv_tracker *t);
/* Cheap pre-checks for the connector, so that it can skip describing types and copying
 * paths for events the tracker would ignore anyway (same result as calling it):
 *   attr_matters: 0 when jxv_on_attr_create(t, parent, ...) with a type is a no-op and
 *                 every later jxv_on_attr_write_text of that attribute too (parent is a
 *                 normalised absolute path: not "/", and outside a Jaxon tree);
 *   wants_text:   0 when every jxv_on_attr_write_text is a no-op now (no Jaxon root yet). */
int jxv_tracker_attr_matters(const jxv_tracker *t, const char *parent);
int jxv_tracker_wants_text(const jxv_tracker *t);

int jxv_on_group_create(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep);
int jxv_on_dataset_create(jxv_tracker *t, const char *parent, const char *name,
                          const jxv_type *type, jxv_report *rep);
int jxv_on_attr_create(jxv_tracker *t, const char *parent, const char *name,
                       const jxv_type *type, jxv_report *rep);
/* The value written to a string attribute (fixed-length: the bytes without trailing NULs'
 * padding removed; the tracker strips trailing NULs itself as readers do). */
int jxv_on_attr_write_text(jxv_tracker *t, const char *parent, const char *name,
                           const char *text, size_t len, jxv_report *rep);
/* A hard or soft link named name in parent pointing to target (absolute path, or NULL when
 * unknown, e.g. an anonymous object being linked). Target NULL is taken as an anonymous
 * dataset receiving its name (the same checks as jxv_on_dataset_create with an unknown
 * datatype); any other link inside the Jaxon tree or on "/" is refused (stray-object). */
int jxv_on_link_create(jxv_tracker *t, const char *parent, const char *name, const char *target,
                       jxv_report *rep);
/* Link or attribute renames and deletions: refused (stray-object) inside the Jaxon tree and
 * on "/" once the file is Jaxon, accepted anywhere else. */
int jxv_on_link_move(jxv_tracker *t, const char *src_parent, const char *src_name,
                     const char *dst_parent, const char *dst_name, jxv_report *rep);
int jxv_on_attr_rename(jxv_tracker *t, const char *parent, const char *old_name,
                       const char *new_name, jxv_report *rep);
int jxv_on_delete(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep);
/* The same for the attribute name of parent, except that deleting the attribute created
 * last while its node is incomplete (its text refused or not written yet) undoes that node:
 * h5py deletes an attribute whose write failed, and the writer may then go on. */
int jxv_on_attr_delete(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep);
/* 1 once the root node's own attribute is complete, i.e. the save reached its last step.
 * A flush in the middle of a save sees an unfinished tree: call jxv_tracker_finish at flush
 * only when this is 1 (at close always). */
int jxv_tracker_root_written(const jxv_tracker *t);
/* Whole-file checks (every container tag has its group and vice versa, exactly one root,
 * datasets of storage hints exist). Called at flush and close. */
int jxv_tracker_finish(jxv_tracker *t, jxv_report *rep);
/* Calls fn(path, text) for every group or dataset of the Jaxon tree with its annotation, e.g.
 * "dict, 3 entries", "list, 4 items; shared object, referenced 2 times", "dataclass
 * mymodule.Model, 3 fields", "numpy.ndarray data"; and once for "/" with the layout record
 * ("Jaxon layout v1.2.0"). Used by the connector at close to set object comments. */
/* Objects annotated already (jxv_tracker_annotate_completed, an earlier call) are skipped
 * unless their text changed since (a new reference to a shared object). fn returns 0 when it
 * wrote the annotation (the object is marked), > 0 when it did not (tried again next time),
 * < 0 to stop. */
int jxv_tracker_foreach_annotation(jxv_tracker *t,
                                   int (*fn)(const char *path, const char *text, void *ud),
                                   void *ud);
/* The object (group or dataset) the last event completed, i.e. gave to its node, if any:
 * fn(rel, its annotation) when loc_path is that object (rel NULL) or the group holding the
 * node's attribute (rel: the object's name relative to it); other locations leave it to
 * jxv_tracker_foreach_annotation. Lets the connector annotate an object while it is fresh
 * in HDF5's cache and at most one link away, instead of by full path at close. fn returns
 * as for jxv_tracker_foreach_annotation; fn NULL only forgets the object (the event was not
 * forwarded successfully). Call after every attribute write, attribute create and dataset or
 * group create. */
int jxv_tracker_annotate_completed(jxv_tracker *t, const char *loc_path,
                                   int (*fn)(const char *rel, const char *text, void *ud),
                                   void *ud);

/* ---- whole-file checker --------------------------------------------------------------- */

/* Walks an open file (any connector whose objects answer the public API) and appends every
 * violation of the layout it finds (v2.x if "/" has JAXON_VERSION, else v1.2.0).
 * Returns 0 when the walk completed (violations or not), -1 if HDF5 failed. */
int jxv_check_file(hid_t file_id, jxv_report *rep);

/* What the checker found besides violations (for "FILE: ok (layout v1.2.0, N nodes)"). */
typedef struct jxv_check_stats {
    int is_jaxon;        /* a root attribute or JAXON_VERSION was found */
    jxv_layout layout;
    char version[32];    /* "1.2.0", or the JAXON_VERSION text of a v2 file */
    uint64_t nodes;      /* attributes checked as Jaxon nodes, the root included */
} jxv_check_stats;

/* jxv_check_file that also fills *stats (may be NULL). */
int jxv_check_file_ex(hid_t file_id, jxv_report *rep, jxv_check_stats *stats);
/* With flags: JXV_CHECK_CHECKSUMS also verifies the integrity records (spec §12, rule
 * checksum): every group's attributes are read whole and every dataset's data. */
#define JXV_CHECK_CHECKSUMS 1u
int jxv_check_file_opts(hid_t file_id, jxv_report *rep, jxv_check_stats *stats, unsigned flags);

/* Only whether the file holds a Jaxon tree, and which layout, from "/" alone (JAXON_VERSION,
 * a JAXON_ROOT link or a JAXON_ROOT[:hint] attribute): stats->is_jaxon, layout and version;
 * nodes stays 0. For the connector opening a file for writing without the full check.
 * Returns 0, or -1 if HDF5 could not open "/". */
int jxv_probe_file(hid_t file_id, jxv_check_stats *stats);

#endif /* JXV_H */
