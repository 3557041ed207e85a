/* The tags of the Jaxon layout, spelled once: container tags (the node owns a group) and
 * data typehints (the node's data is an array, in the attribute or in a dataset), with the
 * layout versions that know each. The writer (pybridge/src/save*.c) writes these names, the
 * readers and the validator look them up in one table (jxv_tags.c). Marshal tags after '#'
 * (jaxon-import, jaxon-prng-key, dclass[…], …) and v1 dill hints (!module.Class) are not
 * builtin tags. */
#ifndef JXV_TAGS_H
#define JXV_TAGS_H

#include <stddef.h>

#define JXV_NAME_DICT "dict"
#define JXV_NAME_LIST "list"
#define JXV_NAME_TUPLE "tuple"
#define JXV_NAME_SET "set"
#define JXV_NAME_FROZENSET "frozenset"
#define JXV_NAME_NDARRAY "numpy.ndarray"
#define JXV_NAME_JAX "jax.Array"
#define JXV_NAME_BYTES "bytes"
#define JXV_NAME_BYTEARRAY "bytearray"
#define JXV_NAME_MEMORYVIEW "memoryview"
#define JXV_NAME_STR_ "numpy.str_"
#define JXV_NAME_BYTES_ "numpy.bytes_"
#define JXV_NAME_VOID "numpy.void"
/* v1 name typehint of a reference node */
#define JXV_NAME_REF "ref"

/* What a tag is: the container tag (jxv_ctag order) or the data typehint (jxv_dhint order). */
typedef enum jxv_ctag {
    JXV_TAG_NONE = 0, JXV_TAG_DICT, JXV_TAG_LIST, JXV_TAG_TUPLE, JXV_TAG_SET, JXV_TAG_FROZENSET
} jxv_ctag;

typedef enum jxv_dhint {
    JXV_D_NONE = 0, JXV_D_NDARRAY, JXV_D_JAX, JXV_D_BYTES, JXV_D_BYTEARRAY, JXV_D_MEMORYVIEW,
    JXV_D_DILL, JXV_D_STR_, JXV_D_BYTES_, JXV_D_VOID
} jxv_dhint;

enum { JXV_IN_V1 = 1, JXV_IN_V2 = 2 };

typedef struct jxv_tag {
    const char *name;
    jxv_ctag ctag;    /* JXV_TAG_NONE for data typehints */
    jxv_dhint data;   /* JXV_D_NONE for containers */
    unsigned layouts; /* JXV_IN_V1 | JXV_IN_V2 */
} jxv_tag;

/* The builtin tag [s, s+len) of layout version v (1 or 2), or NULL. */
const jxv_tag *jxv_tag_find(int v, const char *s, size_t len);
/* Names of a container tag / a data typehint ("?" for none; "dill" for v1 dill blobs). */
const char *jxv_ctag_name(jxv_ctag tag);
const char *jxv_dhint_name(jxv_dhint d);

#endif /* JXV_TAGS_H */
