/* Reports, HDF5 type summaries, string helpers and the hash map used by the validator. */
#include "jxv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rules and reports ---------------------------------------------------------------- */

static const char *const rule_names[JXV_RULE__COUNT] = {
    [JXV_RULE_ROOT] = "root",
    [JXV_RULE_SLOT_NAME] = "slot-name",
    [JXV_RULE_TYPE_TAG] = "type-tag",
    [JXV_RULE_VALUE_TYPE] = "value-type",
    [JXV_RULE_ATOM_TEXT] = "atom-text",
    [JXV_RULE_KEY_VALUE] = "key-value",
    [JXV_RULE_INDEX_ORDER] = "index-order",
    [JXV_RULE_REF_PATH] = "ref-path",
    [JXV_RULE_REF_TARGET] = "ref-target",
    [JXV_RULE_CONTAINER_GROUP] = "container-group",
    [JXV_RULE_DATASET] = "dataset",
    [JXV_RULE_STRAY_OBJECT] = "stray-object",
    [JXV_RULE_DUPLICATE_SLOT] = "duplicate-slot",
    [JXV_RULE_COMPLETE_TREE] = "complete-tree",
    [JXV_RULE_CHECKSUM] = "checksum", /* jxv_integrity.c */
    [JXV_RULE_UNHASHABLE_KEY] = "unhashable-key",
};

const char *jxv_rule_name(jxv_rule rule)
{
    if ((int)rule < 0 || rule >= JXV_RULE__COUNT)
        return "unknown";
    return rule_names[rule];
}

void jxv_report_init(jxv_report *rep)
{
    memset(rep, 0, sizeof *rep);
}

void jxv_report_clear(jxv_report *rep)
{
    for (size_t i = 0; i < rep->count; i++) {
        free(rep->items[i].path);
        free(rep->items[i].text);
        free(rep->items[i].message);
    }
    free(rep->items);
    jxv_report_init(rep);
}

/* Copies an offending text for display: NUL bytes become "\0" (texts may contain them, e.g.
 * the key 'k\0') and long texts are cut at a UTF-8 boundary and end with "…". */
static char *display_text(const char *text, size_t len)
{
    jxv_buf b = {0};
    size_t shown = 0;
    size_t i = 0;
    if (!text)
        len = 0;
    while (i < len) {
        size_t clen = 1;
        unsigned char c = (unsigned char)text[i];
        if (c >= 0xC0) {
            while (i + clen < len && ((unsigned char)text[i + clen] & 0xC0) == 0x80 && clen < 4)
                clen++;
        }
        if (shown + clen > JXV_TEXT_MAX) {
            jxv__buf_adds(&b, "\xE2\x80\xA6"); /* … */
            break;
        }
        if (c == 0)
            jxv__buf_add(&b, "\\0", 2);
        else
            jxv__buf_add(&b, text + i, clen);
        shown += clen;
        i += clen;
    }
    jxv__buf_add(&b, "", 1);
    if (b.oom) {
        jxv__buf_free(&b);
        return NULL;
    }
    return b.data;
}

int jxv_fail(jxv_report *rep, jxv_rule rule, const char *path, const char *text, size_t text_len,
             const char *fmt, ...)
{
    if (!rep)
        return -1;
    if (rep->count == rep->capacity) {
        size_t ncap = rep->capacity ? rep->capacity * 2 : 8;
        jxv_violation *n = realloc(rep->items, ncap * sizeof *n);
        if (!n) {
            rep->out_of_memory = 1;
            return -1;
        }
        rep->items = n;
        rep->capacity = ncap;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jxv_violation *v = &rep->items[rep->count];
    v->rule = rule;
    v->path = jxv__strndup(path ? path : "", path ? strlen(path) : 0);
    v->text = display_text(text, text_len);
    v->message = jxv__strndup(msg, strlen(msg));
    if (!v->path || !v->text || !v->message) {
        free(v->path);
        free(v->text);
        free(v->message);
        rep->out_of_memory = 1;
        return -1;
    }
    rep->count++;
    return -1;
}

/* ---- HDF5 type summary ---------------------------------------------------------------- */

/* h5py's bool: an 8-bit integer enum with exactly FALSE=0 and TRUE=1. */
static int is_bool_enum(hid_t type_id)
{
    if (H5Tget_nmembers(type_id) != 2 || H5Tget_size(type_id) != 1)
        return 0;
    for (unsigned i = 0; i < 2; i++) {
        char *name = H5Tget_member_name(type_id, i);
        signed char v = -1;
        int ok = name && H5Tget_member_value(type_id, i, &v) >= 0 &&
                 strcmp(name, i == 0 ? "FALSE" : "TRUE") == 0 && v == (signed char)i;
        H5free_memory(name);
        if (!ok)
            return 0;
    }
    return 1;
}

/* h5py's complex: a compound of exactly "r" then "i", equal float types of size 4, 8 or 16. */
static int is_complex_compound(hid_t type_id)
{
    if (H5Tget_nmembers(type_id) != 2)
        return 0;
    int ok = 1;
    hid_t mt[2] = {H5I_INVALID_HID, H5I_INVALID_HID};
    for (unsigned i = 0; i < 2 && ok; i++) {
        char *name = H5Tget_member_name(type_id, i);
        ok = name && strcmp(name, i == 0 ? "r" : "i") == 0;
        H5free_memory(name);
        if (ok) {
            mt[i] = H5Tget_member_type(type_id, i);
            ok = mt[i] >= 0 && H5Tget_class(mt[i]) == H5T_FLOAT;
        }
    }
    if (ok) {
        size_t s = H5Tget_size(mt[0]);
        ok = H5Tequal(mt[0], mt[1]) > 0 && (s == 4 || s == 8 || s == 16) &&
             H5Tget_member_offset(type_id, 1) == s;
    }
    for (int i = 0; i < 2; i++)
        if (mt[i] >= 0)
            H5Tclose(mt[i]);
    return ok;
}

/* The HDF5 calls describing a datatype; a failure leaves its message on the stack. */
static int describe_type_calls(hid_t type_id, jxv_type *out)
{
    H5T_class_t cls = H5Tget_class(type_id);
    out->size = H5Tget_size(type_id);
    switch (cls) {
    case H5T_STRING: {
        htri_t var = H5Tis_variable_str(type_id);
        out->kind = var > 0 ? JXV_T_VLEN_STRING : JXV_T_FIXED_STRING;
        out->utf8 = H5Tget_cset(type_id) == H5T_CSET_UTF8;
        break;
    }
    case H5T_INTEGER:
        out->kind = JXV_T_INTEGER;
        out->is_signed = H5Tget_sign(type_id) == H5T_SGN_2;
        out->big_endian = out->size > 1 && H5Tget_order(type_id) == H5T_ORDER_BE;
        break;
    case H5T_FLOAT:
        out->kind = JXV_T_FLOAT;
        out->big_endian = H5Tget_order(type_id) == H5T_ORDER_BE;
        break;
    case H5T_ENUM:
        out->kind = is_bool_enum(type_id) ? JXV_T_BOOL_ENUM : JXV_T_ENUM;
        break;
    case H5T_COMPOUND:
        out->kind = is_complex_compound(type_id) ? JXV_T_COMPLEX : JXV_T_COMPOUND;
        break;
    case H5T_OPAQUE:
        out->kind = JXV_T_OPAQUE;
        break;
    case H5T_ARRAY:
        out->kind = JXV_T_ARRAY;
        break;
    case H5T_NO_CLASS:
        return -1;
    default:
        out->kind = JXV_T_OTHER;
        break;
    }
    return 0;
}

/* The HDF5 calls describing a dataspace; a failure leaves its message on the stack. */
static int describe_space_calls(hid_t space_id, jxv_type *out)
{
    H5S_class_t sc = H5Sget_simple_extent_type(space_id);
    if (sc == H5S_SCALAR) {
        out->space = JXV_S_SCALAR;
        out->npoints = 1;
    } else if (sc == H5S_SIMPLE) {
        out->space = JXV_S_SIMPLE;
        out->rank = H5Sget_simple_extent_ndims(space_id);
        hssize_t np = H5Sget_simple_extent_npoints(space_id);
        if (out->rank < 0 || np < 0)
            return -1;
        out->npoints = (uint64_t)np;
    } else if (sc == H5S_NULL) {
        out->space = JXV_S_NULL;
    } else {
        return -1;
    }
    return 0;
}

static int describe_calls(hid_t type_id, hid_t space_id, jxv_type *out)
{
    return describe_type_calls(type_id, out) < 0 ? -1 : describe_space_calls(space_id, out);
}

int jxv_describe(hid_t type_id, hid_t space_id, jxv_type *out)
{
    int ret = 0;
    /* Keep the caller's error stack intact. Copying it registers an id and is the most
     * expensive part: only when there is something to keep (H5Eget_num does not clear). */
    hid_t saved = H5Eget_num(H5E_DEFAULT) > 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    memset(out, 0, sizeof *out);
    H5E_BEGIN_TRY { ret = describe_calls(type_id, space_id, out); }
    H5E_END_TRY
    if (saved >= 0)
        H5Eset_current_stack(saved);
    else if (H5Eget_num(H5E_DEFAULT) > 0)
        H5Eclear2(H5E_DEFAULT);
    return ret;
}

int jxv_describe_valid(hid_t type_id, hid_t space_id, jxv_type *out)
{
    /* The ids are known to be a datatype and a dataspace (the library checked them before
     * calling the connector), so none of the calls can fail and print: no H5E_BEGIN_TRY.
     * A stack that holds messages is still kept, as jxv_describe does. */
    if (H5Eget_num(H5E_DEFAULT) > 0)
        return jxv_describe(type_id, space_id, out);
    memset(out, 0, sizeof *out);
    int ret = describe_calls(type_id, space_id, out);
    if (ret < 0) /* only a failure can have pushed something: leave the stack empty */
        H5Eclear2(H5E_DEFAULT);
    return ret;
}

int jxv__describe_space(hid_t space_id, jxv_type *out)
{
    jxv_type d;
    memset(&d, 0, sizeof d);
    if (describe_space_calls(space_id, &d) < 0)
        return -1;
    out->space = d.space;
    out->rank = d.rank;
    out->npoints = d.npoints;
    return 0;
}

int jxv__describe_type(hid_t type_id, jxv_type *out)
{
    jxv_type d;
    memset(&d, 0, sizeof d);
    if (describe_type_calls(type_id, &d) < 0)
        return -1;
    d.space = out->space;
    d.rank = out->rank;
    d.npoints = out->npoints;
    *out = d;
    return 0;
}

void jxv_type_memo_init(jxv_type_memo *m)
{
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < JXV_TYPE_MEMO_SIZE; i++)
        m->e[i].app = m->e[i].copy = H5I_INVALID_HID;
    for (size_t i = 0; i < JXV_SPACE_MEMO_SIZE; i++)
        m->s[i].app = m->s[i].copy = H5I_INVALID_HID;
}

void jxv_type_memo_clear(jxv_type_memo *m)
{
    for (size_t i = 0; i < JXV_TYPE_MEMO_SIZE; i++)
        if (m->e[i].copy >= 0 && H5Iis_valid(m->e[i].copy) > 0)
            H5Tclose(m->e[i].copy);
    for (size_t i = 0; i < JXV_SPACE_MEMO_SIZE; i++)
        if (m->s[i].copy >= 0 && H5Iis_valid(m->s[i].copy) > 0)
            H5Sclose(m->s[i].copy);
    jxv_type_memo_init(m);
}

/* How one half of the memo checks, copies, closes and describes its ids. */
typedef struct memo_ops {
    htri_t (*equal)(hid_t, hid_t);
    hid_t (*copy)(hid_t);
    herr_t (*close)(hid_t);
    int (*describe)(hid_t, jxv_type *);
} memo_ops;

static const memo_ops TYPE_OPS = {H5Tequal, H5Tcopy, H5Tclose, describe_type_calls};
static const memo_ops SPACE_OPS = {H5Sextent_equal, H5Scopy, H5Sclose, describe_space_calls};

/* The description of id (into *d, zeroed first) from the n entries of e, or described anew
 * and remembered in the entry *next points at (round robin). */
static int memo_describe(jxv_memo_entry *e, size_t n, unsigned *next, const memo_ops *ops,
                         hid_t id, jxv_type *d)
{
    memset(d, 0, sizeof *d);
    size_t i;
    for (i = 0; i < n && e[i].app != id; i++)
        ;
    if (i < n) {
        htri_t same = ops->equal(id, e[i].copy);
        if (same > 0) {
            *d = e[i].d;
            return 0;
        }
        if (same < 0) { /* our copy is gone: only an application closing ids it never got
                         * does that; HDF5 prints the failed comparison, and we describe anew */
            H5Eclear2(H5E_DEFAULT);
            e[i].copy = H5I_INVALID_HID;
        }
    } else {
        i = *next;
        *next = (unsigned)((*next + 1) % n);
    }
    if (ops->describe(id, d) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    if (e[i].copy >= 0)
        ops->close(e[i].copy);
    e[i].app = id;
    e[i].copy = ops->copy(id);
    e[i].d = *d;
    if (e[i].copy < 0) { /* no memo this time; the description stands */
        H5Eclear2(H5E_DEFAULT);
        e[i].app = H5I_INVALID_HID;
    }
    return 0;
}

int jxv_describe_type_memo(jxv_type_memo *m, hid_t type_id, jxv_type *out)
{
    return memo_describe(m->e, JXV_TYPE_MEMO_SIZE, &m->next, &TYPE_OPS, type_id, out);
}

int jxv_describe_memo(jxv_type_memo *m, hid_t type_id, hid_t space_id, jxv_type *out)
{
    jxv_type sp;
    if (jxv_describe_type_memo(m, type_id, out) < 0 ||
        memo_describe(m->s, JXV_SPACE_MEMO_SIZE, &m->snext, &SPACE_OPS, space_id, &sp) < 0)
        return -1;
    out->space = sp.space;
    out->rank = sp.rank;
    out->npoints = sp.npoints;
    return 0;
}

/* ---- strings -------------------------------------------------------------------------- */

/* Decodes one UTF-8 character; returns its length or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

size_t jxv_utf8_char_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    return utf8_decode(s, n, &cp);
}

static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2; v = c & 0x1F; min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3; v = c & 0x0F; min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int jxv__utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Jaxon text is mostly ASCII: skip it eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i < len && (unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        if (i >= len)
            break;
        uint32_t cp;
        size_t l = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

size_t jxv__utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Python's str.isspace(): Unicode White_Space plus the ASCII separators 0x1C-0x1F. */
static int py_isspace(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t jxv__space_at(const char *s, size_t n)
{
    uint32_t cp;
    size_t l = utf8_decode((const unsigned char *)s, n, &cp);
    return (l && py_isspace(cp)) ? l : 0;
}

size_t jxv__space_before(const char *s, size_t n)
{
    for (size_t l = 1; l <= 4 && l <= n; l++) {
        unsigned char c = (unsigned char)s[n - l];
        if ((c & 0xC0) != 0x80)
            return jxv__space_at(s + n - l, l) == l ? l : 0;
    }
    return 0;
}

void jxv__strip(const char **s, size_t *len)
{
    size_t l;
    while (*len && (l = jxv__space_at(*s, *len)) != 0) {
        *s += l;
        *len -= l;
    }
    while (*len && (l = jxv__space_before(*s, *len)) != 0)
        *len -= l;
}

char *jxv__strndup(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *jxv__aprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void jxv__buf_add(jxv_buf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->len + len + 1)
            ncap *= 2;
        char *n = realloc(b->data, ncap);
        if (!n) {
            b->oom = 1;
            return;
        }
        b->data = n;
        b->cap = ncap;
    }
    if (len)
        memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void jxv__buf_adds(jxv_buf *b, const char *s)
{
    jxv__buf_add(b, s, strlen(s));
}

void jxv__buf_free(jxv_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* HDF5 resolves names as paths: empty and "." components vanish (spec §2.2). */
/* Appends the components of [s, s+len) to out (split on '/', skipping empty and "."),
 * each preceded by '/'; returns the new length. out == NULL only counts. The result is
 * never longer than len + 1. */
static size_t add_components(char *out, size_t at, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *slash = memchr(s + i, '/', len - i);
        size_t j = slash ? (size_t)(slash - s) : len;
        size_t cl = j - i;
        if (cl > 0 && !(cl == 1 && s[i] == '.')) {
            if (out) {
                out[at] = '/';
                memcpy(out + at + 1, s + i, cl);
            }
            at += cl + 1;
        }
        i = j + 1;
    }
    return at;
}

char *jxv__join_path(const char *parent, const char *name, size_t name_len)
{
    size_t pl = parent ? strlen(parent) : 0;
    if (!name)
        name_len = 0;
    /* One allocation: each source gains at most one leading '/'. */
    char *out = malloc(pl + name_len + 3);
    if (!out)
        return NULL;
    size_t n = 0;
    if (parent)
        n = add_components(out, n, parent, pl);
    if (name)
        n = add_components(out, n, name, name_len);
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    return out;
}

char *jxv__attr_where_in(char *buf, size_t cap, const char *group, const char *name,
                         size_t name_len)
{
    if (!group)
        group = "/";
    size_t gl = strlen(group), nuls = 0;
    if (memchr(name, '\0', name_len))
        for (size_t i = 0; i < name_len; i++)
            nuls += name[i] == '\0';
    size_t need = gl + 1 + name_len + nuls + 1;
    char *out = buf && need <= cap ? buf : malloc(need);
    if (!out)
        return NULL;
    memcpy(out, group, gl);
    out[gl] = '@';
    char *w = out + gl + 1;
    if (!nuls) {
        memcpy(w, name, name_len);
        w += name_len;
    } else {
        for (size_t i = 0; i < name_len; i++) {
            if (name[i] == '\0') {
                *w++ = '\\';
                *w++ = '0';
            } else {
                *w++ = name[i];
            }
        }
    }
    *w = '\0';
    return out;
}

char *jxv__attr_where(const char *group, const char *name, size_t name_len)
{
    return jxv__attr_where_in(NULL, 0, group, name, name_len);
}

int jxv__is_normalised(const char *p)
{
    if (!p || p[0] != '/')
        return 0;
    if (p[1] == '\0')
        return 1;
    /* strchr jumps from slash to slash (paths are called for every attribute) */
    for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/'))
        if (s[1] == '\0' || s[1] == '/' || (s[1] == '.' && (s[2] == '/' || s[2] == '\0')))
            return 0;
    return 1;
}

/* ---- hash map ------------------------------------------------------------------------- */

static uint32_t map_hash(const char *key, size_t len)
{
    /* Eight bytes per multiply (keys are paths and attribute names, hashed several times
     * per attribute), then the bytes left one by one. */
    uint64_t h = 0xcbf29ce484222325ULL ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    /* The multiplies mix upwards only (low bits depend on low bits), and the table indexes
     * with the low bits: finish with a full 64-bit mix (murmur3 fmix64) so that similar keys
     * ("'k1'", "'k2'", ...) spread and linear probes stay short. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    uint32_t h32 = (uint32_t)(h ^ (h >> 32));
    return h32 ? h32 : 1;
}

void jxv__map_init(jxv_map *m)
{
    memset(m, 0, sizeof *m);
}

void jxv__map_free(jxv_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static jxv_map_entry *map_find(const jxv_map *m, const char *key, uint32_t len, uint32_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        jxv_map_entry *e = &m->slots[i];
        if (e->hash == 0)
            return e;
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
}

void *jxv__map_get(const jxv_map *m, const char *key, size_t len)
{
    if (m->count == 0 || len > UINT32_MAX)
        return NULL;
    jxv_map_entry *e = map_find(m, key, (uint32_t)len, map_hash(key, len));
    return e->hash ? e->value : NULL;
}

static int map_grow_to(jxv_map *m, size_t ncap)
{
    jxv_map_entry *slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return -1;
    jxv_map old = *m;
    m->slots = slots;
    m->cap = ncap;
    for (size_t i = 0; i < old.cap; i++) {
        jxv_map_entry *e = &old.slots[i];
        if (e->hash)
            *map_find(m, e->key, e->len, e->hash) = *e;
    }
    free(old.slots);
    return 0;
}

static int map_grow(jxv_map *m)
{
    return map_grow_to(m, m->cap ? m->cap * 2 : 8); /* many maps are per group and small */
}

herr_t jxv__refuse_external_link(const char *parent_file, const char *parent_group,
                                 const char *child_file, const char *child_object,
                                 unsigned *acc_flags, hid_t fapl_id, void *op_data)
{
    (void)parent_file; (void)parent_group; (void)child_file; (void)child_object;
    (void)acc_flags; (void)fapl_id; (void)op_data;
    return -1;
}

int jxv__crt_order_tracked(hid_t gid)
{
    /* The object header's flag is what H5Pget_attr_creation_order reports from the group's
     * creation property list; reading the header's summary costs a fifth of building that
     * list (19,000 instructions a group, 8% of loading a tree of small groups). */
    H5O_native_info_t ni;
    if (H5Oget_native_info(gid, &ni, H5O_NATIVE_INFO_HDR) < 0)
        return -1;
    return (ni.hdr.flags & H5O_HDR_ATTR_CRT_ORDER_TRACKED) != 0;
}

static int map_grow_to(jxv_map *m, size_t ncap);

int jxv__map_reserve(jxv_map *m, uint64_t n)
{
    size_t want = 8;
    if (n > (uint64_t)1 << 40)
        return -1;
    while ((n + 1) * 8 > want * 5)
        want *= 2;
    return want > m->cap ? map_grow_to(m, want) : 0;
}

/* The entry of key (found, or the free one it goes in, marked taken), or NULL on OOM. *had
 * says whether it was there. */
static jxv_map_entry *map_claim(jxv_map *m, const char *key, size_t len, int *had)
{
    if (len > UINT32_MAX)
        return NULL;
    /* at most 5/8 full: a miss (every insert and most duplicate checks) probes ~3 slots */
    if ((m->count + 1) * 8 > m->cap * 5 && map_grow(m) < 0)
        return NULL;
    uint32_t h = map_hash(key, len);
    jxv_map_entry *e = map_find(m, key, (uint32_t)len, h);
    *had = e->hash != 0;
    if (!*had) {
        e->hash = h;
        e->key = key;
        e->len = (uint32_t)len;
        m->count++;
    }
    return e;
}

int jxv__map_add(jxv_map *m, const char *key, size_t len, void *value)
{
    int had;
    jxv_map_entry *e = map_claim(m, key, len, &had);
    if (!e)
        return -1;
    if (!had)
        e->value = value;
    return had;
}

int jxv__map_put(jxv_map *m, const char *key, size_t len, void *value)
{
    int had;
    jxv_map_entry *e = map_claim(m, key, len, &had);
    if (!e)
        return -1;
    e->value = value;
    return 0;
}
