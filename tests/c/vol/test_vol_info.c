/* The info-string parser: valid strings in every accepted form, nested under_info braces,
 * malformed strings rejected with our message on the error stack, and to_str/from_str
 * round trips. The connector is loaded by name through HDF5_PLUGIN_PATH. */
#include "test.h"
#include "vol_test_util.h"

static hid_t vol_id = H5I_INVALID_HID;

/* Parses s and prints it back; returns the printed form (static) or NULL on failure. */
static const char *round_trip(const char *s)
{
    static char out[512];
    void *info = NULL;
    char *str = NULL;
    if (H5VLconnector_str_to_info(s, vol_id, &info) < 0 || !info)
        return NULL;
    herr_t r = H5VLconnector_info_to_str(info, vol_id, &str);
    H5VLfree_connector_info(vol_id, info);
    if (r < 0 || !str)
        return NULL;
    snprintf(out, sizeof out, "%s", str);
    H5free_memory(str);
    return out;
}

static void info_parser_should_accept_the_documented_form(void)
{
    ASSERT_STREQ(round_trip("validate=warn;under_vol=0;under_info={}"),
                 "validate=warn;under_vol=0;under_info={}");
    ASSERT_STREQ(round_trip("validate=off;under_vol=0;under_info={}"),
                 "validate=off;under_vol=0;under_info={}");
    ASSERT_STREQ(round_trip("under_vol=0;under_info={}"), "validate=strict;under_vol=0;under_info={}");
}

static void info_parser_should_default_missing_parts(void)
{
    ASSERT_STREQ(round_trip(""), "validate=strict;under_vol=0;under_info={}");
    ASSERT_STREQ(round_trip("validate=warn"), "validate=warn;under_vol=0;under_info={}");
    ASSERT_STREQ(round_trip("under_vol=0"), "validate=strict;under_vol=0;under_info={}");
    ASSERT_STREQ(round_trip("  validate=off ; under_vol=0 ; under_info={} ;"),
                 "validate=off;under_vol=0;under_info={}");
}

static void info_parser_should_pass_nested_braces_to_the_under_connector(void)
{
    /* The built-in pass_through (value 1) on native: its own string has braces too. */
    ASSERT_STREQ(round_trip("validate=off;under_vol=1;under_info={under_vol=0;under_info={}}"),
                 "validate=off;under_vol=1;under_info={under_vol=0;under_info={}}");
}

static void info_parser_should_reject_malformed_strings(void)
{
    static const char *bad[] = {
        "validate=loud",                          /* unknown mode */
        "validate=",                              /* empty value */
        "under_vol=abc",                          /* not a number */
        "under_vol=99999999999999999999",         /* out of range */
        "under_vol=0;under_info={",               /* unbalanced */
        "under_vol=0;under_info={{}",             /* unbalanced, nested */
        "under_vol=0;under_info=}",               /* no opening brace */
        "under_info={}",                          /* under_info without under_vol */
        "under_vol=0;validate=warn",              /* own options after under_vol */
        "validate=warn under_vol=0",              /* missing ';' */
        "bogus=1",                                /* unknown key */
        "validate",                               /* no '=' */
        "validate=warn;validate=off",             /* repeated */
        "under_vol=311;under_info={}",            /* ourselves below ourselves */
        "under_vol=0;under_info={};trailing",     /* junk after under_info */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *info = NULL;
        herr_t r;
        H5E_BEGIN_TRY { r = H5VLconnector_str_to_info(bad[i], vol_id, &info); }
        H5E_END_TRY
        if (r >= 0) {
            if (info)
                H5VLfree_connector_info(vol_id, info);
            TEST_FAIL_("accepted malformed info string \"%s\"", bad[i]);
        }
    }
}

static void info_parser_errors_should_name_the_problem(void)
{
    void *info = NULL;
    herr_t r;
    H5E_BEGIN_TRY { r = H5VLconnector_str_to_info("validate=loud", vol_id, &info); }
    H5E_END_TRY
    ASSERT_TRUE(r < 0);
    err_text t;
    const char *s = error_stack_text(&t);
    ASSERT_CONTAINS(s, "[jaxon]");
    ASSERT_CONTAINS(s, "malformed jaxon info string \"validate=loud\"");
    ASSERT_CONTAINS(s, "validate must be strict, warn or off");
}

static void info_to_str_should_round_trip_through_from_str(void)
{
    const char *first = round_trip("validate=warn;under_vol=1;under_info={under_vol=0;under_info={}}");
    ASSERT_TRUE(first != NULL);
    char copy[512];
    snprintf(copy, sizeof copy, "%s", first);
    ASSERT_STREQ(round_trip(copy), copy);

    /* And the parsed infos compare equal. */
    void *a = NULL, *b = NULL;
    ASSERT_GE_INT(H5VLconnector_str_to_info(copy, vol_id, &a), 0);
    ASSERT_GE_INT(H5VLconnector_str_to_info(copy, vol_id, &b), 0);
    int cmp = 1;
    ASSERT_GE_INT(H5VLcmp_connector_info(&cmp, vol_id, a, b), 0);
    ASSERT_EQ_INT(cmp, 0);
    H5VLfree_connector_info(vol_id, b);
    ASSERT_GE_INT(H5VLconnector_str_to_info("validate=off", vol_id, &b), 0);
    ASSERT_GE_INT(H5VLcmp_connector_info(&cmp, vol_id, a, b), 0);
    ASSERT_NE_INT(cmp, 0);
    H5VLfree_connector_info(vol_id, a);
    H5VLfree_connector_info(vol_id, b);
}

static void fapl_should_return_a_copy_of_the_info(void)
{
    hid_t fapl = jaxon_fapl("validate=warn;under_vol=0;under_info={}");
    ASSERT_GE_INT(fapl, 0);
    hid_t fapl2 = H5Pcopy(fapl);
    void *info = NULL;
    ASSERT_GE_INT(H5Pget_vol_info(fapl2, &info), 0);
    char *s = NULL;
    ASSERT_GE_INT(H5VLconnector_info_to_str(info, vol_id, &s), 0);
    ASSERT_STREQ(s, "validate=warn;under_vol=0;under_info={}");
    H5free_memory(s);
    H5VLfree_connector_info(vol_id, info);
    H5Pclose(fapl2);
    H5Pclose(fapl);
}

int main(void)
{
    vol_id = H5VLregister_connector_by_name("jaxon", H5P_DEFAULT);
    if (vol_id < 0) {
        fprintf(stderr, "cannot load the jaxon plugin (HDF5_PLUGIN_PATH=%s)\n",
                getenv("HDF5_PLUGIN_PATH") ? getenv("HDF5_PLUGIN_PATH") : "");
        return 1;
    }
    RUN(info_parser_should_accept_the_documented_form);
    RUN(info_parser_should_default_missing_parts);
    RUN(info_parser_should_pass_nested_braces_to_the_under_connector);
    RUN(info_parser_should_reject_malformed_strings);
    RUN(info_parser_errors_should_name_the_problem);
    RUN(info_to_str_should_round_trip_through_from_str);
    RUN(fapl_should_return_a_copy_of_the_info);
    H5VLclose(vol_id);
    return test_summary();
}
