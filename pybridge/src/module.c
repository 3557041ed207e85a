/* The _jaxon extension module: state, exception classes, argument parsing for save/load.
 * The work itself lives in files.c (targets), save.c (the walk) and load.c (the rebuild). */
#include "ext.h"

#include "h5util.h"
#include "tree.h"

#define JX_NUMPY_IMPORT
#include "npy.h"
#include "save_mpi.h" /* after npy.h: this file imports the NumPy API */

static PyModuleDef jx_module;

JxState *jx_state_from_module(PyObject *module)
{
    return (JxState *)PyModule_GetState(module);
}

int jx_ensure_numpy(JxState *st)
{
    /* NumPy's C API is imported on the first save/load, not at import time: `import jaxon`
     * stays cheap (importing NumPy alone takes longer than our whole budget). */
    if (st->numpy_ready)
        return 0;
    if (_import_array() < 0)
        return -1;
    st->numpy_ready = 1;
    return 0;
}

#if !defined(JAXON_DIST_NAME) || !defined(JAXON_VERSION)
#error "JAXON_DIST_NAME and JAXON_VERSION (pyproject.toml's name, CMake's project version) come from CMake"
#endif

PyObject *jx_raise_missing_extra(const char *module, const char *extra, PyObject *where,
                                 const char *what)
{
    PyObject *t, *v, *tb, *msg;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb)
        PyException_SetTraceback(v, tb);
    msg = PyUnicode_FromFormat("%s needs %s, which is not installed (%S); install it with: "
                               "pip install '" JAXON_DIST_NAME "[%s]'",
                               what, module, v, extra);
    if (msg && where)
        Py_SETREF(msg, PyUnicode_FromFormat("%U: %U", where, msg));
    if (msg) {
        PyErr_SetObject(PyExc_ModuleNotFoundError, msg);
        Py_DECREF(msg);
        PyObject *t2, *v2, *tb2;
        PyErr_Fetch(&t2, &v2, &tb2);
        PyErr_NormalizeException(&t2, &v2, &tb2);
        PyException_SetCause(v2, Py_NewRef(v));
        PyErr_Restore(t2, v2, tb2);
    }
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
    return NULL;
}

PyObject *jx_import_optional(const char *module, const char *extra, const char *what)
{
    PyObject *m = PyImport_ImportModule(module);
    if (m || !PyErr_ExceptionMatches(PyExc_ModuleNotFoundError))
        return m;
    return jx_raise_missing_extra(module, extra, NULL, what);
}

/* ---- options --------------------------------------------------------------------------- */

/* tuple(x) for an iterable, NULL (no error) for None. */
static int optional_tuple(PyObject *x, PyObject **out, const char *what)
{
    *out = NULL;
    if (x == NULL || x == Py_None)
        return 0;
    *out = PySequence_Tuple(x);
    if (!*out) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s must be an iterable of types, not %.100s", what,
                         Py_TYPE(x)->tp_name);
        }
        return -1;
    }
    return 0;
}

/* A hint's storage spec: None (plain) or (store_in_dataset, chunks, filters) for
 * save_storage.c, from JaxonStorageHints._jaxon_spec() (absent on foreign hint objects). */
static PyObject *hint_spec(PyObject *hint, int truth)
{
    if (!PyObject_HasAttrString(hint, "_jaxon_spec"))
        Py_RETURN_NONE;
    PyObject *spec = PyObject_CallMethod(hint, "_jaxon_spec", NULL);
    if (!spec || spec == Py_None)
        return spec;
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 2) {
        Py_DECREF(spec);
        PyErr_SetString(PyExc_TypeError, "_jaxon_spec() must return None or (chunks, filters)");
        return NULL;
    }
    PyObject *r = PyTuple_Pack(3, truth ? Py_True : Py_False, PyTuple_GET_ITEM(spec, 0),
                               PyTuple_GET_ITEM(spec, 1));
    Py_DECREF(spec);
    return r;
}

/* save(compression=...): a JaxonStorageHints, or what its compression field takes (a name,
 * an hdf5plugin filter object), for every dataset without its own hint. */
static int default_spec(PyObject *compression, PyObject **out)
{
    *out = NULL;
    if (!compression || compression == Py_None)
        return 0;
    PyObject *hint = NULL;
    if (PyObject_HasAttrString(compression, "_jaxon_spec")) {
        hint = Py_NewRef(compression);
    } else {
        PyObject *api = PyImport_ImportModule("jaxon._api");
        PyObject *cls = api ? PyObject_GetAttrString(api, "JaxonStorageHints") : NULL;
        PyObject *args = cls ? PyTuple_New(0) : NULL;
        PyObject *kw = args ? Py_BuildValue("{sO}", "compression", compression) : NULL;
        hint = kw ? PyObject_Call(cls, args, kw) : NULL;
        Py_XDECREF(api);
        Py_XDECREF(cls);
        Py_XDECREF(args);
        Py_XDECREF(kw);
        if (!hint)
            return -1;
    }
    PyObject *flag = PyObject_GetAttrString(hint, "store_in_dataset");
    int truth = flag ? PyObject_IsTrue(flag) : -1;
    Py_XDECREF(flag);
    if (truth == 0)
        PyErr_SetString(PyExc_ValueError, "save(compression=...) needs store_in_dataset=True");
    PyObject *spec = truth > 0 ? hint_spec(hint, 1) : NULL;
    Py_DECREF(hint);
    if (!spec)
        return -1;
    if (spec == Py_None)
        Py_CLEAR(spec);
    *out = spec;
    return 0;
}

/* storage_hints: iterable of (obj, hints) pairs -> {id(obj): bool(hints.store_in_dataset)},
 * or {id(obj): (bool, chunks, filters)} for hints with chunks or filters. */
static int storage_hint_map(PyObject *hints, PyObject **out)
{
    PyObject *iter = NULL, *item = NULL, *flag = NULL, *key = NULL;
    *out = NULL;
    if (hints == NULL || hints == Py_None)
        return 0;
    *out = PyDict_New();
    if (!*out)
        return -1;
    iter = PyObject_GetIter(hints);
    if (!iter)
        goto error;
    while ((item = PyIter_Next(iter))) {
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError,
                            "storage_hints must hold (object, JaxonStorageHints) pairs");
            goto error;
        }
        flag = PyObject_GetAttrString(PyTuple_GET_ITEM(item, 1), "store_in_dataset");
        if (!flag)
            goto error;
        int truth = PyObject_IsTrue(flag);
        if (truth < 0)
            goto error;
        PyObject *spec = hint_spec(PyTuple_GET_ITEM(item, 1), truth);
        if (!spec)
            goto error;
        key = PyLong_FromVoidPtr(PyTuple_GET_ITEM(item, 0));
        int set = key ? PyDict_SetItem(*out, key, spec != Py_None ? spec
                                                                   : truth ? Py_True : Py_False)
                      : -1;
        Py_DECREF(spec);
        if (set < 0)
            goto error;
        Py_CLEAR(key);
        Py_CLEAR(flag);
        Py_CLEAR(item);
    }
    if (PyErr_Occurred())
        goto error;
    Py_DECREF(iter);
    return 0;
error:
    Py_XDECREF(iter);
    Py_XDECREF(item);
    Py_XDECREF(flag);
    Py_XDECREF(key);
    Py_CLEAR(*out);
    return -1;
}

/* ---- save / load ----------------------------------------------------------------------- */

PyDoc_STRVAR(save_doc,
"save(path_or_file, pytree, exact_python_numeric_types=True, downcast_to_base_types=None,\n"
"     py_to_np_types=None, allow_dill=False, dill_kwargs=None, storage_hints=None,\n"
"     custom_marshalers=(), compression=None, progress=None, checksums=True)\n--\n\n"
"Save a pytree to an HDF5 file in the Jaxon layout, through the jaxon VOL connector.\n\n"
"Shared objects are stored once and load as one object; a cycle raises\n"
"CircularPyTreeException; an unsupported object raises TypeError naming its path.\n\n"
"path_or_file\n"
"    A path (str, bytes or os.PathLike): the file is written beside the target, fsynced\n"
"    and renamed over it, so a failed or interrupted save (Ctrl-C included) leaves the\n"
"    previous file as it was. A symbolic link stays a link; the file it points to is\n"
"    replaced. Or a binary file object with write/seek/truncate: it receives the complete\n"
"    file from offset 0, and is truncated after it.\n"
"pytree\n"
"    The object to save (see the README for the supported types).\n"
"exact_python_numeric_types=True\n"
"    False stores int, float, bool and complex as np.int64, np.float64, np.bool_ and\n"
"    np.complex128 (binary HDF5 numbers); they then load as those NumPy types.\n"
"    Example: save(p, {'lr': 0.1}, exact_python_numeric_types=False).\n"
"downcast_to_base_types=None\n"
"    Iterable of subclasses of supported types (e.g. a dict or str subclass) to store as\n"
"    their supported base type; they load as the base type.\n"
"    Example: save(p, OrderedDict(a=1), downcast_to_base_types=[OrderedDict]).\n"
"py_to_np_types=None\n"
"    Iterable of Python number types to convert as exact_python_numeric_types=False\n"
"    does, and only those; when given, exact_python_numeric_types is ignored.\n"
"    Example: save(p, tree, py_to_np_types=[float]).\n"
"allow_dill=False\n"
"    True stores objects of no supported kind with dill (a blob that only load(...,\n"
"    allow_dill=True) turns back into an object). Example: save(p, f, allow_dill=True).\n"
"dill_kwargs=None\n"
"    Keyword arguments for dill.dumps when allow_dill is used, e.g. {'recurse': True}.\n"
"storage_hints=None\n"
"    Iterable of (obj, JaxonStorageHints(store_in_dataset=..., compression=None,\n"
"    compression_opts=None, chunks=None, shuffle=False)) pairs for arrays, bytes,\n"
"    bytearray and memoryview objects of the pytree (matched by identity): True puts the\n"
"    data in an HDF5 dataset (partially readable, compressible), False in an attribute.\n"
"    Without a hint, data of 64 KiB or more goes to a contiguous, uncompressed dataset.\n"
"    Example: save(p, {'w': w}, storage_hints=[(w, JaxonStorageHints(compression='gzip'))]).\n"
"custom_marshalers=()\n"
"    Callables tried in order for each object that is not a supported type: f(obj)\n"
"    returns None (not handled) or a (qualified_name, pytree) pair to store in its place;\n"
"    load's custom_unmarshalers turn it back. Example:\n"
"    save(p, tree, custom_marshalers=[lambda o: ('my.Point', [o.x, o.y])\n"
"                                     if isinstance(o, Point) else None]).\n"
"compression=None\n"
"    Storage for every array and bytes-like of 64 KiB or more that has no storage hint of\n"
"    its own: a compression name ('gzip', or 'zstd', 'lz4', 'blosc' from the hdf5plugin\n"
"    package), an hdf5plugin filter object, or a JaxonStorageHints (for compression_opts,\n"
"    chunks, shuffle). Smaller data stays in attributes, uncompressed.\n"
"    Example: save(p, checkpoint, compression='zstd').\n"
"progress=None\n"
"    A callable f(bytes_done, bytes_total) called as the data of datasets is written\n"
"    (once at 0, every 64 MiB, and at the end; bytes_total is known from the start), or\n"
"    True for a tqdm progress bar (no bar, and no error, when tqdm is not installed).\n"
"    Example: save(p, checkpoint, progress=True).\n"
"checksums=True\n"
"    Record a CRC-32C of every group's attributes and every dataset's data in its HDF5\n"
"    object comment (readers that do not know them ignore them), so that load finds a\n"
"    damaged file instead of returning different data. False writes none.\n"
"    Example: save(p, tree, checksums=False).\n"
"comm=None (keyword-only)\n"
"    An mpi4py communicator: every process of it calls save with the same pytree and path,\n"
"    and each writes its shards of the global jax.Arrays into the one file (parallel build:\n"
"    docs/many-processes.md). Example: save(p, state, comm=MPI.COMM_WORLD).");

/* save/load(..., comm=...): the many-process variants live in jaxon/_mpi.py (they call
 * save/load again without comm, in phases). */
static PyObject *route_comm(const char *fn, PyObject *args, PyObject *kwargs)
{
    PyObject *m = PyImport_ImportModule("jaxon._mpi");
    PyObject *f = m ? PyObject_GetAttrString(m, fn) : NULL;
    PyObject *r = f ? PyObject_Call(f, args, kwargs) : NULL;
    Py_XDECREF(f);
    Py_XDECREF(m);
    return r;
}

static PyObject *jx_save(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path_or_file", "pytree", "exact_python_numeric_types",
                             "downcast_to_base_types", "py_to_np_types", "allow_dill",
                             "dill_kwargs", "storage_hints", "custom_marshalers",
                             "compression", "progress", "checksums", "_dataset_threshold",
                             "_begin", "_mpi", NULL};
    JxState *st = jx_state_from_module(module);
    PyObject *target, *pytree, *downcast = NULL, *py2np = NULL, *dill_kwargs = Py_None;
    PyObject *hints = NULL, *marshalers = NULL, *result = NULL, *compression = NULL;
    PyObject *progress = Py_None, *mpi = Py_None;
    if (kwargs && PyDict_GetItemString(kwargs, "comm")) /* a collective save: jaxon/_mpi.py */
        return route_comm("save", args, kwargs);
    int exact = 1, allow_dill = 0, begin = 0, checksums = 1;
    Py_ssize_t threshold = 64 * 1024;
    JxSaveOptions opts;
    memset(&opts, 0, sizeof opts);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|pOOpOOOOOpnpO:save", kwlist, &target,
                                     &pytree, &exact, &downcast, &py2np, &allow_dill,
                                     &dill_kwargs, &hints, &marshalers, &compression, &progress,
                                     &checksums, &threshold, &begin, &mpi))
        return NULL;
    /* a collective save writes no integrity records: a dataset's CRC would need every
     * process's shards (docs/many-processes.md) */
    opts.checksums = checksums && mpi == Py_None;
    opts.exact_python_numeric_types = exact;
    opts.allow_dill = allow_dill;
    opts.dill_kwargs = dill_kwargs == Py_None ? NULL : dill_kwargs;
    opts.dataset_threshold = threshold < 0 ? 0 : threshold;
    if (optional_tuple(downcast, &opts.downcast_to_base_types, "downcast_to_base_types") < 0)
        goto done;
    if (optional_tuple(py2np, &opts.py_to_np_types, "py_to_np_types") < 0)
        goto done;
    if (!opts.py_to_np_types && !exact) {
        opts.py_to_np_types = PyTuple_Pack(4, (PyObject *)&PyLong_Type, (PyObject *)&PyFloat_Type,
                                           (PyObject *)&PyBool_Type, (PyObject *)&PyComplex_Type);
        if (!opts.py_to_np_types)
            goto done;
    }
    if (optional_tuple(marshalers, &opts.custom_marshalers, "custom_marshalers") < 0)
        goto done;
    if (storage_hint_map(hints, &opts.storage_hints) < 0)
        goto done;
    if (default_spec(compression, &opts.default_spec) < 0)
        goto done;
    if (jx_ensure_numpy(st) < 0)
        goto done;
    opts.progress = progress;
    if (progress != Py_None && progress != Py_True && progress != Py_False &&
        !PyCallable_Check(progress)) {
        PyErr_Format(PyExc_TypeError, "progress must be None, True or a callable "
                                      "f(bytes_done, bytes_total), not %.100s",
                     Py_TYPE(progress)->tp_name);
        goto done;
    }
    /* _begin: save_async's first phase (jaxon/_async.py runs the returned job) */
    result = mpi != Py_None ? jx_save_mpi_entry(st, target, pytree, &opts, mpi)
             : begin        ? jx_save_begin(st, target, pytree, &opts)
                            : jx_save_entry(st, target, pytree, &opts);
done:
    Py_XDECREF(opts.downcast_to_base_types);
    Py_XDECREF(opts.py_to_np_types);
    Py_XDECREF(opts.custom_marshalers);
    Py_XDECREF(opts.storage_hints);
    Py_XDECREF(opts.default_spec);
    return result;
}

/* allowed_modules: None or an iterable of module names (a lone str is refused: it would
 * be read as its characters). *out: a tuple of str, or NULL when empty. */
static int allowed_modules_tuple(PyObject *arg, PyObject **out)
{
    *out = NULL;
    if (!arg || arg == Py_None)
        return 0;
    if (PyUnicode_Check(arg) || PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "allowed_modules must be an iterable of module names "
                        "(e.g. ['mypackage']), not a single str");
        return -1;
    }
    PyObject *t = PySequence_Tuple(arg);
    if (!t)
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        PyObject *m = PyTuple_GET_ITEM(t, i);
        if (!PyUnicode_Check(m) || PyUnicode_GET_LENGTH(m) == 0) {
            PyErr_Format(PyExc_TypeError, "allowed_modules must hold non-empty module names "
                         "(str), found %R", m);
            Py_DECREF(t);
            return -1;
        }
    }
    if (PyTuple_GET_SIZE(t) == 0)
        Py_CLEAR(t);
    *out = t;
    return 0;
}

PyDoc_STRVAR(load_doc,
"load(path_or_file, allow_dill=False, dill_kwargs=None, custom_unmarshalers=(),\n"
"     allow_missing_fields=False, allow_unknown_fields=False, load_filter=None, *,\n"
"     allowed_modules=(), trusted=False, lazy=False, sharding=None, verify=True)\n--\n\n"
"Load the pytree stored in a Jaxon HDF5 file (layout v1.2.0 or v2.x).\n\n"
"Every name and value is checked as it is read: a file that breaks the layout raises\n"
"JaxonFormatError naming the place in the file and the rule it breaks; a file locked by\n"
"another process raises BlockingIOError; Ctrl-C interrupts a long load. Loading runs no\n"
"code the file chose (docs/security.md): modules the file names are taken from\n"
"sys.modules, never imported, and objects stored by name come back only from the default\n"
"list of array functions; refusals raise JaxonSecurityError.\n\n"
"path_or_file\n"
"    A path (str, bytes or os.PathLike) or a binary file object with read/seek (its\n"
"    bytes are read into memory and opened from there).\n"
"allow_dill=False\n"
"    True unpickles dill blobs (which runs code the file chose: only for files you\n"
"    trust); False raises JaxonFormatError at the first blob.\n"
"    Example: load(p, allow_dill=True).\n"
"dill_kwargs=None\n"
"    Keyword arguments for dill.loads when allow_dill is used, e.g. {'ignore': True}.\n"
"custom_unmarshalers=()\n"
"    Callables tried in order for each custom object of the file: f(qualified_name, data)\n"
"    returns None (not handled) or the object to put in the tree; unhandled objects use\n"
"    the class's from_jaxon or the dataclass default. Example:\n"
"    load(p, custom_unmarshalers=[lambda n, d: Point(*d) if n == 'my.Point' else None]).\n"
"allow_missing_fields=False\n"
"    True drops fields that the file stores for a dataclass but the class no longer\n"
"    defines (else JaxonFormatError names them). Example: load(p, allow_missing_fields=True).\n"
"allow_unknown_fields=False\n"
"    True gives fields that the class defines but the file lacks their default_factory(),\n"
"    their default or JAXON_NOT_LOADED (else JaxonFormatError names them).\n"
"    Example: load(p, allow_unknown_fields=True).\n"
"load_filter=None\n"
"    A callable f(path) -> bool asked for each node with its path in the pytree as a\n"
"    tuple (dict keys, list/tuple/set positions, dataclass field names); False skips the\n"
"    node (and its children), which loads as JAXON_NOT_LOADED.\n"
"    Example: load(p, load_filter=lambda path: has_common_prefix(('params',), path)).\n"
"allowed_modules=() (keyword-only)\n"
"    Names of modules (each covering its submodules) the file may name anyway: they are\n"
"    imported when needed and any object of theirs loads by name.\n"
"    Example: load(p, allowed_modules=['mypkg']).\n"
"trusted=False (keyword-only)\n"
"    True imports any module and returns any object the file names, as the Python jaxon\n"
"    package does: only for files you trust as much as code. Example: load(p, trusted=True).\n"
"lazy=False (keyword-only)\n"
"    True (paths only) reads no array data: numpy leaves in contiguous uncompressed\n"
"    datasets load as read-only arrays over a memory map of the file, other dataset\n"
"    leaves and every jax.Array leaf in a dataset as jaxon.LazyArray proxies (slicing\n"
"    reads only the slice; np.asarray(x) or x.load() reads all). Attribute-held leaves\n"
"    load eagerly. The file stays open until the last proxy or mapped array of the load\n"
"    is gone; a jaxon.save over the path does not disturb them (they keep the old file).\n"
"    Example: load(p, lazy=True)['params']['w'][100:200].\n"
"sharding=None (keyword-only)\n"
"    Where jax.Array leaves go: a jax.sharding.Sharding for all of them, a pytree of\n"
"    shardings (or None) matching a prefix of the loaded tree, or a callable\n"
"    f(path, shape, dtype) -> Sharding | None. Each device reads only its slice of the\n"
"    file. None leaves the leaf on the default device; numpy leaves are not placed.\n"
"    Example: load(p, sharding=NamedSharding(mesh, PartitionSpec('x'))).\n"
"verify=True (keyword-only)\n"
"    Check the checksums our save records (spec §12): a group or dataset that does not\n"
"    match raises JaxonFormatError with rule 'checksum' naming it. Files without them\n"
"    (Python jaxon's, older ones) load unchecked; so do memory-mapped and sliced lazy\n"
"    leaves and the slices a sharded load reads. False skips every check.\n"
"    Example: load(p, verify=False).\n"
"comm=None\n"
"    An mpi4py communicator: every process loads (with sharding=, only its devices' slices)\n"
"    and a failure in one process raises in all. Example: load(p, comm=COMM, sharding=s).");

static PyObject *jx_load(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path_or_file", "allow_dill", "dill_kwargs", "custom_unmarshalers",
                             "allow_missing_fields", "allow_unknown_fields", "load_filter",
                             "allowed_modules", "trusted", "lazy", "sharding", "verify", NULL};
    JxState *st = jx_state_from_module(module);
    PyObject *source, *dill_kwargs = Py_None, *unmarshalers = NULL, *filter = Py_None;
    PyObject *allowed = NULL, *result = NULL, *sharding = Py_None;
    int allow_dill = 0, allow_missing = 0, allow_unknown = 0, trusted = 0, lazy = 0, verify = 1;
    JxLoadOptions opts;
    memset(&opts, 0, sizeof opts);
    if (kwargs && PyDict_GetItemString(kwargs, "comm")) /* jaxon/_mpi.py */
        return route_comm("load", args, kwargs);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|pOOppO$OppOp:load", kwlist, &source,
                                     &allow_dill, &dill_kwargs, &unmarshalers, &allow_missing,
                                     &allow_unknown, &filter, &allowed, &trusted, &lazy,
                                     &sharding, &verify))
        return NULL;
    opts.verify = verify;
    opts.trusted = trusted;
    opts.lazy = lazy;
    opts.allow_dill = allow_dill;
    opts.dill_kwargs = dill_kwargs == Py_None ? NULL : dill_kwargs;
    opts.allow_missing_fields = allow_missing;
    opts.allow_unknown_fields = allow_unknown;
    opts.load_filter = filter == Py_None ? NULL : filter;
    if (opts.load_filter && !PyCallable_Check(opts.load_filter)) {
        PyErr_SetString(PyExc_TypeError, "load_filter must be callable or None");
        return NULL;
    }
    if (optional_tuple(unmarshalers, &opts.custom_unmarshalers, "custom_unmarshalers") < 0)
        return NULL;
    if (allowed_modules_tuple(allowed, &opts.allowed_modules) < 0)
        goto done;
    if (jx_ensure_numpy(st) < 0)
        goto done;
    if (sharding != Py_None) { /* jaxon/_lazy.py checks it and imports jax */
        PyObject *m = PyImport_ImportModule("jaxon._lazy");
        opts.placer = m ? PyObject_CallMethod(m, "_make_placer", "O", sharding) : NULL;
        Py_XDECREF(m);
        if (!opts.placer)
            goto done;
    }
    result = jx_load_entry(st, source, &opts);
done:
    Py_XDECREF(opts.placer);
    Py_XDECREF(opts.custom_unmarshalers);
    Py_XDECREF(opts.allowed_modules);
    return result;
}

/* _configure(not_loaded=..., plugin_dir=...): objects owned by the Python layer. */
static PyObject *jx_configure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"not_loaded", "plugin_dir", NULL};
    JxState *st = jx_state_from_module(module);
    PyObject *not_loaded, *plugin_dir;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OU:_configure", kwlist, &not_loaded,
                                     &plugin_dir))
        return NULL;
    Py_XSETREF(st->not_loaded, Py_NewRef(not_loaded));
    Py_XSETREF(st->plugin_dir, Py_NewRef(plugin_dir));
    Py_RETURN_NONE;
}

/* _connector_name(path): the connector a file is opened through by load(), for tests. */
static PyObject *jx_probe_connector(PyObject *module, PyObject *arg)
{
    JxState *st = jx_state_from_module(module);
    PyObject *bytes = NULL, *name = NULL;
    hid_t fapl = -1, fid = -1;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    fapl = jx_make_fapl(st, 1, 0, NULL, 0);
    if (fapl < 0)
        goto done;
    fid = H5Fopen(PyBytes_AS_STRING(bytes), H5F_ACC_RDONLY, fapl);
    if (fid < 0) {
        jx_raise_h5(st->JaxonError, "cannot open %R", arg);
        goto done;
    }
    name = jx_connector_name(fid);
done:
    if (fid >= 0)
        H5Fclose(fid);
    if (fapl >= 0)
        H5Pclose(fapl);
    Py_XDECREF(bytes);
    return name;
}

static PyMethodDef jx_methods[] = {
    {"save", (PyCFunction)(void (*)(void))jx_save, METH_VARARGS | METH_KEYWORDS, save_doc},
    {"load", (PyCFunction)(void (*)(void))jx_load, METH_VARARGS | METH_KEYWORDS, load_doc},
    {"_filter_available", jx_filter_available, METH_O,
     "Whether jaxon's libhdf5 has the HDF5 filter of this id (loading it from the plugin path)."},
    {"_add_filter_plugins", jx_add_filter_plugins, METH_O,
     "Load a directory of HDF5 filter plugins (hdf5plugin.PLUGIN_PATH) into jaxon's libhdf5."},
    {"_configure", (PyCFunction)(void (*)(void))jx_configure, METH_VARARGS | METH_KEYWORDS,
     "Hand the Python layer's objects to the extension."},
    {"_tree", (PyCFunction)(void (*)(void))jx_tree, METH_VARARGS | METH_KEYWORDS,
     "_tree(path_or_file, node_class) -> (root node, layout version): the file's pytree "
     "described from its metadata (jaxon.tree)."},
    {"_connector_name", jx_probe_connector, METH_O,
     "Name of the HDF5 VOL connector load() opens the file at path through."},
    {NULL, NULL, 0, NULL}};

/* ---- module lifecycle ------------------------------------------------------------------ */

static PyObject *new_exception(PyObject *module, const char *name, PyObject *bases,
                               const char *doc)
{
    PyObject *exc = PyErr_NewExceptionWithDoc(name, doc, bases, NULL);
    if (exc && PyModule_AddObjectRef(module, strrchr(name, '.') + 1, exc) < 0)
        Py_CLEAR(exc);
    return exc;
}

static int jx_exec(PyObject *module)
{
    JxState *st = jx_state_from_module(module);
    PyObject *bases = NULL;
    st->vol_id = -1;
#ifdef H5_HAVE_PARALLEL
    const int parallel = 1; /* save(comm=...) works (save_mpi.c) */
#else
    const int parallel = 0;
#endif
    if (PyModule_AddIntConstant(module, "_parallel", parallel) < 0)
        return -1;
    if (PyModule_AddStringConstant(module, "__version__", JAXON_VERSION) < 0)
        return -1;
    if (H5open() < 0) {
        PyErr_SetString(PyExc_ImportError, "HDF5 could not be initialised");
        return -1;
    }
    st->JaxonError = new_exception(module, "jaxon.JaxonError", NULL,
                                   "Base class of every error raised by jaxon.");
    if (!st->JaxonError)
        return -1;
    bases = PyTuple_Pack(2, st->JaxonError, PyExc_ValueError);
    if (!bases)
        return -1;
    {
        /* every instance answers .rule and .path: the violated rule's stable name
         * (docs/validation.md) and where, or None when the error names no rule */
        PyObject *dict = Py_BuildValue("{s:O,s:O}", "rule", Py_None, "path", Py_None);
        st->JaxonFormatError =
            dict ? PyErr_NewExceptionWithDoc("jaxon.JaxonFormatError",
                                             "The file is not HDF5, not Jaxon, or malformed; "
                                             ".rule and .path say which rule breaks where.",
                                             bases, dict)
                 : NULL;
        Py_XDECREF(dict);
        if (st->JaxonFormatError &&
            PyModule_AddObjectRef(module, "JaxonFormatError", st->JaxonFormatError) < 0)
            Py_CLEAR(st->JaxonFormatError);
    }
    st->CircularPyTreeException =
        st->JaxonFormatError
            ? new_exception(module, "jaxon.CircularPyTreeException", bases,
                            "The pytree (or the file) contains a cycle.")
            : NULL;
    Py_DECREF(bases);
    if (!st->CircularPyTreeException)
        return -1;
    bases = PyTuple_Pack(1, st->JaxonFormatError);
    if (!bases)
        return -1;
    st->JaxonSecurityError = new_exception(
        module, "jaxon.JaxonSecurityError", bases,
        "load refused to import a module or return a callable the file names (see "
        "docs/security.md); pass allowed_modules=[...] or trusted=True for trusted files.");
    Py_DECREF(bases);
    if (!st->JaxonSecurityError)
        return -1;
    st->JaxonFormatWarning = new_exception(module, "jaxon.JaxonFormatWarning",
                                           PyExc_UserWarning,
                                           "A file was loaded with a tolerated deviation.");
    if (!st->JaxonFormatWarning)
        return -1;
    PyObject *os = PyImport_ImportModule("os");
    if (!os)
        return -1;
    st->os_fspath = PyObject_GetAttrString(os, "fspath");
    Py_DECREF(os);
    if (!st->os_fspath)
        return -1;
    if (jx_lazy_init(module, st) < 0)
        return -1;
    return jx_save_job_type_init(module, st);
}

static int jx_traverse(PyObject *module, visitproc visit, void *arg)
{
    JxState *st = jx_state_from_module(module);
    Py_VISIT(st->JaxonError);
    Py_VISIT(st->JaxonFormatError);
    Py_VISIT(st->CircularPyTreeException);
    Py_VISIT(st->JaxonSecurityError);
    Py_VISIT(st->JaxonFormatWarning);
    Py_VISIT(st->not_loaded);
    Py_VISIT(st->jax_array_type);
    Py_VISIT(st->jnp_asarray);
    Py_VISIT(st->jax_device_put);
    Py_VISIT(st->os_fspath);
    Py_VISIT(st->dataclasses_fields);
    Py_VISIT(st->plugin_dir);
    Py_VISIT(st->lazy_file_type);
    Py_VISIT(st->lazy_array_cls);
    Py_VISIT(st->save_job_type);
    return 0;
}

static int jx_clear(PyObject *module)
{
    JxState *st = jx_state_from_module(module);
    Py_CLEAR(st->JaxonError);
    Py_CLEAR(st->JaxonFormatError);
    Py_CLEAR(st->CircularPyTreeException);
    Py_CLEAR(st->JaxonSecurityError);
    Py_CLEAR(st->JaxonFormatWarning);
    Py_CLEAR(st->not_loaded);
    Py_CLEAR(st->jax_array_type);
    Py_CLEAR(st->jnp_asarray);
    Py_CLEAR(st->jax_device_put);
    Py_CLEAR(st->os_fspath);
    Py_CLEAR(st->dataclasses_fields);
    Py_CLEAR(st->plugin_dir);
    Py_CLEAR(st->lazy_file_type);
    Py_CLEAR(st->lazy_array_cls);
    Py_CLEAR(st->save_job_type);
    return 0;
}

static void jx_free(void *module)
{
    /* The connector id stays registered: HDF5 closes it at library shutdown, and another
     * user (h5py, HDF5_VOL_CONNECTOR) may share it. */
    jx_clear((PyObject *)module);
    JxState *st = jx_state_from_module((PyObject *)module);
    PyMem_RawFree(st->lazy_inodes);
    st->lazy_inodes = NULL;
    st->n_lazy_inodes = st->cap_lazy_inodes = 0;
}

static PyModuleDef_Slot jx_slots[] = {{Py_mod_exec, jx_exec}, {0, NULL}};

static PyModuleDef jx_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "jaxon._jaxon",
    .m_doc = "C core of jaxon: HDF5 serialization of JAX and NumPy pytrees.",
    .m_size = sizeof(JxState),
    .m_methods = jx_methods,
    .m_slots = jx_slots,
    .m_traverse = jx_traverse,
    .m_clear = jx_clear,
    .m_free = jx_free,
};

PyMODINIT_FUNC PyInit__jaxon(void);
PyMODINIT_FUNC PyInit__jaxon(void)
{
    return PyModuleDef_Init(&jx_module);
}
