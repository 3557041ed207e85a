/* End-to-end integrity for save and load (spec §12; the CRC, the records and the group
 * checksum rules are layout/jxv_integrity.h, shared with the checker and the
 * connector).
 *
 * Saving (JxSeal): every group of the tree gets the checksum of its attributes, every
 * dataset the CRC-32C of its data, as the record at the start of its object comment. The
 * saver pushes a frame when it creates a group, feeds each attribute it writes there, and
 * pops the frame (which writes the comment) before closing the group; "/" is the bottom
 * frame. A disabled save (save(..., checksums=False)) passes NULL: every call is a no-op.
 *
 * Loading (JxVerify, Loader.verify): a group's record is read when the v1 loader enters
 * it; each attribute value read there is added (jx_verify_node arms the next read for the
 * group the node is in), and leaving the group compares. Groups whose children were not
 * all read (a load_filter skipped some) are re-read whole at that point. Datasets are
 * checked when read whole. A mismatch raises JaxonFormatError, rule "checksum", naming the
 * group or the node. NULL (load(..., verify=False)) disables every check. */
#ifndef JX_INTEGRITY_H
#define JX_INTEGRITY_H

#include "ext.h"

#include <stdint.h>

#include "names.h"
#include "npy.h"

/* ---- saving --------------------------------------------------------------------------- */

typedef struct JxSeal JxSeal;

/* A new sealing state (MemoryError: NULL). */
JxSeal *jx_seal_new(void);
void jx_seal_free(JxSeal *s);
/* Group gid's attributes are written from now on. -1 with MemoryError. */
int jx_seal_push(JxSeal *s, hid_t gid);
/* Every attribute of gid is written: its record becomes gid's comment. -1 with the HDF5
 * error on the stack. */
int jx_seal_pop(JxSeal *s, hid_t gid);
/* An attribute written to loc: a text (fixed-length UTF-8 string of len bytes), or data of
 * NumPy dtype descr written with HDF5 datatype type (which has descr's item size and
 * bytes), shape dims[0:nd] (nd 0: scalar) and nbytes bytes (NULL for none). Attributes of
 * other objects than the innermost open group are ignored. */
void jx_seal_text(JxSeal *s, hid_t loc, const char *name, const char *text, size_t len);
void jx_seal_data(JxSeal *s, hid_t loc, const char *name, PyArray_Descr *descr, hid_t type,
                  int nd, const npy_intp *dims, const void *data, size_t nbytes);
/* Dataset dset receives data[0:nbytes] (as stored: C order, the file datatype's bytes):
 * jx_hash_start begins its CRC (on a helper thread when large, hash_threads.c) before the
 * caller writes the data; jx_seal_dataset_finish, called exactly once after every start
 * (also after a failed write: it joins the helper, which reads the buffer), makes the CRC
 * dset's record when written (ok) and enabled. 0, or -1 with the HDF5 error on the stack. */
typedef struct JxHashJob JxHashJob;
JxHashJob *jx_hash_start(int enabled, const void *data, size_t nbytes);
int jx_seal_dataset_finish(int enabled, JxHashJob *job, hid_t dset, const void *data,
                           size_t nbytes, int ok);
/* The CRC of data[0:nbytes], split among threads when large (GIL released). */
uint32_t jx_crc_parallel(const void *data, size_t nbytes);
/* hash_threads.c: the helper's CRC (or data's, hashed now when there is no helper). */
uint32_t jx_hash_finish(JxHashJob *job, const void *data, size_t nbytes);

/* The CRC of a dataset written as boxes in any order (the shards of a sharded jax.Array):
 * each box's bytes are hashed where they lie in C order and the pieces combined. */
typedef struct JxCrcPieces {
    uint32_t acc;       /* XOR of the raw registers of the runs, shifted to the end */
    uint64_t total;     /* bytes of the whole dataset */
    uint64_t covered;   /* bytes of the runs added */
    uint64_t runs;      /* runs added (bounded: each costs a few microseconds) */
} JxCrcPieces;
void jx_crc_pieces_init(JxCrcPieces *c, uint64_t total);
/* Adds a box of the array of shape dims[0:nd] (item size itemsize): start/count per axis,
 * data its C-contiguous bytes. */
void jx_crc_pieces_add_box(JxCrcPieces *c, const void *data, int nd, const npy_intp *dims,
                           const hsize_t *start, const hsize_t *count, size_t itemsize);
/* dset's record from the pieces: their CRC when they covered every byte exactly once (by
 * count), else "none". 0, or -1 with the HDF5 error on the stack; no-op when not enabled. */
int jx_seal_dataset_pieces(int enabled, hid_t dset, const JxCrcPieces *c);

/* ---- loading -------------------------------------------------------------------------- */

struct Loader;
typedef struct JxVerify JxVerify;

/* A new verification state (MemoryError: NULL). */
JxVerify *jx_verify_new(void);
void jx_verify_free(JxVerify *v);
/* The loader entered group gid and is about to list its attribute names into nl (which
 * must stay valid until jx_verify_leave: the names are hashed there). -1 with
 * JaxonFormatError when the group's record is malformed or missing where the file requires
 * records. Entered before the listing, a group HDF5 cannot list is checked as damaged. */
int jx_verify_enter(struct Loader *L, hid_t gid, const JxNames *nl);
/* The loader leaves gid (before its key is popped, so errors name it). ok: it loaded the
 * group; then every digest must be in and match (else the group is re-read whole). Not ok:
 * when the group's record does not match either, the pending error becomes a checksum
 * error (the damage explains it). -1 with an exception set. */
int jx_verify_leave(struct Loader *L, hid_t gid, int ok);
/* The next attribute value read is the node's in group gid. */
void jx_verify_node(struct Loader *L, hid_t gid);
/* An attribute value just read, as stored, of NumPy dtype descr (what it loads as), file
 * datatype ftype and item size size in the file (see jx_seal_data; dims hsize_t here). */
void jx_verify_attr(struct Loader *L, const char *name, PyArray_Descr *descr, hid_t ftype,
                    size_t size, int rank, const hsize_t *dims, const void *data, size_t nbytes);
/* The same for a text attribute (a fixed-length string of size bytes). */
void jx_verify_text(struct Loader *L, const char *name, const void *data, size_t size);
/* Reads the whole dataset did (memory type memtype, nbytes into buf, as jx_dataset_io) for
 * the node attr and compares the bytes as stored with the dataset's record, hashing each
 * piece on a helper thread while the next is read. -1 with an HDF5 error on the stack (a
 * failed read) or with JaxonFormatError (rule checksum, a mismatch, a missing record). */
int jx_verify_read(struct Loader *L, hid_t did, const char *attr, hid_t memtype, void *buf,
                   size_t nbytes);

/* hash_threads.c: a helper thread hashing consecutive pieces. jx_pipe_start: NULL when no
 * thread could be started (then hash inline). feed hands over the next piece (waiting for
 * the previous one, GIL released); finish waits, stops the helper and returns the CRC of
 * all pieces in order. */
typedef struct JxPipe JxPipe;
JxPipe *jx_pipe_start(void);
void jx_pipe_feed(JxPipe *h, const void *piece, size_t n);
uint32_t jx_pipe_finish(JxPipe *h);
/* The same without a loader (LazyArray.load(), whose file stays open after the load):
 * shown names the dataset. Raises exc (JaxonFormatError) with rule and path attributes. */
int jx_verify_dataset_standalone(PyObject *exc, hid_t did, PyObject *shown, const void *data,
                                 size_t nbytes);
/* Whether the HDF5 error stack says that HDF5 found a metadata checksum mismatch (its own
 * checksums of object headers, B-trees and heaps): then 1, with HDF5's description in
 * desc and the stack cleared; else 0 with the stack as it was. */
int jx_h5_checksum_failure(char *desc, size_t cap);
/* When it does: raises exc("<where>: [checksum] <what>: <HDF5's description> ...") with the
 * attributes rule and path (where) and returns 1; else 0, nothing raised, stack kept. */
int jx_raise_checksum_failure(PyObject *exc, PyObject *where, const char *what);

#endif /* JX_INTEGRITY_H */
