/* The connector loads as a plugin through HDF5_PLUGIN_PATH + HDF5_VOL_CONNECTOR, stacked
 * explicitly on native with "under_vol=0;under_info={}". CTest sets the variable (the
 * ';' in it goes through jaxon_add_c_test's ENV escaping); run by hand, main sets it before
 * the first HDF5 call, since the library reads it once at init. */
#include "test.h"
#include "vol_test_util.h"

static void vol_plugin_should_load_through_env_vars(void)
{
    const char *path = tmp_path("env_explicit.h5");
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(connector_name(fid), "jaxon");
    hid_t gid = H5Gcreate2(fid, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(gid, 0);
    ASSERT_STREQ(connector_name(gid), "jaxon");
    hbool_t native = 0;
    ASSERT_GE_INT(H5VLobject_is_native(gid, &native), 0);
    ASSERT_TRUE(native); /* terminal connector is native */
    H5Gclose(gid);
    ASSERT_GE_INT(H5Fclose(fid), 0);

    fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE_INT(fid, 0);
    ASSERT_STREQ(connector_name(fid), "jaxon");
    ASSERT_TRUE(H5Lexists(fid, "g", H5P_DEFAULT) > 0);
    ASSERT_GE_INT(H5Fclose(fid), 0);
}

static void vol_plugin_default_fapl_should_carry_the_info_string(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t vol = -1;
    ASSERT_GE_INT(H5Pget_vol_id(fapl, &vol), 0);
    H5VL_class_value_t value = 0;
    ASSERT_GE_INT(H5VLget_value(vol, &value), 0);
    ASSERT_EQ_INT(value, 311);
    void *info = NULL;
    ASSERT_GE_INT(H5Pget_vol_info(fapl, &info), 0);
    ASSERT_TRUE(info != NULL);
    char *s = NULL;
    ASSERT_GE_INT(H5VLconnector_info_to_str(info, vol, &s), 0);
    ASSERT_STREQ(s, "validate=strict;under_vol=0;under_info={}");
    H5free_memory(s);
    H5VLfree_connector_info(vol, info);
    H5VLclose(vol);
    H5Pclose(fapl);
}

static void ctest_environment_should_carry_the_semicolon(void)
{
    ASSERT_STREQ(getenv("HDF5_VOL_CONNECTOR"), "jaxon under_vol=0;under_info={}");
}

int main(void)
{
    setenv("HDF5_VOL_CONNECTOR", "jaxon under_vol=0;under_info={}", 0); /* keep CTest's */
    RUN(ctest_environment_should_carry_the_semicolon);
    RUN(vol_plugin_should_load_through_env_vars);
    RUN(vol_plugin_default_fapl_should_carry_the_info_string);
    return test_summary();
}
