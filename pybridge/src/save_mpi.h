/* Collective saves from many MPI processes into one file (save_mpi.c; docs/many-processes.md).
 *
 * jaxon.save(path, tree, comm=...) runs in two phases in every process (jaxon/_mpi.py drives
 * them): phase 1 ("plan") saves the tree into a private in-memory file without any array
 * data and returns its image, whose hash the processes compare with one allreduce; phase 2
 * ("write") creates the shared file collectively through the MPI-IO driver, walks the same
 * tree again (identical metadata calls in every process, which parallel HDF5 requires) and
 * writes each process's own shards of the global jax.Arrays with collective transfers.
 *
 * The file compiles in every build: without parallel HDF5 (H5_HAVE_PARALLEL) its entry
 * points raise an error that says how to get the parallel build. (Not called mpi.h: a
 * parallel hdf5.h includes <mpi.h>, and src/ is on the include path.) */
#ifndef JX_SAVE_MPI_H
#define JX_SAVE_MPI_H

#include "ext.h"

#include "npy.h"

enum { JX_MPI_PLAN = 1, JX_MPI_WRITE = 2 };

typedef struct JxMpiSave JxMpiSave; /* opaque: MPI types stay inside save_mpi.c */

/* The phase of a collective save (JX_MPI_PLAN or JX_MPI_WRITE). */
int jx_mpi_phase(const JxMpiSave *m);

/* save(..., _mpi=(phase, fortran_comm_handle)): runs that phase for target (a path) and
 * returns its result (phase 1: the metadata image as bytes; phase 2: None). */
PyObject *jx_save_mpi_entry(JxState *st, PyObject *target, PyObject *pytree,
                            JxSaveOptions *opts, PyObject *mpi_arg);

/* Writes the data of one dataset collectively (every process calls it for every dataset,
 * in the same order). global: arr is a template for a jax.Array spread over processes and
 * shards holds this process's replica-0 (index, data) pairs; otherwise the data (arr, or
 * the shards of a fully addressable array) is process 0's and only process 0 writes it.
 * Phase 1 writes nothing. 0, or -1 with an exception or an HDF5 error. */
int jx_mpi_write(JxMpiSave *m, hid_t dset, hid_t memtype, PyArrayObject *arr,
                 PyObject *shards, int global);

/* Fills the (zeroed) template of a small array stored as an attribute: from the local
 * shards, and for a global array (phase 2) from every process's shards (a bitwise-or
 * allreduce of the zero-initialised buffers; replica-0 shards partition the array).
 * Phase 1 leaves a global array's template zero: its values differ between processes by
 * design and are not part of the compared metadata. 0 or -1 with an exception. */
int jx_mpi_fill(JxMpiSave *m, PyArrayObject *tmpl, PyObject *shards, int global);

#endif /* JX_SAVE_MPI_H */
