/* h5dump runs through the connector (--vol-name/--vol-info) on a file written through it.
 * The tools fall back to native silently, so a malformed info string is used to prove that
 * h5dump really hands its --vol-info to our parser. */
#include "test.h"
#include "vol_test_util.h"

/* Runs cmd, captures stdout+stderr into out; returns the exit status. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t len = 0, n;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - len - 1, p)) > 0)
        len += n;
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *make_file(void)
{
    const char *path = tmp_path("h5dump.h5");
    static char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    hid_t fapl = jaxon_fapl("validate=off;under_vol=0;under_info={}");
    hid_t fid = H5Fcreate(copy, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    hid_t g = H5Gcreate2(fid, "group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Oset_comment(g, "dumped through jaxon");
    hsize_t dims[1] = {4};
    hid_t s = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(g, "numbers", H5T_NATIVE_INT, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int v[4] = {7, 8, 9, 10};
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d);
    H5Sclose(s);
    H5Gclose(g);
    H5Fclose(fid);
    H5Pclose(fapl);
    return copy;
}

static void h5dump_should_read_a_file_through_the_connector(void)
{
    const char *h5dump = h5dump_command();
    ASSERT_TRUE(h5dump != NULL);
    const char *file = make_file();
    static char cmd[16384], out[65536];
    snprintf(cmd, sizeof cmd,
             "%s --enable-error-stack --vol-name=jaxon --vol-info='under_vol=0;under_info={}' "
             "'%s' 2>&1",
             h5dump, file);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "%s\n", out);
    ASSERT_EQ_INT(rc, 0);
    ASSERT_CONTAINS(out, "DATASET \"numbers\"");
    ASSERT_CONTAINS(out, "7, 8, 9, 10");
    ASSERT_CONTAINS(out, "COMMENT \"dumped through jaxon\"");
}

static void h5dump_should_hand_its_vol_info_to_our_parser(void)
{
    const char *h5dump = h5dump_command();
    ASSERT_TRUE(h5dump != NULL);
    const char *file = make_file();
    static char cmd[16384], out[65536];
    snprintf(cmd, sizeof cmd,
             "%s --enable-error-stack --vol-name=jaxon --vol-info='validate=loud' '%s' 2>&1",
             h5dump, file);
    run(cmd, out, sizeof out);
    ASSERT_CONTAINS(out, "malformed jaxon info string");
}

static void h5dump_should_work_with_the_connector_from_the_environment(void)
{
    const char *h5dump = h5dump_command();
    ASSERT_TRUE(h5dump != NULL);
    const char *file = make_file();
    static char cmd[16384], out[65536];
    snprintf(cmd, sizeof cmd,
             "HDF5_VOL_CONNECTOR='jaxon validate=off;under_vol=0;under_info={}' %s "
             "--enable-error-stack -d /group/numbers '%s' 2>&1",
             h5dump, file);
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "%s\n", out);
    ASSERT_EQ_INT(rc, 0);
    ASSERT_CONTAINS(out, "7, 8, 9, 10");
}

int main(void)
{
    RUN(h5dump_should_read_a_file_through_the_connector);
    RUN(h5dump_should_hand_its_vol_info_to_our_parser);
    RUN(h5dump_should_work_with_the_connector_from_the_environment);
    return test_summary();
}
