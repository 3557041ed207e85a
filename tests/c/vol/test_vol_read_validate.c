/* Read validation: an existing Jaxon file is checked as a whole when it is opened through the
 * connector. strict refuses a broken file with our messages (path, rule, offending text) and
 * leaves no id and no open file behind; warn prints and opens; off and plain HDF5 files are
 * never affected; valid files written through the connector open in every mode. */
#include "test.h"
#include "vol_test_util.h"


/* A scalar fixed-length UTF-8 string attribute (the v1 text form). */
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

/* A v1.2.0 file {'a': 1, 'b': <value of b>} written with the given fapl, with attribute
 * creation order tracked like the Python writers do. */
static int write_dict(const char *path, hid_t fapl, const char *b_value)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    if (fid < 0) {
        H5Pclose(gcpl);
        return -1;
    }
    hid_t g = H5Gcreate2(fid, "JAXON_ROOT", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    text_attr(g, "'a'", "int(1)");
    text_attr(g, "'b'", b_value);
    H5Gclose(g);
    text_attr(fid, "JAXON_ROOT", "dict");
    return H5Fclose(fid);
}

/* A broken Jaxon file, written natively (the connector would refuse to write it). */
static const char *broken_file(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("read-broken.h5"));
    write_dict(path, H5P_DEFAULT, "int(one)");
    return path;
}

static const char *valid_file(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("read-valid.h5"));
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    int r = write_dict(path, fapl, "'text'");
    H5Pclose(fapl);
    return r < 0 ? NULL : path;
}

/* Opens path with the info string; on failure copies the error stack into *et. */
static hid_t open_with(const char *path, unsigned flags, const char *info, err_text *et)
{
    hid_t fapl = jaxon_fapl(info);
    hid_t fid;
    H5E_BEGIN_TRY { fid = H5Fopen(path, flags, fapl); }
    H5E_END_TRY
    if (fid < 0 && et)
        error_stack_text(et); /* before any other API call clears it */
    H5Pclose(fapl);
    return fid;
}

static void strict_open_should_refuse_a_broken_jaxon_file_with_our_messages(void)
{
    const char *path = broken_file();
    err_text et;
    hid_t fid = open_with(path, H5F_ACC_RDONLY, "validate=strict;under_vol=0;under_info={}", &et);
    ASSERT_TRUE(fid < 0);
    ASSERT_CONTAINS(et.buf, "[jaxon]");
    ASSERT_CONTAINS(et.buf, "Jaxon layout violation at \"/JAXON_ROOT@'b'\"");
    ASSERT_CONTAINS(et.buf, "rule atom-text");
    ASSERT_CONTAINS(et.buf, "offending text: \"int(one)\"");
    ASSERT_CONTAINS(et.buf, "is not a valid Jaxon file (layout v1.2.0, 1 violation(s))");
}

static void refused_open_should_leave_no_id_and_no_open_file(void)
{
    const char *path = broken_file();
    for (int i = 0; i < 3; i++) {
        hid_t fid = open_with(path, i == 1 ? H5F_ACC_RDWR : H5F_ACC_RDONLY,
                              "validate=strict;under_vol=0;under_info={}", NULL);
        ASSERT_TRUE(fid < 0);
        if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
            print_open_ids();
        ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    }
    /* Nothing holds the file: it can be truncated. */
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(fid, 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
}

static void warn_open_should_print_the_violations_and_open(void)
{
    const char *path = broken_file();
    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "read-warn.log"), 0);
    hid_t fid = open_with(path, H5F_ACC_RDONLY, "validate=warn;under_vol=0;under_info={}", NULL);
    const char *text = stderr_capture_end(&cap);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(connector_name(fid), "jaxon");
    ASSERT_EQ_INT(H5Aexists(fid, "JAXON_ROOT"), 1);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);

    ASSERT_CONTAINS(text, "read-broken.h5: not a valid Jaxon file (layout v1.2.0, 1 violation(s)); "
                          "opened anyway (validate=warn)");
    ASSERT_CONTAINS(text, "read-broken.h5: /JAXON_ROOT@'b': [atom-text] ");
}

static void off_open_should_not_check(void)
{
    const char *path = broken_file();
    hid_t fid = open_with(path, H5F_ACC_RDONLY, "validate=off;under_vol=0;under_info={}", NULL);
    ASSERT_GE_INT(fid, 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void strict_open_should_accept_a_file_written_through_the_connector(void)
{
    const char *path = valid_file();
    ASSERT_TRUE(path != NULL);
    const unsigned flags[] = {H5F_ACC_RDONLY, H5F_ACC_RDWR};
    for (size_t i = 0; i < 2; i++) {
        err_text et;
        hid_t fid = open_with(path, flags[i], "validate=strict;under_vol=0;under_info={}", &et);
        if (fid < 0)
            TEST_FAIL_("open failed:\n%s", et.buf);
        ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 1);
        ASSERT_GE_INT(H5Fclose(fid), 0);
        ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    }
}

static void strict_open_should_accept_plain_hdf5_files(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("read-plain.h5"));
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(fid, "no jaxon here", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    text_attr(g, "free text", "int(one)");
    H5Gclose(g);
    H5Fclose(fid);
    fid = open_with(path, H5F_ACC_RDONLY, "validate=strict;under_vol=0;under_info={}", NULL);
    ASSERT_GE_INT(fid, 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void a_second_open_of_an_open_file_should_be_checked_and_leak_nothing(void)
{
    const char *path = valid_file();
    ASSERT_TRUE(path != NULL);
    const char *info = "validate=strict;under_vol=0;under_info={}";
    hid_t f1 = open_with(path, H5F_ACC_RDWR, info, NULL);
    ASSERT_GE_INT(f1, 0);
    hid_t f2 = open_with(path, H5F_ACC_RDONLY, info, NULL);
    ASSERT_GE_INT(f2, 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE), 2);
    ASSERT_GE_INT(H5Fclose(f2), 0);
    ASSERT_GE_INT(H5Fclose(f1), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* A file with more violations than the error stack holds (32 entries in HDF5 1.14): the
 * refusal keeps the summary and says how many were left out; nothing is dropped on a full
 * stack (which would leak in HDF5 1.14.5, see jxvol_err_room). */
static void strict_open_with_many_violations_should_fit_the_error_stack(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("read-many.h5"));
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    hid_t g = H5Gcreate2(fid, "JAXON_ROOT", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    for (int i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof name, "'k%02d'", i);
        text_attr(g, name, "int(bad)");
    }
    H5Gclose(g);
    text_attr(fid, "JAXON_ROOT", "dict");
    H5Fclose(fid);
    H5Pclose(gcpl);
    H5Pclose(fcpl);

    err_text et;
    fid = open_with(path, H5F_ACC_RDONLY, "validate=strict;under_vol=0;under_info={}", &et);
    ASSERT_TRUE(fid < 0);
    ASSERT_CONTAINS(et.buf, "is not a valid Jaxon file (layout v1.2.0, 60 violation(s))");
    ASSERT_CONTAINS(et.buf, "more Jaxon layout violation(s)");
    ASSERT_CONTAINS(et.buf, "Jaxon layout violation at \"/JAXON_ROOT@'k00'\"");
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* jaxon.load(bytes) opens an in-memory image with the core driver. */
static void strict_open_should_check_an_in_memory_image(void)
{
    const char *path = broken_file();
    static unsigned char image[1 << 16];
    FILE *f = fopen(path, "rb");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(image, 1, sizeof image, f);
    fclose(f);
    ASSERT_TRUE(n > 0 && n < sizeof image);
    static const char *infos[] = {"validate=strict;under_vol=0;under_info={}",
                                  "validate=off;under_vol=0;under_info={}"};
    for (int i = 0; i < 2; i++) {
        hid_t fapl = jaxon_fapl(infos[i]);
        H5Pset_fapl_core(fapl, 1 << 20, 0);
        H5Pset_file_image(fapl, image, n);
        hid_t fid;
        H5E_BEGIN_TRY { fid = H5Fopen("in-memory", H5F_ACC_RDONLY, fapl); }
        H5E_END_TRY
        H5Pclose(fapl);
        if (i == 0) {
            ASSERT_TRUE(fid < 0);
        } else {
            ASSERT_GE_INT(fid, 0);
            ASSERT_GE_INT(H5Fclose(fid), 0);
        }
        ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    }
}

int main(void)
{
    RUN(strict_open_should_refuse_a_broken_jaxon_file_with_our_messages);
    RUN(refused_open_should_leave_no_id_and_no_open_file);
    RUN(warn_open_should_print_the_violations_and_open);
    RUN(off_open_should_not_check);
    RUN(strict_open_should_accept_a_file_written_through_the_connector);
    RUN(strict_open_should_accept_plain_hdf5_files);
    RUN(a_second_open_of_an_open_file_should_be_checked_and_leak_nothing);
    RUN(strict_open_should_check_an_in_memory_image);
    RUN(strict_open_with_many_violations_should_fit_the_error_stack);
    return test_summary();
}
