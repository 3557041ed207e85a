/* What the connector says on stderr (report=stderr, the default) and keeps to itself
 * (report=none, what the Python bridge uses): a strict refusal at open is said once per file
 * and process, in jaxon-validate's line format behind "jaxon: "; report=none says nothing in
 * any mode, at open or at close; a bad info string is named once. */
#include "test.h"
#include "vol_test_util.h"

static void text_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value));
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, value);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

/* {'a': 1, 'b': int(one)} written natively: one atom-text violation. name: file in the
 * scratch dir; each call writes a new file (new modification time: a new report). */
static const char *broken_file(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path(name));
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    hid_t g = H5Gcreate2(fid, "JAXON_ROOT", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    text_attr(g, "'a'", "int(1)");
    text_attr(g, "'b'", "int(one)");
    H5Gclose(g);
    text_attr(fid, "JAXON_ROOT", "dict");
    H5Fclose(fid);
    H5Pclose(fcpl);
    H5Pclose(gcpl);
    return path;
}

/* Opens path read-only with the info string, capturing stderr into *said. */
static hid_t open_saying(const char *path, const char *info, const char **said)
{
    static stderr_capture cap;
    hid_t fapl = jaxon_fapl(info);
    if (stderr_capture_begin(&cap, "report.log") < 0)
        return H5I_INVALID_HID;
    hid_t fid;
    H5E_BEGIN_TRY { fid = H5Fopen(path, H5F_ACC_RDONLY, fapl); }
    H5E_END_TRY
    *said = stderr_capture_end(&cap);
    H5Pclose(fapl);
    return fid;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void strict_refusal_should_be_said_on_stderr_in_the_validator_format(void)
{
    const char *path = broken_file("report-strict.h5");
    const char *said = NULL;
    hid_t fid = open_saying(path, "validate=strict;under_vol=0;under_info={}", &said);
    ASSERT_TRUE(fid < 0);
    char want[8192];
    snprintf(want, sizeof want,
             "jaxon: %s: /JAXON_ROOT@'b': [atom-text] int(…): expected Python's repr of an int "
             "(optional '-', decimal digits only): «int(one)»\n"
             "jaxon: %s: not a valid Jaxon file (layout v1.2.0, 1 violation(s)); refused by "
             "validate=strict\n",
             path, path);
    ASSERT_STREQ(said, want);
}

static void a_file_should_be_reported_once_per_process(void)
{
    const char *path = broken_file("report-once.h5");
    const char *said = NULL;
    ASSERT_TRUE(open_saying(path, "under_vol=0;under_info={}", &said) < 0);
    ASSERT_EQ_INT((int)count_lines(said), 2);
    /* A tool opening it again (or retrying): refused again, said no more. */
    ASSERT_TRUE(open_saying(path, "under_vol=0;under_info={}", &said) < 0);
    ASSERT_STREQ(said, "");
    hid_t fid = open_saying(path, "validate=warn;under_vol=0;under_info={}", &said);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(said, "");
    H5Fclose(fid);
    /* Rewritten, it is another file: said again. */
    path = broken_file("report-once.h5");
    ASSERT_TRUE(open_saying(path, "under_vol=0;under_info={}", &said) < 0);
    ASSERT_CONTAINS(said, "[atom-text]");
}

static void warn_open_should_say_opened_anyway(void)
{
    const char *path = broken_file("report-warn.h5");
    const char *said = NULL;
    hid_t fid = open_saying(path, "validate=warn;under_vol=0;under_info={}", &said);
    ASSERT_GE_INT(fid, 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_CONTAINS(said, "report-warn.h5: /JAXON_ROOT@'b': [atom-text] ");
    ASSERT_CONTAINS(said, "report-warn.h5: not a valid Jaxon file (layout v1.2.0, 1 violation(s)); "
                          "opened anyway (validate=warn)\n");
}

static void report_none_should_say_nothing_at_open_in_any_mode(void)
{
    const char *path = broken_file("report-none.h5");
    const char *said = NULL;
    err_text et;
    hid_t fid = open_saying(path, "validate=strict;report=none;under_vol=0;under_info={}", &said);
    ASSERT_TRUE(fid < 0);
    ASSERT_STREQ(said, "");
    /* the refusal is still on the error stack for the application */
    hid_t fapl = jaxon_fapl("validate=strict;report=none;under_vol=0;under_info={}");
    H5E_BEGIN_TRY { fid = H5Fopen(path, H5F_ACC_RDONLY, fapl); }
    H5E_END_TRY
    ASSERT_TRUE(fid < 0);
    ASSERT_CONTAINS(error_stack_text(&et), "rule atom-text");
    H5Pclose(fapl);
    fid = open_saying(path, "validate=warn;report=none;under_vol=0;under_info={}", &said);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(said, "");
    ASSERT_GE_INT(H5Fclose(fid), 0);
}

static void report_none_should_say_nothing_when_an_unfinished_tree_is_closed(void)
{
    static const char *const infos[] = {"validate=strict;report=none;under_vol=0;under_info={}",
                                        "validate=warn;report=none;under_vol=0;under_info={}",
                                        "validate=strict;under_vol=0;under_info={}"};
    for (size_t i = 0; i < sizeof infos / sizeof infos[0]; i++) {
        hid_t fapl = jaxon_fapl(infos[i]);
        hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE);
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        hid_t fid = H5Fcreate(tmp_path("report-close.h5"), H5F_ACC_TRUNC, fcpl, fapl);
        ASSERT_GE_INT(fid, 0);
        hid_t g = H5Gcreate2(fid, "JAXON_ROOT", H5P_DEFAULT, gcpl, H5P_DEFAULT);
        text_attr(g, "'a'", "int(1)");
        H5Gclose(g);
        /* an interrupted save: the root attribute is never written */
        stderr_capture cap;
        ASSERT_GE_INT(stderr_capture_begin(&cap, "report-close.log"), 0);
        herr_t c = H5Fclose(fid);
        const char *said = stderr_capture_end(&cap);
        ASSERT_GE_INT(c, 0);
        if (i < 2)
            ASSERT_STREQ(said, "");
        else /* the control: report=stderr says it */
            ASSERT_CONTAINS(said, "report-close.h5: closed with 2 Jaxon layout violation(s)");
        H5Pclose(fcpl);
        H5Pclose(gcpl);
        H5Pclose(fapl);
    }
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void bad_info_string_should_be_named_once_on_stderr(void)
{
    hid_t vol = H5VLregister_connector_by_name("jaxon", H5P_DEFAULT);
    ASSERT_GE_INT(vol, 0);
    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "report-info.log"), 0);
    void *info = NULL;
    herr_t r1, r2, r3;
    H5E_BEGIN_TRY
    {
        r1 = H5VLconnector_str_to_info("valdate=strict", vol, &info);
        r2 = H5VLconnector_str_to_info("valdate=strict", vol, &info);
        r3 = H5VLconnector_str_to_info("validate=strict;report=loud", vol, &info);
    }
    H5E_END_TRY
    const char *said = stderr_capture_end(&cap);
    ASSERT_TRUE(r1 < 0 && r2 < 0 && r3 < 0);
    ASSERT_STREQ(said,
                 "jaxon: bad info string 'valdate=strict': unknown key 'valdate' (expected "
                 "validate, open_check, report, under_vol, under_info) (at offset 0)\n"
                 "jaxon: bad info string 'validate=strict;report=loud': report must be none or "
                 "stderr, not 'loud' (at offset 23)\n");
    H5VLclose(vol);
}

static void report_should_round_trip_through_the_info_string(void)
{
    hid_t vol = H5VLregister_connector_by_name("jaxon", H5P_DEFAULT);
    void *a = NULL, *b = NULL;
    char *s = NULL;
    ASSERT_GE_INT(H5VLconnector_str_to_info("report=none;validate=warn", vol, &a), 0);
    ASSERT_GE_INT(H5VLconnector_info_to_str(a, vol, &s), 0);
    ASSERT_STREQ(s, "validate=warn;report=none;under_vol=0;under_info={}");
    H5free_memory(s);
    /* stderr is the default and is not written out */
    ASSERT_GE_INT(H5VLconnector_str_to_info("validate=warn;report=stderr", vol, &b), 0);
    ASSERT_GE_INT(H5VLconnector_info_to_str(b, vol, &s), 0);
    ASSERT_STREQ(s, "validate=warn;under_vol=0;under_info={}");
    H5free_memory(s);
    int cmp = 0;
    ASSERT_GE_INT(H5VLcmp_connector_info(&cmp, vol, a, b), 0);
    ASSERT_NE_INT(cmp, 0);
    H5VLfree_connector_info(vol, a);
    H5VLfree_connector_info(vol, b);
    H5VLclose(vol);
}

int main(void)
{
    RUN(strict_refusal_should_be_said_on_stderr_in_the_validator_format);
    RUN(a_file_should_be_reported_once_per_process);
    RUN(warn_open_should_say_opened_anyway);
    RUN(report_none_should_say_nothing_at_open_in_any_mode);
    RUN(report_none_should_say_nothing_when_an_unfinished_tree_is_closed);
    RUN(bad_info_string_should_be_named_once_on_stderr);
    RUN(report_should_round_trip_through_the_info_string);
    return test_summary();
}
