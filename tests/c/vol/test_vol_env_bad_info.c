/* HDF5_VOL_CONNECTOR names jaxon with an info string that cannot be parsed (CTest sets
 * "jaxon valdate=strict"). Left to itself HDF5 would fail its initialisation once and then
 * carry on with native, so the application would read and write files unvalidated; the
 * connector instead names the bad part on stderr once and refuses every file. */
#include "test.h"
#include "vol_test_util.h"

static const char *said_at_init;

static void bad_env_info_should_be_named_once_at_library_init(void)
{
    ASSERT_STREQ(said_at_init,
                 "jaxon: bad info string 'valdate=strict': unknown key 'valdate' (expected "
                 "validate, open_check, report, under_vol, under_info) (at offset 0); no file "
                 "can be opened through the jaxon connector\n");
}

static void jaxon_should_stay_the_default_connector(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t vol = H5I_INVALID_HID;
    ASSERT_GE_INT(H5Pget_vol_id(fapl, &vol), 0);
    H5VL_class_value_t value = 0;
    ASSERT_GE_INT(H5VLget_value(vol, &value), 0);
    ASSERT_EQ_INT(value, 311);
    H5VLclose(vol);
    H5Pclose(fapl);
}

static void every_file_access_should_fail_naming_the_bad_part(void)
{
    const char *path = tmp_path("env_bad_info.h5");
    stderr_capture cap;
    ASSERT_GE_INT(stderr_capture_begin(&cap, "env_bad_info.log"), 0);
    hid_t fid;
    err_text et;
    H5E_BEGIN_TRY { fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
    H5E_END_TRY
    ASSERT_TRUE(fid < 0);
    error_stack_text(&et);
    H5E_BEGIN_TRY { fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
    H5E_END_TRY
    const char *said = stderr_capture_end(&cap);
    ASSERT_TRUE(fid < 0);
    ASSERT_CONTAINS(et.buf, "HDF5_VOL_CONNECTOR gives the jaxon connector a bad info string "
                            "'valdate=strict': unknown key 'valdate'");
    ASSERT_STREQ(said, ""); /* said once already, at init */
    ASSERT_EQ_INT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

int main(void)
{
    /* The library parses HDF5_VOL_CONNECTOR at its first call: capture what it says. */
    static stderr_capture cap;
    if (stderr_capture_begin(&cap, "env_bad_info_init.log") < 0)
        return 1;
    H5open();
    said_at_init = stderr_capture_end(&cap);
    RUN(bad_env_info_should_be_named_once_at_library_init);
    RUN(jaxon_should_stay_the_default_connector);
    RUN(every_file_access_should_fail_naming_the_bad_part);
    return test_summary();
}
