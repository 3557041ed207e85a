/* HDF5 plumbing for the extension: the connector, property lists, error translation. */
#ifndef JX_H5UTIL_H
#define JX_H5UTIL_H

#include "ext.h"

/* The jaxon connector id, registering it by name on first use (the plugin library is the
 * one HDF5_VOL_CONNECTOR would load). Sets ImportError-like JaxonError on failure. */
hid_t jx_vol_id(JxState *st);
/* A new file access property list that routes through the jaxon connector (honouring the
 * info string of HDF5_VOL_CONNECTOR when it names jaxon); core driver if in_memory. */
hid_t jx_make_fapl(JxState *st, int for_load, int in_memory, const void *image,
                   size_t image_len);
/* The creation property lists of the Jaxon layout (creation order tracked+indexed, no
 * timestamps); new ids the caller closes. */
hid_t jx_make_fcpl(void);
hid_t jx_make_gcpl(void);

/* Raises exc_type with "<formatted message>: <HDF5 explanation>" built from the current
 * HDF5 error stack (our connector's messages first). Returns NULL. Keeps an exception that
 * is already set (e.g. raised inside a callback) and only clears the HDF5 stack then. */
PyObject *jx_raise_h5(PyObject *exc_type, const char *fmt, ...);
/* Same, returning -1. */
int jx_raise_h5_int(PyObject *exc_type, const char *fmt, ...);

/* Name of the connector a file id is opened through (new str), for tests and checks. */
PyObject *jx_connector_name(hid_t obj_id);

/* h5io.c: writes (writing=1) or reads the whole dataset from/to buf (nbytes, in memtype),
 * in pieces with the GIL released and pending signals handled between pieces. Returns 0,
 * or -1 with either a Python exception set (a signal handler raised, e.g. Ctrl-C) or an
 * HDF5 error on the stack (check PyErr_Occurred). */
/* The descriptor and userblock size of the file behind obj when it is a file of the POSIX
 * (sec2) driver: 1, else 0 (no error left on the stack). The descriptor is HDF5's own. */
int jx_sec2_fd(hid_t obj, int *fd, hsize_t *base);
int jx_dataset_io(hid_t dset, hid_t memtype, void *buf, hsize_t nbytes, int writing);
/* A checked read of a contiguous, unfiltered dataset whose file datatype is memtype, in a
 * file of the POSIX (sec2) driver: its bytes are read straight from the file in pieces that
 * stay in the CPU cache, each hashed (CRC-32C, spec §12) as soon as it lands, so the data
 * crosses memory once (H5Dread and a separate hash cross it twice). 1 when done (*crc set),
 * 0 when the dataset or file is not such (the caller reads through HDF5; buf may have been
 * written), -1 with an exception (Ctrl-C between pieces). Called with the GIL. */
int jx_dataset_read_crc(hid_t dset, hid_t memtype, void *buf, size_t nbytes, uint32_t *crc);
/* Same, calling cb(ctx, bytes) with the GIL held after each piece; cb returning -1 (with a
 * Python exception) stops the transfer. */
int jx_dataset_io_cb(hid_t dset, hid_t memtype, void *buf, hsize_t nbytes, int writing,
                     int (*cb)(void *ctx, hsize_t bytes), void *ctx);
/* Same with pieces of about piece_bytes (the integrity check hashes each piece read on a
 * helper thread while the next one is read: smaller pieces overlap more). The pieces are
 * consecutive: the n-th callback's bytes follow the previous ones in buf. */
int jx_dataset_io_pieces(hid_t dset, hid_t memtype, void *buf, hsize_t nbytes, int writing,
                         hsize_t piece_bytes, int (*cb)(void *ctx, hsize_t bytes), void *ctx);

#endif /* JX_H5UTIL_H */
