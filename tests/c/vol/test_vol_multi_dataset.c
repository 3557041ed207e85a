/* HDF5 1.14 multi-dataset I/O (H5Dwrite_multi/H5Dread_multi) through the connector: the
 * callbacks receive count arrays and must forward all datasets in one under call. */
#include "test.h"
#include "vol_test_util.h"

#define NDSETS 3
#define N 8

static void multi_dataset_io_should_round_trip_through_the_connector(void)
{
    hid_t fapl = jaxon_fapl("validate=off;under_vol=0;under_info={}");
    ASSERT_GE_INT(fapl, 0);
    hid_t fid = H5Fcreate(tmp_path("multi.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE_INT(fid, 0);
    hsize_t dims[1] = {N};
    hid_t sid = H5Screate_simple(1, dims, NULL);
    hid_t dsets[NDSETS], types[NDSETS], mspaces[NDSETS], fspaces[NDSETS];
    int out[NDSETS][N], in[NDSETS][N];
    const void *wbufs[NDSETS];
    void *rbufs[NDSETS];
    for (int d = 0; d < NDSETS; d++) {
        char name[16];
        snprintf(name, sizeof name, "d%d", d);
        dsets[d] = H5Dcreate2(fid, name, H5T_NATIVE_INT, sid, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ASSERT_GE_INT(dsets[d], 0);
        types[d] = H5T_NATIVE_INT;
        mspaces[d] = H5S_ALL;
        fspaces[d] = H5S_ALL;
        for (int i = 0; i < N; i++)
            out[d][i] = d * 100 + i;
        wbufs[d] = out[d];
        rbufs[d] = in[d];
    }
    ASSERT_GE_INT(H5Dwrite_multi(NDSETS, dsets, types, mspaces, fspaces, H5P_DEFAULT, wbufs), 0);
    memset(in, 0, sizeof in);
    ASSERT_GE_INT(H5Dread_multi(NDSETS, dsets, types, mspaces, fspaces, H5P_DEFAULT, rbufs), 0);
    ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    /* count == 1 takes the no-allocation path. */
    memset(in, 0, sizeof in);
    ASSERT_GE_INT(H5Dread_multi(1, &dsets[2], types, mspaces, fspaces, H5P_DEFAULT, &rbufs[2]), 0);
    ASSERT_EQ_INT(in[2][N - 1], 200 + N - 1);
    for (int d = 0; d < NDSETS; d++)
        H5Dclose(dsets[d]);
    H5Sclose(sid);
    ASSERT_GE_INT(H5Fclose(fid), 0);
    H5Pclose(fapl);
}

int main(void)
{
    RUN(multi_dataset_io_should_round_trip_through_the_connector);
    return test_summary();
}
