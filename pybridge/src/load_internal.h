/* Internals shared by the loader's files: load.c (the walk, text nodes, references,
 * containers) and load_data.c (arrays, buffers, jax arrays, dill blobs). */
#ifndef JX_LOAD_INTERNAL_H
#define JX_LOAD_INTERNAL_H

#include "ext.h"

#include "jxv.h"
#include "jxv_tags.h"
#include "names.h"
#include "npy.h"

/* Dataset bytes a whole load may read as fill values, beyond what the datasets store
 * (load_data.c, docs/security.md). */
#define JX_FILL_SLACK ((hsize_t)16 << 20)

/* Text attributes up to this many bytes are read into a stack buffer. */
#define JX_SMALL_TEXT 256

#define JX_TEXT_TYPE_MEMO 128

typedef struct Loader {
    JxState *st;
    const JxLoadOptions *opts;
    /* a v1 data hint + 1 whose datatype/dataspace check (jx_ld_check_data) read_array makes
     * with the ids it opens anyway: two fewer ids per array leaf; 0 when none is pending */
    int data_check;
    PyObject *memo;    /* bytes key -> object: the identity cache */
    PyObject *visited; /* bytes(object token) of every group opened so far */
    char *key;         /* names of the groups from "/" to the current one, each + NUL */
    size_t key_len, key_cap;
    H5O_token_t *stack; /* tokens of the open groups, "/" first */
    int depth;
    hid_t gapl, dapl; /* access lists that refuse external links */
    hid_t root;       /* the group "/", for references to nodes a filter skipped */
    /* load_filter (spec §5.1): the path of the node being loaded (dict keys, int indices,
     * field names) as a list, NULL without a filter; in_key > 0 inside a dict key, where the
     * filter is not called; skipped holds the memo keys of the nodes the filter refused, so
     * a reference to one of them (or below) loads it there and then (out of place, oop). */
    PyObject *path;
    int in_key;
    PyObject *skipped;
    int oop;
    int forward; /* a forward reference was loaded out of place: look nodes up in the memo */
    /* custom types (load_custom.c): tag -> resolved class, dataclasses.MISSING */
    PyObject *tag_cache;
    PyObject *dc_missing;
    PyObject *dc_field_type, *dc_field_marker; /* dataclasses.Field, dataclasses._FIELD */
    /* text attribute types already checked (fixed-length UTF-8 strings), by size: a copy
     * of each, so one H5Tequal stands for the class, variable-length and character-set
     * queries (public calls of ~750 instructions each, per text node) */
    hid_t text_types[JX_TEXT_TYPE_MEMO];
    hsize_t fill_budget; /* fill-value bytes this load may still read (JX_FILL_SLACK) */
    /* lazy loads / placement (load_lazy.c): what the next array read from a dataset
     * becomes (0 an ndarray, 1 a numpy leaf of a lazy load, 2 a jax leaf of a lazy or
     * placed load), and the jax dtype name a v2 jax leaf converts to (borrowed, or NULL) */
    int lazy_next;
    PyObject *lazy_jax_dtype;
    /* the next array read is a jax leaf's host copy: aligned for jax to adopt (load_data.c) */
    int jax_next;
    /* the group whose children are being loaded and how many of its links the walk opened
     * so far: every link of a group must be a node's object (jx_ld_check_links) */
    hid_t cur_gid;
    size_t cur_opened;
    /* the layout version's operations for the shared walk (load_walk.c) */
    const struct JxReader *reader;
    struct JxVerify *verify; /* integrity.c: checksum checks (NULL: load(verify=False)) */
} Loader;

typedef struct Text {
    char *p; /* the value without trailing NULs (h5py semantics) */
    size_t n;
    char *heap;
    char small[JX_SMALL_TEXT];
} Text;

/* Where data-typehint nodes keep their data. */
typedef struct Src {
    hid_t id;
    int is_dataset;
} Src;

/* Data typehints of v1, in the order of the layout library's jxv_dhint. */
typedef enum DataKind {
    DK_NONE = JXV_D_NONE,
    DK_NDARRAY = JXV_D_NDARRAY,
    DK_JAX = JXV_D_JAX,
    DK_BYTES = JXV_D_BYTES,
    DK_BYTEARRAY = JXV_D_BYTEARRAY,
    DK_MEMORYVIEW = JXV_D_MEMORYVIEW,
    DK_DILL = JXV_D_DILL
} DataKind;

/* File text for a message: at most 200 bytes, undecodable bytes as \x escapes. */
PyObject *jx_ld_shown(const char *s, size_t n);
/* Errors carry "<group path>, attribute <name>: <reason>"; each returns NULL. */
PyObject *jx_ld_format_error(Loader *L, const char *attr, const char *rule, const char *fmt,
                             ...);
PyObject *jx_ld_loc_error(Loader *L, PyObject *exc, const char *attr, const char *fmt, ...);
/* exc (JaxonFormatError when NULL) "<location>: [rule] <message>" with the attributes rule
 * (a stable name of docs/validation.md or docs/security.md) and path (the location). */
PyObject *jx_ld_rule_error(Loader *L, PyObject *exc, const char *attr, const char *rule,
                           const char *fmt, ...);
/* jx_import_optional with the location of attribute attr as the place that needs module. */
PyObject *jx_ld_import(Loader *L, const char *attr, const char *module, const char *extra,
                       const char *what);
/* A failed HDF5 call, with HDF5's explanation; keeps an exception already set. */
PyObject *jx_ld_h5_error(Loader *L, const char *attr, const char *what);
/* Makes cause (with its traceback tb, which stays the caller's) the __cause__ of the
 * exception just raised; steals cause. */
void jx_ld_set_cause(PyObject *cause, PyObject *tb);
/* A pending ValueError/TypeError/OverflowError becomes a chained JaxonFormatError. */
PyObject *jx_ld_rewrap(Loader *L, const char *attr, const char *rule, const char *what);
/* Attribute name of object gid read as a scalar fixed-length UTF-8 string. */
int jx_ld_read_text_attr(Loader *L, hid_t gid, const char *name, Text *t);
/* Makes room for extra more bytes after the current key prefix (L->key may move). */
int jx_ld_key_reserve(Loader *L, size_t extra);
/* The identity-cache key (bytes) of name (n bytes) in the current group. */
PyObject *jx_ld_key(Loader *L, const char *name, size_t n);
/* Whether L->opts->load_filter accepts the path in L->path (as a tuple): 1 yes, 0 no, -1
 * with an exception. */
int jx_ld_filter_accepts(Loader *L);
/* One child below the filter (L->path set, not inside a key): jx_ld_filter_enter appends
 * its path element elem (borrowed) and asks: 1 load it, 0 refused, -1 error (L->path is then
 * as before); after 0 or 1, jx_ld_filter_leave takes the element off again (-1 on error). */
int jx_ld_filter_enter(Loader *L, PyObject *elem);
int jx_ld_filter_leave(Loader *L);
/* The filter's verdict on the root (path ()): 1 load it (also without a filter), 0 refused
 * with *out the placeholder, -1 error with *out NULL. */
int jx_ld_filter_root(Loader *L, PyObject **out);
/* A new reference to the placeholder of nodes the filter refused. */
PyObject *jx_ld_not_loaded(Loader *L);
/* A NumPy scalar of the exact type of a scalar numeric attribute (both layouts); expected
 * names what the layout allows there, for the error when the attribute is not numeric. */
PyObject *jx_ld_numeric_scalar(Loader *L, hid_t aid, hid_t ftype, const char *name,
                               const char *expected);
void jx_ld_text_free(Text *t);

/* load_data.c: the data typehint of th[0:n] (DK_NONE if it is none), and the value of a
 * data node from its attribute or storage-hint dataset. */
DataKind jx_ld_data_kind(const char *th, size_t n);
PyObject *jx_ld_load_data(Loader *L, Src *s, const char *name, DataKind kind, const char *th,
                          size_t th_len);

/* load_lazy.c: the leaf of a lazy load or a placed jax leaf (lz as Loader.lazy_next) for
 * dataset s of nd dims and dtype descr (stolen), whose file datatype ftype reads with
 * memtype (raw: unconverted) into nbytes; a mapped ndarray, a LazyArray or a placed jax
 * array. jx_ld_place: the placer's jax array for src (a LazyArray or an ndarray). */
PyObject *jx_ld_lazy_leaf(Loader *L, Src *s, const char *name, int lz, int nd,
                          npy_intp *dims, PyArray_Descr *descr, hid_t ftype,
                          hid_t memtype, int raw, int is_bool, hsize_t nbytes);
PyObject *jx_ld_place(Loader *L, PyObject *src, PyObject *jax_dtype);

/* load_custom.c: applies the "#tag"s tags[0:n] (without the first '#') left to right to
 * obj: custom_unmarshalers, jaxon-import, from_jaxon, dataclasses, namedtuples (§3.8).
 * Steals obj; returns the final object (new reference) or NULL. */
/* A dataclass instance of cls from the dict d of its fields (load_custom.c): the field checks
 * (allow_missing_fields / allow_unknown_fields), defaults, no __init__. New reference. */
PyObject *jx_ld_dataclass(Loader *L, const char *name, PyObject *cls, PyObject *d);
PyObject *jx_ld_apply_tags(Loader *L, const char *name, PyObject *obj, const char *tags,
                           size_t n);

/* load_policy.c (docs/security.md): what names in a file may resolve to, without running
 * code the file chose. Each returns a new reference, or NULL with JaxonSecurityError
 * (rules import-refused, callable-refused) or JaxonFormatError naming the path. */
/* The class a custom-type tag names: module_is_prefix (v1 "module.Outer.Inner") tries every
 * module prefix, longest first; otherwise (v2 "module.Class") the module is before the last
 * dot. Modules come from sys.modules unless allowed_modules/trusted permit the import. */
PyObject *jx_pol_class(Loader *L, const char *attr, PyObject *name, int module_is_prefix);
/* A jaxon-import node's object: enum members, objects of allowed modules, the default
 * array-function list; anything else is refused. */
PyObject *jx_pol_by_name(Loader *L, const char *attr, PyObject *modname, PyObject *qualname);
/* cls's attribute from its MRO dicts, no hook run; borrowed, NULL (no error) if absent. */
PyObject *jx_pol_type_attr(PyObject *cls, const char *name);
/* A new instance: the class's own __new__(cls), found without metaclass hooks. */
PyObject *jx_pol_new(Loader *L, const char *attr, PyObject *cls);
/* A new dataclass instance whose fields the caller sets: the nearest C-level __new__(cls)
 * in the MRO (object.__new__ for an Equinox module), running no __new__ written in Python. */
PyObject *jx_pol_new_dataclass(Loader *L, const char *attr, PyObject *cls);
/* The dataclass fields (dataclasses.Field, definition order) of cls, read from its
 * __dataclass_fields__ without calling dataclasses.fields (which getattrs the class). */
PyObject *jx_pol_fields(Loader *L, const char *attr, PyObject *cls);
/* Whether cls is a tuple subclass with _fields; the instance from the tuple items. */
int jx_pol_is_namedtuple(PyObject *cls);
PyObject *jx_pol_namedtuple(Loader *L, const char *attr, PyObject *cls, PyObject *items);

/* ---- the walk both readers share (load_walk.c) ---------------------------------------- */

/* What a layout version gives the shared walk. */
struct JxReader {
    Loader *L;
    int v2;             /* the v2 layout (else v1.2.0) */
    int record_skipped; /* a node the filter refuses is remembered in L->skipped (v1) */
    void *ctx;          /* the version's own state */
    /* the node named name in gid: new reference, or NULL with an exception */
    PyObject *(*load_node)(void *ctx, hid_t gid, const char *name);
    /* the dict key a simple slot stands for: 1 with *key, 0 if the slot is none, -1 error */
    int (*slot_key)(Loader *L, const char *name, const char *slot, size_t slot_len,
                    PyObject **key);
};
typedef struct JxReader JxReader;

/* The node named name in gid behind the load_filter, elem (borrowed) being its path element
 * (a dict key or an int position); inside a dict key the filter is not asked. */
PyObject *jx_ld_child(const JxReader *R, hid_t gid, const char *name, PyObject *elem);
/* The container of tag ctag (jxv_ctag) filled with the nodes named nl in gid. */
PyObject *jx_ld_items(const JxReader *R, hid_t gid, const JxNames *nl, int ctag);
/* The entries of a dict group into d: 0, or -1 with an exception. */
int jx_ld_dict_entries(const JxReader *R, hid_t gid, const JxNames *nl, PyObject *d);

/* All attribute names of gid in the layout's order (names.c), the group's own node name
 * attr for messages: 0, or -1 with an exception (Ctrl-C is honoured here). */
int jx_ld_collect_names(Loader *L, hid_t gid, const char *attr, JxNames *nl);
/* The rules of a group's attribute names together (load_names.c, the validator's own):
 * v2 layout or v1.2.0, ctag the group's jxv_ctag (JXV_TAG_NONE for "/"). 0, or -1 with
 * JaxonFormatError raised (rule and path set). */
int jx_ld_check_names(Loader *L, const JxNames *nl, int v2, int ctag, int is_root);
/* 0 if the link named link in pgid (the object of the node named attr) is a hard link, else
 * -1 with stray-object raised (soft and external links are no part of the layout). */
int jx_ld_hard_link(Loader *L, hid_t pgid, const char *link, const char *attr);
/* Counts the object named link of pgid as opened by the walk (for jx_ld_check_links). */
static inline void jx_ld_opened(Loader *L, hid_t pgid)
{
    L->cur_opened += pgid == L->cur_gid;
}
/* After the children of gid (attribute names nl) were loaded, opened of its links by the
 * walk: every link of the group is a hard link to the object of one of its nodes (the
 * validator's stray-object). 0, or -1 with the error raised. Not called for loads with a
 * load_filter, which read only part of the file. */
int jx_ld_check_links(Loader *L, hid_t gid, const JxNames *nl, int v2, size_t opened,
                      int is_root);
/* 0 if text is an atom in the layout's canonical form, else -1 with atom-text raised. */
int jx_ld_check_atom(Loader *L, int v2, const char *name, const char *text, size_t n);
/* jx_ld_check_atom of a v1 atom that also says what it holds (jxv_check_atom_v1). */
int jx_ld_check_atom_v1(Loader *L, const char *name, const char *text, size_t n, jxv_atom *a);
/* 0 if the datatype and dataspace of the data of typehint dhint (jxv_dhint; v2 jax arrays:
 * their dtype name) in the dataset or attribute id fit the layout, else -1 with the
 * validator's rule (value-type for attributes, dataset for datasets) raised. */
/* Tokenises the reference path s[0:n] (layout v1 or v2, the layout library's tokeniser)
 * into k (room for n + 1 bytes): the elements, each followed by a NUL, their offsets in
 * starts (n + 1 entries) unless NULL, *klen the length without the last NUL. Refuses a
 * malformed path (ref-path) and one that leaves JAXON_ROOT (ref-target). Returns the number
 * of elements, or -1 with JaxonFormatError set. */
int jx_ld_ref_key(Loader *L, int v2, const char *name, const char *s, size_t n, char *k,
                  size_t *starts, size_t *klen);
int jx_ld_check_data(Loader *L, int v2, const char *name, int dhint, const char *jax_dtype,
                     size_t jax_len, hid_t id, int is_dataset, hid_t ftype, hid_t space);
/* jx_ld_check_data of data whose datatype and dataspace the caller described (*ty). */
int jx_ld_check_described(Loader *L, int v2, const char *name, int dhint,
                          const char *jax_dtype, size_t jax_len, hid_t id, int is_dataset,
                          const jxv_type *ty);
/* v2: 0 if the attribute name of gid holds the placeholder E of a node kept in a group or
 * dataset (where), else -1 with value-type raised. */
int jx_ld_check_placeholder(Loader *L, hid_t gid, const char *name, const char *where);
/* Values writers copy instead of referencing (the validator's ref-target). */
static inline int jx_ld_copied_value(PyObject *r)
{
    return r == Py_None || r == Py_Ellipsis || PyBool_Check(r) || PyLong_CheckExact(r) ||
           PyFloat_CheckExact(r) || PyComplex_CheckExact(r) || PyRange_Check(r) ||
           PySlice_Check(r);
}
/* Raises duplicate-slot for a dict entry whose key equals an earlier one's. NULL. */
PyObject *jx_ld_dup_key(Loader *L, const char *name, PyObject *key);

#endif /* JX_LOAD_INTERNAL_H */
