/* The text grammar of the Jaxon layout (spec §2.7, §3.3-§3.4, §3.7, §4.3-§4.4, §4.7):
 * slot names, typehints, atom texts and reference paths. Pure string code, no HDF5 calls.
 * The numbers inside atoms are checked by jxv_numbers.c. */
#include "jxv_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- atoms ---------------------------------------------------------------------------- */

int jxv__v1_claims_atom(const char *t, size_t len)
{
    static const char *const prefixes[] = {"int", "float", "bool", "complex", "range", "slice"};
    if (jxv__eq(t, len, "None") || jxv__eq(t, len, "Ellipsis") || (len && t[0] == '\''))
        return 1;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (jxv__starts(t, len, prefixes[i]))
            return 1;
    return 0;
}

/* v1 atom (spec §3.3). NULL if valid, and then *a says what it holds. Only a string's text
 * can hold other than ASCII (the grammar of every other atom is ASCII): it is checked to be
 * UTF-8 here unless the caller did (utf8_checked, as for a whole attribute name). */
static const char *atom_v1(const char *t, size_t len, int utf8_checked, jxv_atom *a, char *msg,
                           size_t cap)
{
    const char *in;
    size_t il;
    memset(a, 0, sizeof *a);
    a->kind = JXV_AK_NONE;
    if (jxv__eq(t, len, "None"))
        return NULL;
    if (jxv__eq(t, len, "Ellipsis")) {
        a->kind = JXV_AK_ELLIPSIS;
        return NULL;
    }
    if (len && t[0] == '\'') {
        if (len < 2 || t[len - 1] != '\'') {
            snprintf(msg, cap, "a string atom starts and ends with a quote ('…')");
            return msg;
        }
        if (!utf8_checked && !jxv__utf8_valid(t + 1, len - 2)) {
            snprintf(msg, cap, "text is not valid UTF-8");
            return msg;
        }
        a->kind = JXV_AK_STR;
        a->inner = t + 1;
        a->inner_len = len - 2;
        return NULL;
    }
    if (jxv__starts(t, len, "int")) {
        if (jxv__check_call(t, len, "int", &in, &il, msg, cap))
            return msg;
        const char *why = jxv__check_int_repr(in, il);
        if (why) {
            snprintf(msg, cap, "int(…): %s", why);
            return msg;
        }
        a->kind = JXV_AK_INT;
    } else if (jxv__starts(t, len, "float")) {
        if (jxv__check_call(t, len, "float", &in, &il, msg, cap))
            return msg;
        char m2[200];
        if (jxv__check_float_value(in, il, m2, sizeof m2, &a->value)) {
            snprintf(msg, cap, "float(…): %s", m2);
            return msg;
        }
        a->kind = JXV_AK_FLOAT;
    } else if (jxv__starts(t, len, "bool")) {
        if (jxv__check_call(t, len, "bool", &in, &il, msg, cap))
            return msg;
        if (!jxv__eq(in, il, "True") && !jxv__eq(in, il, "False")) {
            snprintf(msg, cap, "expected bool(True) or bool(False)");
            return msg;
        }
        a->kind = JXV_AK_BOOL;
        a->truth = in[0] == 'T';
    } else if (jxv__starts(t, len, "complex")) {
        if (jxv__check_call(t, len, "complex", &in, &il, msg, cap))
            return msg;
        char m2[300];
        if (jxv__check_complex_repr(in, il, m2, sizeof m2)) {
            snprintf(msg, cap, "complex(…): %s", m2);
            return msg;
        }
        a->kind = JXV_AK_COMPLEX;
    } else if (jxv__starts(t, len, "range") || jxv__starts(t, len, "slice")) {
        int sl = t[0] == 's';
        if (jxv__check_call(t, len, sl ? "slice" : "range", &in, &il, msg, cap))
            return msg;
        if (memchr(in, ' ', il)) {
            snprintf(msg, cap, "the writer removes all spaces from %s(…)", sl ? "slice" : "range");
            return msg;
        }
        const char *why = jxv__check_members(in, il, sl, msg, cap);
        if (why)
            return why;
        a->kind = sl ? JXV_AK_SLICE : JXV_AK_RANGE;
    } else {
        snprintf(msg, cap, "not a text atom: expected None, Ellipsis, '…', int(…), float(…), "
                           "bool(…), complex(…), range(…) or slice(…)");
        return msg;
    }
    a->inner = in;
    a->inner_len = il;
    return NULL;
}

/* v2 quoted string: inside, a quote or backslash only as the escapes \' and \\. */
static const char *quoted_v2(const char *t, size_t len, char *msg, size_t cap)
{
    if (len < 2 || t[len - 1] != '\'') {
        snprintf(msg, cap, "unterminated string literal: a string atom ends with an unescaped "
                           "quote");
        return msg;
    }
    for (size_t i = 1; i < len - 1; i++) {
        if (t[i] == '\\') {
            if (i + 1 >= len - 1 || (t[i + 1] != '\\' && t[i + 1] != '\'')) {
                snprintf(msg, cap, "inside a string a backslash is written as \\\\ and only "
                                   "starts the escapes \\\\ and \\'");
                return msg;
            }
            i++;
        } else if (t[i] == '\'') {
            snprintf(msg, cap, "a quote inside a string must be escaped as \\'");
            return msg;
        }
    }
    return NULL;
}

/* v2 atom (spec §4.3), text already stripped. allow_range: range(…) is a value atom but not a
 * simple (slot) atom in v2. */
static const char *atom_v2(const char *t, size_t len, int allow_range, int *is_str, char *msg,
                           size_t cap)
{
    *is_str = 0;
    if (len == 0) {
        snprintf(msg, cap, "empty text: the v2.0.0 reader fails on empty or whitespace-only "
                           "string values (bug B2-4)");
        return msg;
    }
    if (jxv__eq(t, len, "None") || jxv__eq(t, len, "Ellipsis") || jxv__eq(t, len, "True") ||
        jxv__eq(t, len, "False"))
        return NULL;
    if (t[0] == '\'') {
        *is_str = 1;
        return quoted_v2(t, len, msg, cap);
    }
    if (jxv__starts(t, len, "range")) {
        const char *in;
        size_t il;
        if (!allow_range) {
            snprintf(msg, cap, "range(…) is not a simple atom in v2 (range keys use "
                               "key(i)/value(i))");
            return msg;
        }
        if (jxv__check_call(t, len, "range", &in, &il, msg, cap))
            return msg;
        if (memchr(in, ' ', il)) {
            snprintf(msg, cap, "the writer removes all spaces from range(…)");
            return msg;
        }
        return jxv__check_members(in, il, 0, msg, cap);
    }
    /* numbers: the reader tries int, then float, then complex */
    int numeric_start = is_digit(t[0]) || t[0] == '-' || t[0] == '+' || t[0] == '.' ||
                        jxv__starts(t, len, "inf") || jxv__starts(t, len, "nan");
    if (!numeric_start) {
        snprintf(msg, cap, "not a simple atom: expected None, Ellipsis, True, False, '…', a "
                           "Python int/float/complex repr or range(…)");
        return msg;
    }
    if (t[len - 1] == 'j')
        return jxv__check_complex_repr(t, len, msg, cap);
    int has_fl = 0;
    for (size_t i = 0; i < len; i++)
        if (t[i] == '.' || t[i] == 'e' || t[i] == 'n' || t[i] == 'i')
            has_fl = 1;
    if (!has_fl) {
        const char *why = jxv__check_int_repr(t, len);
        if (why)
            snprintf(msg, cap, "%s", why);
        return why ? msg : NULL;
    }
    return jxv__check_float_repr(t, len, msg, cap);
}

int jxv_is_simple_atom(jxv_layout layout, const char *text, size_t len)
{
    char msg[400];
    int is_str;
    if (!text)
        return 0;
    if (layout == JXV_LAYOUT_V1) {
        jxv_atom a;
        return atom_v1(text, len, 0, &a, msg, sizeof msg) == NULL;
    }
    jxv__strip(&text, &len);
    return atom_v2(text, len, 0, &is_str, msg, sizeof msg) == NULL;
}

int jxv_check_atom(jxv_layout layout, const char *text, size_t len, const char *where,
                   jxv_report *rep)
{
    char msg[400];
    int is_str;
    if (layout == JXV_LAYOUT_V1) {
        jxv_atom a;
        return jxv_check_atom_v1(text, len, where, rep, &a);
    }
    const char *t = text ? text : "";
    size_t l = text ? len : 0;
    if (!jxv__utf8_valid(t, l))
        return jxv_fail(rep, JXV_RULE_ATOM_TEXT, where, t, l, "text is not valid UTF-8");
    jxv__strip(&t, &l);
    const char *why = atom_v2(t, l, 1, &is_str, msg, sizeof msg);
    if (why)
        return jxv_fail(rep, JXV_RULE_ATOM_TEXT, where, text, len, "%s", why);
    return 0;
}

int jxv_check_atom_v1(const char *text, size_t len, const char *where, jxv_report *rep,
                      jxv_atom *out)
{
    char msg[400];
    const char *t = text ? text : "";
    size_t l = text ? len : 0;
    const char *why = atom_v1(t, l, 0, out, msg, sizeof msg);
    if (why)
        return jxv_fail(rep, JXV_RULE_ATOM_TEXT, where, text, len, "%s", why);
    return 0;
}

/* ---- qualnames and tags --------------------------------------------------------------- */

/* <module>.<qualname>: dotted segments of identifier characters ("<locals>" allowed). */
static int qualname_ok(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.' || !memchr(s, '.', len))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (s[i + 1] == '.')
                return 0;
            continue;
        }
        if (!(c >= 0x80 || c == '_' || c == '<' || c == '>' || is_digit((char)c) ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 0;
    }
    return 1;
}

/* Container tag of [s, s+len) (the layouts share the container tags), or JXV_TAG_NONE. */
static jxv_ctag ctag_of(const char *s, size_t len)
{
    const jxv_tag *t = jxv_tag_find(1, s, len);
    return t ? t->ctag : JXV_TAG_NONE;
}

/* v1 data-typehint (also the v1 name typehint apart from "ref"). */
static jxv_dhint dhint_v1(const char *s, size_t len)
{
    const jxv_tag *t = jxv_tag_find(1, s, len);
    if (t)
        return t->data;
    if (len > 1 && s[0] == '!' && qualname_ok(s + 1, len - 1)) return JXV_D_DILL;
    return JXV_D_NONE;
}

int jxv__parse_value_hint_v1(const char *text, size_t len, jxv_nodeinfo *info,
                             const char *where, jxv_report *rep)
{
    jxv_dhint d = dhint_v1(text, len);
    if (d != JXV_D_NONE) {
        info->data = d;
        return 0;
    }
    size_t head = 0;
    while (head < len && text[head] != '#')
        head++;
    jxv_ctag tag = ctag_of(text, head);
    if (tag == JXV_TAG_NONE) {
        if (len && text[0] == '!')
            return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                            "a dill typehint is ! followed by the qualname module.Class");
        return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                        "expected a container tag (dict, list, tuple, set, frozenset) with "
                        "optional #tags, or a data typehint (numpy.ndarray, jax.Array, bytes, "
                        "bytearray, memoryview, !module.Class)");
    }
    for (size_t i = head; i < len;) {
        size_t j = i + 1;
        while (j < len && text[j] != '#')
            j++;
        if (j == i + 1)
            return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                            "empty marshal tag in the # chain");
        i = j;
    }
    info->tag = tag;
    info->tags = text + head;
    info->tags_len = len - head;
    return 0;
}

/* v1 name typehint: "ref" or a data typehint. */
static int check_name_hint_v1(const char *h, size_t hl, const char *name, size_t len,
                              const char *where, jxv_report *rep)
{
    if (jxv__eq(h, hl, "ref") || dhint_v1(h, hl) != JXV_D_NONE)
        return 0;
    if (ctag_of(h, hl) != JXV_TAG_NONE)
        return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, name, len,
                        "in v1.2.0 a container tag is the attribute value, not part of the "
                        "name");
    return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, name, len,
                    "name typehint must be ref, numpy.ndarray, jax.Array, bytes, bytearray, "
                    "memoryview or !module.Class");
}

/* jax dtype names accepted by v2.0.0 (numpy numeric dtypes and the ml_dtypes it maps). */
int jxv__jax_dtype_ok(const char *s, size_t len)
{
    static const char *const names[] = {
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "float128", "longdouble", "complex64", "complex128",
        "complex256", "clongdouble", "uint2", "uint4", "int2", "int4", "float4_e2m1fn",
        "float8_e3m4", "float8_e4m3", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz",
        "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float6_e2m3fn", "float6_e3m2fn",
        "bfloat16"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (jxv__eq(s, len, names[i]))
            return 1;
    return 0;
}

/* Splits a v2 typeinfo piece "tag[arg]" (spec §4.3): returns -1 on a bracket error. */
static int split_arg(const char *p, size_t pl, const char **tag, size_t *tl, const char **arg,
                     size_t *al)
{
    *tag = p;
    *tl = pl;
    *arg = NULL;
    *al = 0;
    if (pl == 0 || p[pl - 1] != ']')
        return (memchr(p, '[', pl) || memchr(p, ']', pl)) ? -1 : 0;
    const char *open = memchr(p, '[', pl);
    if (!open || memchr(open + 1, '[', (size_t)(p + pl - open - 1)) ||
        memchr(p, ']', pl - 1))
        return -1;
    *tl = (size_t)(open - p);
    *arg = open + 1;
    *al = (size_t)(p + pl - 1 - *arg);
    while (*tl && jxv__space_before(*tag, *tl))
        *tl -= jxv__space_before(*tag, *tl);
    size_t l;
    while (*al && (l = jxv__space_at(*arg, *al)) != 0) {
        *arg += l;
        *al -= l;
    }
    return 0;
}

size_t jxv__typeinfo_piece(const char *text, size_t len, size_t i, const char **piece,
                          size_t *piece_len)
{
    size_t j = i;
    while (j < len && text[j] != '#')
        j++;
    *piece = text + i;
    *piece_len = j - i;
    jxv__strip(piece, piece_len);
    return j;
}

int jxv__parse_typeinfo_v2(const char *text, size_t len, jxv_nodeinfo *info, const char *where,
                           jxv_report *rep)
{
    size_t i = 0, piece = 0;
    while (i <= len) {
        const char *p;
        size_t pl, j = jxv__typeinfo_piece(text, len, i, &p, &pl);
        const char *tag, *arg;
        size_t tl, al;
        if (split_arg(p, pl, &tag, &tl, &arg, &al) < 0)
            return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                            "a typeinfo piece has at most one trailing [argument]");
        if (piece == 0) {
            const jxv_tag *bt = jxv_tag_find(2, tag, tl);
            if (bt && bt->ctag != JXV_TAG_NONE) {
                info->tag = bt->ctag;
            } else if (bt && bt->data != JXV_D_JAX) {
                info->data = bt->data;
            } else if (bt) { /* jax.Array[dtype] */
                info->data = JXV_D_JAX;
                if (!arg)
                    return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                    "jax.Array needs its dtype argument, e.g. "
                                    "jax.Array[float32]");
                if (!jxv__jax_dtype_ok(arg, al))
                    return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                    "unknown jax dtype name in jax.Array[…]");
                info->jax_dtype = arg;
                info->jax_len = al;
            } else if (tl != 0) {
                return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                "unknown builtin tag: expected dict, list, tuple, set, "
                                "frozenset, numpy.ndarray, numpy.str_, numpy.bytes_, "
                                "numpy.void, bytes, bytearray, jax.Array[dtype] or nothing "
                                "before #");
            }
            if (arg && info->data != JXV_D_JAX)
                return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                "this builtin tag takes no [argument]");
            info->tags = text + j;
            info->tags_len = len - j;
        } else {
            if (tl == 0)
                return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                "empty marshal tag in the # chain");
            if (jxv__eq(tag, tl, "dclass") || jxv__eq(tag, tl, "jaxon")) {
                if (!arg || !qualname_ok(arg, al))
                    return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                    "%s tags need a qualname argument, e.g. %s[module.Class]",
                                    tag[0] == 'd' ? "dclass" : "jaxon",
                                    tag[0] == 'd' ? "dclass" : "jaxon");
            } else if (jxv__eq(tag, tl, "dill")) {
                if (arg)
                    return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                    "the dill tag takes no [argument]");
            } else if (memchr(tag, ':', tl) || memchr(tag, '\'', tl)) {
                return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                                "a custom marshal tag must not contain ':' or quotes");
            }
        }
        piece++;
        i = j + 1;
    }
    if (info->tag == JXV_TAG_NONE && info->data == JXV_D_NONE && piece < 2)
        return jxv_fail(rep, JXV_RULE_TYPE_TAG, where, text, len,
                        "an empty builtin tag needs at least one #marshal tag");
    return 0;
}

int jxv_check_value_typehint(jxv_layout layout, const char *text, size_t len, const char *where,
                             jxv_report *rep)
{
    jxv_nodeinfo info;
    memset(&info, 0, sizeof info);
    if (layout == JXV_LAYOUT_V1)
        return jxv__parse_value_hint_v1(text, len, &info, where, rep);
    return jxv__parse_typeinfo_v2(text, len, &info, where, rep);
}

/* ---- attribute names ------------------------------------------------------------------ */

static int classify_slot(jxv_layout layout, const char *s, size_t sl, jxv_name *out,
                         const char *name, size_t len, const char *where, jxv_report *rep)
{
    const char *why;
    out->slot = s;
    out->slot_len = sl;
    if (jxv__eq(s, sl, "JAXON_ROOT")) {
        out->slot_kind = JXV_SLOT_ROOT;
        return 0;
    }
    if (sl && is_digit(s[0])) {
        uint64_t ix;
        /* zero-padded indices (very large lists) are judged per group, see jxv.h */
        size_t z = 0;
        while (z + 1 < sl && s[z] == '0')
            z++;
        why = jxv__parse_index(s + z, sl - z, &ix);
        if (!why) {
            out->slot_kind = JXV_SLOT_INDEX;
            out->index = ix;
            out->index_width = z ? (unsigned)(sl > 64 ? 64 : sl) : 0;
            return 0;
        }
        if (layout == JXV_LAYOUT_V1)
            return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len, "%s", why);
        /* v2: a non-index number may still be a float/complex dict key */
    }
    if (jxv__starts(s, sl, "key(") || jxv__starts(s, sl, "value(")) {
        int key = s[0] == 'k';
        size_t pre = key ? 4 : 6;
        uint64_t ix;
        if (s[sl - 1] != ')')
            return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                            "expected %s(i) with a closing parenthesis", key ? "key" : "value");
        why = jxv__parse_index(s + pre, sl - pre - 1, &ix);
        if (why)
            return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len, "in %s(i): %s",
                            key ? "key" : "value", why);
        out->slot_kind = key ? JXV_SLOT_KEY : JXV_SLOT_VALUE;
        out->index = ix;
        return 0;
    }
    char msg[400];
    int is_str;
    jxv_atom a;
    why = layout == JXV_LAYOUT_V1 ? atom_v1(s, sl, 1, &a, msg, sizeof msg)
                                  : atom_v2(s, sl, 0, &is_str, msg, sizeof msg);
    if (why)
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                        "expected JAXON_ROOT, an index, a dict key atom, key(i) or value(i): %s",
                        why);
    out->slot_kind = JXV_SLOT_SIMPLE;
    return 0;
}

void jxv__split_attr_name(jxv_layout layout, const char *name, size_t len, const char **slot,
                          size_t *slot_len, const char **hint, size_t *hint_len)
{
    const char *s = name, *h = NULL;
    size_t sl = len, hl = 0;
    if (layout == JXV_LAYOUT_V1) {
        /* v1: a quoted slot ('key') has no hint; otherwise the hint follows the last ':' */
        if (len && name[len - 1] != '\'') {
            for (size_t i = len; i-- > 0;)
                if (name[i] == ':') {
                    sl = i;
                    h = name + i + 1;
                    hl = len - i - 1;
                    break;
                }
        }
    } else {
        for (size_t i = len; i-- > 0;) {
            if (name[i] == '\'')
                break;
            if (name[i] == ':') {
                sl = i;
                h = name + i + 1;
                hl = len - i - 1;
                break;
            }
        }
        jxv__strip(&s, &sl);
        if (h)
            jxv__strip(&h, &hl);
    }
    *slot = s;
    *slot_len = sl;
    *hint = h;
    *hint_len = hl;
}

int jxv_parse_attr_name(jxv_layout layout, const char *name, size_t len, jxv_name *out,
                        const char *where, jxv_report *rep)
{
    memset(out, 0, sizeof *out);
    if (!name || len == 0)
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, "", 0, "attribute name is empty");
    if (memchr(name, '\0', len))
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                        "a name must not contain NUL");
    if (!jxv__utf8_valid(name, len))
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len, "name is not valid UTF-8");
    const char *s, *h;
    size_t sl, hl;
    jxv__split_attr_name(layout, name, len, &s, &sl, &h, &hl);
    if (layout == JXV_LAYOUT_V1) {
        if (name[len - 1] == '\'' && name[0] != '\'')
            return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len,
                            "a name ending with a quote must start with one");
        if (h && check_name_hint_v1(h, hl, name, len, where, rep) < 0)
            return -1;
    } else if (h) {
        jxv_nodeinfo info;
        memset(&info, 0, sizeof info);
        if (jxv__parse_typeinfo_v2(h, hl, &info, where, rep) < 0)
            return -1;
    }
    if (sl == 0)
        return jxv_fail(rep, JXV_RULE_SLOT_NAME, where, name, len, "the slot name is empty");
    if (classify_slot(layout, s, sl, out, name, len, where, rep) < 0)
        return -1;
    out->hint = h;
    out->hint_len = hl;
    return 0;
}

/* ---- reference paths ------------------------------------------------------------------ */

int jxv_split_ref_path(jxv_layout layout, const char *text, size_t len,
                       int (*fn)(const char *elem, size_t elem_len, void *ud), void *ud,
                       const char *where, jxv_report *rep)
{
    const char *t = text ? text : "";
    size_t l = text ? len : 0;
    if (layout == JXV_LAYOUT_V2)
        jxv__strip(&t, &l);
    if (l == 0 || t[0] != '/')
        return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len,
                        "a reference path starts with /");
    jxv_buf el = {0};
    int count = 0;
    size_t i = 1;
    for (;;) {
        el.len = 0;
        if (el.data)
            el.data[0] = '\0';
        int in_lit = 0;
        while (i < l) {
            /* a run of characters that are not special here is copied at once */
            size_t j = i;
            if (layout == JXV_LAYOUT_V1)
                while (j < l && t[j] != '\\' && t[j] != '/')
                    j++;
            else if (!in_lit)
                while (j < l && t[j] != '/' && t[j] != '\'')
                    j++;
            else
                while (j < l && t[j] != '\\' && t[j] != '\'')
                    j++;
            if (j > i) {
                jxv__buf_add(&el, t + i, j - i);
                i = j;
                continue;
            }
            char c = t[i];
            if (layout == JXV_LAYOUT_V1) {
                if (c == '\\') {
                    if (i + 1 >= l) {
                        jxv__buf_free(&el);
                        return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len,
                                        "a reference path cannot end with a lone backslash "
                                        "(escapes are \\\\ and \\/)");
                    }
                    jxv__buf_add(&el, t + i + 1, 1);
                    i += 2;
                    continue;
                }
                if (c == '/')
                    break;
            } else {
                if (in_lit) {
                    if (c == '\\' && i + 1 < l) {
                        jxv__buf_add(&el, t + i, 2);
                        i += 2;
                        continue;
                    }
                    if (c == '\'')
                        in_lit = 0;
                } else if (c == '/') {
                    break;
                } else if (c == '\'') {
                    in_lit = 1;
                }
            }
            jxv__buf_add(&el, t + i, 1);
            i++;
        }
        if (in_lit) {
            jxv__buf_free(&el);
            return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len,
                            "unterminated string literal in a reference path element");
        }
        if (el.oom) {
            jxv__buf_free(&el);
            return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len, "out of memory");
        }
        const char *e = el.data ? el.data : "";
        size_t elen = el.len;
        if (layout == JXV_LAYOUT_V2)
            jxv__strip(&e, &elen);
        if (elen == 0) {
            jxv__buf_free(&el);
            return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len,
                            "empty element in a reference path");
        }
        count++;
        if (fn && fn(e, elen, ud) < 0) {
            jxv__buf_free(&el);
            return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len, "out of memory");
        }
        if (i >= l)
            break;
        i++; /* the separator */
    }
    jxv__buf_free(&el);
    return count;
}

/* Collects elements: every one but the last goes into the group path. */
typedef struct split_state {
    jxv_refsplit *out;
    char *pending;
    size_t pending_len;
} split_state;

static int split_cb(const char *e, size_t el, void *ud)
{
    split_state *st = ud;
    if (st->pending) {
        jxv__buf_add(&st->out->group, "/", 1);
        jxv__buf_add(&st->out->group, st->pending, st->pending_len);
        free(st->pending);
    }
    st->pending = jxv__strndup(e, el);
    st->pending_len = el;
    return (st->pending && !st->out->group.oom) ? 0 : -1;
}

int jxv__ref_resolve_split(jxv_layout layout, const char *text, size_t len, jxv_refsplit *out,
                           const char *where, jxv_report *rep)
{
    memset(out, 0, sizeof *out);
    split_state st = {out, NULL, 0};
    int n = jxv_split_ref_path(layout, text, len, split_cb, &st, where, rep);
    if (n >= 0 && st.pending) {
        jxv__buf_add(&out->last, st.pending, st.pending_len);
        /* normalise the group path like the tracker and the checker key their groups */
        char *g = jxv__join_path(out->group.data ? out->group.data : "/", NULL, 0);
        if (g) {
            jxv__buf_free(&out->group);
            jxv__buf_adds(&out->group, g);
            free(g);
        } else {
            out->group.oom = 1;
        }
    }
    free(st.pending);
    out->count = n;
    if (n < 0) {
        jxv__refsplit_free(out);
        return -1;
    }
    if (out->group.oom || out->last.oom) {
        jxv__refsplit_free(out);
        return jxv_fail(rep, JXV_RULE_REF_PATH, where, text, len, "out of memory");
    }
    return n;
}

void jxv__refsplit_free(jxv_refsplit *r)
{
    jxv__buf_free(&r->group);
    jxv__buf_free(&r->last);
}
