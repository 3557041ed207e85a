/* Rules about one node (attribute name + HDF5 type + text) and about the order of the
 * children of one group. Shared by the write-time tracker and the whole-file checker so that
 * both report the same rule with the same message for the same mistake. */
#include "jxv_internal.h"

#include <inttypes.h>
#include <string.h>

static int is_numeric_scalar(const jxv_type *ty)
{
    return ty->space == JXV_S_SCALAR &&
           (ty->kind == JXV_T_INTEGER || ty->kind == JXV_T_FLOAT ||
            ty->kind == JXV_T_BOOL_ENUM || ty->kind == JXV_T_ENUM || ty->kind == JXV_T_COMPLEX);
}

/* NULL if ty is a fixed-length UTF-8 scalar string (what text is stored as), else why not. */
static const char *text_type_problem(const jxv_type *ty)
{
    if (ty->kind == JXV_T_VLEN_STRING)
        return "text is stored as a fixed-length string, not a variable-length one";
    if (ty->kind != JXV_T_FIXED_STRING)
        return NULL; /* caller decides */
    if (!ty->utf8)
        return "text is stored with the UTF-8 character set";
    if (ty->space != JXV_S_SCALAR)
        return "text is stored in a scalar dataspace";
    return NULL;
}

int jxv__is_placeholder(const jxv_type *ty)
{
    return ty->kind == JXV_T_FLOAT && ty->size == 8 && ty->space == JXV_S_SIMPLE &&
           ty->rank == 1 && ty->npoints == 0;
}

/* The node's value is text or a numeric scalar (v1 no typehint, v2 empty builtin tag). */
static int classify_plain(const jxv_type *ty, jxv_nodeinfo *info, const char *where,
                          const char *name, size_t len, jxv_report *rep)
{
    if (is_numeric_scalar(ty)) {
        info->kind = JXV_N_NUMERIC;
        return 0;
    }
    const char *why = text_type_problem(ty);
    if (!why && ty->kind == JXV_T_FIXED_STRING) {
        info->kind = JXV_N_PENDING;
        return 0;
    }
    info->kind = JXV_N_BAD;
    return jxv_fail(rep, JXV_RULE_VALUE_TYPE, where, name, len, "%s",
                    why ? why
                        : "a node without data typehint is a scalar number (integer, float, "
                          "bool enum, r/i complex) or a fixed-length UTF-8 string");
}

int jxv__classify_attr(jxv_layout layout, const jxv_name *nm, const jxv_type *ty,
                       jxv_nodeinfo *info, const char *where, jxv_report *rep)
{
    memset(info, 0, sizeof *info);
    const char *name = nm->slot; /* for messages: the slot and its hint */
    size_t len = nm->hint ? (size_t)(nm->hint + nm->hint_len - nm->slot) : nm->slot_len;
    if (layout == JXV_LAYOUT_V1) {
        if (!nm->hint)
            return classify_plain(ty, info, where, name, len, rep);
        if (jxv__eq(nm->hint, nm->hint_len, "ref")) {
            const char *why = text_type_problem(ty);
            if (why || ty->kind != JXV_T_FIXED_STRING) {
                info->kind = JXV_N_BAD;
                return jxv_fail(rep, JXV_RULE_VALUE_TYPE, where, name, len, "%s",
                                why ? why : "a reference is a fixed-length UTF-8 string");
            }
            info->kind = JXV_N_REF;
            return 0;
        }
        if (jxv__parse_value_hint_v1(nm->hint, nm->hint_len, info, where, rep) < 0 ||
            info->data == JXV_D_NONE) {
            info->kind = JXV_N_BAD;
            return -1;
        }
        info->kind = JXV_N_DATA_ATTR;
        if (jxv__check_data_type(layout, info->data, NULL, 0, ty, 0, where, rep) < 0) {
            info->kind = JXV_N_BAD;
            return -1;
        }
        return 0;
    }
    if (nm->hint && jxv__parse_typeinfo_v2(nm->hint, nm->hint_len, info, where, rep) < 0) {
        info->kind = JXV_N_BAD;
        return -1;
    }
    if (info->tag == JXV_TAG_NONE && info->data == JXV_D_NONE)
        return classify_plain(ty, info, where, name, len, rep);
    info->kind = info->tag != JXV_TAG_NONE ? JXV_N_CONTAINER : JXV_N_DATA_DSET;
    if (!jxv__is_placeholder(ty)) {
        info->kind = JXV_N_BAD;
        return jxv_fail(rep, JXV_RULE_VALUE_TYPE, where, name, len,
                        "the attribute of a node stored in a %s holds the placeholder E "
                        "(empty float64 array of shape (0))",
                        info->tag != JXV_TAG_NONE ? "group" : "dataset");
    }
    return 0;
}

int jxv__classify_text(jxv_layout layout, const jxv_name *nm, const char *text, size_t len,
                       jxv_nodeinfo *info, const char *where, jxv_report *rep)
{
    if (info->kind != JXV_N_PENDING && info->kind != JXV_N_REF)
        return 0;
    if (!jxv__utf8_valid(text, len)) {
        info->kind = JXV_N_BAD;
        return jxv_fail(rep, info->kind == JXV_N_REF ? JXV_RULE_REF_PATH : JXV_RULE_ATOM_TEXT,
                        where, text, len, "text is not valid UTF-8");
    }
    if (info->kind == JXV_N_REF) {
        if (jxv_split_ref_path(layout, text, len, NULL, NULL, where, rep) < 0) {
            info->kind = JXV_N_BAD;
            return -1;
        }
        return 0;
    }
    (void)nm;
    if (layout == JXV_LAYOUT_V1) {
        if (jxv__v1_claims_atom(text, len)) {
            if (jxv_check_atom(layout, text, len, where, rep) < 0) {
                info->kind = JXV_N_BAD;
                return -1;
            }
            info->kind = JXV_N_ATOM;
            info->is_str = text[0] == '\'';
            return 0;
        }
        if (jxv__parse_value_hint_v1(text, len, info, where, rep) < 0) {
            info->kind = JXV_N_BAD;
            return -1;
        }
        info->kind = info->tag != JXV_TAG_NONE ? JXV_N_CONTAINER : JXV_N_DATA_DSET;
        return 0;
    }
    const char *t = text;
    size_t l = len;
    jxv__strip(&t, &l);
    if (l && t[0] == '/') {
        if (jxv_split_ref_path(layout, t, l, NULL, NULL, where, rep) < 0) {
            info->kind = JXV_N_BAD;
            return -1;
        }
        info->kind = JXV_N_REF;
        return 0;
    }
    if (jxv_check_atom(layout, text, len, where, rep) < 0) {
        info->kind = JXV_N_BAD;
        return -1;
    }
    info->kind = JXV_N_ATOM;
    info->is_str = l && t[0] == '\'';
    if (info->is_str)
        info->str_codepoints = jxv__utf8_count(t, l) - 2;
    return 0;
}

/* Expected storage of jax.Array[<dtype>] in v2 (spec §4.9). */
static int jax_storage(const char *d, size_t dl, jxv_tkind *kind, size_t *size, int *sign)
{
    static const struct {
        const char *name;
        jxv_tkind kind;
        size_t size;
        int sign;
    } table[] = {
        {"bool", JXV_T_BOOL_ENUM, 1, 0},     {"int8", JXV_T_INTEGER, 1, 1},
        {"int16", JXV_T_INTEGER, 2, 1},      {"int32", JXV_T_INTEGER, 4, 1},
        {"int64", JXV_T_INTEGER, 8, 1},      {"uint8", JXV_T_INTEGER, 1, 0},
        {"uint16", JXV_T_INTEGER, 2, 0},     {"uint32", JXV_T_INTEGER, 4, 0},
        {"uint64", JXV_T_INTEGER, 8, 0},     {"float16", JXV_T_FLOAT, 2, 0},
        {"float32", JXV_T_FLOAT, 4, 0},      {"float64", JXV_T_FLOAT, 8, 0},
        {"float128", JXV_T_FLOAT, 16, 0},    {"longdouble", JXV_T_FLOAT, 16, 0},
        {"complex64", JXV_T_COMPLEX, 8, 0},  {"complex128", JXV_T_COMPLEX, 16, 0},
        {"complex256", JXV_T_COMPLEX, 32, 0}, {"clongdouble", JXV_T_COMPLEX, 32, 0},
        {"uint2", JXV_T_INTEGER, 1, 0},      {"uint4", JXV_T_INTEGER, 1, 0},
        {"int2", JXV_T_INTEGER, 1, 1},       {"int4", JXV_T_INTEGER, 1, 1},
        {"bfloat16", JXV_T_FLOAT, 4, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (jxv__eq(d, dl, table[i].name)) {
            *kind = table[i].kind;
            *size = table[i].size;
            *sign = table[i].sign;
            return 1;
        }
    }
    if (jxv__starts(d, dl, "float8_") || jxv__starts(d, dl, "float4_")) {
        *kind = JXV_T_FLOAT;
        *size = 2;
        *sign = 0;
        return 1;
    }
    return 0;
}

static int array_like(const jxv_type *ty)
{
    return ty->kind != JXV_T_VLEN_STRING && ty->kind != JXV_T_OTHER;
}

int jxv__check_data_type(jxv_layout layout, jxv_dhint hint, const char *jax_dtype,
                         size_t jax_len, const jxv_type *ty, int in_dataset, const char *where,
                         jxv_report *rep)
{
    jxv_rule rule = in_dataset ? JXV_RULE_DATASET : JXV_RULE_VALUE_TYPE;
    const char *hn = jxv_dhint_name(hint);
    /* a long double has no byte order of its own in NumPy or in the integrity records
     * (spec §12.3: it reads as the native one); every writer stores the x86-64 one */
    if (ty->kind == JXV_T_FLOAT && ty->size > 8 && ty->big_endian)
        return jxv_fail(rep, rule, where, hn, strlen(hn),
                        "a long double is stored little-endian, as NumPy writes it");
    if (layout == JXV_LAYOUT_V1) {
        switch (hint) {
        case JXV_D_BYTES:
        case JXV_D_BYTEARRAY:
        case JXV_D_DILL:
            if (ty->kind != JXV_T_INTEGER || ty->size != 1 || ty->is_signed ||
                ty->space != JXV_S_SIMPLE || ty->rank != 1)
                return jxv_fail(rep, rule, where, hn, strlen(hn),
                                "%s data is a rank-1 array of uint8", hn);
            return 0;
        case JXV_D_JAX:
            if (ty->space == JXV_S_NULL ||
                !(ty->kind == JXV_T_INTEGER || ty->kind == JXV_T_FLOAT ||
                  ty->kind == JXV_T_BOOL_ENUM || ty->kind == JXV_T_COMPLEX ||
                  ty->kind == JXV_T_OPAQUE))
                return jxv_fail(rep, rule, where, hn, strlen(hn),
                                "jax.Array data is a numeric (or opaque ml_dtypes) array");
            /* opaque data is an ml_dtypes array whose dataset names its dtype (JAXON_DTYPE,
             * spec §10.3.1; v1 callers pass jax_dtype non-NULL when it is there) */
            if (ty->kind == JXV_T_OPAQUE && !(in_dataset && jax_dtype))
                return jxv_fail(rep, rule, where, hn, strlen(hn),
                                "opaque jax.Array data is an ml_dtypes array in a dataset "
                                "that names its dtype in JAXON_DTYPE");
            /* jax has no big-endian arrays, no long double and no complex of two; every
             * writer stores what jax had */
            if (ty->big_endian || (ty->kind == JXV_T_FLOAT && ty->size > 8) ||
                (ty->kind == JXV_T_COMPLEX && ty->size > 16))
                return jxv_fail(rep, rule, where, hn, strlen(hn),
                                "jax.Array data has a dtype jax has: little-endian, floats of "
                                "at most 64 bits, complex of at most 128");
            return 0;
        default:
            if (ty->space == JXV_S_NULL || !array_like(ty))
                return jxv_fail(rep, rule, where, hn, strlen(hn),
                                "%s data is an array of a type h5py writes for numpy (not a "
                                "variable-length or reference type, not a NULL dataspace)",
                                hn);
            return 0;
        }
    }
    if (ty->space == JXV_S_NULL) {
        /* empty bytes/bytearray/str_/bytes_/void: NULL dataspace, any datatype (B2-9) */
        if (hint == JXV_D_NDARRAY || hint == JXV_D_JAX)
            return jxv_fail(rep, rule, where, hn, strlen(hn),
                            "%s data cannot be a NULL dataspace", hn);
        return 0;
    }
    switch (hint) {
    case JXV_D_STR_:
        if (ty->kind != JXV_T_FIXED_STRING || !ty->utf8 || ty->space != JXV_S_SCALAR)
            return jxv_fail(rep, rule, where, hn, strlen(hn),
                            "numpy.str_ data is a scalar fixed-length UTF-8 string");
        return 0;
    case JXV_D_BYTES_:
        if (ty->kind != JXV_T_FIXED_STRING || ty->space != JXV_S_SCALAR)
            return jxv_fail(rep, rule, where, hn, strlen(hn),
                            "numpy.bytes_ data is a scalar fixed-length string");
        return 0;
    case JXV_D_VOID:
        if (!(ty->kind == JXV_T_OPAQUE || ty->kind == JXV_T_COMPOUND ||
              ty->kind == JXV_T_COMPLEX) ||
            ty->space != JXV_S_SCALAR)
            return jxv_fail(rep, rule, where, hn, strlen(hn),
                            "numpy.void data is a scalar opaque or compound value");
        return 0;
    case JXV_D_BYTES:
    case JXV_D_BYTEARRAY:
        if (ty->kind != JXV_T_OPAQUE || ty->space != JXV_S_SCALAR)
            return jxv_fail(rep, rule, where, hn, strlen(hn),
                            "%s data is one scalar opaque value of len(x) bytes", hn);
        return 0;
    case JXV_D_JAX: {
        jxv_tkind k;
        size_t sz;
        int sg;
        if (jax_dtype && jax_storage(jax_dtype, jax_len, &k, &sz, &sg) &&
            (ty->kind != k || ty->size != sz || (k == JXV_T_INTEGER && ty->is_signed != sg) ||
             ty->big_endian))
            return jxv_fail(rep, rule, where, jax_dtype, jax_len,
                            "the dataset's datatype is not the storage type of this jax dtype "
                            "(spec §4.9)");
        return 0;
    }
    default:
        if (!array_like(ty))
            return jxv_fail(rep, rule, where, hn, strlen(hn),
                            "%s data is an array of a type h5py writes for numpy", hn);
        return 0;
    }
}

/* ---- slot order ----------------------------------------------------------------------- */

enum order_code {
    OC_OK = 0,
    OC_LIST_NOT_INDEX,
    OC_LIST_WRONG_INDEX,
    OC_DICT_INDEX_V1,
    OC_DICT_KEY_WRONG,
    OC_DICT_KEY_OPEN,
    OC_DICT_VALUE_NO_KEY,
    OC_DICT_VALUE_WRONG,
    OC_LIST_PAD_FORM,
    OC_DICT_PADDED
};


void jxv__order_init(jxv_order *o)
{
    memset(o, 0, sizeof *o);
    o->open_key = -1;
}

static int report_code(int code, uint64_t expect, const char *name, size_t len,
                       const char *where, jxv_report *rep)
{
    switch (code) {
    case OC_LIST_NOT_INDEX:
        return jxv_fail(rep, JXV_RULE_INDEX_ORDER, where, name, len,
                        "children of a list, tuple, set or frozenset group are named 0, 1, 2, "
                        "…; expected %" PRIu64, expect);
    case OC_LIST_WRONG_INDEX:
        return jxv_fail(rep, JXV_RULE_INDEX_ORDER, where, name, len,
                        "list-like children are numbered 0, 1, 2, … in creation order; "
                        "expected %" PRIu64, expect);
    case OC_DICT_INDEX_V1:
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                        "a bare index is not a v1.2.0 dict slot (int keys are written "
                        "int(…))");
    case OC_DICT_KEY_WRONG:
        return jxv_fail(rep, JXV_RULE_KEY_VALUE, where, name, len,
                        "i in key(i) is the number of the dict entry; expected key(%" PRIu64
                        ")", expect);
    case OC_DICT_KEY_OPEN:
        return jxv_fail(rep, JXV_RULE_KEY_VALUE, where, name, len,
                        "key(%" PRIu64 ") must be immediately followed by value(%" PRIu64 ")",
                        expect, expect);
    case OC_DICT_VALUE_NO_KEY:
        return jxv_fail(rep, JXV_RULE_KEY_VALUE, where, name, len,
                        "value(i) must immediately follow key(i); the next entry is "
                        "%" PRIu64, expect);
    case OC_LIST_PAD_FORM:
        return jxv_fail(rep, JXV_RULE_INDEX_ORDER, where, name, len,
                        "the index names of one group are all written the same way (all "
                        "without leading zeros, or all zero-padded to one width); expected "
                        "%" PRIu64 " in the form of the first child", expect);
    case OC_DICT_PADDED:
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                        "a dict slot that is a number has no leading zeros");
    case OC_DICT_VALUE_WRONG:
        return jxv_fail(rep, JXV_RULE_KEY_VALUE, where, name, len,
                        "expected value(%" PRIu64 ") after key(%" PRIu64 ")", expect, expect);
    default:
        return 0;
    }
}

int jxv__order_add(jxv_order *o, jxv_layout layout, const jxv_name *nm, jxv_ctag known,
                   const char *child_name, size_t child_len, const char *where,
                   jxv_report *rep)
{
    jxv_order n = *o;
    uint64_t pos = o->n;
    if (pos == 0 && nm->slot_kind == JXV_SLOT_INDEX)
        n.pad_width = nm->index_width;
    if (!n.list_bad) {
        if (nm->slot_kind != JXV_SLOT_INDEX)
            n.list_bad = OC_LIST_NOT_INDEX;
        else if (n.pad_width ? nm->slot_len != n.pad_width : nm->index_width != 0)
            n.list_bad = OC_LIST_PAD_FORM; /* padded: same digit count; else no zeros */
        else if (nm->index != pos)
            n.list_bad = OC_LIST_WRONG_INDEX;
        if (n.list_bad) {
            n.list_expect = pos;
            n.list_bad_name = child_name;
            n.list_bad_len = child_len;
        }
    }
    if (!n.dict_bad) {
        uint8_t code = OC_OK;
        uint64_t expect = 0;
        switch (nm->slot_kind) {
        case JXV_SLOT_INDEX:
        case JXV_SLOT_SIMPLE:
        case JXV_SLOT_ROOT:
            if (nm->slot_kind == JXV_SLOT_INDEX && layout == JXV_LAYOUT_V1)
                code = OC_DICT_INDEX_V1;
            else if (nm->slot_kind == JXV_SLOT_INDEX && nm->index_width)
                code = OC_DICT_PADDED;
            else if (n.open_key >= 0)
                code = OC_DICT_KEY_OPEN, expect = (uint64_t)n.open_key;
            else
                n.entries++;
            break;
        case JXV_SLOT_KEY:
            if (n.open_key >= 0)
                code = OC_DICT_KEY_OPEN, expect = (uint64_t)n.open_key;
            else if (nm->index != n.entries)
                code = OC_DICT_KEY_WRONG, expect = n.entries;
            else
                n.open_key = (int64_t)nm->index;
            break;
        case JXV_SLOT_VALUE:
            if (n.open_key < 0)
                code = OC_DICT_VALUE_NO_KEY, expect = n.entries;
            else if ((int64_t)nm->index != n.open_key)
                code = OC_DICT_VALUE_WRONG, expect = (uint64_t)n.open_key;
            else
                n.open_key = -1, n.entries++;
            break;
        }
        if (code) {
            n.dict_bad = code;
            n.dict_expect = expect;
            n.dict_bad_name = child_name;
            n.dict_bad_len = child_len;
        }
    }
    n.n++;
    if (!o->reported) {
        int code = 0;
        uint64_t expect = 0;
        if (known == JXV_TAG_DICT && n.dict_bad && !o->dict_bad) {
            code = n.dict_bad, expect = n.dict_expect;
        } else if (known != JXV_TAG_NONE && known != JXV_TAG_DICT && n.list_bad &&
                   !o->list_bad) {
            code = n.list_bad, expect = n.list_expect;
        } else if (known == JXV_TAG_NONE && n.list_bad && n.dict_bad) {
            /* neither a list nor a dict any more: blame the hypothesis the group followed */
            int list_now = !o->list_bad, dict_now = !o->dict_bad;
            if (list_now && (!dict_now || nm->slot_kind == JXV_SLOT_INDEX))
                code = n.list_bad, expect = n.list_expect;
            else
                code = n.dict_bad, expect = n.dict_expect;
        }
        if (code)
            return report_code(code, expect, child_name, child_len, where, rep);
    }
    *o = n;
    return 0;
}

int jxv__order_close(const jxv_order *o, jxv_ctag tag, const char *where, jxv_report *rep)
{
    if (o->reported)
        return 0;
    if (tag == JXV_TAG_DICT) {
        if (o->dict_bad)
            return report_code(o->dict_bad, o->dict_expect, o->dict_bad_name, o->dict_bad_len,
                               where, rep);
        if (o->open_key >= 0)
            return jxv_fail(rep, JXV_RULE_KEY_VALUE, where, "", 0,
                            "key(%" PRId64 ") is not followed by value(%" PRId64 ")",
                            o->open_key, o->open_key);
        return 0;
    }
    if (tag != JXV_TAG_NONE && o->list_bad)
        return report_code(o->list_bad, o->list_expect, o->list_bad_name, o->list_bad_len,
                           where, rep);
    if (tag != JXV_TAG_NONE && o->pad_width) {
        /* zero padding exists so that name order (untracked groups) is index order */
        unsigned digits = 1;
        for (uint64_t v = o->n ? o->n - 1 : 0; v >= 10; v /= 10)
            digits++;
        if (o->n <= JXV_MAX_TRACKED || o->pad_width != digits)
            return jxv_fail(rep, JXV_RULE_INDEX_ORDER, where, "", 0,
                            "zero-padded index names are only for list-like containers of "
                            "more than 65,535 items (this one has %" PRIu64 "), padded to "
                            "the digit count of the last index",
                            o->n);
    }
    return 0;
}
