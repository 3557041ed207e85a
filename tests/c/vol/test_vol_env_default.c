/* HDF5_VOL_CONNECTOR=jaxon with no info string: the library hands the connector a NULL info,
 * which must mean "native below, validate=strict" rather than a failing H5Fcreate. */
#include "test.h"
#include "vol_test_util.h"

static void vol_without_info_string_should_stack_on_native(void)
{
    const char *path = tmp_path("env_default.h5");
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(connector_name(fid), "jaxon");
    hbool_t native = 0;
    ASSERT_GE_INT(H5VLobject_is_native(fid, &native), 0);
    ASSERT_TRUE(native);
    hid_t sid = H5Screate(H5S_SCALAR);
    hid_t did = H5Dcreate2(fid, "d", H5T_NATIVE_INT, sid, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sid);
    ASSERT_GE_INT(did, 0);
    int v = 42, r = 0;
    ASSERT_GE_INT(H5Dwrite(did, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v), 0);
    ASSERT_GE_INT(H5Dread(did, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &r), 0);
    ASSERT_EQ_INT(r, 42);
    H5Dclose(did);
    ASSERT_GE_INT(H5Fclose(fid), 0);
}

static void vol_without_info_should_report_native_capabilities(void)
{
    uint64_t flags = 0;
    ASSERT_GE_INT(H5Pget_vol_cap_flags(H5P_FILE_ACCESS_DEFAULT, &flags), 0);
    ASSERT_TRUE(flags & H5VL_CAP_FLAG_NATIVE_FILES);
}

int main(void)
{
    setenv("HDF5_VOL_CONNECTOR", "jaxon", 1);
    RUN(vol_without_info_string_should_stack_on_native);
    RUN(vol_without_info_should_report_native_capabilities);
    return test_summary();
}
