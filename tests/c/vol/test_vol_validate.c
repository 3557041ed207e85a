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

/* A group tracking attribute creation order, as the Jaxon writers create them. */
static hid_t tracked_group(hid_t loc, const char *name)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

/* A file created through the connector with attribute creation order tracked on "/". */
static hid_t create_tracked(const char *path, hid_t fapl)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    return fid;
}

/* The comment on "/" read natively, in a static buffer. */
static const char *root_comment(const char *path)
{
    static char buf[2048];
    buf[0] = '\0';
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid >= 0) {
        H5Oget_comment(fid, buf, sizeof buf);
        H5Fclose(fid);
    }
    return buf;
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
    ASSERT_GE_INT(H5Fclose(fid), 0);
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

    const char *h5dump = h5dump_command();
    ASSERT_TRUE(h5dump != NULL);
    static char cmd[16384], out[65536];
    snprintf(cmd, sizeof cmd, "%s -A '%s' 2>&1", h5dump, path);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    ASSERT_EQ_INT(pclose(p), 0);
    ASSERT_CONTAINS(out, "COMMENT \"Jaxon layout v1.2.0");
    ASSERT_CONTAINS(out, "GROUP \"JAXON_ROOT\"");
}

/* A string attribute created but never written: accepted as an event, only the whole-tree
 * rules see that its text is missing. */
static void unwritten_attr(hid_t loc, const char *name)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 4);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void strict_mode_should_refuse_the_root_write_of_an_incomplete_tree(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("strict-root.h5"));
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = create_tracked(path, fapl);
    H5Pclose(fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = tracked_group(fid, "JAXON_ROOT");
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    unwritten_attr(g, "'b'"); /* created, its text never written */
    H5Gclose(g);
    /* The root attribute is the last step of a save: its write is refused. */
    hid_t rt = H5Tcopy(H5T_C_S1);
    H5Tset_size(rt, 4);
    H5Tset_cset(rt, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t r = H5Acreate2(fid, "JAXON_ROOT", rt, sp, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(r, 0);
    herr_t w;
    H5E_BEGIN_TRY { w = H5Awrite(r, rt, "dict"); }
    H5E_END_TRY
    err_text et;
    const char *s = error_stack_text(&et);
    H5Aclose(r);
    H5Sclose(sp);
    H5Tclose(rt);
    ASSERT_TRUE(w < 0);
    ASSERT_CONTAINS(s, "Jaxon layout violation at \"/JAXON_ROOT@'b'\" (rule value-type)");
    ASSERT_CONTAINS(s, "is not complete and consistent when its root attribute is written");
    /* The application already got the error: close succeeds quietly and releases the id. */
    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "strict-root.log"), 0);
    herr_t c = H5Fclose(fid);
    const char *err = stderr_capture_end(&cap);
    ASSERT_GE_INT(c, 0);
    ASSERT_STREQ(err, "");
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    ASSERT_CONTAINS(root_comment(path), "INVALID Jaxon file: 1 layout violation(s)");
}

static void strict_close_of_an_unfinished_tree_should_release_the_id_and_say_why(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("strict-close.h5"));
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = create_tracked(path, fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = tracked_group(fid, "JAXON_ROOT");
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    H5Gclose(g);
    /* An interrupted save: the root attribute is never written. */
    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "strict-close.log"), 0);
    herr_t c = H5Fclose(fid);
    const char *err = stderr_capture_end(&cap);
    ASSERT_GE_INT(c, 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    ASSERT_CONTAINS(err, "strict-close.h5: closed with 2 Jaxon layout violation(s) "
                         "(validate=strict: it will be refused when opened)");
    ASSERT_CONTAINS(err, "strict-close.h5: /: [root]");
    ASSERT_CONTAINS(root_comment(path), "INVALID Jaxon file");
    H5Pclose(fapl);
}

/* warn mode: the whole-tree rules run at the root write, and neither a later flush nor the
 * close repeats what they printed. */
static void warn_mode_should_report_an_incomplete_tree_once(void)
{
    hid_t fapl = jaxon_fapl("validate=warn;under_vol=0;under_info={}");
    hid_t fid = create_tracked(tmp_path("warn-once.h5"), fapl);
    H5Pclose(fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = tracked_group(fid, "JAXON_ROOT");
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    unwritten_attr(g, "'b'");
    H5Gclose(g);
    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "warn-once-1.log"), 0);
    hid_t r = text_attr(fid, "JAXON_ROOT", "dict");
    const char *err = stderr_capture_end(&cap);
    ASSERT_GE_INT(r, 0);
    ASSERT_CONTAINS(err, "warn-once.h5: /JAXON_ROOT@'b': [value-type] ");
    ASSERT_GE_INT(stderr_capture_begin(&cap, "warn-once-2.log"), 0);
    herr_t f = H5Fflush(fid, H5F_SCOPE_GLOBAL);
    herr_t c = H5Fclose(fid);
    err = stderr_capture_end(&cap);
    ASSERT_GE_INT(f, 0);
    ASSERT_GE_INT(c, 0);
    ASSERT_STREQ(err, "");
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void flush_in_the_middle_of_a_save_should_not_check_the_tree(void)
{
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = create_tracked(tmp_path("strict-midflush.h5"), fapl);
    H5Pclose(fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = tracked_group(fid, "JAXON_ROOT");
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    ASSERT_GE_INT(H5Fflush(fid, H5F_SCOPE_GLOBAL), 0); /* no root yet: not finished */
    H5Gclose(g);
    ASSERT_GE_INT(text_attr(fid, "JAXON_ROOT", "dict"), 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* A valid v1 file {'a': 1, 'n': numpy.int64(7)} written through the connector. */
static void write_small_tree(const char *path)
{
    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = create_tracked(path, fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = tracked_group(fid, "JAXON_ROOT");
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    hid_t sp = H5Screate(H5S_SCALAR);
    long long seven = 7;
    hid_t a = H5Acreate2(g, "'n'", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(a, 0);
    ASSERT_GE_INT(H5Awrite(a, H5T_NATIVE_LLONG, &seven), 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Gclose(g);
    ASSERT_GE_INT(text_attr(fid, "JAXON_ROOT", "dict"), 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    H5Pclose(fapl);
}

/* H5Awrite of a text over an existing attribute; returns what H5Awrite returned and leaves
 * the error stack's text in *et. */
static herr_t rewrite_text(hid_t loc, const char *name, const char *value, err_text *et,
                           const char **stack)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value));
    H5Tset_cset(t, H5T_CSET_UTF8);
    herr_t w;
    H5E_BEGIN_TRY { w = H5Awrite(a, t, value); }
    H5E_END_TRY
    *stack = error_stack_text(et);
    H5Tclose(t);
    H5Aclose(a);
    return w;
}

/* The tracker of a file opened for writing never saw its tree being written: before, a
 * stray group went through unchecked and close reported a missing root that was there. Now
 * the tree is sealed: additions and text rewrites are refused, numbers may change. */
static void an_existing_jaxon_file_opened_for_writing_should_refuse_changes_to_its_tree(void)
{
    static const char *const infos[] = {"validate=strict;under_vol=0;under_info={}",
                                        "validate=strict;open_check=off;under_vol=0;"
                                        "under_info={}"};
    for (int i = 0; i < 2; i++) {
        static char path[4096];
        snprintf(path, sizeof path, "%s", tmp_path("sealed.h5"));
        write_small_tree(path);
        char before[2048];
        snprintf(before, sizeof before, "%s", root_comment(path));
        ASSERT_CONTAINS(before, "Jaxon layout v1.2.0");

        stderr_capture cap;
        ASSERT_GE_INT(stderr_capture_begin(&cap, "sealed.err"), 0);
        hid_t fapl = jaxon_fapl(infos[i]);
        hid_t fid = H5Fopen(path, H5F_ACC_RDWR, fapl);
        ASSERT_GE_INT(fid, 0);
        hid_t g = H5Gopen2(fid, "JAXON_ROOT", H5P_DEFAULT);
        ASSERT_GE_INT(g, 0);
        err_text et;
        hid_t a;
        H5E_BEGIN_TRY { a = H5Acreate2(g, "'c'", H5T_STD_I64LE, H5S_ALL, H5P_DEFAULT, H5P_DEFAULT); }
        H5E_END_TRY
        ASSERT_TRUE(a < 0);
        ASSERT_TRUE(text_attr(g, "'c'", "int(3)") < 0);
        ASSERT_EQ_INT(H5Aexists(g, "'c'"), 0);
        hid_t sub;
        H5E_BEGIN_TRY { sub = H5Gcreate2(g, "'g'", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); }
        H5E_END_TRY
        const char *s = error_stack_text(&et);
        ASSERT_TRUE(sub < 0);
        ASSERT_CONTAINS(s, "Jaxon layout violation at \"/JAXON_ROOT/'g'\" (rule complete-tree)");
        ASSERT_CONTAINS(s, "opened for writing");
        ASSERT_TRUE(rewrite_text(g, "'a'", "int(2)", &et, &s) < 0);
        ASSERT_CONTAINS(s, "\"/JAXON_ROOT@'a'\" (rule complete-tree)");
        ASSERT_CONTAINS(s, "rewriting a text attribute");
        /* a number's value is no part of the layout */
        long long eight = 8, back = 0;
        hid_t n = H5Aopen(g, "'n'", H5P_DEFAULT);
        ASSERT_GE_INT(H5Awrite(n, H5T_NATIVE_LLONG, &eight), 0);
        ASSERT_GE_INT(H5Aread(n, H5T_NATIVE_LLONG, &back), 0);
        ASSERT_EQ_INT((int)back, 8);
        H5Aclose(n);
        H5Gclose(g);
        ASSERT_TRUE(text_attr(fid, "note", "'x'") < 0);
        ASSERT_GE_INT(H5Fclose(fid), 0);
        H5Pclose(fapl);
        const char *err = stderr_capture_end(&cap);
        ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
        /* close found nothing to say and left the file as it was */
        ASSERT_TRUE(strstr(err, "jaxon:") == NULL);
        ASSERT_STREQ(root_comment(path), before);
        hid_t nat = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t ga = H5Oopen(nat, "JAXON_ROOT", H5P_DEFAULT);
        char text[16] = {0};
        hid_t at = H5Aopen(ga, "'a'", H5P_DEFAULT), ft = H5Aget_type(at);
        H5Aread(at, ft, text);
        ASSERT_STREQ(text, "int(1)");
        H5Tclose(ft);
        H5Aclose(at);
        H5Oclose(ga);
        H5Fclose(nat);
    }
}

/* Sealing needs a tree: a plain file opened for writing can still receive a new one, and
 * warn mode lets changes to a tree through with a warning. */
static void a_plain_file_opened_for_writing_should_take_a_new_tree_and_warn_mode_changes(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tmp_path("append.h5"));
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t nat = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    ASSERT_GE_INT(H5Fclose(nat), 0);

    hid_t fapl = jaxon_fapl("validate=strict;under_vol=0;under_info={}");
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = tracked_group(fid, "JAXON_ROOT");
    ASSERT_GE_INT(text_attr(g, "'a'", "int(1)"), 0);
    H5Gclose(g);
    ASSERT_GE_INT(text_attr(fid, "JAXON_ROOT", "dict"), 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    H5Pclose(fapl);
    ASSERT_CONTAINS(root_comment(path), "Jaxon layout v1.2.0");

    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "append.err"), 0);
    fapl = jaxon_fapl("validate=warn;under_vol=0;under_info={}");
    fid = H5Fopen(path, H5F_ACC_RDWR, fapl);
    ASSERT_GE_INT(fid, 0);
    g = H5Gopen2(fid, "JAXON_ROOT", H5P_DEFAULT);
    ASSERT_GE_INT(text_attr(g, "'b'", "int(2)"), 0);
    ASSERT_EQ_INT(H5Aexists(g, "'b'"), 1);
    H5Gclose(g);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    H5Pclose(fapl);
    const char *err = stderr_capture_end(&cap);
    ASSERT_CONTAINS(err, "append.h5: /JAXON_ROOT@'b': [complete-tree] ");
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

int main(void)
{
    RUN(strict_mode_should_refuse_a_malformed_jaxon_write_with_our_message);
    RUN(warn_mode_should_let_the_write_through);
    RUN(plain_hdf5_files_should_be_unaffected_in_strict_mode);
    RUN(jaxon_files_should_carry_annotations_visible_in_h5dump);
    RUN(strict_mode_should_refuse_the_root_write_of_an_incomplete_tree);
    RUN(strict_close_of_an_unfinished_tree_should_release_the_id_and_say_why);
    RUN(warn_mode_should_report_an_incomplete_tree_once);
    RUN(flush_in_the_middle_of_a_save_should_not_check_the_tree);
    RUN(an_existing_jaxon_file_opened_for_writing_should_refuse_changes_to_its_tree);
    RUN(a_plain_file_opened_for_writing_should_take_a_new_tree_and_warn_mode_changes);
    return test_summary();
}
