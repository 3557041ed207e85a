/* The validation hooks: a malformed Jaxon write is refused in strict mode with our message on
 * the error stack, accepted with a warning in warn mode, and a valid Jaxon file gets its
 * annotations as object comments that h5dump shows. */
#include "test.h"
#include "vol_test_util.h"

#include <sys/wait.h>

/* A scalar fixed-length UTF-8 string attribute (the v1 text form). Returns the attr id. */
static hid_t text_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value));
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a;
    H5E_BEGIN_TRY { a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT); }
    H5E_END_TRY
    if (a >= 0) {
        herr_t w;
        H5E_BEGIN_TRY { w = H5Awrite(a, t, value); }
        H5E_END_TRY
        H5Aclose(a);
        if (w < 0)
            a = H5I_INVALID_HID;
    }
    H5Sclose(s);
    H5Tclose(t);
    return a;
}

/* Closes fid; a strict close that reported violations keeps the id until a second close. */
static herr_t close_file(hid_t fid)
{
    herr_t r;
    H5E_BEGIN_TRY { r = H5Fclose(fid); }
    H5E_END_TRY
    if (r < 0)
        H5Fclose(fid);
    return r;
}

static void strict_mode_should_refuse_a_malformed_jaxon_write_with_our_message(void)
{
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = H5Fcreate(tmp_path("strict.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    /* v1.2.0 keeps container tags in the value, never in the attribute name. */
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 4);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a;
    H5E_BEGIN_TRY { a = H5Acreate2(fid, "JAXON_ROOT:dict", t, sp, H5P_DEFAULT, H5P_DEFAULT); }
    H5E_END_TRY
    err_text et; /* read the stack before any other API call clears it */
    const char *s = error_stack_text(&et);
    H5Sclose(sp);
    H5Tclose(t);
    ASSERT_TRUE(a < 0);
    ASSERT_CONTAINS(s, "[jaxon]");
    ASSERT_CONTAINS(s, "Jaxon layout violation at \"/@JAXON_ROOT:dict\"");
    ASSERT_CONTAINS(s, "rule type-tag");
    ASSERT_CONTAINS(s, "offending text: \"JAXON_ROOT:dict\"");
    ASSERT_EQ_INT(H5Aexists(fid, "JAXON_ROOT:dict"), 0); /* refused before forwarding */
    close_file(fid);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    H5Pclose(fapl);
}

static void warn_mode_should_let_the_write_through(void)
{
    hid_t fapl = jaxon_fapl("validate=warn;under_vol=0;under_info={}");
    hid_t fid = H5Fcreate(tmp_path("warn.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    ASSERT_GE_INT(text_attr(fid, "JAXON_ROOT:dict", "dict"), 0);
    ASSERT_EQ_INT(H5Aexists(fid, "JAXON_ROOT:dict"), 1);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    H5Pclose(fapl);
}

static void plain_hdf5_files_should_be_unaffected_in_strict_mode(void)
{
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = H5Fcreate(tmp_path("plain.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    hid_t g = H5Gcreate2(fid, "any name at all", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(g, 0);
    ASSERT_GE_INT(text_attr(g, "free text", "whatever"), 0);
    H5Gclose(g);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    H5Pclose(fapl);
}

static void jaxon_files_should_carry_annotations_visible_in_h5dump(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("annotated.h5"));
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = H5Gcreate2(fid, "JAXON_ROOT", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(g, 0);
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    ASSERT_GE_INT(text_attr(g, "'b'", "'text'"), 0);
    H5Gclose(g);
    ASSERT_GE_INT(text_attr(fid, "JAXON_ROOT", "dict"), 0);
    herr_t r = H5Fclose(fid);
    H5Pclose(fapl);
    ASSERT_GE_INT(r, 0);

    const char *h5dump = getenv("JAXON_H5DUMP");
    ASSERT_TRUE(h5dump && *h5dump);
    static char cmd[8192], out[65536];
    snprintf(cmd, sizeof cmd, "'%s' -A '%s' 2>&1", h5dump, path);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    ASSERT_EQ_INT(pclose(p), 0);
    ASSERT_CONTAINS(out, "COMMENT \"Jaxon layout v1.2.0");
    ASSERT_CONTAINS(out, "GROUP \"JAXON_ROOT\"");
}

int main(void)
{
    RUN(strict_mode_should_refuse_a_malformed_jaxon_write_with_our_message);
    RUN(warn_mode_should_let_the_write_through);
    RUN(plain_hdf5_files_should_be_unaffected_in_strict_mode);
    RUN(jaxon_files_should_carry_annotations_visible_in_h5dump);
    return test_summary();
}
