/* The integrity primitives of spec §12 (jxv_integrity.c; the CRC-32C itself is tested in
 * test_crc32c.c): the comment records, the group checksum's order rules, and the checker's
 * verification of groups and datasets in a real file (a byte changed in an attribute value
 * or in dataset data is reported at its path with rule checksum). */
#include "jxv_integrity.h"
#include "test.h"

static void records_should_round_trip_and_reject_malformed_text(void)
{
    char rec[JXV_RECORD_CAP], text[64];
    uint32_t v = 0;
    size_t n = 0;
    jxv_record_format(rec, 0x0a1b2c3du);
    ASSERT_STREQ(rec, "jaxon-crc32c=0a1b2c3d");
    ASSERT_EQ_INT(jxv_record_parse(rec, strlen(rec), &v, &n), JXV_RECORD_VALUE);
    ASSERT_EQ_INT(v, 0x0a1b2c3du);
    ASSERT_EQ_INT(n, strlen(rec));
    snprintf(text, sizeof text, "%s; dict, 4 entries", rec);
    ASSERT_EQ_INT(jxv_record_parse(text, strlen(text), &v, &n), JXV_RECORD_VALUE);
    ASSERT_STREQ(text + n, "dict, 4 entries");
    ASSERT_EQ_INT(jxv_record_parse("jaxon-crc32c=none; x", 20, &v, &n), JXV_RECORD_UNCHECKED);
    ASSERT_EQ_INT(n, 19);
    ASSERT_EQ_INT(jxv_record_parse("dict, 4 entries", 15, &v, &n), JXV_RECORD_ABSENT);
    ASSERT_EQ_INT(n, 0);
    ASSERT_EQ_INT(jxv_record_parse("jaxon-crc32c=0A1B2C3D", 21, &v, &n), JXV_RECORD_MALFORMED);
    ASSERT_EQ_INT(jxv_record_parse("jaxon-crc32c=0a1b2c", 19, &v, &n), JXV_RECORD_MALFORMED);
    ASSERT_EQ_INT(jxv_record_parse("jaxon-crc32c=0a1b2c3d4", 22, &v, &n), JXV_RECORD_MALFORMED);
    ASSERT_EQ_INT(jxv_record_parse(NULL, 0, &v, &n), JXV_RECORD_ABSENT);
}

static void group_checksum_should_fix_name_order_but_not_digest_order(void)
{
    jxv_gsum a, b, c;
    uint32_t d1 = jxv_attr_digest("x", 1, 'T', '|', 3, 0, 0, NULL, "'a'", 3);
    uint32_t d2 = jxv_attr_digest("y", 1, 'T', '|', 3, 0, 0, NULL, "'b'", 3);
    jxv_gsum_init(&a);
    jxv_gsum_init(&b);
    jxv_gsum_init(&c);
    jxv_gsum_names(&a, "x\0y", 4, 2); /* the loader: the whole name list at once */
    jxv_gsum_add(&a, d1);
    jxv_gsum_add(&a, d2);
    jxv_gsum_names(&b, "x", 2, 1); /* the saver: name by name, digests in another order */
    jxv_gsum_names(&b, "y", 2, 1);
    jxv_gsum_add(&b, d2);
    jxv_gsum_add(&b, d1);
    ASSERT_EQ_INT(jxv_gsum_value(&a), jxv_gsum_value(&b));
    jxv_gsum_names(&c, "y\0x", 4, 2); /* the same children in another order */
    jxv_gsum_add(&c, d1);
    jxv_gsum_add(&c, d2);
    ASSERT_NE_INT(jxv_gsum_value(&a), jxv_gsum_value(&c));
    /* a value moved to another name, a changed shape or class: other digests */
    ASSERT_NE_INT(jxv_attr_digest("y", 1, 'T', '|', 3, 0, 0, NULL, "'a'", 3), d2);
    hsize_t d4[1] = {4}, d22[2] = {2, 2};
    ASSERT_NE_INT(jxv_attr_digest("z", 1, 'i', '|', 1, 0, 1, d4, "abcd", 4),
                  jxv_attr_digest("z", 1, 'i', '|', 1, 0, 2, d22, "abcd", 4));
    ASSERT_NE_INT(jxv_attr_digest("z", 1, 'i', '|', 1, 0, 1, d4, "abcd", 4),
                  jxv_attr_digest("z", 1, 'u', '|', 1, 0, 1, d4, "abcd", 4));
    ASSERT_NE_INT(jxv_attr_digest("z", 1, 'i', '<', 2, 0, 1, d4, "abcdabcd", 8),
                  jxv_attr_digest("z", 1, 'i', '>', 2, 0, 1, d4, "abcdabcd", 8));
}

/* A file with one group holding two text attributes and an int array, and one dataset,
 * each with a correct record; returns the file path (little-endian machines). */
static const char *write_sample(const char *name)
{
    static char path[512];
    const char *dir = getenv("JAXON_TEST_TMP");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hsize_t n3 = 3;
    hid_t vec = H5Screate_simple(1, &n3, NULL);
    hid_t s5 = H5Tcopy(H5T_C_S1);
    H5Tset_size(s5, 5);
    H5Tset_cset(s5, H5T_CSET_UTF8);
    jxv_gsum sum;
    jxv_gsum_init(&sum);
    const char *names[] = {"b", "a"};
    const char *texts[] = {"'one'", "'two'"};
    for (int i = 0; i < 2; i++) {
        hid_t a = H5Acreate2(g, names[i], s5, scalar, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, s5, texts[i]);
        H5Aclose(a);
        jxv_gsum_names(&sum, names[i], 2, 1);
        jxv_gsum_add(&sum, jxv_attr_digest(names[i], 1, 'T', '|', 5, 0, 0, NULL, texts[i], 5));
    }
    int32_t ints[3] = {1, 2, 3};
    hid_t a = H5Acreate2(g, "c:numpy.ndarray", H5T_STD_I32LE, vec, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT32, ints);
    H5Aclose(a);
    jxv_gsum_names(&sum, "c:numpy.ndarray", 16, 1);
    jxv_gsum_add(&sum, jxv_attr_digest("c:numpy.ndarray", 15, 'i', '<', 4, 0, 1, &n3, ints, 12));
    char rec[JXV_RECORD_CAP];
    jxv_record_format(rec, jxv_gsum_value(&sum));
    H5Oset_comment(g, rec);
    double data[1000];
    hsize_t n = 1000;
    for (int i = 0; i < 1000; i++)
        data[i] = i * 0.5;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "d", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    jxv_record_format(rec, jxv_crc32c(0, data, sizeof data));
    H5Oset_comment(d, rec);
    H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(s5);
    H5Sclose(vec);
    H5Sclose(scalar);
    H5Gclose(g);
    H5Pclose(gcpl);
    H5Pclose(fcpl);
    H5Fclose(f);
    return path;
}

static size_t check_sample(const char *path, jxv_report *rep)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "g", H5P_DEFAULT), d = H5Dopen2(f, "d", H5P_DEFAULT);
    jxv__integrity_check_group(g, "/g", 1, rep);
    jxv__integrity_check_dataset(d, "/d", 1, rep);
    H5Dclose(d);
    H5Gclose(g);
    H5Fclose(f);
    return rep->count;
}

/* Changes the first occurrence of what in the file to with (same length). */
static int patch_file(const char *path, const void *what, const void *with, size_t n)
{
    FILE *fp = fopen(path, "r+b");
    if (!fp)
        return -1;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    unsigned char *b = malloc((size_t)size);
    fseek(fp, 0, SEEK_SET);
    int found = -1;
    if (b && fread(b, 1, (size_t)size, fp) == (size_t)size)
        for (long i = 0; i + (long)n <= size && found < 0; i++)
            if (memcmp(b + i, what, n) == 0) {
                fseek(fp, i, SEEK_SET);
                fwrite(with, 1, n, fp);
                found = 0;
            }
    free(b);
    fclose(fp);
    return found;
}

static void checker_should_pass_intact_objects(void)
{
    jxv_report rep;
    jxv_report_init(&rep);
    ASSERT_EQ_INT(check_sample(write_sample("integrity_ok.h5"), &rep), 0);
    jxv_report_clear(&rep);
}

static void checker_should_report_a_changed_attribute_value_at_the_group(void)
{
    jxv_report rep;
    jxv_report_init(&rep);
    const char *path = write_sample("integrity_attr.h5");
    /* the value sits in the object header, which HDF5 checksums too; a changed value must
     * fail one way or the other, never pass */
    ASSERT_EQ_INT(patch_file(path, "'two'", "'tw0'", 5), 0);
    H5E_BEGIN_TRY
    {
        check_sample(path, &rep);
    }
    H5E_END_TRY
    ASSERT_GE_INT(rep.count, 1);
    ASSERT_STREQ(rep.items[0].path, "/g");
    ASSERT_STREQ(jxv_rule_name(rep.items[0].rule), "checksum");
    jxv_report_clear(&rep);
}

static void checker_should_report_changed_dataset_data(void)
{
    jxv_report rep;
    jxv_report_init(&rep);
    const char *path = write_sample("integrity_data.h5");
    double x = 250.0, y = 250.5; /* element 500 */
    ASSERT_EQ_INT(patch_file(path, &x, &y, sizeof x), 0);
    ASSERT_EQ_INT(check_sample(path, &rep), 1);
    ASSERT_STREQ(rep.items[0].path, "/d");
    ASSERT_STREQ(jxv_rule_name(rep.items[0].rule), "checksum");
    ASSERT_CONTAINS(rep.items[0].message, "does not match the checksum");
    jxv_report_clear(&rep);
}

static void checker_should_require_records_when_asked(void)
{
    const char *dir = getenv("JAXON_TEST_TMP");
    char path[512];
    snprintf(path, sizeof path, "%s/integrity_none.h5", dir ? dir : ".");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    jxv_report rep;
    jxv_report_init(&rep);
    jxv__integrity_check_group(g, "/g", 0, &rep);
    ASSERT_EQ_INT(rep.count, 0);
    jxv__integrity_check_group(g, "/g", 1, &rep);
    ASSERT_EQ_INT(rep.count, 1);
    ASSERT_CONTAINS(rep.items[0].message, "has none");
    H5Oset_comment(g, "jaxon-crc32c=xyz");
    jxv__integrity_check_group(g, "/g", 0, &rep);
    ASSERT_EQ_INT(rep.count, 2);
    ASSERT_CONTAINS(rep.items[1].message, "holds no checksum");
    jxv_report_clear(&rep);
    H5Gclose(g);
    H5Fclose(f);
}

int main(void)
{
    RUN(records_should_round_trip_and_reject_malformed_text);
    RUN(group_checksum_should_fix_name_order_but_not_digest_order);
    RUN(checker_should_pass_intact_objects);
    RUN(checker_should_report_a_changed_attribute_value_at_the_group);
    RUN(checker_should_report_changed_dataset_data);
    RUN(checker_should_require_records_when_asked);
    return test_summary();
}
