/* A small HDF5 writer for the validator tests: builds Jaxon files (and broken ones) the way
 * the Python writers do (spec §2): creation order tracked on the file and on every group,
 * fixed-length UTF-8 NULLPAD scalar strings, h5py's numeric types. Every function aborts the
 * test program on an HDF5 error, since a fixture that cannot be built is a broken test. */
#ifndef JXV_TEST_FIXTURE_H
#define JXV_TEST_FIXTURE_H

#include <hdf5.h>
#include "jxv.h"
#include <stddef.h>

/* Path of a fresh file in $JAXON_TEST_TMP (or /tmp); the returned buffer is static per call
 * site use: copy it if needed. */
const char *fx_path(const char *name, char *buf, size_t cap);
hid_t fx_create(const char *path);                   /* truncates; tracked creation order */
hid_t fx_create_untracked(const char *path);         /* no creation-order tracking */
/* libver low bound 1.8: every group gets a version-2 object header and so dense attribute
 * storage even without creation-order tracking (needed for > 65,535 attributes) */
hid_t fx_create_v18(const char *path);
hid_t fx_group(hid_t loc, const char *name);         /* tracked, intermediate groups */
hid_t fx_group_untracked(hid_t loc, const char *name);
void fx_text(hid_t loc, const char *name, const char *text);
void fx_textn(hid_t loc, const char *name, const char *text, size_t n);
void fx_vlen_text(hid_t loc, const char *name, const char *text);
void fx_i64(hid_t loc, const char *name, long long v);
void fx_f64(hid_t loc, const char *name, double v);
void fx_f32(hid_t loc, const char *name, float v);
void fx_bool(hid_t loc, const char *name, int v);
void fx_c128(hid_t loc, const char *name, double re, double im);
/* A scalar attribute of any datatype; v in the memory layout of type. */
void fx_scalar(hid_t loc, const char *name, hid_t type, const void *v);
void fx_i64vec(hid_t loc, const char *name, const long long *v, size_t n);
void fx_f64vec(hid_t loc, const char *name, const double *v, size_t n);
void fx_u8vec(hid_t loc, const char *name, const unsigned char *v, size_t n);
void fx_E(hid_t loc, const char *name);              /* v2 placeholder: f64, shape (0) */
void fx_dset_f64(hid_t loc, const char *name, const double *v, size_t n);
void fx_dset_f32(hid_t loc, const char *name, const float *v, size_t n);
void fx_dset_i64_scalar(hid_t loc, const char *name, long long v);
void fx_dset_opaque(hid_t loc, const char *name, const void *v, size_t n);
void fx_dset_str(hid_t loc, const char *name, const char *text, int utf8);
void fx_dset_null(hid_t loc, const char *name, hid_t type);
void fx_close(hid_t id);                             /* any object id */
/* Reopens the file at path read-only through the native connector (the checker's own view,
 * not the jaxon connector's) and runs the checker on it: jxv_check_file_ex's result, or -1
 * when the file does not open. st may be NULL. */
int fx_check(const char *path, jxv_report *rep, jxv_check_stats *st);

#endif
