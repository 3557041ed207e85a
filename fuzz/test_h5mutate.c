/* The structure-aware mutator: lookup3 matches the reference values, block discovery finds the
 * checksummed metadata of a file HDF5 wrote, and a field mutation stays inside one block and
 * leaves that block's checksum valid (so HDF5 accepts the block and parses the changed field). */
#include "h5mutate.h"
#include "test.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *data_;
static size_t size_;

/* Returns the bytes of a new file (NULL on failure). */
static uint8_t *write_dense_file(const char *path, size_t *size)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    hid_t space = H5Screate(H5S_SCALAR);
    for (int i = 0; i < 40; i++) { /* more than 8 attributes: dense storage */
        char name[32];
        snprintf(name, sizeof name, "attribute-%02d", i);
        hid_t a = H5Acreate2(f, name, H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT, &i);
        H5Aclose(a);
    }
    H5Sclose(space);
    H5Fclose(f);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    *size = (size_t)ftell(fp);
    rewind(fp);
    uint8_t *data = malloc(*size);
    if (data && fread(data, 1, *size, fp) != *size) {
        free(data);
        data = NULL;
    }
    fclose(fp);
    return data;
}

static void lookup3_gives_the_reference_values(void)
{
    /* the values printed by the driver of Bob Jenkins' lookup3.c */
    const char *s = "Four score and seven years ago";
    ASSERT_TRUE(h5m_lookup3("", 0, 0) == 0xdeadbeefu);
    ASSERT_TRUE(h5m_lookup3(s, 30, 0) == 0x17770551u);
    ASSERT_TRUE(h5m_lookup3(s, 30, 1) == 0xcd628161u);
}

static int count_sig(const h5m_block *b, size_t n, const char *sig)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += memcmp(b[i].sig, sig, 4) == 0 && b[i].has_checksum;
    return c;
}

static void blocks_of_a_dense_attribute_file_are_found_with_their_checksums(void)
{
    const uint8_t *data = data_;
    size_t size = size_;
    h5m_block b[256];
    size_t n = h5m_find_blocks(data, size, b, 256);
    ASSERT_TRUE(n > 0 && n <= 256);
    ASSERT_TRUE(memcmp(b[0].sig, "SUPR", 4) == 0 && b[0].offset == 0 && b[0].has_checksum);
    ASSERT_TRUE(count_sig(b, n, "OHDR") >= 1);
    ASSERT_TRUE(count_sig(b, n, "FRHP") == 1); /* the attribute heap */
    ASSERT_TRUE(count_sig(b, n, "BTHD") == 2); /* name and creation-order indexes */
    ASSERT_TRUE(count_sig(b, n, "BTLF") >= 2);
    for (size_t i = 0; i < n; i++)
        if (b[i].has_checksum)
            ASSERT_TRUE(h5m_lookup3(data + b[i].offset, b[i].length, 0) ==
                  ((uint32_t)data[b[i].offset + b[i].length] |
                   (uint32_t)data[b[i].offset + b[i].length + 1] << 8 |
                   (uint32_t)data[b[i].offset + b[i].length + 2] << 16 |
                   (uint32_t)data[b[i].offset + b[i].length + 3] << 24));
}

static void field_mutations_stay_in_one_block_and_keep_its_checksum_valid(void)
{
    const uint8_t *data = data_;
    size_t size = size_;
    h5m_block b[256];
    size_t n = h5m_find_blocks(data, size, b, 256);
    uint8_t *m = malloc(size), *again = malloc(size);
    int changed = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        memcpy(m, data, size);
        ASSERT_TRUE(h5m_mutate(m, size, size, seed, H5M_FIELDS) == size);
        memcpy(again, data, size);
        h5m_mutate(again, size, size, seed, H5M_FIELDS);
        ASSERT_TRUE(memcmp(m, again, size) == 0); /* deterministic */
        size_t lo = 0, hi = size;
        while (lo < size && m[lo] == data[lo])
            lo++;
        if (lo == size)
            continue; /* the new value equalled the old one */
        while (hi > lo && m[hi - 1] == data[hi - 1])
            hi--;
        changed++;
        const h5m_block *in = NULL;
        for (size_t i = 0; i < n && !in; i++)
            if (b[i].offset <= lo && hi <= b[i].offset + b[i].length + 4)
                in = &b[i];
        ASSERT_TRUE(in != NULL);
        ASSERT_TRUE(memcmp(m + in->offset, data + in->offset, 4) == 0); /* signature kept */
        if (in->has_checksum) {
            uint32_t sum = h5m_lookup3(m + in->offset, in->length, 0);
            const uint8_t *p = m + in->offset + in->length;
            ASSERT_TRUE(sum == ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                          (uint32_t)p[3] << 24));
        }
    }
    ASSERT_TRUE(changed > 250);
    free(m);
    free(again);
}

int main(void)
{
    const char *tmp = getenv("JAXON_TEST_TMP");
    char path[4096];
    snprintf(path, sizeof path, "%s/h5mutate-dense.h5", tmp ? tmp : ".");
    data_ = write_dense_file(path, &size_);
    if (!data_) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    RUN(lookup3_gives_the_reference_values);
    RUN(blocks_of_a_dense_attribute_file_are_found_with_their_checksums);
    RUN(field_mutations_stay_in_one_block_and_keep_its_checksum_valid);
    free(data_);
    remove(path);
    return test_summary();
}
