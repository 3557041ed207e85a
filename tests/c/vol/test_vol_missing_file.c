/* With the plugin on HDF5_PLUGIN_PATH but not selected, a failed H5Fopen makes the library
 * probe every plugin with IS_ACCESSIBLE (NULL object, NULL info; it unregisters the plugin
 * again afterwards). The probe must neither fail nor replace the ordinary "unable to open
 * file" error: a failing probe shows up as "failed to iterate over available VOL connector
 * plugins" at the top of the stack. */
#include "test.h"
#include "vol_test_util.h"

static void missing_file_open_should_report_the_ordinary_error(void)
{
    hid_t fid;
    H5E_BEGIN_TRY { fid = H5Fopen(tmp_path("does_not_exist.h5"), H5F_ACC_RDONLY, H5P_DEFAULT); }
    H5E_END_TRY
    ASSERT_TRUE(fid < 0);
    err_text t;
    const char *s = error_stack_text(&t);
    ASSERT_CONTAINS(s, "unable to open file");
    ASSERT_TRUE(strstr(s, "VOL connector plugins") == NULL);
    ASSERT_TRUE(strstr(s, "[jaxon]") == NULL);
}

static void is_accessible_through_the_connector_should_answer_without_error(void)
{
    hid_t fapl = jaxon_fapl(NULL);
    ASSERT_GE_INT(fapl, 0);
    htri_t r;
    H5E_BEGIN_TRY { r = H5Fis_accessible(tmp_path("does_not_exist.h5"), fapl); }
    H5E_END_TRY
    ASSERT_TRUE(r <= 0);

    const char *path = tmp_path("accessible.h5");
    hid_t fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE_INT(fid, 0);
    H5Fclose(fid);
    ASSERT_EQ_INT(H5Fis_accessible(path, fapl), 1);
    H5Pclose(fapl);
}

int main(void)
{
    RUN(missing_file_open_should_report_the_ordinary_error);
    RUN(is_accessible_through_the_connector_should_answer_without_error);
    return test_summary();
}
