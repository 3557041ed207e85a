/* The datatype memo (jxv_describe_memo): the same descriptions as jxv_describe, a type or
 * dataspace modified under the same id is described anew, a copy closed behind the memo's back is
 * recovered from, the error stack stays empty, and clearing closes every copy. */
#include "jxv.h"
#include "test.h"

static int same_type_part(const jxv_type *a, const jxv_type *b)
{
    return a->kind == b->kind && a->size == b->size && a->utf8 == b->utf8 &&
           a->is_signed == b->is_signed;
}

static hid_t fixed_string(size_t n, H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, n);
    H5Tset_cset(t, cset);
    return t;
}

static void memo_should_describe_like_jxv_describe(void)
{
    jxv_type_memo m;
    jxv_type_memo_init(&m);
    hid_t vlen = fixed_string(1, H5T_CSET_UTF8);
    H5Tset_size(vlen, H5T_VARIABLE);
    hid_t types[] = {fixed_string(7, H5T_CSET_UTF8), fixed_string(7, H5T_CSET_ASCII), vlen,
                     H5T_NATIVE_INT64, H5T_NATIVE_UINT8, H5T_NATIVE_DOUBLE};
    hid_t scalar = H5Screate(H5S_SCALAR);
    hsize_t dims[2] = {3, 4};
    hid_t simple = H5Screate_simple(2, dims, NULL);
    for (int round = 0; round < 2; round++) /* the second round is answered by the memo */
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            hid_t sp = i % 2 ? simple : scalar;
            jxv_type want, got;
            ASSERT_EQ_INT(jxv_describe(types[i], sp, &want), 0);
            ASSERT_EQ_INT(jxv_describe_memo(&m, types[i], sp, &got), 0);
            ASSERT_TRUE(same_type_part(&want, &got));
            ASSERT_EQ_INT(got.space, want.space);
            ASSERT_EQ_INT(got.rank, want.rank);
            ASSERT_EQ_INT(got.npoints, want.npoints);
            ASSERT_EQ_INT(H5Eget_num(H5E_DEFAULT), 0);
        }
    jxv_type_memo_clear(&m);
    for (size_t i = 0; i < 3; i++)
        H5Tclose(types[i]);
    H5Sclose(scalar);
    H5Sclose(simple);
}

static void memo_should_notice_a_type_modified_under_the_same_id(void)
{
    jxv_type_memo m;
    jxv_type_memo_init(&m);
    hid_t t = fixed_string(5, H5T_CSET_UTF8);
    jxv_type ty;
    ASSERT_EQ_INT(jxv_describe_type_memo(&m, t, &ty), 0);
    ASSERT_EQ_INT(ty.size, 5);
    ASSERT_EQ_INT(ty.utf8, 1);
    H5Tset_size(t, 9);
    ASSERT_EQ_INT(jxv_describe_type_memo(&m, t, &ty), 0);
    ASSERT_EQ_INT(ty.size, 9);
    H5Tset_cset(t, H5T_CSET_ASCII);
    ASSERT_EQ_INT(jxv_describe_type_memo(&m, t, &ty), 0);
    ASSERT_EQ_INT(ty.utf8, 0);
    H5Tset_size(t, H5T_VARIABLE);
    ASSERT_EQ_INT(jxv_describe_type_memo(&m, t, &ty), 0);
    ASSERT_EQ_INT(ty.kind, JXV_T_VLEN_STRING);
    jxv_type_memo_clear(&m);
    H5Tclose(t);
}

static void memo_should_notice_a_dataspace_modified_under_the_same_id(void)
{
    jxv_type_memo m;
    jxv_type_memo_init(&m);
    hsize_t dims[3] = {2, 3, 4};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    jxv_type ty;
    ASSERT_EQ_INT(jxv_describe_memo(&m, H5T_NATIVE_DOUBLE, sp, &ty), 0);
    ASSERT_EQ_INT(ty.space, JXV_S_SIMPLE);
    ASSERT_EQ_INT(ty.npoints, 2);
    ASSERT_EQ_INT(jxv_describe_memo(&m, H5T_NATIVE_DOUBLE, sp, &ty), 0); /* from the memo */
    ASSERT_EQ_INT(ty.rank, 1);
    H5Sset_extent_simple(sp, 3, dims, NULL);
    ASSERT_EQ_INT(jxv_describe_memo(&m, H5T_NATIVE_DOUBLE, sp, &ty), 0);
    ASSERT_EQ_INT(ty.rank, 3);
    ASSERT_EQ_INT(ty.npoints, 24);
    H5Sset_extent_none(sp);
    ASSERT_EQ_INT(jxv_describe_memo(&m, H5T_NATIVE_DOUBLE, sp, &ty), 0);
    ASSERT_EQ_INT(ty.space, JXV_S_NULL);
    ASSERT_EQ_INT(ty.npoints, 0);
    /* a copy closed behind the memo's back is recovered from, as for datatypes */
    for (size_t i = 0; i < JXV_SPACE_MEMO_SIZE; i++)
        if (m.s[i].app == sp)
            H5Sclose(m.s[i].copy);
    H5Sset_extent_simple(sp, 2, dims, NULL);
    int rc;
    H5E_BEGIN_TRY { rc = jxv_describe_memo(&m, H5T_NATIVE_DOUBLE, sp, &ty); }
    H5E_END_TRY
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(ty.npoints, 6);
    ASSERT_EQ_INT(H5Eget_num(H5E_DEFAULT), 0);
    hid_t copy = H5I_INVALID_HID;
    for (size_t i = 0; i < JXV_SPACE_MEMO_SIZE; i++)
        if (m.s[i].app == sp)
            copy = m.s[i].copy;
    ASSERT_TRUE(H5Iis_valid(copy) > 0);
    jxv_type_memo_clear(&m);
    ASSERT_TRUE(H5Iis_valid(copy) <= 0);
    H5Sclose(sp);
}

static void memo_should_recover_when_its_copy_was_closed(void)
{
    jxv_type_memo m;
    jxv_type_memo_init(&m);
    hid_t t = fixed_string(4, H5T_CSET_UTF8);
    jxv_type ty;
    ASSERT_EQ_INT(jxv_describe_type_memo(&m, t, &ty), 0);
    size_t closed = 0;
    for (size_t i = 0; i < JXV_TYPE_MEMO_SIZE; i++)
        if (m.e[i].app == t) {
            H5Tclose(m.e[i].copy); /* as an application closing every datatype id would */
            closed++;
        }
    ASSERT_EQ_INT(closed, 1);
    int rc;
    /* H5Tequal on the dead copy fails and would print; the memo then describes anew */
    H5E_BEGIN_TRY { rc = jxv_describe_type_memo(&m, t, &ty); }
    H5E_END_TRY
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(ty.size, 4);
    ASSERT_EQ_INT(H5Eget_num(H5E_DEFAULT), 0);
    jxv_type_memo_clear(&m);
    H5Tclose(t);
}

static void memo_should_keep_at_most_its_size_and_close_every_copy_when_cleared(void)
{
    jxv_type_memo m;
    jxv_type_memo_init(&m);
    hid_t t[3 * JXV_TYPE_MEMO_SIZE];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        t[i] = fixed_string(i + 1, H5T_CSET_UTF8);
        jxv_type ty;
        ASSERT_EQ_INT(jxv_describe_type_memo(&m, t[i], &ty), 0);
        ASSERT_EQ_INT(ty.size, i + 1);
    }
    hid_t copies[JXV_TYPE_MEMO_SIZE];
    for (size_t i = 0; i < JXV_TYPE_MEMO_SIZE; i++) {
        copies[i] = m.e[i].copy;
        ASSERT_TRUE(H5Iis_valid(copies[i]) > 0);
    }
    jxv_type_memo_clear(&m);
    for (size_t i = 0; i < JXV_TYPE_MEMO_SIZE; i++)
        ASSERT_TRUE(H5Iis_valid(copies[i]) <= 0);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        H5Tclose(t[i]);
}

int main(void)
{
    RUN(memo_should_describe_like_jxv_describe);
    RUN(memo_should_notice_a_type_modified_under_the_same_id);
    RUN(memo_should_notice_a_dataspace_modified_under_the_same_id);
    RUN(memo_should_recover_when_its_copy_was_closed);
    RUN(memo_should_keep_at_most_its_size_and_close_every_copy_when_cleared);
    return test_summary();
}
