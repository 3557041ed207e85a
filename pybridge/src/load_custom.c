/* Custom types on the load side (spec §3.8, docs/layout.md "Custom types"): the "#tag"s
 * that follow a container typehint ("dict#a.B#c.D") are applied left to right. For each tag:
 *   1. custom_unmarshalers, in order: f(tag, obj); the first non-None result wins;
 *   2. "jaxon-import": obj is (module, qualname); the object reached by importing module and
 *      walking qualname (functions, classes, builtins, enum members);
 *   3. otherwise the tag is a qualname "module.Outer.Inner": the longest importable module
 *      prefix is imported and the rest walked with getattr (nested classes, spec B1-10), then
 *        - the class has from_jaxon: inst = cls.__new__(cls); inst.from_jaxon(obj)
 *          (an instance method, as the Python jaxon 1.2.0 reader calls it);
 *        - a dataclass: obj must be a dict; inst = cls.__new__(cls), every field set with
 *          object.__setattr__ (frozen classes work, __init__/__post_init__ do not run);
 *          allow_missing_fields / allow_unknown_fields decide about schema differences;
 *        - a tuple subclass with _fields (namedtuple): cls._make(obj);
 *        - anything else: JaxonFormatError.
 * Resolved tags are cached per load, so a list of 10,000 dataclass instances imports once. */
#include "load_internal.h"

#include <string.h>

/* obj.method(arg) (PyObject_CallMethod's "O" would unpack a tuple argument). */
static PyObject *call_method(PyObject *obj, const char *method, PyObject *arg)
{
    PyObject *m = PyUnicode_InternFromString(method), *r;
    if (!m)
        return NULL;
    r = PyObject_CallMethodOneArg(obj, m, arg);
    Py_DECREF(m);
    return r;
}

/* "module.a.b" -> the object: import the longest importable prefix, getattr the rest.
 * Returns a new reference, or NULL with JaxonFormatError naming the tag. */
static PyObject *resolve_qualname(Loader *L, const char *name, PyObject *tag)
{
    PyObject *parts = PyObject_CallMethod(tag, "split", "s", "."), *r = NULL, *dot = NULL;
    if (!parts)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(parts);
    dot = PyUnicode_FromString(".");
    if (!dot)
        goto done;
    for (Py_ssize_t k = n - 1; k >= 1 && !r; k--) {
        PyObject *head = PyList_GetSlice(parts, 0, k), *modname = NULL, *mod = NULL;
        if (!head)
            goto done;
        modname = PyUnicode_Join(dot, head);
        Py_DECREF(head);
        if (!modname)
            goto done;
        mod = PyImport_Import(modname);
        Py_DECREF(modname);
        if (!mod) {
            if (PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
                PyErr_Clear();
                continue; /* try a shorter module prefix */
            }
            goto fail; /* the module exists but importing it failed */
        }
        PyObject *cur = mod;
        for (Py_ssize_t i = k; i < n && cur; i++)
            Py_SETREF(cur, PyObject_GetAttr(cur, PyList_GET_ITEM(parts, i)));
        if (!cur)
            goto fail; /* the module is there, the name is not */
        r = cur;
    }
    if (!r) {
        jx_ld_format_error(L, name, "cannot find the class %R of a custom object: no prefix of "
                              "the name is an importable module. Import or install the code "
                              "that defines it, or pass a custom_unmarshaler that handles the "
                              "tag %R", tag, tag);
    }
    goto done;
fail: {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        jx_ld_format_error(L, name, "cannot find the class %R of a custom object (%S); pass a "
                              "custom_unmarshaler that handles the tag %R", tag, v, tag);
        jx_ld_set_cause(v, tb);
        Py_XDECREF(t);
        Py_XDECREF(tb);
    }
done:
    Py_XDECREF(parts);
    Py_XDECREF(dot);
    return r;
}

/* The object named by tag, cached per load. Borrowed reference. */
static PyObject *cached_class(Loader *L, const char *name, PyObject *tag)
{
    if (!L->tag_cache && !(L->tag_cache = PyDict_New()))
        return NULL;
    PyObject *c = PyDict_GetItemWithError(L->tag_cache, tag);
    if (c || PyErr_Occurred())
        return c;
    c = resolve_qualname(L, name, tag);
    if (!c)
        return NULL;
    int rc = PyDict_SetItem(L->tag_cache, tag, c);
    Py_DECREF(c);
    return rc < 0 ? NULL : c;
}

/* "jaxon-import": (module, qualname) -> the object. */
static PyObject *import_by_name(Loader *L, const char *name, PyObject *obj)
{
    if (!PyTuple_CheckExact(obj) || PyTuple_GET_SIZE(obj) != 2 ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(obj, 0)) ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(obj, 1)))
        return jx_ld_format_error(L, name, "a jaxon-import node must hold a (module, qualname) "
                                     "tuple of two str");
    PyObject *full = PyUnicode_FromFormat("%U.%U", PyTuple_GET_ITEM(obj, 0),
                                          PyTuple_GET_ITEM(obj, 1));
    if (!full)
        return NULL;
    /* the module part is known: import it, then walk the qualname */
    PyObject *mod = PyImport_Import(PyTuple_GET_ITEM(obj, 0)), *r = NULL, *parts = NULL;
    if (!mod) {
        PyErr_Clear();
        jx_ld_format_error(L, name, "cannot import module %R to load %R by name",
                           PyTuple_GET_ITEM(obj, 0), full);
        goto done;
    }
    parts = PyObject_CallMethod(PyTuple_GET_ITEM(obj, 1), "split", "s", ".");
    if (!parts)
        goto done;
    r = Py_NewRef(mod);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts) && r; i++)
        Py_SETREF(r, PyObject_GetAttr(r, PyList_GET_ITEM(parts, i)));
    if (!r && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        jx_ld_format_error(L, name, "cannot find %R: module %R has no such attribute", full,
                           PyTuple_GET_ITEM(obj, 0));
    }
done:
    Py_XDECREF(mod);
    Py_XDECREF(parts);
    Py_DECREF(full);
    return r;
}

/* The names of a list of str as "'a', 'b'". */
static PyObject *join_names(PyObject *list)
{
    PyObject *sep = PyUnicode_FromString(", "), *reprs = PyList_New(0), *r = NULL;
    if (!sep || !reprs)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *s = PyObject_Repr(PyList_GET_ITEM(list, i));
        if (!s || PyList_Append(reprs, s) < 0) {
            Py_XDECREF(s);
            goto done;
        }
        Py_DECREF(s);
    }
    r = PyUnicode_Join(sep, reprs);
done:
    Py_XDECREF(sep);
    Py_XDECREF(reprs);
    return r;
}

/* Field sets that differ: an error, or a JaxonFormatWarning when allowed. 0 / -1. */
static int field_mismatch(Loader *L, const char *name, PyObject *cls, PyObject *list, int allowed,
                          const char *what, const char *flag, const char *then)
{
    PyObject *names = join_names(list), *qn = PyObject_GetAttrString(cls, "__qualname__");
    int rc = -1;
    if (!names || !qn)
        goto done;
    if (allowed) {
        PyObject *msg = PyUnicode_FromFormat("loading dataclass %U: %s: %U; %s", qn, what, names,
                                             then);
        if (msg) {
            rc = PyErr_WarnEx(L->st->JaxonFormatWarning, PyUnicode_AsUTF8(msg), 1);
            Py_DECREF(msg);
        }
    } else {
        jx_ld_format_error(L, name, "cannot load dataclass %U: %s: %U (pass %s=True to %s)", qn,
                           what, names, flag, then);
    }
done:
    Py_XDECREF(names);
    Py_XDECREF(qn);
    return rc;
}

/* dataclasses.fields / dataclasses.MISSING, imported on first use. */
static int dataclass_api(Loader *L)
{
    JxState *st = L->st;
    if (!st->dataclasses_fields) {
        PyObject *m = PyImport_ImportModule("dataclasses");
        if (!m)
            return -1;
        st->dataclasses_fields = PyObject_GetAttrString(m, "fields");
        Py_DECREF(m);
        if (!st->dataclasses_fields)
            return -1;
    }
    if (!L->dc_missing) {
        PyObject *m = PyImport_ImportModule("dataclasses");
        if (!m)
            return -1;
        L->dc_missing = PyObject_GetAttrString(m, "MISSING");
        Py_DECREF(m);
        if (!L->dc_missing)
            return -1;
    }
    return 0;
}

/* A dataclass instance from the dict d of its fields. New reference. */
static PyObject *load_dataclass(Loader *L, const char *name, PyObject *cls, PyObject *d)
{
    PyObject *fields = NULL, *inst = NULL, *names = NULL, *extra = NULL, *missing = NULL;
    PyObject *fname = NULL, *val = NULL;
    if (!PyDict_CheckExact(d)) {
        PyObject *qn = PyObject_GetAttrString(cls, "__qualname__");
        if (qn)
            jx_ld_format_error(L, name, "dataclass %U must be stored as a dict, found %.100s", qn,
                               Py_TYPE(d)->tp_name);
        Py_XDECREF(qn);
        return NULL;
    }
    if (dataclass_api(L) < 0)
        return NULL;
    fields = PyObject_CallOneArg(L->st->dataclasses_fields, cls);
    names = PySet_New(NULL);
    extra = PyList_New(0);
    missing = PyList_New(0);
    if (!fields || !names || !extra || !missing || !PyTuple_Check(fields))
        goto error;
    Py_ssize_t nf = PyTuple_GET_SIZE(fields);
    for (Py_ssize_t i = 0; i < nf; i++) {
        fname = PyObject_GetAttrString(PyTuple_GET_ITEM(fields, i), "name");
        if (!fname || PySet_Add(names, fname) < 0)
            goto error;
        int has = PyDict_Contains(d, fname);
        if (has < 0 || (!has && PyList_Append(missing, fname) < 0))
            goto error;
        Py_CLEAR(fname);
    }
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        int has = PySet_Contains(names, k);
        if (has < 0 || (!has && PyList_Append(extra, k) < 0))
            goto error;
    }
    if (PyList_GET_SIZE(extra) > 0 &&
        field_mismatch(L, name, cls, extra, L->opts->allow_missing_fields,
                       "the file has fields the class does not define", "allow_missing_fields",
                       "drop them") < 0)
        goto error;
    if (PyList_GET_SIZE(missing) > 0 &&
        field_mismatch(L, name, cls, missing, L->opts->allow_unknown_fields,
                       "the class has fields the file does not contain", "allow_unknown_fields",
                       "give them their default_factory(), default or JAXON_NOT_LOADED; "
                       "__post_init__ is not run") < 0)
        goto error;
    inst = call_method(cls, "__new__", cls);
    if (!inst)
        goto error;
    for (Py_ssize_t i = 0; i < nf; i++) {
        PyObject *f = PyTuple_GET_ITEM(fields, i);
        fname = PyObject_GetAttrString(f, "name");
        if (!fname)
            goto error;
        val = PyDict_GetItemWithError(d, fname);
        if (val) {
            Py_INCREF(val);
        } else if (PyErr_Occurred()) {
            goto error;
        } else {
            PyObject *factory = PyObject_GetAttrString(f, "default_factory");
            if (!factory)
                goto error;
            if (factory != L->dc_missing) {
                val = PyObject_CallNoArgs(factory);
            } else {
                PyObject *def = PyObject_GetAttrString(f, "default");
                if (def && def == L->dc_missing)
                    Py_SETREF(def, Py_NewRef(L->st->not_loaded ? L->st->not_loaded : Py_None));
                val = def;
            }
            Py_DECREF(factory);
            if (!val)
                goto error;
        }
        if (PyObject_GenericSetAttr(inst, fname, val) < 0)
            goto error;
        Py_CLEAR(fname);
        Py_CLEAR(val);
    }
    goto done;
error:
    Py_CLEAR(inst);
done:
    Py_XDECREF(fields);
    Py_XDECREF(names);
    Py_XDECREF(extra);
    Py_XDECREF(missing);
    Py_XDECREF(fname);
    Py_XDECREF(val);
    return inst;
}

/* One tag applied to obj (borrowed). New reference. */
static PyObject *apply_one(Loader *L, const char *name, PyObject *tag, PyObject *obj)
{
    PyObject *fns = L->opts->custom_unmarshalers;
    Py_ssize_t nfn = fns ? PyTuple_GET_SIZE(fns) : 0;
    for (Py_ssize_t i = 0; i < nfn; i++) {
        PyObject *r = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(fns, i), tag, obj, NULL);
        if (!r || r != Py_None)
            return r;
        Py_DECREF(r);
    }
    if (PyUnicode_CompareWithASCIIString(tag, "jaxon-import") == 0)
        return import_by_name(L, name, obj);
    PyObject *cls = cached_class(L, name, tag); /* borrowed */
    if (!cls)
        return NULL;
    if (!PyType_Check(cls))
        return jx_ld_format_error(L, name, "the marshaler tag %R names a %.100s, not a class; "
                                     "pass a custom_unmarshaler that handles it", tag,
                                     Py_TYPE(cls)->tp_name);
    if (PyObject_HasAttrString(cls, "from_jaxon")) {
        PyObject *inst = call_method(cls, "__new__", cls), *r;
        if (!inst)
            return NULL;
        r = call_method(inst, "from_jaxon", obj);
        if (!r) {
            Py_DECREF(inst);
            return NULL;
        }
        Py_DECREF(r);
        return inst;
    }
    if (PyObject_HasAttrString(cls, "__dataclass_fields__"))
        return load_dataclass(L, name, cls, obj);
    if (PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type) &&
        PyObject_HasAttrString(cls, "_fields")) {
        if (!PyTuple_CheckExact(obj))
            return jx_ld_format_error(L, name, "the namedtuple %R must be stored as a tuple, "
                                         "found %.100s", tag, Py_TYPE(obj)->tp_name);
        return call_method(cls, "_make", obj);
    }
    return jx_ld_format_error(L, name, "cannot load the custom object %R: the class has no "
                                 "from_jaxon method and is neither a dataclass nor a namedtuple; "
                                 "pass a custom_unmarshaler that handles the tag", tag);
}

PyObject *jx_ld_apply_tags(Loader *L, const char *name, PyObject *obj, const char *tags,
                           size_t n)
{
    size_t start = 0;
    while (obj && start <= n) {
        const char *hash = memchr(tags + start, '#', n - start);
        size_t len = hash ? (size_t)(hash - tags) - start : n - start;
        PyObject *tag = PyUnicode_DecodeUTF8(tags + start, (Py_ssize_t)len, "strict");
        if (!tag) {
            jx_ld_rewrap(L, name, "bad marshaler tag");
            Py_CLEAR(obj);
            break;
        }
        if (len == 0) {
            jx_ld_format_error(L, name, "empty marshaler tag in the typehint");
            Py_CLEAR(obj);
        } else {
            Py_SETREF(obj, apply_one(L, name, tag, obj));
        }
        Py_DECREF(tag);
        start += len + 1;
    }
    return obj;
}
