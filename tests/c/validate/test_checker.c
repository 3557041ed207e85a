/* The whole-file checker on files written at test time by the C fixture writer: the worked
 * examples of the spec (§7 v1.2.0, §8 v2.0.0) must be clean, and every broken file (each
 * broken in exactly one way) must give exactly one violation of the rule it breaks. */
#include "fixture.h"
#include "jxv.h"
#include "vtest.h"

#include <jaxon/validate.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------------------- */

typedef void (*writer_fn)(hid_t file);

static char path_buf[1024];

/* Writes a fixture with fn and checks it; the report is left in *rep. */
static int use_v18 = 0; /* fx_create_v18 for the next write_and_check */

static int write_and_check(const char *name, writer_fn fn, jxv_report *rep,
                           jxv_check_stats *st)
{
    const char *path = fx_path(name, path_buf, sizeof path_buf);
    hid_t f = use_v18 ? fx_create_v18(path) : fx_create(path);
    fn(f);
    fx_close(f);
    return fx_check(path, rep, st);
}

#define CHECK_CLEAN(fn, expect_nodes)                                                          \
    do {                                                                                       \
        jxv_report rep;                                                                        \
        jxv_check_stats st;                                                                    \
        jxv_report_init(&rep);                                                                 \
        ASSERT_EQ_INT(write_and_check(#fn, fn, &rep, &st), 0);                                 \
        ASSERT_CLEAN(&rep);                                                                    \
        ASSERT_EQ_INT(st.nodes, expect_nodes);                                                 \
        jxv_report_clear(&rep);                                                                \
    } while (0)

#define CHECK_BROKEN(fn, rule_)                                                                \
    do {                                                                                       \
        jxv_report rep;                                                                        \
        jxv_report_init(&rep);                                                                 \
        ASSERT_EQ_INT(write_and_check(#fn, fn, &rep, NULL), 0);                                \
        ASSERT_ONLY_RULE(&rep, rule_);                                                         \
        jxv_report_clear(&rep);                                                                \
    } while (0)

/* ---- valid v1.2.0 files (spec §7) ----------------------------------------------------- */

static void v1_e1(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "'a'", "int(1)");
    fx_text(g, "'b'", "'x'");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_e2(hid_t f)
{
    static const char *const items[] = {"None", "Ellipsis", "bool(True)", "float(2.5)",
                                        "complex(1+2j)", "complex(2j)", "range(0,3)",
                                        "slice(1,None,None)"};
    hid_t g = fx_group(f, "JAXON_ROOT");
    for (int i = 0; i < 8; i++) {
        char n[8];
        snprintf(n, sizeof n, "%d", i);
        fx_text(g, n, items[i]);
    }
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}

static void v1_e3_e4(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_i64(g, "'i'", 3);
    fx_f64(g, "'f'", 0.5);
    fx_bool(g, "'b'", 0);
    fx_c128(g, "'c'", 0, 1);
    fx_f32(g, "'x'", 1.5f);
    long long arr[3] = {0, 1, 2};
    fx_i64vec(g, "'arr':numpy.ndarray", arr, 3);
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_e5(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_u8vec(g, "0:bytes", (const unsigned char *)"ab", 3);
    fx_u8vec(g, "1:bytearray", NULL, 0);
    fx_u8vec(g, "2:memoryview", (const unsigned char *)"z", 1);
    double v[2] = {1, 2};
    fx_f64vec(g, "3:jax.Array", v, 2);
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "tuple");
}

static void v1_e6(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    long long a[2] = {0, 1};
    fx_i64vec(g, "'a':numpy.ndarray", a, 2);
    hid_t b = fx_group(g, "'b'");
    fx_text(b, "0:ref", "/JAXON_ROOT/'a':numpy.ndarray");
    fx_text(b, "1", "'shared'");
    fx_text(b, "2:ref", "/JAXON_ROOT/'b'/1");
    fx_close(b);
    fx_text(g, "'b'", "list");
    fx_text(g, "'c':ref", "/JAXON_ROOT/'b'/1");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_e7(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "int(1)", "'one'");
    hid_t k = fx_group(g, "key(1)");
    fx_text(k, "0", "int(1)");
    fx_text(k, "1", "int(2)");
    fx_close(k);
    fx_text(g, "key(1)", "tuple");
    hid_t v = fx_group(g, "value(1)");
    fx_text(v, "0", "int(3)");
    fx_close(v);
    fx_text(g, "value(1)", "list");
    fx_textn(g, "key(2)", "'k\0'", 4);
    fx_text(g, "value(2)", "None");
    fx_u8vec(g, "float(2.5):bytes", (const unsigned char *)"x", 1);
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_e8(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    hid_t p = fx_group(g, "'p'");
    fx_text(p, "'x'", "int(1)");
    hid_t y = fx_group(p, "'y'");
    fx_text(y, "0", "int(2)");
    fx_close(y);
    fx_text(p, "'y'", "list");
    fx_close(p);
    fx_text(g, "'p'", "dict#m.P");
    hid_t c = fx_group(g, "'c'");
    fx_text(c, "'v'", "int(5)");
    fx_close(c);
    fx_text(g, "'c'", "dict#m.C");
    fx_u8vec(g, "'k':!m.K", (const unsigned char *)"dill", 4);
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_e9(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "'a'", "numpy.ndarray");
    double z[2] = {0, 0};
    fx_dset_f64(g, "'a'", z, 2);
    fx_text(g, "'r':ref", "/JAXON_ROOT/'a'");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_e10_e11(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    hid_t xy = fx_group(g, "'x/y'");
    fx_text(xy, "'z'", "int(1)");
    fx_close(xy);
    fx_text(g, "'x/y'", "dict");
    hid_t q = fx_group(g, "'q'");
    fx_text(q, "0", "int(7)");
    fx_close(q);
    fx_text(g, "'q'", "list");
    hid_t k = fx_group(g, "'k/1'");
    fx_text(k, "'x'", "'it's a/b\\c'");
    fx_close(k);
    fx_text(g, "'k/1'", "dict");
    fx_text(g, "'r':ref", "/JAXON_ROOT/'k\\/1'/'x'");
    double d[1] = {1};
    fx_text(g, "'d/e'", "numpy.ndarray"); /* storage hint under a slash key */
    fx_dset_f64(g, "'d/e'", d, 1);
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
}

static void v1_jaxon_dtype(hid_t f)
{
    /* our saver's extension: an exact jax dtype named on the jax.Array dataset */
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "0", "jax.Array");
    float v[2] = {1, 2};
    fx_dset_f32(g, "0", v, 2);
    hid_t d = H5Dopen2(g, "0", H5P_DEFAULT);
    fx_text(d, "JAXON_DTYPE", "bfloat16");
    H5Dclose(d);
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}

static void v1_padded_list(hid_t f)
{
    /* our writer's answer to spec §11: > 65,535 items, untracked group, zero-padded names */
    hid_t g = fx_group_untracked(f, "JAXON_ROOT");
    char name[16];
    for (int i = 0; i < 65537; i++) {
        snprintf(name, sizeof name, "%05d", i);
        fx_text(g, name, "None");
    }
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}

static void v1_e12_scalar(hid_t f) { fx_text(f, "JAXON_ROOT", "int(42)"); }

static void v1_e12_array(hid_t f)
{
    long long a[2] = {0, 1};
    fx_i64vec(f, "JAXON_ROOT:numpy.ndarray", a, 2);
}

static void v1_e12_empty(hid_t f)
{
    fx_close(fx_group(f, "JAXON_ROOT"));
    fx_text(f, "JAXON_ROOT", "dict");
}

static void checker_should_accept_the_v1_worked_examples(void)
{
    CHECK_CLEAN(v1_e1, 3);
    CHECK_CLEAN(v1_e2, 9);
    CHECK_CLEAN(v1_e3_e4, 7);
    CHECK_CLEAN(v1_e5, 5);
    CHECK_CLEAN(v1_e6, 7);
    CHECK_CLEAN(v1_e7, 10);
    CHECK_CLEAN(v1_e8, 8);
    CHECK_CLEAN(v1_e9, 3);
    CHECK_CLEAN(v1_e10_e11, 9);
    CHECK_CLEAN(v1_jaxon_dtype, 2);
    CHECK_CLEAN(v1_e12_scalar, 1);
    CHECK_CLEAN(v1_e12_array, 1);
    CHECK_CLEAN(v1_e12_empty, 1);
}

/* ---- valid v2.0.0 files (spec §8) ----------------------------------------------------- */

static hid_t v2_root(hid_t f)
{
    fx_text(f, "JAXON_VERSION", "2.0.0");
    return fx_group(f, "JAXON_ROOT");
}

static void v2_e1_e2(hid_t f)
{
    static const char *const items[] = {"None", "Ellipsis", "True", "2.5", "1+2j", "2j",
                                        "range(0,3)", "nan", "-0.0", "100000000000000000000"};
    hid_t g = v2_root(f);
    hid_t d = fx_group(g, "'d'");
    fx_text(d, "'a'", "1");
    fx_text(d, "'b'", "'x'");
    fx_close(d);
    fx_E(g, "'d':dict");
    hid_t l = fx_group(g, "'l'");
    for (int i = 0; i < 10; i++) {
        char n[8];
        snprintf(n, sizeof n, "%d", i);
        fx_text(l, n, items[i]);
    }
    fx_close(l);
    fx_E(g, "'l':list");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}

static void v2_e3_e4(hid_t f)
{
    hid_t g = v2_root(f);
    fx_i64(g, "'i'", 3);
    fx_bool(g, "'b'", 0);
    fx_c128(g, "'c'", 0, 1);
    fx_text(g, "'big'", "1180591620717411303424");
    fx_dset_str(g, "'s'", "h\xC3\xA9", 1);
    fx_E(g, "'s':numpy.str_");
    fx_dset_str(g, "'by'", "ab", 0);
    fx_E(g, "'by':numpy.bytes_");
    fx_dset_opaque(g, "'v'", "\x01\x02", 2);
    fx_E(g, "'v':numpy.void");
    hid_t s1 = H5Tcopy(H5T_C_S1);
    H5Tset_cset(s1, H5T_CSET_UTF8);
    fx_dset_null(g, "'e'", s1);
    fx_E(g, "'e':numpy.str_");
    H5Tclose(s1);
    fx_dset_null(g, "'ev'", H5T_IEEE_F64LE);
    fx_E(g, "'ev':numpy.void");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}

static void v2_e5(hid_t f)
{
    hid_t g = v2_root(f);
    fx_dset_opaque(g, "0", "ab\0", 3);
    fx_E(g, "0:bytes");
    fx_dset_null(g, "1", H5T_IEEE_F64LE); /* empty bytearray: float64 NULL (bug B2-9) */
    fx_E(g, "1:bytearray");
    float v[2] = {1, 2};
    fx_dset_f32(g, "2", v, 2);
    fx_E(g, "2:jax.Array[bfloat16]");
    fx_dset_i64_scalar(g, "3", 7);
    fx_E(g, "3:numpy.ndarray");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:tuple");
}

static void v2_e6(hid_t f)
{
    hid_t g = v2_root(f);
    double a[2] = {0, 1};
    fx_dset_f64(g, "'a'", a, 2);
    fx_E(g, "'a':numpy.ndarray");
    hid_t b = fx_group(g, "'b'");
    fx_text(b, "0", "/JAXON_ROOT/'a'");
    fx_text(b, "1", "'a fairly long string'");
    fx_text(b, "2", "/JAXON_ROOT/'b'/1");
    fx_text(b, "3", "'short'");
    fx_text(b, "4", "'short'");
    fx_close(b);
    fx_E(g, "'b':list");
    fx_text(g, "'c'", "/JAXON_ROOT/'b'/1");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}

static void v2_e7_e8(hid_t f)
{
    hid_t g = v2_root(f);
    fx_text(g, "1", "'one'");
    hid_t k = fx_group(g, "key(1)");
    fx_text(k, "0", "1");
    fx_text(k, "1", "2");
    fx_close(k);
    fx_E(g, "key(1):tuple");
    hid_t v = fx_group(g, "value(1)");
    fx_text(v, "0", "3");
    fx_close(v);
    fx_E(g, "value(1):list");
    fx_textn(g, "key(2)", "'k\0'", 4);
    fx_text(g, "value(2)", "None");
    fx_dset_opaque(g, "2.5", "x", 1);
    fx_E(g, "2.5:bytes");
    fx_text(g, "key(4)", "'a very long key string'");
    fx_text(g, "value(4)", "0");
    fx_text(g, "key(5)", "range(0,2)");
    fx_text(g, "value(5)", "1");
    hid_t p = fx_group(g, "'p'");
    fx_text(p, "'x'", "1");
    fx_close(p);
    fx_E(g, "'p':dict#dclass[m.P]");
    fx_dset_opaque(g, "'k'", "dill", 4);
    fx_E(g, "'k':bytes#dill");
    fx_text(g, "'m'", "5");
    fx_close(g);
    /* the custom marshaler form N:#tag on a text value */
    fx_E(f, "JAXON_ROOT:dict");
}

static void v2_e9_e10_e11(hid_t f)
{
    hid_t g = v2_root(f);
    fx_text(g, "'it\\'s'", "'a\\\\b\\'c'");
    hid_t l = fx_group(g, "'l\\'s'");
    fx_text(l, "0", "'it\\'s a/b\\\\c and long'");
    fx_close(l);
    fx_E(g, "'l\\'s':list");
    fx_text(g, "'k/1'", "/JAXON_ROOT/'l\\'s'/0");
    hid_t xy = fx_group(g, "'x/y'"); /* readable by path lookup (bug B2-1) */
    fx_text(xy, "0", "1");
    fx_close(xy);
    fx_E(g, "'x/y':list");
    fx_text(g, " 'w' ", " 5 "); /* whitespace is stripped by v2 readers */
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}

static void v2_e12_scalar(hid_t f)
{
    fx_text(f, "JAXON_VERSION", "2.0.0");
    fx_text(f, "JAXON_ROOT", "42");
}

static void v2_e12_str(hid_t f)
{
    fx_text(f, "JAXON_VERSION", "2.0.0");
    hid_t s1 = H5Tcopy(H5T_C_S1);
    H5Tset_cset(s1, H5T_CSET_UTF8);
    fx_dset_null(f, "JAXON_ROOT", s1);
    H5Tclose(s1);
    fx_E(f, "JAXON_ROOT:numpy.str_");
}

static void checker_should_accept_zero_padded_lists_beyond_65535_items(void)
{
    use_v18 = 1;
    CHECK_CLEAN(v1_padded_list, 65538);
    use_v18 = 0;
}

static void checker_should_accept_the_v2_worked_examples(void)
{
    CHECK_CLEAN(v2_e1_e2, 15);
    CHECK_CLEAN(v2_e3_e4, 10);
    CHECK_CLEAN(v2_e5, 5);
    CHECK_CLEAN(v2_e6, 9);
    CHECK_CLEAN(v2_e7_e8, 18);
    CHECK_CLEAN(v2_e9_e10_e11, 8);
    CHECK_CLEAN(v2_e12_scalar, 1);
    CHECK_CLEAN(v2_e12_str, 1);
}

static void checker_should_report_the_v2_version_and_layout(void)
{
    jxv_report rep;
    jxv_check_stats st;
    jxv_report_init(&rep);
    ASSERT_EQ_INT(write_and_check("v2_version", v2_e12_scalar, &rep, &st), 0);
    ASSERT_EQ_INT(st.layout, JXV_LAYOUT_V2);
    ASSERT_STREQ(st.version, "2.0.0");
    ASSERT_TRUE(st.is_jaxon);
    jxv_report_clear(&rep);
    ASSERT_EQ_INT(write_and_check("v1_version", v1_e1, &rep, &st), 0);
    ASSERT_EQ_INT(st.layout, JXV_LAYOUT_V1);
    ASSERT_STREQ(st.version, "1.2.0");
    jxv_report_clear(&rep);
}

/* ---- broken files: exactly one violation each ----------------------------------------- */

static void br_no_root(hid_t f) { (void)f; }

static void br_two_roots(hid_t f)
{
    fx_text(f, "JAXON_ROOT", "int(1)");
    long long a[1] = {1};
    fx_i64vec(f, "JAXON_ROOT:numpy.ndarray", a, 1);
}

/* A v1 dict root whose single child is given by the caller. */
#define V1_DICT_WITH(body)                                                                     \
    hid_t g = fx_group(f, "JAXON_ROOT");                                                       \
    body;                                                                                      \
    fx_close(g);                                                                               \
    fx_text(f, "JAXON_ROOT", "dict")

static void br_slot_name(hid_t f) { V1_DICT_WITH(fx_text(g, "abc", "None")); }
static void br_type_tag(hid_t f) { V1_DICT_WITH(fx_text(g, "'a'", "dictt")); }
static void br_value_type(hid_t f)
{
    double v[3] = {1, 2, 3};
    V1_DICT_WITH(fx_f64vec(g, "'a'", v, 3));
}
static void br_vlen_text(hid_t f) { V1_DICT_WITH(fx_vlen_text(g, "'a'", "int(1)")); }
/* An ASCII text of 8 bytes between two int64 numbers: the checker's datatype memo finds
 * entries by data size and character set, and all three have 8 bytes and ASCII; only the
 * text may be reported. */
static void ascii_text8(hid_t g, const char *name)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, 8);
    hid_t a = H5Acreate2(g, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, "int(123)") < 0)
        abort();
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}
static void br_value_type_among_same_size_numbers(hid_t f)
{
    V1_DICT_WITH(fx_i64(g, "'m'", 1); ascii_text8(g, "'s'"); fx_i64(g, "'n'", 2));
}
static void br_atom_text(hid_t f) { V1_DICT_WITH(fx_text(g, "'a'", "complex()")); }
static void br_key_value(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "key(0)", "'k'"); fx_text(g, "'b'", "None"));
}
static void br_open_key(hid_t f) { V1_DICT_WITH(fx_text(g, "key(0)", "'k'")); }
static void br_ref_path(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "'s'", "'x'"); fx_text(g, "'r':ref", "JAXON_ROOT/'s'"));
}
static void br_ref_target(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "'s'", "'x'"); fx_text(g, "'r':ref", "/JAXON_ROOT/'zz'"));
}
static void br_ref_to_ref(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "'s'", "'x'"); fx_text(g, "'r':ref", "/JAXON_ROOT/'s'");
                 fx_text(g, "'q':ref", "/JAXON_ROOT/'r':ref"));
}
static void br_ref_cycle(hid_t f)
{
    V1_DICT_WITH(hid_t l = fx_group(g, "'l'"); fx_text(l, "0:ref", "/JAXON_ROOT/'l'");
                 fx_close(l); fx_text(g, "'l'", "list"));
}
static void br_container_group(hid_t f) { V1_DICT_WITH(fx_text(g, "'a'", "list")); }
static void br_missing_dataset(hid_t f) { V1_DICT_WITH(fx_text(g, "'a'", "numpy.ndarray")); }
static void br_dataset_type(hid_t f)
{
    double v[2] = {1, 2};
    V1_DICT_WITH(fx_text(g, "'a'", "bytes"); fx_dset_f64(g, "'a'", v, 2));
}
static void br_stray_dataset(hid_t f)
{
    double v[2] = {1, 2};
    V1_DICT_WITH(fx_text(g, "'a'", "None"); fx_dset_f64(g, "'z'", v, 2));
}
static void br_stray_group(hid_t f)
{
    fx_close(fx_group(f, "other"));
    fx_text(f, "JAXON_ROOT", "int(1)");
}
static void br_stray_root_attr(hid_t f)
{
    fx_text(f, "JAXON_ROOT", "int(1)");
    fx_text(f, "comment", "hello");
}
static void br_soft_link(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "'a'", "None");
                 H5Lcreate_soft("/JAXON_ROOT", g, "loop", H5P_DEFAULT, H5P_DEFAULT));
}
static void br_external_link(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "'a'", "None");
                 H5Lcreate_external("/nonexistent/other.h5", "/x", g, "ext", H5P_DEFAULT,
                                    H5P_DEFAULT));
}
static void br_attr_on_intermediate(hid_t f)
{
    V1_DICT_WITH(hid_t xy = fx_group(g, "'x/y'"); fx_close(xy); fx_text(g, "'x/y'", "dict");
                 hid_t x = H5Gopen2(g, "'x", H5P_DEFAULT); fx_text(x, "note", "'n'");
                 fx_close(x));
}
static void br_attr_on_dataset(hid_t f)
{
    double v[1] = {1};
    V1_DICT_WITH(fx_text(g, "'a'", "numpy.ndarray"); fx_dset_f64(g, "'a'", v, 1);
                 hid_t d = H5Dopen2(g, "'a'", H5P_DEFAULT); fx_text(d, "note", "'n'");
                 H5Dclose(d));
}
static void br_jaxon_dtype_unknown(hid_t f)
{
    float v[2] = {1, 2};
    V1_DICT_WITH(fx_text(g, "'j'", "jax.Array"); fx_dset_f32(g, "'j'", v, 2);
                 hid_t d = H5Dopen2(g, "'j'", H5P_DEFAULT); fx_text(d, "JAXON_DTYPE", "bf16");
                 H5Dclose(d));
}
static void br_duplicate_slot(hid_t f)
{
    V1_DICT_WITH(fx_text(g, "'s'", "'x'"); fx_text(g, "'a'", "None");
                 fx_text(g, "'a':ref", "/JAXON_ROOT/'s'"));
}
static void br_index_order(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "0", "None");
    fx_text(g, "2", "None");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}
static void br_untracked_list(hid_t f)
{
    hid_t g = fx_group_untracked(f, "JAXON_ROOT");
    fx_text(g, "0", "None");
    fx_text(g, "1", "None");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}
static void br_hard_link_cycle(hid_t f)
{
    /* /JAXON_ROOT/'a'/'b' is a hard link back to /JAXON_ROOT: must not loop */
    V1_DICT_WITH(hid_t a = fx_group(g, "'a'"); fx_text(a, "'b'", "dict");
                 H5Lcreate_hard(f, "/JAXON_ROOT", a, "'b'", H5P_DEFAULT, H5P_DEFAULT);
                 fx_close(a); fx_text(g, "'a'", "dict"));
}
static void br_padded_small_list(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "00", "None");
    fx_text(g, "01", "None");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}
static void br_deep(hid_t f)
{
    hid_t g = fx_group(f, "JAXON_ROOT");
    hid_t cur = g;
    hid_t chain[1100];
    int n = 1100;
    for (int i = 0; i < n; i++) {
        chain[i] = fx_group(cur, "0");
        cur = chain[i];
    }
    for (int i = n - 1; i >= 0; i--) {
        hid_t parent = i ? chain[i - 1] : g;
        fx_close(chain[i]);
        fx_text(parent, "0", "list");
    }
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
}
static void br_v2_no_placeholder(hid_t f)
{
    hid_t g = v2_root(f);
    fx_close(g);
    fx_text(f, "JAXON_ROOT:dict", "dict");
}
static void br_v2_unterminated(hid_t f)
{
    hid_t g = v2_root(f);
    fx_text(g, "'a'", "'abc");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}
static void br_v2_jax_storage(hid_t f)
{
    hid_t g = v2_root(f);
    double v[2] = {1, 2};
    fx_dset_f64(g, "0", v, 2);
    fx_E(g, "0:jax.Array[bfloat16]");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:list");
}
static void br_v2_jax_no_dtype(hid_t f)
{
    hid_t g = v2_root(f);
    float v[2] = {1, 2};
    fx_dset_f32(g, "0", v, 2);
    fx_E(g, "0:jax.Array");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:list");
}
static void br_v2_ref_target(hid_t f)
{
    hid_t g = v2_root(f);
    fx_text(g, "'c'", "/JAXON_ROOT/'nope'");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}
static void br_v2_missing_group(hid_t f)
{
    hid_t g = v2_root(f);
    fx_E(g, "'a':list");
    fx_close(g);
    fx_E(f, "JAXON_ROOT:dict");
}

static void checker_should_report_root_problems(void)
{
    CHECK_BROKEN(br_no_root, JXV_RULE_ROOT);
    CHECK_BROKEN(br_two_roots, JXV_RULE_ROOT);
}

static void checker_should_report_names_tags_types_and_atoms(void)
{
    CHECK_BROKEN(br_slot_name, JXV_RULE_SLOT_NAME);
    CHECK_BROKEN(br_type_tag, JXV_RULE_TYPE_TAG);
    CHECK_BROKEN(br_value_type, JXV_RULE_VALUE_TYPE);
    CHECK_BROKEN(br_vlen_text, JXV_RULE_VALUE_TYPE);
    CHECK_BROKEN(br_value_type_among_same_size_numbers, JXV_RULE_VALUE_TYPE);
    CHECK_BROKEN(br_atom_text, JXV_RULE_ATOM_TEXT);
    CHECK_BROKEN(br_duplicate_slot, JXV_RULE_DUPLICATE_SLOT);
}

static void checker_should_report_order_problems(void)
{
    CHECK_BROKEN(br_key_value, JXV_RULE_KEY_VALUE);
    CHECK_BROKEN(br_open_key, JXV_RULE_KEY_VALUE);
    CHECK_BROKEN(br_index_order, JXV_RULE_INDEX_ORDER);
    CHECK_BROKEN(br_untracked_list, JXV_RULE_INDEX_ORDER);
    CHECK_BROKEN(br_padded_small_list, JXV_RULE_INDEX_ORDER);
}

static void checker_should_report_reference_problems(void)
{
    CHECK_BROKEN(br_ref_path, JXV_RULE_REF_PATH);
    CHECK_BROKEN(br_ref_target, JXV_RULE_REF_TARGET);
    CHECK_BROKEN(br_ref_to_ref, JXV_RULE_REF_TARGET);
    CHECK_BROKEN(br_ref_cycle, JXV_RULE_REF_TARGET);
    CHECK_BROKEN(br_v2_ref_target, JXV_RULE_REF_TARGET);
}

static void checker_should_report_group_and_dataset_problems(void)
{
    CHECK_BROKEN(br_container_group, JXV_RULE_CONTAINER_GROUP);
    CHECK_BROKEN(br_missing_dataset, JXV_RULE_DATASET);
    CHECK_BROKEN(br_dataset_type, JXV_RULE_DATASET);
    CHECK_BROKEN(br_stray_dataset, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_stray_group, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_stray_root_attr, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_soft_link, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_external_link, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_attr_on_intermediate, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_attr_on_dataset, JXV_RULE_STRAY_OBJECT);
    CHECK_BROKEN(br_jaxon_dtype_unknown, JXV_RULE_TYPE_TAG);
    CHECK_BROKEN(br_v2_missing_group, JXV_RULE_CONTAINER_GROUP);
}

static void checker_should_survive_hard_link_cycles_and_deep_nesting(void)
{
    CHECK_BROKEN(br_hard_link_cycle, JXV_RULE_CONTAINER_GROUP);
    CHECK_BROKEN(br_deep, JXV_RULE_CONTAINER_GROUP);
}

static void checker_should_report_v2_specific_problems(void)
{
    CHECK_BROKEN(br_v2_no_placeholder, JXV_RULE_VALUE_TYPE);
    CHECK_BROKEN(br_v2_unterminated, JXV_RULE_ATOM_TEXT);
    CHECK_BROKEN(br_v2_jax_storage, JXV_RULE_DATASET);
    CHECK_BROKEN(br_v2_jax_no_dtype, JXV_RULE_TYPE_TAG);
}

/* ---- public API ----------------------------------------------------------------------- */

typedef struct seen {
    int n;
    char rule[32];
    char path[128];
} seen;

static int on_violation(const jaxon_violation *v, void *ud)
{
    seen *s = ud;
    s->n++;
    snprintf(s->rule, sizeof s->rule, "%s", v->rule);
    snprintf(s->path, sizeof s->path, "%s", v->path);
    return 0;
}

static int stop_at_first(const jaxon_violation *v, void *ud)
{
    (void)v;
    ((seen *)ud)->n++;
    return 1;
}

static void validate_file_should_pass_each_violation_to_the_callback(void)
{
    const char *path = fx_path("api", path_buf, sizeof path_buf);
    hid_t f = fx_create(path);
    br_atom_text(f);
    fx_close(f);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_TRUE(f >= 0);
    seen s = {0};
    ASSERT_EQ_INT(jaxon_validate_file(f, on_violation, &s), 1);
    ASSERT_EQ_INT(s.n, 1);
    ASSERT_STREQ(s.rule, "atom-text");
    ASSERT_STREQ(s.path, "/JAXON_ROOT@'a'");
    H5Fclose(f);

    f = fx_create(path);
    br_no_root(f);
    fx_close(f);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    seen s2 = {0};
    ASSERT_EQ_INT(jaxon_validate_file(f, stop_at_first, &s2), 1);
    ASSERT_EQ_INT(s2.n, 1);
    ASSERT_EQ_INT(jaxon_validate_file(f, NULL, NULL), 1);
    H5Fclose(f);
    ASSERT_EQ_INT(jaxon_validate_file(H5I_INVALID_HID, NULL, NULL), -1);
}

int main(void)
{
    RUN(checker_should_accept_the_v1_worked_examples);
    RUN(checker_should_accept_zero_padded_lists_beyond_65535_items);
    RUN(checker_should_accept_the_v2_worked_examples);
    RUN(checker_should_report_the_v2_version_and_layout);
    RUN(checker_should_report_root_problems);
    RUN(checker_should_report_names_tags_types_and_atoms);
    RUN(checker_should_report_order_problems);
    RUN(checker_should_report_reference_problems);
    RUN(checker_should_report_group_and_dataset_problems);
    RUN(checker_should_survive_hard_link_cycles_and_deep_nesting);
    RUN(checker_should_report_v2_specific_problems);
    RUN(validate_file_should_pass_each_violation_to_the_callback);
    return test_summary();
}
