/* libFuzzer target: the Jaxon layout validator (what jaxon-validate runs) on one file image.
 *
 * The input is opened from memory (core driver with a file image, native connector), walked
 * by jxv_check_file_ex and closed. A crash, a hang (-timeout) or a sanitizer report is a
 * finding; violations and HDF5 errors are the expected outcome for most inputs.
 *
 * LLVMFuzzerCustomMutator mutates HDF5 objects (h5mutate.c: fields inside checksummed
 * metadata blocks, checksum recomputed) three times out of four and leaves the rest to
 * libFuzzer's byte-level mutations, which also use the dictionary (fuzz/jaxon.dict). */
#include "h5mutate.h"
#include "jxv.h"

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long counter;
    char name[64];
    if (size < 8)
        return 0;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        abort();
    /* a fresh name per input: a file left open by a failed close must not be reused */
    snprintf(name, sizeof name, "fuzz-image-%lu.h5", counter++);
    if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 || H5Pset_vol(fapl, H5VL_NATIVE, NULL) < 0 ||
        H5Pset_file_image(fapl, (void *)(uintptr_t)data, size) < 0)
        abort();
    hid_t fid = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (fid < 0)
        return 0;
    jxv_report rep;
    jxv_report_init(&rep);
    jxv_check_stats st;
    (void)jxv_check_file_opts(fid, &rep, &st, JXV_CHECK_CHECKSUMS); /* as jaxon-validate */
    jxv_report_clear(&rep);
    H5Fclose(fid);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    if (seed % 4 == 3)
        return LLVMFuzzerMutate(data, size, max_size);
    return h5m_mutate(data, size, max_size, seed, H5M_ALL);
}
