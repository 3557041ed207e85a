/* Dict keys equal by value (rule duplicate-slot): the value keys of layout/jxv_values.c, and
 * the checker's key pass (layout/jxv_keys.c) on files written by the C fixture. Each case
 * is what jaxon.load does with the same file (the loader builds a Python dict: a key equal
 * to one already in it is refused); tests/python/test_layout_agreement.py checks both. */
#include "fixture.h"
#include "jxv_internal.h"
#include "vtest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- value keys ----------------------------------------------------------------------- */

/* A value key as a NUL-terminated string, or "-" when there is none (compared by identity);
 * four static buffers in turn, so that two results can be compared. */
static const char *shown(jxv_buf *b, int has)
{
    static char out[4][512];
    static unsigned next;
    char *o = out[next++ % 4];
    snprintf(o, sizeof out[0], "%.*s", has ? (int)b->len : 1, has ? b->data : "-");
    jxv__buf_free(b);
    return o;
}

static const char *vk(jxv_layout layout, const char *text)
{
    jxv_buf b = {0};
    int has = jxv__vkey_atom(layout, text, strlen(text), &b);
    return shown(&b, has);
}

static const char *vk_float(long double x, int is_long_double)
{
    jxv_buf b = {0};
    int has = jxv__vkey_float(&b, x, is_long_double);
    return shown(&b, has);
}

static void value_keys_should_make_equal_numbers_one_key(void)
{
    static const char *const v1[] = {"int(1)", "float(1.0)", "bool(True)", "complex(1+0j)",
                                     "complex(1-0j)"};
    static const char *const v2[] = {"1", "1.0", "True", "1+0j", " 1 "};
    for (size_t i = 0; i < 5; i++) {
        ASSERT_STREQ(vk(JXV_LAYOUT_V1, v1[i]), "I1");
        ASSERT_STREQ(vk(JXV_LAYOUT_V2, v2[i]), "I1");
    }
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "float(-0.0)"), "I0");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "bool(False)"), "I0");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "complex(-0-0j)"), "I0");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "float(0.5)"), vk(JXV_LAYOUT_V1, "complex(0.5+0j)"));
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "complex(1+2j)"), vk(JXV_LAYOUT_V2, "1+2j"));
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "float(inf)"), vk_float(INFINITY, 0));
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "-inf"), vk_float(-INFINITY, 1));
}

static void value_keys_should_compare_floats_with_big_ints_exactly(void)
{
    /* 2**53 + 1 has no double: float(2**53 + 1) is 2**53 */
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "int(9007199254740993)"), "I9007199254740993");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "float(9007199254740992.0)"), "I9007199254740992");
    /* 2**70 is a double; 1e22 is too, 1e23 is not an integer's exact decimal */
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "float(1.1805916207174113e+21)"),
                 vk(JXV_LAYOUT_V1, "int(1180591620717411303424)"));
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "1e+22"), "I10000000000000000000000");
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "1e+23"), "I99999999999999991611392");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "int(-0)"), "I0");
}

static void value_keys_should_give_a_float32_its_exact_double(void)
{
    ASSERT_STREQ(vk_float(0.5f, 0), vk(JXV_LAYOUT_V2, "0.5"));
    /* float32(0.1) is 0.100000001490116…, not the double 0.1 */
    ASSERT_TRUE(strcmp(vk_float(0.1f, 0), vk(JXV_LAYOUT_V2, "0.1")) != 0);
    ASSERT_STREQ(vk_float((double)0.1f, 0), vk(JXV_LAYOUT_V2, "0.10000000149011612"));
}

static void value_keys_should_have_none_for_nan(void)
{
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "float(nan)"), "-");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "complex(nan+1j)"), "-");
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "1+nanj"), "-");
    ASSERT_STREQ(vk_float(NAN, 1), "-");
}

static void value_keys_should_keep_a_long_double_no_double_equals_apart(void)
{
#if LDBL_MANT_DIG > DBL_MANT_DIG
    long double big = 9223372036854775808.0L + 1; /* 2**63 + 1: no double */
    /* NumPy hashes it as the double 2**63, so int 2**63 + 1 is another dict key */
    ASSERT_TRUE(strcmp(vk_float(big, 1), vk(JXV_LAYOUT_V1, "int(9223372036854775809)")) != 0);
    ASSERT_TRUE(strcmp(vk_float(big, 1), vk_float(9223372036854775808.0L, 1)) != 0);
    ASSERT_STREQ(vk_float(big, 1), "LI9223372036854775809");
    long double frac = 1 + ldexpl(1, -60);
    ASSERT_TRUE(strcmp(vk_float(frac, 1), vk_float(1, 0)) != 0);
#endif
    /* a long double a double equals is that number */
    ASSERT_STREQ(vk_float(3.0L, 1), "I3");
    ASSERT_STREQ(vk_float(0.5L, 1), vk(JXV_LAYOUT_V1, "float(0.5)"));
}

static void value_keys_should_compare_ranges_as_python_does(void)
{
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "range(0,0)"), vk(JXV_LAYOUT_V1, "range(5,3)"));
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "range(0,3,2)"), vk(JXV_LAYOUT_V1, "range(0,4,2)"));
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "range(0,1)"), vk(JXV_LAYOUT_V2, "range(0,5,7)"));
    ASSERT_TRUE(strcmp(vk(JXV_LAYOUT_V1, "range(0,3)"), vk(JXV_LAYOUT_V1, "range(0,4)")) != 0);
    ASSERT_TRUE(strcmp(vk(JXV_LAYOUT_V1, "range(1,1)"), vk(JXV_LAYOUT_V1, "range(1,2)")) != 0);
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "range(0,99999999999999999999)"), "-");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "slice(1,None,None)"), "-");
}

static void value_keys_should_decode_strings_per_layout(void)
{
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "'a\\'b'"), "Sa\\'b"); /* v1: raw between the quotes */
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "'a\\'b'"), "Sa'b");
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "'a\\\\b'"), "Sa\\b");
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "  'ab' "), "Sab");
    ASSERT_STREQ(vk(JXV_LAYOUT_V1, "None"), "N");
    ASSERT_STREQ(vk(JXV_LAYOUT_V2, "Ellipsis"), "E");
}

/* ---- the checker ---------------------------------------------------------------------- */

typedef void (*writer_fn)(hid_t file);

static int check(const char *name, writer_fn fn, jxv_report *rep)
{
    char path[1024];
    fx_path(name, path, sizeof path);
    hid_t f = fx_create(path);
    fn(f);
    fx_close(f);
    return fx_check(path, rep, NULL);
}

#define CHECK_DUPLICATE(fn)                                                                    \
    do {                                                                                       \
        jxv_report rep;                                                                        \
        jxv_report_init(&rep);                                                                 \
        ASSERT_EQ_INT(check(#fn, fn, &rep), 0);                                                \
        ASSERT_ONLY_RULE(&rep, JXV_RULE_DUPLICATE_SLOT);                                       \
        jxv_report_clear(&rep);                                                                \
    } while (0)

#define CHECK_CLEAN(fn)                                                                        \
    do {                                                                                       \
        jxv_report rep;                                                                        \
        jxv_report_init(&rep);                                                                 \
        ASSERT_EQ_INT(check(#fn, fn, &rep), 0);                                                \
        ASSERT_CLEAN(&rep);                                                                    \
        jxv_report_clear(&rep);                                                                \
    } while (0)

/* A v1 dict at the root: g is its group. */
#define V1_DICT(body)                                                                          \
    hid_t g = fx_group(f, "JAXON_ROOT");                                                       \
    body;                                                                                      \
    fx_close(g);                                                                               \
    fx_text(f, "JAXON_ROOT", "dict")

/* A v2 dict at the root. */
#define V2_DICT(body)                                                                          \
    fx_text(f, "JAXON_VERSION", "2.1.0");                                                      \
    hid_t g = fx_group(f, "JAXON_ROOT");                                                       \
    body;                                                                                      \
    fx_close(g);                                                                               \
    fx_E(f, "JAXON_ROOT:dict")

/* a tuple key(i) of the given element texts */
static void v1_tuple_key(hid_t g, const char *slot, const char *e0, const char *e1)
{
    hid_t t = fx_group(g, slot);
    fx_text(t, "0", e0);
    if (e1)
        fx_text(t, "1", e1);
    fx_close(t);
    fx_text(g, slot, "tuple");
}

static void numpy_int64_key_equal_to_an_int_slot(hid_t f)
{
    V1_DICT(fx_text(g, "int(1)", "None"); fx_i64(g, "key(1)", 1); fx_text(g, "value(1)", "None"));
}
static void numpy_bool_key_equal_to_a_float_slot(hid_t f)
{
    V1_DICT(fx_text(g, "float(1.0)", "None"); fx_bool(g, "key(1)", 1);
            fx_text(g, "value(1)", "None"));
}
static void complex_key_equal_to_a_float_slot(hid_t f)
{
    V1_DICT(fx_text(g, "float(-2.5)", "None"); fx_c128(g, "key(1)", -2.5, -0.0);
            fx_text(g, "value(1)", "None"));
}
static void float32_key_equal_to_an_earlier_float32_key(hid_t f)
{
    V1_DICT(fx_f32(g, "key(0)", 0.1f); fx_text(g, "value(0)", "None"); fx_f32(g, "key(1)", 0.1f);
            fx_text(g, "value(1)", "None"));
}
static void float32_key_beside_the_double_of_its_decimal(hid_t f)
{
    V1_DICT(fx_text(g, "float(0.1)", "None"); fx_f32(g, "key(1)", 0.1f);
            fx_text(g, "value(1)", "None"));
}
static void long_double_key_beside_the_int_of_its_value(hid_t f)
{
    long double v = 9223372036854775808.0L + 1;
    V1_DICT(fx_text(g, "int(9223372036854775809)", "None");
            fx_scalar(g, "key(1)", H5T_NATIVE_LDOUBLE, &v); fx_text(g, "value(1)", "None"));
}
static void long_double_keys_of_one_value(hid_t f)
{
    long double v = 9223372036854775808.0L + 1;
    V1_DICT(fx_scalar(g, "key(0)", H5T_NATIVE_LDOUBLE, &v); fx_text(g, "value(0)", "None");
            fx_scalar(g, "key(1)", H5T_NATIVE_LDOUBLE, &v); fx_text(g, "value(1)", "None"));
}
static void half_key_equal_to_a_float_slot(hid_t f)
{
    unsigned short h = 0x3800; /* float16 0.5 */
    V1_DICT(fx_text(g, "float(0.5)", "None"); fx_scalar(g, "key(1)", H5T_IEEE_F16LE, &h);
            fx_text(g, "value(1)", "None"));
}
static void tuple_keys_equal_element_by_element(hid_t f)
{
    V1_DICT(v1_tuple_key(g, "key(0)", "int(1)", "'a'"); fx_text(g, "value(0)", "None");
            v1_tuple_key(g, "key(1)", "bool(True)", "'a'"); fx_text(g, "value(1)", "None"));
}
static void tuple_keys_in_another_order(hid_t f)
{
    V1_DICT(v1_tuple_key(g, "key(0)", "int(1)", "int(2)"); fx_text(g, "value(0)", "None");
            v1_tuple_key(g, "key(1)", "int(2)", "int(1)"); fx_text(g, "value(1)", "None"));
}
static void frozenset_keys_with_the_same_elements(hid_t f)
{
    hid_t a = fx_group(f, "JAXON_ROOT"); /* {1, 2} and {2, 1.0, True}: one set */
    hid_t s0 = fx_group(a, "key(0)"), s1 = fx_group(a, "key(1)");
    fx_text(s0, "0", "int(1)");
    fx_text(s0, "1", "int(2)");
    fx_text(s1, "0", "int(2)");
    fx_text(s1, "1", "float(1.0)");
    fx_text(s1, "2", "bool(True)");
    fx_close(s0);
    fx_close(s1);
    fx_text(a, "key(0)", "frozenset");
    fx_text(a, "value(0)", "None");
    fx_text(a, "key(1)", "frozenset");
    fx_text(a, "value(1)", "None");
    fx_close(a);
    fx_text(f, "JAXON_ROOT", "dict");
}
static void reference_to_a_string_equal_to_a_slot(hid_t f)
{
    V1_DICT(fx_text(g, "'s'", "'a'"); fx_text(g, "'a'", "None");
            fx_text(g, "key(2):ref", "/JAXON_ROOT/'s'"); fx_text(g, "value(2)", "None"));
}
static void bytes_keys_with_the_same_bytes(hid_t f)
{
    static const unsigned char ab[2] = {'a', 'b'};
    V1_DICT(fx_u8vec(g, "key(0):bytes", ab, 2); fx_text(g, "value(0)", "None");
            fx_u8vec(g, "key(1):bytes", ab, 2); fx_text(g, "value(1)", "None"));
}
static void bytes_key_beside_the_string_of_its_text(hid_t f)
{
    static const unsigned char ab[2] = {'a', 'b'};
    V1_DICT(fx_text(g, "'ab'", "None"); fx_u8vec(g, "key(1):bytes", ab, 2);
            fx_text(g, "value(1)", "None"));
}
static void nan_keys_of_two_nodes(hid_t f)
{
    V1_DICT(fx_text(g, "float(nan)", "None"); fx_f64(g, "key(1)", NAN);
            fx_text(g, "value(1)", "None"); fx_f64(g, "key(2)", NAN);
            fx_text(g, "value(2)", "None"));
}
static void v2_references_to_one_nan_node(hid_t f)
{
    V2_DICT(fx_f64(g, "'t'", NAN); fx_text(g, "key(1)", "/JAXON_ROOT/'t'");
            fx_text(g, "value(1)", "None"); fx_text(g, "key(2)", "/JAXON_ROOT/'t'");
            fx_text(g, "value(2)", "None"));
}
static void v2_tuples_holding_one_nan_node(hid_t f)
{
    /* (x,) and (x,) with the same NaN object x: equal tuples (identity comes first) */
    fx_text(f, "JAXON_VERSION", "2.1.0");
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_f64(g, "'t'", NAN);
    for (int i = 1; i <= 2; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "key(%d)", i);
        snprintf(v, sizeof v, "value(%d)", i);
        hid_t t = fx_group(g, k);
        fx_text(t, "0", "/JAXON_ROOT/'t'");
        fx_close(t);
        snprintf(k, sizeof k, "key(%d):tuple", i);
        fx_E(g, k);
        fx_text(g, v, "None");
    }
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}
static void v2_reference_to_a_numpy_scalar_equal_to_a_slot(hid_t f)
{
    V2_DICT(fx_i64(g, "'t'", 3); fx_text(g, "3.0", "None");
            fx_text(g, "key(2)", "/JAXON_ROOT/'t'"); fx_text(g, "value(2)", "None"));
}
static void v2_bytes_equal_to_numpy_bytes(hid_t f)
{
    /* numpy.bytes_ drops trailing NULs: b"ab\0" is b"ab" */
    V2_DICT(fx_dset_opaque(g, "key(0)", "ab", 2); fx_E(g, "key(0):bytes");
            fx_text(g, "value(0)", "None"); fx_dset_str(g, "key(1)", "ab", 0);
            fx_E(g, "key(1):numpy.bytes_"); fx_text(g, "value(1)", "None"));
}
static void v2_numpy_str_equal_to_a_string_slot(hid_t f)
{
    V2_DICT(fx_text(g, "'zz'", "None"); fx_dset_str(g, "key(1)", "zz", 1);
            fx_E(g, "key(1):numpy.str_"); fx_text(g, "value(1)", "None"));
}
static void empty_tuple_beside_an_empty_frozenset(hid_t f)
{
    V1_DICT(hid_t t = fx_group(g, "key(0)"); fx_close(t); fx_text(g, "key(0)", "tuple");
            fx_text(g, "value(0)", "None"); hid_t s = fx_group(g, "key(1)"); fx_close(s);
            fx_text(g, "key(1)", "frozenset"); fx_text(g, "value(1)", "None"));
}
static void empty_frozensets(hid_t f)
{
    V1_DICT(hid_t t = fx_group(g, "key(0)"); fx_close(t); fx_text(g, "key(0)", "frozenset");
            fx_text(g, "value(0)", "None"); hid_t s = fx_group(g, "key(1)"); fx_close(s);
            fx_text(g, "key(1)", "frozenset"); fx_text(g, "value(1)", "None"));
}
static void simple_slots_float_and_complex(hid_t f)
{
    V1_DICT(fx_text(g, "float(0.5)", "None"); fx_text(g, "complex(0.5+0j)", "None"));
}
static void simple_slots_empty_ranges(hid_t f)
{
    V1_DICT(fx_text(g, "range(0,0)", "None"); fx_text(g, "range(5,3)", "None"));
}

static void checker_should_refuse_dict_keys_equal_by_value(void)
{
    CHECK_DUPLICATE(numpy_int64_key_equal_to_an_int_slot);
    CHECK_DUPLICATE(numpy_bool_key_equal_to_a_float_slot);
    CHECK_DUPLICATE(complex_key_equal_to_a_float_slot);
    CHECK_DUPLICATE(float32_key_equal_to_an_earlier_float32_key);
    CHECK_DUPLICATE(long_double_keys_of_one_value);
    CHECK_DUPLICATE(half_key_equal_to_a_float_slot);
    CHECK_DUPLICATE(tuple_keys_equal_element_by_element);
    CHECK_DUPLICATE(frozenset_keys_with_the_same_elements);
    CHECK_DUPLICATE(reference_to_a_string_equal_to_a_slot);
    CHECK_DUPLICATE(bytes_keys_with_the_same_bytes);
    CHECK_DUPLICATE(v2_references_to_one_nan_node);
    CHECK_DUPLICATE(v2_tuples_holding_one_nan_node);
    CHECK_DUPLICATE(v2_reference_to_a_numpy_scalar_equal_to_a_slot);
    CHECK_DUPLICATE(v2_bytes_equal_to_numpy_bytes);
    CHECK_DUPLICATE(v2_numpy_str_equal_to_a_string_slot);
    CHECK_DUPLICATE(simple_slots_float_and_complex);
    CHECK_DUPLICATE(simple_slots_empty_ranges);
    CHECK_DUPLICATE(empty_frozensets);
}

static void checker_should_accept_keys_python_keeps_apart(void)
{
    CHECK_CLEAN(float32_key_beside_the_double_of_its_decimal);
    CHECK_CLEAN(long_double_key_beside_the_int_of_its_value);
    CHECK_CLEAN(tuple_keys_in_another_order);
    CHECK_CLEAN(bytes_key_beside_the_string_of_its_text);
    CHECK_CLEAN(nan_keys_of_two_nodes);
    CHECK_CLEAN(empty_tuple_beside_an_empty_frozenset);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    RUN(value_keys_should_make_equal_numbers_one_key);
    RUN(value_keys_should_compare_floats_with_big_ints_exactly);
    RUN(value_keys_should_give_a_float32_its_exact_double);
    RUN(value_keys_should_have_none_for_nan);
    RUN(value_keys_should_keep_a_long_double_no_double_equals_apart);
    RUN(value_keys_should_compare_ranges_as_python_does);
    RUN(value_keys_should_decode_strings_per_layout);
    RUN(checker_should_refuse_dict_keys_equal_by_value);
    RUN(checker_should_accept_keys_python_keeps_apart);
    return test_summary();
}
