/* A full round trip through the connector: groups (with intermediate creation), attributes
 * (fixed and vlen strings), datasets, hard/soft links, iteration and visiting, comments,
 * object references, committed datatypes, reopen, and no id left behind after close. */
#include "test.h"
#include "vol_test_util.h"

static hid_t fapl = H5I_INVALID_HID;

static void write_vlen_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, &value);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void build_file(const char *path)
{
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(fid, "x/y/z", lcpl, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(g, 0);
    write_vlen_attr(g, "units", "m/s");

    hid_t ft = H5Tcopy(H5T_C_S1);
    H5Tset_size(ft, 8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(fid, "fixed", ft, s, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(H5Awrite(a, ft, "abcdefgh"), 0);
    H5Aclose(a);
    H5Tclose(ft);

    hsize_t dims[1] = {16};
    hid_t ds = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(g, "data", H5T_NATIVE_INT, ds, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int v[16];
    for (int i = 0; i < 16; i++)
        v[i] = i * i;
    ASSERT_GE_INT(H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Dclose(d);

    /* vlen string dataset */
    hid_t vt = H5Tcopy(H5T_C_S1);
    H5Tset_size(vt, H5T_VARIABLE);
    hsize_t two[1] = {2};
    hid_t s2 = H5Screate_simple(1, two, NULL);
    d = H5Dcreate2(fid, "strings", vt, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *strs[2] = {"hello", "wörld"};
    ASSERT_GE_INT(H5Dwrite(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, strs), 0);
    H5Dclose(d);
    H5Sclose(s2);
    H5Tclose(vt);

    /* links */
    ASSERT_GE_INT(H5Lcreate_hard(fid, "x/y/z/data", fid, "hard", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE_INT(H5Lcreate_soft("/x/y/z", fid, "soft", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE_INT(H5Lmove(fid, "soft", fid, "soft2", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE_INT(H5Lcopy(fid, "hard", g, "hard_copy", H5P_DEFAULT, H5P_DEFAULT), 0);

    /* anonymous group linked later */
    hid_t anon = H5Gcreate_anon(fid, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(anon, 0);
    ASSERT_GE_INT(H5Olink(anon, fid, "was_anon", H5P_DEFAULT, H5P_DEFAULT), 0);
    H5Gclose(anon);

    /* committed datatype, object copy, comment */
    hid_t ct = H5Tcopy(H5T_NATIVE_DOUBLE);
    ASSERT_GE_INT(H5Tcommit2(fid, "dtype", ct, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), 0);
    H5Tclose(ct);
    ASSERT_GE_INT(H5Ocopy(g, "data", fid, "data_copy", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE_INT(H5Oset_comment(g, "a comment"), 0);

    /* object reference to the dataset */
    H5R_ref_t ref;
    ASSERT_GE_INT(H5Rcreate_object(fid, "x/y/z/data", H5P_DEFAULT, &ref), 0);
    hid_t rs = H5Screate(H5S_SCALAR);
    d = H5Dcreate2(fid, "ref", H5T_STD_REF, rs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(H5Dwrite(d, H5T_STD_REF, H5S_ALL, H5S_ALL, H5P_DEFAULT, &ref), 0);
    H5Rdestroy(&ref);
    H5Dclose(d);
    H5Sclose(rs);

    /* attribute rename and delete */
    write_vlen_attr(fid, "tmp", "x");
    ASSERT_GE_INT(H5Arename(fid, "tmp", "tmp2"), 0);
    ASSERT_GE_INT(H5Adelete(fid, "tmp2"), 0);
    ASSERT_GE_INT(H5Ldelete(fid, "hard", H5P_DEFAULT), 0);

    H5Sclose(ds);
    H5Sclose(s);
    H5Pclose(lcpl);
    H5Gclose(g);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        print_open_ids();
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

typedef struct iter_state {
    int count;
    int wrong_connector;
} iter_state;

static herr_t link_cb(hid_t gid, const char *name, const H5L_info2_t *info, void *ud)
{
    iter_state *st = ud;
    st->count++;
    if (strcmp(connector_name(gid), "jaxon") != 0)
        st->wrong_connector++;
    return 0;
}

static herr_t visit_cb(hid_t oid, const char *name, const H5O_info2_t *info, void *ud)
{
    iter_state *st = ud;
    st->count++;
    if (strcmp(connector_name(oid), "jaxon") != 0)
        st->wrong_connector++;
    return 0;
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *ud)
{
    iter_state *st = ud;
    st->count++;
    if (strcmp(connector_name(loc), "jaxon") != 0)
        st->wrong_connector++;
    return 0;
}

static void roundtrip_should_preserve_everything_through_the_connector(void)
{
    const char *path = tmp_path("roundtrip.h5");
    build_file(path);
    if (test_case_failed_)
        return;
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(connector_name(fid), "jaxon");

    /* data */
    hid_t d = H5Dopen2(fid, "/x/y/z/data", H5P_DEFAULT);
    int v[16];
    ASSERT_GE_INT(H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    ASSERT_EQ_INT(v[15], 225);
    H5Dclose(d);

    /* vlen attribute */
    hid_t g = H5Gopen2(fid, "soft2", H5P_DEFAULT); /* through the soft link */
    ASSERT_GE_INT(g, 0);
    hid_t a = H5Aopen(g, "units", H5P_DEFAULT);
    hid_t at = H5Aget_type(a);
    char *units = NULL;
    ASSERT_GE_INT(H5Aread(a, at, &units), 0);
    ASSERT_STREQ(units, "m/s");
    H5free_memory(units);
    H5Tclose(at);
    H5Aclose(a);

    /* fixed attribute */
    a = H5Aopen(fid, "fixed", H5P_DEFAULT);
    char fixed[9] = {0};
    at = H5Aget_type(a);
    ASSERT_GE_INT(H5Aread(a, at, fixed), 0);
    ASSERT_STREQ(fixed, "abcdefgh");
    H5Tclose(at);
    H5Aclose(a);
    ASSERT_EQ_INT(H5Aexists(fid, "tmp2"), 0);

    /* vlen dataset */
    d = H5Dopen2(fid, "strings", H5P_DEFAULT);
    hid_t vt = H5Dget_type(d);
    char *strs[2] = {NULL, NULL};
    ASSERT_GE_INT(H5Dread(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, strs), 0);
    ASSERT_STREQ(strs[0], "hello");
    ASSERT_STREQ(strs[1], "wörld");
    hid_t vs = H5Dget_space(d);
    H5Treclaim(vt, vs, H5P_DEFAULT, strs);
    H5Sclose(vs);
    H5Tclose(vt);
    H5Dclose(d);

    /* comment */
    char comment[32] = "";
    ASSERT_GE_INT(H5Oget_comment(g, comment, sizeof comment), 0);
    ASSERT_STREQ(comment, "a comment");

    /* links */
    ASSERT_EQ_INT(H5Lexists(fid, "hard", H5P_DEFAULT), 0);
    ASSERT_EQ_INT(H5Lexists(g, "hard_copy", H5P_DEFAULT), 1);
    ASSERT_EQ_INT(H5Lexists(fid, "was_anon", H5P_DEFAULT), 1);
    ASSERT_EQ_INT(H5Lexists(fid, "data_copy", H5P_DEFAULT), 1);
    char target[32] = "";
    ASSERT_GE_INT(H5Lget_val(fid, "soft2", target, sizeof target, H5P_DEFAULT), 0);
    ASSERT_STREQ(target, "/x/y/z");

    /* committed datatype through H5Dget_type path and directly */
    hid_t ct = H5Topen2(fid, "dtype", H5P_DEFAULT);
    ASSERT_GE_INT(ct, 0);
    ASSERT_EQ_INT(H5Tcommitted(ct), 1);
    H5Tclose(ct);

    /* reference */
    d = H5Dopen2(fid, "ref", H5P_DEFAULT);
    H5R_ref_t ref;
    ASSERT_GE_INT(H5Dread(d, H5T_STD_REF, H5S_ALL, H5S_ALL, H5P_DEFAULT, &ref), 0);
    hid_t target_obj = H5Ropen_object(&ref, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(target_obj, 0);
    ASSERT_STREQ(connector_name(target_obj), "jaxon");
    char name[64] = "";
    H5Iget_name(target_obj, name, sizeof name);
    ASSERT_STREQ(name, "/x/y/z/data");
    H5Oclose(target_obj);
    H5Rdestroy(&ref);
    H5Dclose(d);

    /* iteration: the ids handed to callbacks are ours */
    iter_state st = {0, 0};
    ASSERT_GE_INT(H5Literate2(fid, H5_INDEX_NAME, H5_ITER_INC, NULL, link_cb, &st), 0);
    /* x strings soft2 was_anon dtype data_copy ref ("hard" was deleted) */
    ASSERT_EQ_INT(st.count, 7);
    ASSERT_EQ_INT(st.wrong_connector, 0);
    st = (iter_state){0, 0};
    ASSERT_GE_INT(H5Ovisit3(fid, H5_INDEX_NAME, H5_ITER_INC, visit_cb, &st, H5O_INFO_BASIC), 0);
    ASSERT_GE_INT(st.count, 8);
    ASSERT_EQ_INT(st.wrong_connector, 0);
    st = (iter_state){0, 0};
    ASSERT_GE_INT(H5Aiterate2(fid, H5_INDEX_NAME, H5_ITER_INC, NULL, attr_cb, &st), 0);
    ASSERT_EQ_INT(st.count, 1);
    ASSERT_EQ_INT(st.wrong_connector, 0);

    /* file-level: get_file_id, reopen, obj ids */
    hid_t f2 = H5Iget_file_id(g);
    ASSERT_GE_INT(f2, 0);
    ASSERT_STREQ(connector_name(f2), "jaxon");
    H5Fclose(f2);
    hid_t f3 = H5Freopen(fid);
    ASSERT_GE_INT(f3, 0);
    ASSERT_STREQ(connector_name(f3), "jaxon");
    ASSERT_EQ_INT(H5Lexists(f3, "strings", H5P_DEFAULT), 1);
    H5Fclose(f3);
    ASSERT_EQ_INT(H5Fget_obj_count(fid, H5F_OBJ_GROUP), 1);

    H5Gclose(g);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        print_open_ids();
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void closing_should_leave_no_open_ids(void)
{
    hid_t fid = H5Fcreate(tmp_path("leak.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    hid_t g = H5Gcreate2(fid, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    write_vlen_attr(g, "a", "b");
    ASSERT_EQ_INT(H5Fget_obj_count(fid, H5F_OBJ_ALL), 2);
    H5Gclose(g);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    /* The file really is closed: it can be truncated again. */
    fid = H5Fcreate(tmp_path("leak.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
}

int main(void)
{
    fapl = jaxon_fapl("validate=warn;under_vol=0;under_info={}");
    if (fapl < 0)
        return 1;
    RUN(roundtrip_should_preserve_everything_through_the_connector);
    RUN(closing_should_leave_no_open_ids);
    H5Pclose(fapl);
    return test_summary();
}
