/* See fixture.h. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                               \
    do {                                                                                       \
        if ((x) < 0) {                                                                         \
            fprintf(stderr, "fixture: %s:%d: %s failed\n", __FILE__, __LINE__, #x);            \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

const char *fx_path(const char *name, char *buf, size_t cap)
{
    const char *dir = getenv("JAXON_TEST_TMP");
    snprintf(buf, cap, "%s/validate_%s.h5", dir && *dir ? dir : "/tmp", name);
    return buf;
}

static hid_t create(const char *path, int tracked, int v18)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    CHECK(fcpl);
    if (tracked) {
        CHECK(H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
        CHECK(H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    CHECK(fapl);
    CHECK(H5Pset_fapl_sec2(fapl));
    CHECK(H5Pset_vol(fapl, H5VL_NATIVE, NULL));
    if (v18)
        CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST));
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    CHECK(f);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    return f;
}

hid_t fx_create(const char *path) { return create(path, 1, 0); }
hid_t fx_create_untracked(const char *path) { return create(path, 0, 0); }
hid_t fx_create_v18(const char *path) { return create(path, 1, 1); }

static hid_t group(hid_t loc, const char *name, int tracked)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), lcpl = H5Pcreate(H5P_LINK_CREATE);
    CHECK(gcpl);
    CHECK(lcpl);
    if (tracked) {
        CHECK(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
        CHECK(H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    }
    /* times off as h5py >= 3.15 does; it also gives untracked groups a version-2 object
     * header, whose dense attribute storage keeps very large groups fast */
    CHECK(H5Pset_obj_track_times(gcpl, 0));
    CHECK(H5Pset_create_intermediate_group(lcpl, 1));
    CHECK(H5Pset_char_encoding(lcpl, H5T_CSET_UTF8));
    hid_t g = H5Gcreate2(loc, name, lcpl, gcpl, H5P_DEFAULT);
    CHECK(g);
    H5Pclose(gcpl);
    H5Pclose(lcpl);
    return g;
}

hid_t fx_group(hid_t loc, const char *name) { return group(loc, name, 1); }
hid_t fx_group_untracked(hid_t loc, const char *name) { return group(loc, name, 0); }

static void attr(hid_t loc, const char *name, hid_t type, hid_t space, const void *data)
{
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a);
    if (data)
        CHECK(H5Awrite(a, type, data));
    H5Aclose(a);
}

static hid_t fls(size_t n, int utf8)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    CHECK(t);
    CHECK(H5Tset_size(t, n ? n : 1));
    CHECK(H5Tset_strpad(t, H5T_STR_NULLPAD));
    CHECK(H5Tset_cset(t, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII));
    return t;
}

void fx_textn(hid_t loc, const char *name, const char *text, size_t n)
{
    hid_t t = fls(n, 1), s = H5Screate(H5S_SCALAR);
    CHECK(s);
    attr(loc, name, t, s, text);
    H5Tclose(t);
    H5Sclose(s);
}

void fx_text(hid_t loc, const char *name, const char *text)
{
    fx_textn(loc, name, text, strlen(text));
}

void fx_vlen_text(hid_t loc, const char *name, const char *text)
{
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
    CHECK(t);
    CHECK(H5Tset_size(t, H5T_VARIABLE));
    CHECK(H5Tset_cset(t, H5T_CSET_UTF8));
    attr(loc, name, t, s, &text);
    H5Tclose(t);
    H5Sclose(s);
}

static void scalar(hid_t loc, const char *name, hid_t type, const void *v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    CHECK(s);
    attr(loc, name, type, s, v);
    H5Sclose(s);
}

void fx_scalar(hid_t loc, const char *name, hid_t type, const void *v)
{
    scalar(loc, name, type, v);
}

void fx_i64(hid_t loc, const char *name, long long v) { scalar(loc, name, H5T_STD_I64LE, &v); }
void fx_f64(hid_t loc, const char *name, double v) { scalar(loc, name, H5T_IEEE_F64LE, &v); }
void fx_f32(hid_t loc, const char *name, float v) { scalar(loc, name, H5T_IEEE_F32LE, &v); }

void fx_bool(hid_t loc, const char *name, int v)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    CHECK(t);
    signed char f = 0, tr = 1, val = (signed char)(v != 0);
    CHECK(H5Tenum_insert(t, "FALSE", &f));
    CHECK(H5Tenum_insert(t, "TRUE", &tr));
    scalar(loc, name, t, &val);
    H5Tclose(t);
}

void fx_c128(hid_t loc, const char *name, double re, double im)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, 16);
    CHECK(t);
    CHECK(H5Tinsert(t, "r", 0, H5T_IEEE_F64LE));
    CHECK(H5Tinsert(t, "i", 8, H5T_IEEE_F64LE));
    double v[2] = {re, im};
    scalar(loc, name, t, v);
    H5Tclose(t);
}

static void vec(hid_t loc, const char *name, hid_t type, const void *v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t s = H5Screate_simple(1, dims, NULL);
    CHECK(s);
    attr(loc, name, type, s, n ? v : NULL);
    H5Sclose(s);
}

void fx_i64vec(hid_t loc, const char *name, const long long *v, size_t n)
{
    vec(loc, name, H5T_STD_I64LE, v, n);
}
void fx_f64vec(hid_t loc, const char *name, const double *v, size_t n)
{
    vec(loc, name, H5T_IEEE_F64LE, v, n);
}
void fx_u8vec(hid_t loc, const char *name, const unsigned char *v, size_t n)
{
    vec(loc, name, H5T_STD_U8LE, v, n);
}
void fx_E(hid_t loc, const char *name) { vec(loc, name, H5T_IEEE_F64LE, NULL, 0); }

static void dset(hid_t loc, const char *name, hid_t type, hid_t space, const void *v)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), lcpl = H5Pcreate(H5P_LINK_CREATE);
    CHECK(dcpl);
    CHECK(lcpl);
    CHECK(H5Pset_obj_track_times(dcpl, 0));
    CHECK(H5Pset_create_intermediate_group(lcpl, 1));
    hid_t d = H5Dcreate2(loc, name, type, space, lcpl, dcpl, H5P_DEFAULT);
    CHECK(d);
    if (v)
        CHECK(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
}

void fx_dset_f64(hid_t loc, const char *name, const double *v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t s = H5Screate_simple(1, dims, NULL);
    dset(loc, name, H5T_IEEE_F64LE, s, n ? v : NULL);
    H5Sclose(s);
}

void fx_dset_f32(hid_t loc, const char *name, const float *v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t s = H5Screate_simple(1, dims, NULL);
    dset(loc, name, H5T_IEEE_F32LE, s, n ? v : NULL);
    H5Sclose(s);
}

void fx_dset_i64_scalar(hid_t loc, const char *name, long long v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    dset(loc, name, H5T_STD_I64LE, s, &v);
    H5Sclose(s);
}

void fx_dset_opaque(hid_t loc, const char *name, const void *v, size_t n)
{
    hid_t t = H5Tcreate(H5T_OPAQUE, n);
    CHECK(t);
    hid_t s = H5Screate(H5S_SCALAR);
    dset(loc, name, t, s, v);
    H5Sclose(s);
    H5Tclose(t);
}

void fx_dset_str(hid_t loc, const char *name, const char *text, int utf8)
{
    hid_t t = fls(strlen(text), utf8), s = H5Screate(H5S_SCALAR);
    dset(loc, name, t, s, text);
    H5Sclose(s);
    H5Tclose(t);
}

void fx_dset_null(hid_t loc, const char *name, hid_t type)
{
    hid_t s = H5Screate(H5S_NULL);
    dset(loc, name, type, s, NULL);
    H5Sclose(s);
}

void fx_close(hid_t id)
{
    H5I_type_t t = H5Iget_type(id);
    if (t == H5I_FILE)
        CHECK(H5Fclose(id));
    else if (t == H5I_GROUP)
        CHECK(H5Gclose(id));
    else
        CHECK(H5Oclose(id));
}

int fx_check(const char *path, jxv_report *rep, jxv_check_stats *st)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_vol(fapl, H5VL_NATIVE, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return -1;
    int r = jxv_check_file_ex(f, rep, st);
    H5Fclose(f);
    return r;
}
