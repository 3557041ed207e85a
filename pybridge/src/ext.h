/* Shared declarations of the jaxon CPython extension (_jaxon): module state, per-call
 * options, and the entry points of each part. Every function follows one convention:
 * int 0 / -1 or PyObject* / NULL with a Python exception set on failure. */
#ifndef JX_EXT_H
#define JX_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <hdf5.h>
#include "jxv_limits.h" /* the layout's limits, shared with the validator (layout/) */

/* ---- module state (PEP 3121) ----------------------------------------------------------- */

typedef struct JxState {
    /* exception and warning classes, created in module exec */
    PyObject *JaxonError;              /* base of every jaxon error */
    PyObject *JaxonFormatError;        /* a file that is not (valid) Jaxon: JaxonError+ValueError */
    PyObject *CircularPyTreeException; /* a cycle in the pytree or the file */
    PyObject *JaxonSecurityError;      /* load refused to run code the file names (a
                                          JaxonFormatError, docs/security.md) */
    PyObject *JaxonFormatWarning;      /* UserWarning subclass */
    /* objects handed over by jaxon/__init__.py through _jaxon._configure() */
    PyObject *not_loaded;              /* JAXON_NOT_LOADED */
    /* lazily imported modules/types: NULL until first needed */
    PyObject *jax_array_type;          /* jax.Array, once jax is imported by the user */
    PyObject *jnp_asarray;             /* jax.numpy.asarray */
    PyObject *jax_device_put;          /* jax.device_put */
    PyObject *os_fspath;               /* os.fspath */
    PyObject *dataclasses_fields;      /* dataclasses.fields */
    /* HDF5 */
    hid_t vol_id;                      /* the jaxon connector (registered by name), or -1 */
    int vol_checked;                   /* registration attempted */
    int numpy_ready;                   /* NumPy's C API imported (on first save/load) */
    PyObject *plugin_dir;              /* str: directory holding libjaxon_vol.so */
    unsigned long tmp_counter;         /* numbers the temporary names of saves (GIL held) */
    /* lazy loads and placement (load_lazy.c) */
    PyObject *lazy_file_type;          /* heap type jaxon._jaxon.LazyFile */
    PyObject *lazy_array_cls;          /* jaxon._lazy.LazyArray, imported on first lazy load */
    struct JxLazyInode *lazy_inodes;   /* files open in live lazy loads (GIL held) */
    size_t n_lazy_inodes, cap_lazy_inodes;
    PyObject *save_job_type;           /* _jaxon.SaveJob */
} JxState;

JxState *jx_state_from_module(PyObject *module);
/* Imports NumPy's C API on first use. */
int jx_ensure_numpy(JxState *st);
/* Imports module, part of an optional dependency (jax, ml_dtypes, dill). When it is not
 * installed, raises ModuleNotFoundError("<what> needs <module>, which is not installed (...);
 * install it with: pip install '<distribution>[<extra>]'"), chained to the original. Returns
 * a new reference or NULL. */
PyObject *jx_import_optional(const char *module, const char *extra, const char *what);
/* The same message for a ModuleNotFoundError pending from importing module, with where (a
 * str: the place in the file that needs it, or NULL) in front. Returns NULL. */
PyObject *jx_raise_missing_extra(const char *module, const char *extra, PyObject *where,
                                 const char *what);

/* ---- options --------------------------------------------------------------------------- */


/* Dataset writes left for the second phase of a save (save_job.c). */
typedef struct JxPendingWrite JxPendingWrite;
typedef struct JxPending {
    JxPendingWrite *w;
    Py_ssize_t n, cap;
    unsigned long long total; /* bytes */
    int checksums;            /* integrity: record the CRC of each dataset written */
} JxPending;

typedef struct JxSaveOptions {
    int exact_python_numeric_types;
    PyObject *downcast_to_base_types; /* tuple of types or NULL */
    PyObject *py_to_np_types;         /* tuple of types or NULL */
    int allow_dill;
    PyObject *dill_kwargs;            /* dict or NULL */
    PyObject *storage_hints;          /* dict id(obj)->store_in_dataset (bool) or NULL */
    PyObject *custom_marshalers;      /* tuple */
    Py_ssize_t dataset_threshold;     /* arrays/bytes of at least this many bytes go to datasets */
    PyObject *default_spec;           /* save(compression=...): (True, chunks, filters) or NULL */
    PyObject *progress;               /* save(progress=...): None, True or a callable */
    JxPending *pending;               /* non-NULL: dataset data is written after the walk */
    int copy_arrays;                  /* pending data gets private copies (save_async) */
    struct JxMpiSave *mpi;            /* a collective save's phase and communicator (mpi.h) */
    int checksums;                    /* save(checksums=True): integrity records (spec §12) */
} JxSaveOptions;

typedef struct JxLoadOptions {
    int allow_dill;
    PyObject *dill_kwargs;
    PyObject *custom_unmarshalers;    /* tuple */
    int allow_missing_fields;
    int allow_unknown_fields;
    PyObject *load_filter;            /* callable or NULL */
    PyObject *allowed_modules;        /* tuple of str (modules and their submodules the file
                                         may name: imported on demand, any object of them
                                         may be loaded by name) or NULL */
    int trusted;                      /* Python jaxon's behaviour: import and getattr freely */
    int lazy;                         /* load(lazy=True) */
    PyObject *placer;                 /* jaxon._lazy placer for load(sharding=...), or NULL */
    PyObject *lazy_file;              /* the LazyFile of this load (lazy or placer), or NULL */
    int verify;                       /* load(verify=True): check integrity records (spec §12) */
} JxLoadOptions;

/* save_storage.c: module functions _filter_available(id), _add_filter_plugins(dir). */
PyObject *jx_filter_available(PyObject *module, PyObject *arg);
PyObject *jx_add_filter_plugins(PyObject *module, PyObject *arg);

/* save_job.c: the pending dataset writes of a two-phase save. */
int jx_pending_add(JxPending *p, hid_t dset, hid_t type, PyObject *arr_obj, PyObject *key,
                   int copy);
/* Writes every pending dataset (GIL released per piece), reporting progress; 0 or -1. */
int jx_pending_write(JxPending *p, PyObject *progress, const char *shown);
void jx_pending_clear(JxPending *p);
/* files.c: save_async's first phase; returns a SaveJob whose run() does the rest. */
PyObject *jx_save_begin(JxState *st, PyObject *target, PyObject *pytree, JxSaveOptions *opts);
int jx_save_job_type_init(PyObject *module, JxState *st);

/* ---- parts ----------------------------------------------------------------------------- */

/* save.c: writes pytree into the open file (root group "/"). */
int jx_save_tree(JxState *st, hid_t file_id, PyObject *pytree, const JxSaveOptions *opts);
/* load.c: reads the pytree of the open file. Returns a new reference. */
PyObject *jx_load_tree(JxState *st, hid_t file_id, const JxLoadOptions *opts);

/* load_lazy.c: the LazyFile type (added to the module), created in module exec. */
int jx_lazy_init(PyObject *module, JxState *st);
/* A LazyFile that owns the open file fid (closed when the last proxy of the load dies),
 * or NULL with an exception (fid is then still the caller's). */
PyObject *jx_lazy_file_new(JxState *st, hid_t fid, PyObject *shown);
/* 1 if the file with this device/inode is open in a live lazy load (saving into it in
 * place would change or truncate the bytes under its memory maps), else 0. */
int jx_lazy_file_busy(JxState *st, unsigned long long dev, unsigned long long ino);

/* files.c: path / file-object handling, atomic replace, in-memory images. */
PyObject *jx_save_entry(JxState *st, PyObject *target, PyObject *pytree, const JxSaveOptions *opts);
PyObject *jx_load_entry(JxState *st, PyObject *source, const JxLoadOptions *opts);

#endif /* JX_EXT_H */
