/* What a file may make load do (docs/security.md): which modules it may name, which objects
 * it may name, and how classes it names are instantiated — without running code the file
 * chose. Both layouts use it (load_custom.c for v1 tags and jaxon-import, load_v2.c for
 * jaxon[...]/dclass[...]).
 *
 * Modules: a module the file names is taken from sys.modules. It is imported only when it
 * is in allowed_modules (or a submodule of one) or with trusted=True; otherwise the load
 * fails with JaxonSecurityError, rule import-refused. Importing runs the module's code
 * (antigravity opens a browser; anything on sys.path, the current directory included).
 *
 * Names: qualified names are walked in the module's __dict__ and the classes' MRO dicts
 * (_PyType_Lookup), never with getattr: a metaclass __getattr__/__getattribute__ or a
 * descriptor on the way runs no code. Submodules are not walked into (the longest imported
 * module prefix is the module). trusted=True, and allowed_modules for their modules, walk
 * with getattr, as Python jaxon does.
 *
 * Objects loaded by name (jaxon-import): enum members (data) always; anything else only
 * from an allowed module, or from the default list below of pure array-math callables, so
 * that an Equinox MLP (activation jax.nn.relu, final_activation equinox's _identity) loads
 * with no argument while os.system, eval, __import__ or subprocess.Popen never end up in
 * the tree (rule callable-refused).
 *
 * Instances: cls.__new__ is looked up in the class's dict and called (no metaclass hook),
 * fields are set with object.__setattr__ semantics, namedtuples are built with
 * tuple.__new__ (no _make override runs), from_jaxon is looked up the same way. */
#include "load_internal.h"

#include <string.h>

/* ---- allow-lists ---------------------------------------------------------------------- */

typedef enum AllowKind {
    A_TOP,        /* any top-level object defined in the module (its __module__ is it) */
    A_TOP_EXCEPT, /* the same, except the names listed (file I/O) */
    A_NAMES       /* only the names listed */
} AllowKind;

/* file I/O of numpy and jax.numpy: reads or writes files when called */
static const char *const np_io[] = {"load", "save", "savez", "savez_compressed", "savetxt",
                                    "loadtxt", "genfromtxt", "fromfile", "fromregex", "memmap",
                                    "DataSource", NULL};
static const char *const safe_builtins[] = {
    "bool", "int", "float", "complex", "str", "bytes", "bytearray", "tuple", "list", "dict",
    "set", "frozenset", "slice", "range", "abs", "min", "max", "sum", "round", "len", NULL};
static const char *const eqx_mlp[] = {"_identity", NULL};

/* Callables that compute on arrays and nothing else. The module is what the saver stored
 * (the object's __module__): jax.nn.relu is jax._src.nn.functions.relu. */
static const struct {
    const char *module;
    AllowKind kind;
    const char *const *names;
} default_callables[] = {
    {"jax.nn", A_TOP, NULL},
    {"jax._src.nn.functions", A_TOP, NULL},
    {"jax.numpy", A_TOP_EXCEPT, np_io},
    {"jax.lax", A_TOP, NULL},
    {"jax.scipy.special", A_TOP, NULL},
    {"math", A_TOP, NULL},
    {"numpy", A_TOP_EXCEPT, np_io},
    {"builtins", A_NAMES, safe_builtins},
    {"equinox.nn._mlp", A_NAMES, eqx_mlp},
};

static int listed(const char *const *names, const char *s)
{
    for (; *names; names++)
        if (strcmp(*names, s) == 0)
            return 1;
    return 0;
}

/* Whether modname is in allowed_modules or inside a package listed there. */
static int user_allowed(Loader *L, PyObject *modname)
{
    PyObject *t = L->opts->allowed_modules;
    Py_ssize_t n = t ? PyTuple_GET_SIZE(t) : 0, ml = PyUnicode_GET_LENGTH(modname);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = PyTuple_GET_ITEM(t, i);
        Py_ssize_t al = PyUnicode_GET_LENGTH(a);
        if (al > ml || PyUnicode_Tailmatch(modname, a, 0, al, -1) != 1)
            continue;
        if (al == ml || PyUnicode_READ_CHAR(modname, al) == '.')
            return 1;
    }
    return 0;
}

static int may_import(Loader *L, PyObject *modname)
{
    return L->opts->trusted || user_allowed(L, modname);
}

/* ---- no-code lookups ------------------------------------------------------------------ */

PyObject *jx_pol_type_attr(PyObject *cls, const char *name)
{
    PyObject *k = PyUnicode_InternFromString(name), *v;
    if (!k) {
        PyErr_Clear();
        return NULL;
    }
    v = _PyType_Lookup((PyTypeObject *)cls, k); /* MRO dicts only: no hooks run */
    Py_DECREF(k);
    return v;
}

/* obj.<part> without running code: module __dict__ / class MRO dicts (enum members also
 * through _member_map_). Borrowed, NULL (no error) when absent or not walkable. */
static PyObject *lookup_part(PyObject *cur, PyObject *part, int first)
{
    PyObject *v = NULL;
    if (first && PyModule_Check(cur)) {
        v = PyDict_GetItemWithError(PyModule_GetDict(cur), part);
    } else if (PyType_Check(cur)) {
        v = _PyType_Lookup((PyTypeObject *)cur, part);
        if (v && Py_TYPE(v) != (PyTypeObject *)cur && !PyType_Check(v)) {
            /* an Enum keeps its members in _member_map_ (the class dict may hold a
             * descriptor for them); anything else found here is not a loadable object */
            PyObject *mm = jx_pol_type_attr(cur, "_member_map_");
            v = mm && PyDict_CheckExact(mm) ? PyDict_GetItemWithError(mm, part) : NULL;
        }
    }
    if (PyErr_Occurred())
        PyErr_Clear();
    if (v && PyModule_Check(v))
        v = NULL; /* qualnames stay inside their module */
    return v;
}

/* Walks parts[k:] from mod, with getattr when the caller trusts the module (trusted=True
 * or allowed_modules: then static methods and other class attributes resolve as in Python
 * jaxon), else by dict lookups. New reference; NULL with no error set when a part is absent
 * (*fail_at: its index), NULL with an error set on a real failure (trusted getattr raising
 * something else). */
static PyObject *walk(PyObject *mod, PyObject *parts, Py_ssize_t k, int use_getattr,
                      Py_ssize_t *fail_at)
{
    PyObject *cur = Py_NewRef(mod);
    Py_ssize_t n = PyList_GET_SIZE(parts);
    for (Py_ssize_t i = k; i < n && cur; i++) {
        PyObject *part = PyList_GET_ITEM(parts, i);
        *fail_at = i;
        if (use_getattr) {
            Py_SETREF(cur, PyObject_GetAttr(cur, part));
            if (!cur && PyErr_ExceptionMatches(PyExc_AttributeError))
                PyErr_Clear();
        } else {
            Py_SETREF(cur, Py_XNewRef(lookup_part(cur, part, i == k)));
        }
    }
    return cur;
}

static PyObject *join(PyObject *parts, Py_ssize_t k)
{
    PyObject *dot = PyUnicode_FromString("."), *head = PyList_GetSlice(parts, 0, k), *r = NULL;
    if (dot && head)
        r = PyUnicode_Join(dot, head);
    Py_XDECREF(dot);
    Py_XDECREF(head);
    return r;
}

static PyObject *refuse_import(Loader *L, const char *attr, PyObject *modname, PyObject *what)
{
    return jx_ld_rule_error(L, L->st->JaxonSecurityError, attr, "import-refused",
                            "the file names %R (module %R), which is not imported; load "
                            "imports no module because a file names it (importing runs the "
                            "module's code). Import it first, pass allowed_modules=[%R] "
                            "(or trusted=True) for a trusted file, or a custom_unmarshaler "
                            "that handles it",
                            what, modname, modname);
}

/* The object the dotted name parts names, the module being parts[:k] for the longest k in
 * [kmin, kmax] that is imported (or importable under the policy). New reference, or NULL
 * with JaxonSecurityError / JaxonFormatError naming what. */
static PyObject *resolve(Loader *L, const char *attr, PyObject *parts, Py_ssize_t kmin,
                         Py_ssize_t kmax, PyObject *what)
{
    PyObject *r = NULL, *modname = NULL, *mod = NULL;
    /* refused[k]: parts[:k] is not imported and may not be (a bit per candidate) */
    unsigned char refused_small[64], *refused = refused_small;
    Py_ssize_t n = PyList_GET_SIZE(parts), fail_at = -1, found_k = -1;
    if (n + 1 > (Py_ssize_t)sizeof refused_small && !(refused = PyMem_Calloc((size_t)n + 1, 1)))
        return PyErr_NoMemory();
    if (refused == refused_small)
        memset(refused, 0, sizeof refused_small);
    for (Py_ssize_t k = kmax; k >= kmin && !r && found_k < 0; k--) {
        Py_CLEAR(modname);
        Py_CLEAR(mod);
        if (!(modname = join(parts, k)))
            goto done;
        mod = PyImport_GetModule(modname);
        if (!mod && PyErr_Occurred())
            goto done;
        if (!mod && may_import(L, modname)) {
            mod = PyImport_Import(modname);
            if (!mod) {
                if (PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
                    PyErr_Clear();
                    continue; /* try a shorter module prefix */
                }
                PyObject *t, *v, *tb;
                PyErr_Fetch(&t, &v, &tb);
                PyErr_NormalizeException(&t, &v, &tb);
                jx_ld_rule_error(L, NULL, attr, "import-failed", "importing module %R for %R "
                                 "failed: %S", modname, what, v);
                jx_ld_set_cause(v, tb);
                Py_XDECREF(t);
                Py_XDECREF(tb);
                goto done;
            }
        }
        if (!mod) {
            refused[k] = 1;
            continue;
        }
        r = walk(mod, parts, k, may_import(L, modname), &fail_at);
        if (!r && PyErr_Occurred())
            goto done;
        if (!r)
            found_k = k; /* the longest module there: it has no such object */
    }
    if (r)
        goto done;
    Py_CLEAR(modname);
    if (found_k >= 0 && fail_at == found_k && found_k + 1 <= kmax && refused[found_k + 1]) {
        /* module.<name> is missing: <name> may be a submodule that is not imported */
        if ((modname = join(parts, found_k + 1)))
            refuse_import(L, attr, modname, what);
    } else if (found_k >= 0) {
        if ((modname = join(parts, found_k)))
            jx_ld_rule_error(L, NULL, attr, "name-not-found", "cannot find %R: module %R has "
                             "no such class or object (looked up in the module's and the "
                             "classes' dicts); import the code that defines it, or pass a "
                             "custom_unmarshaler that handles it", what, modname);
    } else if (refused[kmin]) {
        /* nothing of it imported: allowing the top-level candidate covers its submodules */
        if ((modname = join(parts, kmin)))
            refuse_import(L, attr, modname, what);
    } else {
        jx_ld_rule_error(L, NULL, attr, "name-not-found", "cannot find %R: no prefix of the "
                         "name is an importable module. Import or install the code that "
                         "defines it, or pass a custom_unmarshaler that handles it", what);
    }
done:
    if (refused != refused_small)
        PyMem_Free(refused);
    Py_XDECREF(modname);
    Py_XDECREF(mod);
    return r;
}

static PyObject *split_dots(Loader *L, const char *attr, PyObject *name)
{
    PyObject *dot = PyUnicode_FromString("."), *parts;
    parts = dot ? PyUnicode_Split(name, dot, -1) : NULL;
    Py_XDECREF(dot);
    if (!parts)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts); i++) {
        if (PyUnicode_GET_LENGTH(PyList_GET_ITEM(parts, i)) == 0) {
            Py_DECREF(parts);
            return jx_ld_rule_error(L, NULL, attr, "type-tag", "%R is not a dotted name", name);
        }
    }
    return parts;
}

PyObject *jx_pol_class(Loader *L, const char *attr, PyObject *name, int module_is_prefix)
{
    PyObject *parts = split_dots(L, attr, name), *r = NULL;
    if (!parts)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(parts);
    if (n < 2) {
        jx_ld_rule_error(L, NULL, attr, "type-tag", "%R is not a module-qualified class name; "
                         "pass a custom_unmarshaler that handles the tag", name);
    } else {
        /* v1 tags "module.Outer.Inner": any module prefix; v2 "module.Class": the last dot */
        r = resolve(L, attr, parts, module_is_prefix ? 1 : n - 1, n - 1, name);
    }
    Py_DECREF(parts);
    return r;
}

/* ---- objects stored by name ----------------------------------------------------------- */

static int is_enum_member(PyObject *obj)
{
    PyObject *nm = PyUnicode_FromString("enum"), *base;
    PyObject *enum_mod = nm ? PyImport_GetModule(nm) : NULL;
    int r = 0;
    Py_XDECREF(nm);
    if (!enum_mod) {
        PyErr_Clear();
        return 0; /* no enum class exists before enum is imported */
    }
    base = PyDict_GetItemString(PyModule_GetDict(enum_mod), "Enum");
    if (base && PyType_Check(base))
        r = PyType_IsSubtype(Py_TYPE(obj), (PyTypeObject *)base);
    Py_DECREF(enum_mod);
    return r;
}

/* Whether the default list admits obj, found as modname.qualname. */
static int default_allowed(PyObject *modname, PyObject *qualname, PyObject *obj)
{
    const char *m = PyUnicode_AsUTF8(modname), *q = PyUnicode_AsUTF8(qualname);
    if (!m || !q) {
        PyErr_Clear();
        return 0;
    }
    if (strchr(q, '.') || PyModule_Check(obj))
        return 0;
    for (size_t i = 0; i < sizeof default_callables / sizeof default_callables[0]; i++) {
        if (strcmp(default_callables[i].module, m) != 0)
            continue;
        switch (default_callables[i].kind) {
        case A_NAMES:
            return listed(default_callables[i].names, q);
        case A_TOP_EXCEPT:
            if (listed(default_callables[i].names, q))
                return 0;
            /* fall through */
        case A_TOP: {
            /* defined there, not re-exported from elsewhere (os, functools ...) */
            PyObject *home = PyObject_GetAttrString(obj, "__module__");
            int ok = home && PyUnicode_Check(home) && PyUnicode_Compare(home, modname) == 0;
            Py_XDECREF(home);
            PyErr_Clear();
            return ok;
        }
        }
    }
    return 0;
}

PyObject *jx_pol_by_name(Loader *L, const char *attr, PyObject *modname, PyObject *qualname)
{
    PyObject *full = PyUnicode_FromFormat("%U.%U", modname, qualname), *parts = NULL;
    PyObject *r = NULL;
    if (!full)
        return NULL;
    parts = split_dots(L, attr, full);
    if (!parts)
        goto done;
    /* the module part is given: exactly those elements */
    PyObject *mparts = split_dots(L, attr, modname);
    if (!mparts)
        goto done;
    Py_ssize_t k = PyList_GET_SIZE(mparts);
    Py_DECREF(mparts);
    if (k >= PyList_GET_SIZE(parts)) {
        jx_ld_rule_error(L, NULL, attr, "type-tag", "a jaxon-import node needs a qualname");
        goto done;
    }
    r = resolve(L, attr, parts, k, k, full);
    if (!r || L->opts->trusted || user_allowed(L, modname) || is_enum_member(r) ||
        default_allowed(modname, qualname, r))
        goto done;
    Py_CLEAR(r);
    jx_ld_rule_error(L, L->st->JaxonSecurityError, attr, "callable-refused",
                     "the file stores %R by name; load returns objects stored by name only "
                     "from allowed modules (enum members, and the array functions listed in "
                     "docs/security.md, by default) so that no function the file chose ends "
                     "up in the tree. Pass allowed_modules=[%R] (or trusted=True) for a "
                     "trusted file", full, modname);
done:
    Py_XDECREF(parts);
    Py_DECREF(full);
    return r;
}

/* ---- instances ------------------------------------------------------------------------ */

PyObject *jx_pol_new(Loader *L, const char *attr, PyObject *cls)
{
    PyObject *nw = jx_pol_type_attr(cls, "__new__");
    if (!nw)
        return jx_ld_rule_error(L, NULL, attr, "type-tag", "the class %s cannot be "
                                "instantiated", ((PyTypeObject *)cls)->tp_name);
    /* a staticmethod (Python __new__) or object.__new__-like builtin: both take cls */
    return PyObject_CallOneArg(nw, cls);
}

PyObject *jx_pol_new_dataclass(Loader *L, const char *attr, PyObject *cls)
{
    /* The nearest __new__ written in C (object.__new__, tuple.__new__ ...): a __new__
     * written in Python belongs with the __init__ that load does not run, and may expect it
     * to run. Equinox's Module.__new__ records the instance as being initialised until the
     * metaclass has run __init__; an instance made by it alone stays in that record, with
     * its arrays, for the life of the process (and stays mutable). Equinox's own unflatten
     * makes modules with object.__new__ for that reason. */
    PyObject *mro = ((PyTypeObject *)cls)->tp_mro, *key = PyUnicode_InternFromString("__new__");
    PyObject *r = NULL;
    if (!key)
        return NULL;
    for (Py_ssize_t i = 0; mro && PyTuple_Check(mro) && i < PyTuple_GET_SIZE(mro); i++) {
        PyObject *base = PyTuple_GET_ITEM(mro, i);
        PyObject *nw = PyType_Check(base) ? PyDict_GetItemWithError(
                                                ((PyTypeObject *)base)->tp_dict, key)
                                          : NULL;
        if (PyErr_Occurred())
            break;
        if (nw && PyCFunction_Check(nw)) {
            r = PyObject_CallOneArg(nw, cls);
            break;
        }
    }
    Py_DECREF(key);
    if (!r && !PyErr_Occurred())
        return jx_pol_new(L, attr, cls);
    return r;
}

PyObject *jx_pol_fields(Loader *L, const char *attr, PyObject *cls)
{
    PyObject *d = jx_pol_type_attr(cls, "__dataclass_fields__"), *r = NULL, *k, *v;
    if (!d || !PyDict_CheckExact(d))
        return jx_ld_rule_error(L, NULL, attr, "type-tag", "%s is not a dataclass",
                                ((PyTypeObject *)cls)->tp_name);
    if (!L->dc_field_type) {
        PyObject *m = PyImport_ImportModule("dataclasses");
        if (!m)
            return NULL;
        L->dc_field_type = PyObject_GetAttrString(m, "Field");
        L->dc_field_marker = L->dc_field_type ? PyObject_GetAttrString(m, "_FIELD") : NULL;
        Py_DECREF(m);
        if (!L->dc_field_marker)
            return NULL;
    }
    PyObject *list = PyList_New(0);
    Py_ssize_t pos = 0;
    if (!list)
        return NULL;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (Py_TYPE(v) != (PyTypeObject *)L->dc_field_type) {
            jx_ld_rule_error(L, NULL, attr, "type-tag", "%s.__dataclass_fields__ holds a "
                             "%.100s, not a dataclasses.Field", ((PyTypeObject *)cls)->tp_name,
                             Py_TYPE(v)->tp_name);
            goto done;
        }
        PyObject *ft = PyObject_GetAttrString(v, "_field_type");
        if (!ft)
            goto done;
        int keep = ft == L->dc_field_marker; /* not a ClassVar / InitVar pseudo-field */
        Py_DECREF(ft);
        if (keep && PyList_Append(list, v) < 0)
            goto done;
    }
    r = PyList_AsTuple(list);
done:
    Py_DECREF(list);
    return r;
}

int jx_pol_is_namedtuple(PyObject *cls)
{
    PyObject *f = jx_pol_type_attr(cls, "_fields");
    return PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type) && f && PyTuple_Check(f);
}

PyObject *jx_pol_namedtuple(Loader *L, const char *attr, PyObject *cls, PyObject *items)
{
    PyObject *f = jx_pol_type_attr(cls, "_fields"), *args, *r;
    if (!PyTuple_Check(items))
        return jx_ld_rule_error(L, NULL, attr, "type-tag", "the namedtuple %s must be stored "
                                "as a tuple, found %.100s", ((PyTypeObject *)cls)->tp_name,
                                Py_TYPE(items)->tp_name);
    if (!f || PyTuple_GET_SIZE(f) != PyTuple_GET_SIZE(items))
        return jx_ld_rule_error(L, NULL, attr, "type-tag", "the namedtuple %s has %zd fields, "
                                "the file stores %zd items", ((PyTypeObject *)cls)->tp_name,
                                f ? PyTuple_GET_SIZE(f) : (Py_ssize_t)0,
                                PyTuple_GET_SIZE(items));
    /* tuple.__new__(cls, items): what _make does, without calling an override of it */
    args = PyTuple_Pack(1, items);
    r = args ? PyTuple_Type.tp_new((PyTypeObject *)cls, args, NULL) : NULL;
    Py_XDECREF(args);
    return r;
}
