/* Grammar of the Jaxon layout: every production, valid and invalid texts; each invalid text
 * must be reported with exactly one violation of the expected rule. */
#include "jxv.h"
#include "vtest.h"

#include <string.h>

#define V1 JXV_LAYOUT_V1
#define V2 JXV_LAYOUT_V2

typedef struct bad_case {
    const char *text;
    jxv_rule rule;
} bad_case;

/* ---- helpers -------------------------------------------------------------------------- */

static int name_ok(jxv_layout l, const char *name, jxv_name *out, jxv_report *rep)
{
    return jxv_parse_attr_name(l, name, strlen(name), out, "/g@x", rep);
}

#define ASSERT_NAMES_OK(layout, list)                                                          \
    do {                                                                                       \
        for (size_t i_ = 0; i_ < sizeof(list) / sizeof *(list); i_++) {                       \
            jxv_report rep_;                                                                   \
            jxv_name nm_;                                                                      \
            jxv_report_init(&rep_);                                                            \
            int r_ = name_ok(layout, (list)[i_], &nm_, &rep_);                                 \
            if (r_ != 0 || rep_.count) {                                                       \
                vtest_dump(&rep_);                                                             \
                jxv_report_clear(&rep_);                                                       \
                TEST_FAIL_("name %s should be valid", (list)[i_]);                             \
            }                                                                                  \
            jxv_report_clear(&rep_);                                                           \
        }                                                                                      \
    } while (0)

#define ASSERT_BAD(fn_call_with_text, list)                                                    \
    do {                                                                                       \
        for (size_t i_ = 0; i_ < sizeof(list) / sizeof *(list); i_++) {                       \
            jxv_report rep_;                                                                   \
            jxv_report_init(&rep_);                                                            \
            const char *t_ = (list)[i_].text;                                                  \
            int r_ = fn_call_with_text;                                                        \
            if (r_ >= 0 || rep_.count != 1 || rep_.items[0].rule != (list)[i_].rule) {         \
                vtest_dump(&rep_);                                                             \
                jxv_report_clear(&rep_);                                                       \
                TEST_FAIL_("%s should give exactly one [%s]", t_,                              \
                           jxv_rule_name((list)[i_].rule));                                    \
            }                                                                                  \
            jxv_report_clear(&rep_);                                                           \
        }                                                                                      \
    } while (0)

#define ASSERT_GOOD(fn_call_with_text, list)                                                   \
    do {                                                                                       \
        for (size_t i_ = 0; i_ < sizeof(list) / sizeof *(list); i_++) {                       \
            jxv_report rep_;                                                                   \
            jxv_report_init(&rep_);                                                            \
            const char *t_ = (list)[i_];                                                       \
            int r_ = fn_call_with_text;                                                        \
            if (r_ < 0 || rep_.count) {                                                        \
                vtest_dump(&rep_);                                                             \
                jxv_report_clear(&rep_);                                                       \
                TEST_FAIL_("%s should be valid", t_);                                          \
            }                                                                                  \
            jxv_report_clear(&rep_);                                                           \
        }                                                                                      \
    } while (0)

/* ---- slot names and name splitting ---------------------------------------------------- */

static void v1_names_should_accept_every_slot_form_and_name_typehint(void)
{
    static const char *const names[] = {
        "JAXON_ROOT", "JAXON_ROOT:numpy.ndarray", "0", "12", "18446744073709551615", "'a'",
        "''", "'it's'", "'a:b'", "'a:b':ref", "'x/y'", "int(3)", "int(-7)", "float(2.5)",
        "None", "Ellipsis", "bool(True)", "complex(1+2j)", "range(0,3)", "slice(None,2,None)",
        "key(0)", "value(12)", "key(3):ref", "0:numpy.ndarray", "1:jax.Array", "0:bytes",
        "1:bytearray", "2:memoryview", "'k':!m.K", "float(2.5):bytes", "'k':!m.f.<locals>.C"};
    ASSERT_NAMES_OK(V1, names);
}

static void v1_names_should_split_at_the_last_colon_unless_they_end_with_a_quote(void)
{
    jxv_report rep;
    jxv_name nm;
    jxv_report_init(&rep);
    ASSERT_EQ_INT(name_ok(V1, "'a:b':ref", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_len, 5);
    ASSERT_EQ_INT(nm.hint_len, 3);
    ASSERT_TRUE(memcmp(nm.hint, "ref", 3) == 0);
    ASSERT_EQ_INT(name_ok(V1, "'a:ref'", &nm, &rep), 0);
    ASSERT_TRUE(nm.hint == NULL);
    ASSERT_EQ_INT(nm.slot_kind, JXV_SLOT_SIMPLE);
    ASSERT_EQ_INT(name_ok(V1, "key(7)", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_kind, JXV_SLOT_KEY);
    ASSERT_EQ_INT(nm.index, 7);
    ASSERT_EQ_INT(name_ok(V1, "value(7)", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_kind, JXV_SLOT_VALUE);
    ASSERT_EQ_INT(name_ok(V1, "42", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_kind, JXV_SLOT_INDEX);
    ASSERT_EQ_INT(nm.index, 42);
    ASSERT_EQ_INT(name_ok(V1, "JAXON_ROOT", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_kind, JXV_SLOT_ROOT);
    ASSERT_CLEAN(&rep);
    jxv_report_clear(&rep);
}

static void v1_names_should_reject_malformed_slots_and_typehints_with_the_exact_rule(void)
{
    static const bad_case bad[] = {
        {"", JXV_RULE_SLOT_NAME},
        {"18446744073709551616", JXV_RULE_SLOT_NAME}, /* > 64 bits */
        {"key(01)", JXV_RULE_SLOT_NAME},
        {"key(1", JXV_RULE_SLOT_NAME},
        {"value()", JXV_RULE_SLOT_NAME},
        {"abc", JXV_RULE_SLOT_NAME},           /* not an atom */
        {"x'", JXV_RULE_SLOT_NAME},            /* ends with a quote only */
        {"'abc", JXV_RULE_SLOT_NAME},          /* unterminated string */
        {"int(01)", JXV_RULE_SLOT_NAME},       /* bad atom as a slot */
        {"complex()", JXV_RULE_SLOT_NAME},
        {"'a':dict", JXV_RULE_TYPE_TAG},       /* container tags live in the value in v1 */
        {"'a':foo", JXV_RULE_TYPE_TAG},
        {"'a':!", JXV_RULE_TYPE_TAG},
        {"'a':!nodot", JXV_RULE_TYPE_TAG},
        {"'a':", JXV_RULE_TYPE_TAG},
        {"'a':numpy.ndarray:ref", JXV_RULE_SLOT_NAME}, /* split at the last colon */
    };
    ASSERT_BAD(jxv_parse_attr_name(V1, t_, strlen(t_), &(jxv_name){0}, "/g@x", &rep_), bad);
}

static void names_should_parse_zero_padded_indices_with_their_width(void)
{
    /* allowed or not per group (lists of more than 65,535 items): the name only says how */
    jxv_report rep;
    jxv_name nm;
    jxv_report_init(&rep);
    ASSERT_EQ_INT(name_ok(V1, "00042", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_kind, JXV_SLOT_INDEX);
    ASSERT_EQ_INT(nm.index, 42);
    ASSERT_EQ_INT(nm.index_width, 5);
    ASSERT_EQ_INT(name_ok(V1, "00000", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.index, 0);
    ASSERT_EQ_INT(nm.index_width, 5);
    ASSERT_EQ_INT(name_ok(V2, "07", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.index_width, 2);
    ASSERT_EQ_INT(name_ok(V1, "42", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.index_width, 0);
    ASSERT_EQ_INT(name_ok(V1, "0", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.index_width, 0);
    ASSERT_CLEAN(&rep);
    jxv_report_clear(&rep);
}

static void v2_names_should_accept_typeinfo_chains_and_surrounding_whitespace(void)
{
    static const char *const names[] = {
        "JAXON_ROOT:dict", "'a'", "1", "2.5", "1+2j", "-0.0", "True", "None", "'it\\'s'",
        "'a':dict#dclass[m.P]", "'k':bytes#dill", "'x':#jaxon[m.C]", "2:jax.Array[bfloat16]",
        "  'a' : dict ", "'a':numpy.ndarray#mytag", "3:numpy.str_", "'v':numpy.void",
        "'b':numpy.bytes_", "key(1):tuple", "'a':dict#dclass[ m.P]", "'c':#custom#jaxon[m.D]",
        "'q':list#tag[arg]"};
    ASSERT_NAMES_OK(V2, names);
}

static void v2_names_should_split_quote_aware_from_the_end(void)
{
    jxv_report rep;
    jxv_name nm;
    jxv_report_init(&rep);
    ASSERT_EQ_INT(name_ok(V2, "'a:b'", &nm, &rep), 0);
    ASSERT_TRUE(nm.hint == NULL);
    ASSERT_EQ_INT(name_ok(V2, " 'a:b' : list ", &nm, &rep), 0);
    ASSERT_EQ_INT(nm.slot_len, 5);
    ASSERT_EQ_INT(nm.hint_len, 4);
    ASSERT_CLEAN(&rep);
    jxv_report_clear(&rep);
}

static void v2_names_should_reject_bad_typeinfo_with_the_exact_rule(void)
{
    static const bad_case bad[] = {
        {"'a':jax.Array", JXV_RULE_TYPE_TAG},       /* dtype argument missing */
        {"'a':jax.Array[float7]", JXV_RULE_TYPE_TAG},
        {"'a':dict[x]", JXV_RULE_TYPE_TAG},         /* no argument allowed */
        {"'a':foo", JXV_RULE_TYPE_TAG},
        {"'a':dict#dclass", JXV_RULE_TYPE_TAG},     /* qualname missing */
        {"'a':dict#jaxon[nodot]", JXV_RULE_TYPE_TAG},
        {"'a':bytes#dill[x]", JXV_RULE_TYPE_TAG},
        {"'a':dict##x", JXV_RULE_TYPE_TAG},
        {"'a':", JXV_RULE_TYPE_TAG},                /* empty builtin without tags */
        {"'a':dict#a[b]c]", JXV_RULE_TYPE_TAG},
        {"range(0,2)", JXV_RULE_SLOT_NAME},         /* not simple in v2 */
        {"'abc", JXV_RULE_SLOT_NAME},
        {"'a'b'", JXV_RULE_SLOT_NAME},
        {"1.50", JXV_RULE_SLOT_NAME},
        {"abc", JXV_RULE_SLOT_NAME},
        {"  ", JXV_RULE_SLOT_NAME},
    };
    ASSERT_BAD(jxv_parse_attr_name(V2, t_, strlen(t_), &(jxv_name){0}, "/g@x", &rep_), bad);
}

/* ---- atoms ---------------------------------------------------------------------------- */

static void v1_atoms_should_accept_python_repr_forms(void)
{
    static const char *const good[] = {
        "None", "Ellipsis", "'x'", "''", "'it's'", "'a\\b'", "int(0)", "int(-12)",
        "int(123456789012345678901234567890)", "float(2.5)", "float(1e-05)", "float(1.5e+16)",
        "float(inf)", "float(-inf)", "float(nan)", "float(-0.0)", "float(0.0001)",
        "float(1e+16)", "float(0.1)", "float(0.30000000000000004)", "float(1e+100)",
        "float(9999999999999998.0)", "float(5e-324)", "float(1.7976931348623157e+308)",
        "float(5.960464477539063e-08)", /* 2**-24: not the correctly rounded 16 digits */
        "float(1e+23)", "float(2.2250738585072014e-308)",
        "bool(True)", "bool(False)", "complex(1+2j)", "complex(2j)", "complex(-0-1j)",
        "complex(nan+infj)", "complex(1e+16j)", "complex(1.5-2.5j)", "complex(1e-05+1e+20j)",
        "range(0,3)", "range(2,20,3)", "range(-5,5,-1)", "slice(None,2,None)",
        "slice(1,None,None)", "slice(None,None,-1)"};
    ASSERT_GOOD(jxv_check_atom(V1, t_, strlen(t_), "/g@x", &rep_), good);
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ASSERT_TRUE(jxv_is_simple_atom(V1, good[i], strlen(good[i])));
}

static void v1_atoms_should_report_the_corrupt_complex_forms_of_the_v1_writer(void)
{
    static const bad_case bad[] = {
        {"complex()", JXV_RULE_ATOM_TEXT},    /* 2j written by v1.2.0 (bug B1-1) */
        {"complex(2)", JXV_RULE_ATOM_TEXT},   /* 12j written by v1.2.0 */
        {"complex(.5)", JXV_RULE_ATOM_TEXT},  /* 1.5j written by v1.2.0 */
        {"complex(1.0+2j)", JXV_RULE_ATOM_TEXT},
        {"complex((1+2j))", JXV_RULE_ATOM_TEXT},
        {"complex(1+-2j)", JXV_RULE_ATOM_TEXT},
    };
    ASSERT_BAD(jxv_check_atom(V1, t_, strlen(t_), "/g@x", &rep_), bad);
}

static void v1_atoms_should_reject_non_repr_numbers_and_malformed_calls(void)
{
    static const bad_case bad[] = {
        {"int(01)", JXV_RULE_ATOM_TEXT},    {"int(-0)", JXV_RULE_ATOM_TEXT},
        {"int(1.5)", JXV_RULE_ATOM_TEXT},   {"int()", JXV_RULE_ATOM_TEXT},
        {"int 5", JXV_RULE_ATOM_TEXT},      {"integer", JXV_RULE_ATOM_TEXT},
        {"float(1.50)", JXV_RULE_ATOM_TEXT}, {"float(0.00001)", JXV_RULE_ATOM_TEXT},
        {"float(1e16)", JXV_RULE_ATOM_TEXT}, {"float(1.0e+16)", JXV_RULE_ATOM_TEXT},
        {"float(10000000000000000.0)", JXV_RULE_ATOM_TEXT}, {"float(-nan)", JXV_RULE_ATOM_TEXT},
        {"float(2)", JXV_RULE_ATOM_TEXT},   {"float(.5)", JXV_RULE_ATOM_TEXT},
        {"float(5.9604644775390625e-08)", JXV_RULE_ATOM_TEXT}, /* exact, but not shortest */
        {"float(9.999999999999999e+22)", JXV_RULE_ATOM_TEXT},  /* repr is 1e+23 */
        {"float(Infinity)", JXV_RULE_ATOM_TEXT}, {"bool(true)", JXV_RULE_ATOM_TEXT},
        {"bool(1)", JXV_RULE_ATOM_TEXT},    {"range(0, 3)", JXV_RULE_ATOM_TEXT},
        {"range(0)", JXV_RULE_ATOM_TEXT},   {"range(0,3,0)", JXV_RULE_ATOM_TEXT},
        {"range(0,3,1)", JXV_RULE_ATOM_TEXT}, {"range(0,3,1,1)", JXV_RULE_ATOM_TEXT},
        {"slice(1,2)", JXV_RULE_ATOM_TEXT}, {"slice(a,b,c)", JXV_RULE_ATOM_TEXT},
        {"'abc", JXV_RULE_ATOM_TEXT},       {"'", JXV_RULE_ATOM_TEXT},
        {"dict", JXV_RULE_ATOM_TEXT},       {"none", JXV_RULE_ATOM_TEXT},
        {"'\xff'", JXV_RULE_ATOM_TEXT},     /* not UTF-8 */
    };
    ASSERT_BAD(jxv_check_atom(V1, t_, strlen(t_), "/g@x", &rep_), bad);
}

static void v2_atoms_should_accept_bare_reprs_and_escaped_strings(void)
{
    static const char *const good[] = {
        "None", "Ellipsis", "True", "False", "5", "-12", "0", "100000000000000000000", "2.5",
        "1e-05", "nan", "-inf", "inf", "-0.0", "1.5e+16", "1+2j", "2j", "-0-1j", "nan+infj",
        "'x'", "''", "'it\\'s'", "'a\\\\b'", "'a/b:c#d'", "range(0,3)", " 5 ", "\t'x'\n",
        "1180591620717411303424"};
    ASSERT_GOOD(jxv_check_atom(V2, t_, strlen(t_), "/g@x", &rep_), good);
}

static void v2_atoms_should_reject_unterminated_unescaped_and_non_repr_texts(void)
{
    static const bad_case bad[] = {
        {"'abc", JXV_RULE_ATOM_TEXT},   /* read as 'ab' by v2.0.0 (bug B2-3) */
        {"'", JXV_RULE_ATOM_TEXT},
        {"'a'b'", JXV_RULE_ATOM_TEXT},
        {"'a\\b'", JXV_RULE_ATOM_TEXT},
        {"", JXV_RULE_ATOM_TEXT},       /* bug B2-4: crashes the reader */
        {"   ", JXV_RULE_ATOM_TEXT},
        {"05", JXV_RULE_ATOM_TEXT},
        {"1.50", JXV_RULE_ATOM_TEXT},
        {"1.0j", JXV_RULE_ATOM_TEXT},
        {"(1+2j)", JXV_RULE_ATOM_TEXT},
        {"int(5)", JXV_RULE_ATOM_TEXT}, /* v1 spelling */
        {"true", JXV_RULE_ATOM_TEXT},
        {"range(0, 3)", JXV_RULE_ATOM_TEXT},
        {"1_000", JXV_RULE_ATOM_TEXT},
        {"+5", JXV_RULE_ATOM_TEXT},
    };
    ASSERT_BAD(jxv_check_atom(V2, t_, strlen(t_), "/g@x", &rep_), bad);
}

static void simple_atoms_should_follow_each_layouts_key_rules(void)
{
    ASSERT_TRUE(jxv_is_simple_atom(V1, "range(0,3)", 10));
    ASSERT_FALSE(jxv_is_simple_atom(V2, "range(0,3)", 10));
    ASSERT_TRUE(jxv_is_simple_atom(V2, "5", 1));
    ASSERT_FALSE(jxv_is_simple_atom(V1, "5", 1));
    ASSERT_FALSE(jxv_is_simple_atom(V1, "dict", 4));
    ASSERT_TRUE(jxv_is_simple_atom(V2, "True", 4));
    ASSERT_FALSE(jxv_is_simple_atom(V1, "True", 4));
}

static void report_should_show_nul_bytes_and_truncate_long_texts(void)
{
    jxv_report rep;
    jxv_report_init(&rep);
    char big[600];
    memset(big, 'a', sizeof big);
    jxv_fail(&rep, JXV_RULE_ATOM_TEXT, "/p", "'k\0'", 4, "m %d", 1);
    jxv_fail(&rep, JXV_RULE_ATOM_TEXT, "/p", big, sizeof big, "long");
    ASSERT_EQ_INT(rep.count, 2);
    ASSERT_STREQ(rep.items[0].text, "'k\\0'");
    ASSERT_STREQ(rep.items[0].message, "m 1");
    ASSERT_EQ_INT(strlen(rep.items[1].text), JXV_TEXT_MAX + 3);
    ASSERT_CONTAINS(rep.items[1].text, "\xE2\x80\xA6");
    ASSERT_STREQ(jxv_rule_name(JXV_RULE_DUPLICATE_SLOT), "duplicate-slot");
    jxv_report_clear(&rep);
    ASSERT_EQ_INT(rep.count, 0);
}

/* ---- value typehints ------------------------------------------------------------------ */

static void v1_value_typehints_should_accept_tags_chains_and_data_hints(void)
{
    static const char *const good[] = {"dict", "list", "tuple", "set", "frozenset",
                                       "dict#m.P", "tuple#m.B#m.Outer", "list#mytag",
                                       "numpy.ndarray", "jax.Array", "bytes", "bytearray",
                                       "memoryview", "!m.K"};
    ASSERT_GOOD(jxv_check_value_typehint(V1, t_, strlen(t_), "/g@x", &rep_), good);
}

static void v1_value_typehints_should_reject_unknown_tags(void)
{
    static const bad_case bad[] = {
        {"dictionary", JXV_RULE_TYPE_TAG}, {"dict#", JXV_RULE_TYPE_TAG},
        {"dict##a", JXV_RULE_TYPE_TAG},    {"!", JXV_RULE_TYPE_TAG},
        {"!nodot", JXV_RULE_TYPE_TAG},     {"Dict", JXV_RULE_TYPE_TAG},
        {"", JXV_RULE_TYPE_TAG},           {"numpy.ndarray#x", JXV_RULE_TYPE_TAG},
    };
    ASSERT_BAD(jxv_check_value_typehint(V1, t_, strlen(t_), "/g@x", &rep_), bad);
}

static void v2_typeinfo_should_accept_builtins_and_marshal_tags(void)
{
    static const char *const good[] = {"dict#dclass[m.P]", "bytes#dill", "numpy.str_",
                                       "jax.Array[float32]", "jax.Array[float8_e4m3fn]",
                                       "#jaxon[m.C]", "numpy.ndarray#mytag", "frozenset"};
    ASSERT_GOOD(jxv_check_value_typehint(V2, t_, strlen(t_), "/g@x", &rep_), good);
}

static void v2_typeinfo_should_reject_bad_arguments(void)
{
    static const bad_case bad[] = {
        {"jax.Array[foo]", JXV_RULE_TYPE_TAG}, {"numpy.str_[x]", JXV_RULE_TYPE_TAG},
        {"#", JXV_RULE_TYPE_TAG},              {"dict#it's", JXV_RULE_TYPE_TAG},
        {"dict#a:b", JXV_RULE_TYPE_TAG},
    };
    ASSERT_BAD(jxv_check_value_typehint(V2, t_, strlen(t_), "/g@x", &rep_), bad);
}

/* ---- reference paths ------------------------------------------------------------------ */

typedef struct elems {
    char items[8][64];
    int n;
} elems;

static int collect(const char *e, size_t len, void *ud)
{
    elems *el = ud;
    if (el->n < 8 && len < 64) {
        memcpy(el->items[el->n], e, len);
        el->items[el->n][len] = '\0';
    }
    el->n++;
    return 0;
}

static void v1_ref_paths_should_unescape_backslash_and_slash(void)
{
    jxv_report rep;
    jxv_report_init(&rep);
    elems el = {0};
    const char *p = "/JAXON_ROOT/'k\\/1'/'x'";
    ASSERT_EQ_INT(jxv_split_ref_path(V1, p, strlen(p), collect, &el, "/@r", &rep), 3);
    ASSERT_STREQ(el.items[0], "JAXON_ROOT");
    ASSERT_STREQ(el.items[1], "'k/1'");
    ASSERT_STREQ(el.items[2], "'x'");
    el.n = 0;
    p = "/JAXON_ROOT/'a\\\\b':numpy.ndarray";
    ASSERT_EQ_INT(jxv_split_ref_path(V1, p, strlen(p), collect, &el, "/@r", &rep), 2);
    ASSERT_STREQ(el.items[1], "'a\\b':numpy.ndarray");
    ASSERT_CLEAN(&rep);
    jxv_report_clear(&rep);
}

static void v2_ref_paths_should_keep_escapes_and_slashes_inside_literals(void)
{
    jxv_report rep;
    jxv_report_init(&rep);
    elems el = {0};
    const char *p = "/JAXON_ROOT/'it\\'s'/0";
    ASSERT_EQ_INT(jxv_split_ref_path(V2, p, strlen(p), collect, &el, "/@r", &rep), 3);
    ASSERT_STREQ(el.items[1], "'it\\'s'");
    ASSERT_STREQ(el.items[2], "0");
    el.n = 0;
    p = "/JAXON_ROOT/'k/1'";
    ASSERT_EQ_INT(jxv_split_ref_path(V2, p, strlen(p), collect, &el, "/@r", &rep), 2);
    ASSERT_STREQ(el.items[1], "'k/1'");
    ASSERT_CLEAN(&rep);
    jxv_report_clear(&rep);
}

static void ref_paths_should_reject_relative_empty_and_unterminated_paths(void)
{
    static const bad_case bad1[] = {
        {"JAXON_ROOT/'a'", JXV_RULE_REF_PATH}, {"/a//b", JXV_RULE_REF_PATH},
        {"/a\\", JXV_RULE_REF_PATH},           {"/", JXV_RULE_REF_PATH},
        {"", JXV_RULE_REF_PATH},
    };
    ASSERT_BAD(jxv_split_ref_path(V1, t_, strlen(t_), NULL, NULL, "/@r", &rep_), bad1);
    static const bad_case bad2[] = {
        {"/JAXON_ROOT/'abc", JXV_RULE_REF_PATH}, {"x", JXV_RULE_REF_PATH},
        {"/JAXON_ROOT/ /a", JXV_RULE_REF_PATH},
    };
    ASSERT_BAD(jxv_split_ref_path(V2, t_, strlen(t_), NULL, NULL, "/@r", &rep_), bad2);
}

int main(void)
{
    RUN(v1_names_should_accept_every_slot_form_and_name_typehint);
    RUN(v1_names_should_split_at_the_last_colon_unless_they_end_with_a_quote);
    RUN(v1_names_should_reject_malformed_slots_and_typehints_with_the_exact_rule);
    RUN(names_should_parse_zero_padded_indices_with_their_width);
    RUN(v2_names_should_accept_typeinfo_chains_and_surrounding_whitespace);
    RUN(v2_names_should_split_quote_aware_from_the_end);
    RUN(v2_names_should_reject_bad_typeinfo_with_the_exact_rule);
    RUN(v1_atoms_should_accept_python_repr_forms);
    RUN(v1_atoms_should_report_the_corrupt_complex_forms_of_the_v1_writer);
    RUN(v1_atoms_should_reject_non_repr_numbers_and_malformed_calls);
    RUN(v2_atoms_should_accept_bare_reprs_and_escaped_strings);
    RUN(v2_atoms_should_reject_unterminated_unescaped_and_non_repr_texts);
    RUN(simple_atoms_should_follow_each_layouts_key_rules);
    RUN(report_should_show_nul_bytes_and_truncate_long_texts);
    RUN(v1_value_typehints_should_accept_tags_chains_and_data_hints);
    RUN(v1_value_typehints_should_reject_unknown_tags);
    RUN(v2_typeinfo_should_accept_builtins_and_marshal_tags);
    RUN(v2_typeinfo_should_reject_bad_arguments);
    RUN(v1_ref_paths_should_unescape_backslash_and_slash);
    RUN(v2_ref_paths_should_keep_escapes_and_slashes_inside_literals);
    RUN(ref_paths_should_reject_relative_empty_and_unterminated_paths);
    return test_summary();
}
