/* Custom types on the load side (spec §3.8, docs/layout.md "Custom types"): the "#tag"s
 * that follow a container typehint ("dict#a.B#c.D") are applied left to right. For each tag:
 *   1. custom_unmarshalers, in order: f(tag, obj); the first non-None result wins;
 *   2. "jaxon-import": obj is (module, qualname); the object it names, under the loading
 *      policy of load_policy.c (enum members, allowed modules, default array functions);
 *   3. otherwise the tag is a qualname "module.Outer.Inner": the longest imported (or, when
 *      allowed, importable) module prefix and the rest looked up in class dicts (nested
 *      classes, spec B1-10; load_policy.c), then
 *        - the class has from_jaxon: inst = cls.__new__(cls); inst.from_jaxon(obj)
 *          (an instance method, as the Python jaxon 1.2.0 reader calls it);
 *        - a dataclass: obj must be a dict whose keys are checked against the fields first;
 *          inst = cls.__new__(cls), every field set with object.__setattr__ (frozen classes
 *          work, __init__/__post_init__ do not run); allow_missing_fields /
 *          allow_unknown_fields decide about schema differences;
 *        - a tuple subclass with _fields (namedtuple): tuple.__new__(cls, obj);
 *        - anything else: JaxonFormatError.
 * Class attributes (from_jaxon, __new__, __dataclass_fields__, _fields) are looked up in
 * the class dicts, so no metaclass __getattr__ runs.
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

/* The object named by tag, cached per load. Borrowed reference. */
static PyObject *cached_class(Loader *L, const char *name, PyObject *tag)
{
    if (!L->tag_cache && !(L->tag_cache = PyDict_New()))
        return NULL;
    PyObject *c = PyDict_GetItemWithError(L->tag_cache, tag);
    if (c || PyErr_Occurred())
        return c;
    c = jx_pol_class(L, name, tag, 1);
    if (!c)
        return NULL;
    int rc = PyDict_SetItem(L->tag_cache, tag, c);
    Py_DECREF(c);
    return rc < 0 ? NULL : c;
}

/* "jaxon-prng-key": (impl name, key data) -> jax.random.wrap_key_data(data, impl=name), the
 * typed PRNG key array that was saved (save_custom.c). */
static PyObject *wrap_prng_key(Loader *L, const char *name, PyObject *obj)
{
    if (!PyTuple_CheckExact(obj) || PyTuple_GET_SIZE(obj) != 2 ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(obj, 0)))
        return jx_ld_format_error(L, name, "type-tag", "a jaxon-prng-key node must hold an (impl name, "
                                     "key data) tuple");
    PyObject *random = PyImport_ImportModule("jax.random"), *wrap = NULL, *args = NULL;
    PyObject *kw = NULL, *r = NULL;
    if (!random) {
        PyErr_Clear();
        return jx_ld_format_error(L, name, "import-failed", "loading a typed PRNG key needs jax, which cannot "
                                     "be imported");
    }
    wrap = PyObject_GetAttrString(random, "wrap_key_data");
    args = wrap ? PyTuple_Pack(1, PyTuple_GET_ITEM(obj, 1)) : NULL;
    kw = args ? Py_BuildValue("{sO}", "impl", PyTuple_GET_ITEM(obj, 0)) : NULL;
    r = kw ? PyObject_Call(wrap, args, kw) : NULL;
    if (!r && kw && (PyErr_ExceptionMatches(PyExc_TypeError) ||
                     PyErr_ExceptionMatches(PyExc_ValueError) ||
                     PyErr_ExceptionMatches(PyExc_KeyError))) {
        PyObject *et, *ev, *tb; /* PyErr_GetRaisedException is 3.12+ */
        PyErr_Fetch(&et, &ev, &tb);
        PyErr_NormalizeException(&et, &ev, &tb);
        jx_ld_format_error(L, name, "unmarshal-failed", "cannot rebuild the PRNG key of implementation %R: %S",
                           PyTuple_GET_ITEM(obj, 0), ev ? ev : Py_None);
        Py_XDECREF(et);
        Py_XDECREF(ev);
        Py_XDECREF(tb);
    }
    Py_DECREF(random);
    Py_XDECREF(wrap);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    return r;
}

/* "jaxon-import": (module, qualname) -> the object, if the policy allows it. */
static PyObject *import_by_name(Loader *L, const char *name, PyObject *obj)
{
    if (!PyTuple_CheckExact(obj) || PyTuple_GET_SIZE(obj) != 2 ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(obj, 0)) ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(obj, 1)))
        return jx_ld_format_error(L, name, "type-tag", "a jaxon-import node must hold a (module, qualname) "
                                     "tuple of two str");
    return jx_pol_by_name(L, name, PyTuple_GET_ITEM(obj, 0), PyTuple_GET_ITEM(obj, 1));
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
    PyObject *names = join_names(list), *qn = PyType_GetQualName((PyTypeObject *)cls);
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
        jx_ld_format_error(L, name, "class-mismatch", "cannot load dataclass %U: %s: %U (pass %s=True to %s)", qn,
                           what, names, flag, then);
    }
done:
    Py_XDECREF(names);
    Py_XDECREF(qn);
    return rc;
}

/* dataclasses.MISSING, imported on first use. */
static int dataclass_api(Loader *L)
{
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

/* A dataclass instance from the dict d of its fields, for both layouts (v1 dict#tag, v2
 * dclass[...]). New reference. */
PyObject *jx_ld_dataclass(Loader *L, const char *name, PyObject *cls, PyObject *d)
{
    PyObject *fields = NULL, *inst = NULL, *names = NULL, *extra = NULL, *missing = NULL;
    PyObject *fname = NULL, *val = NULL;
    if (!PyDict_CheckExact(d)) {
        PyObject *qn = PyType_GetQualName((PyTypeObject *)cls);
        if (qn)
            jx_ld_format_error(L, name, "type-tag", "dataclass %U must be stored as a dict, found %.100s", qn,
                               Py_TYPE(d)->tp_name);
        Py_XDECREF(qn);
        return NULL;
    }
    if (dataclass_api(L) < 0)
        return NULL;
    fields = jx_pol_fields(L, name, cls);
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
    inst = jx_pol_new_dataclass(L, name, cls);
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
    if (PyUnicode_CompareWithASCIIString(tag, "jaxon-prng-key") == 0)
        return wrap_prng_key(L, name, obj);
    PyObject *cls = cached_class(L, name, tag); /* borrowed */
    if (!cls)
        return NULL;
    if (!PyType_Check(cls))
        return jx_ld_format_error(L, name, "class-mismatch", "the marshaler tag %R names a %.100s, not a class; "
                                     "pass a custom_unmarshaler that handles it", tag,
                                     Py_TYPE(cls)->tp_name);
    if (jx_pol_type_attr(cls, "from_jaxon")) {
        PyObject *inst = jx_pol_new(L, name, cls), *r;
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
    if (jx_pol_type_attr(cls, "__dataclass_fields__"))
        return jx_ld_dataclass(L, name, cls, obj);
    if (jx_pol_is_namedtuple(cls))
        return jx_pol_namedtuple(L, name, cls, obj);
    return jx_ld_format_error(L, name, "class-mismatch", "cannot load the custom object %R: the class has no "
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
            jx_ld_rewrap(L, name, "type-tag", "bad marshaler tag");
            Py_CLEAR(obj);
            break;
        }
        if (len == 0) {
            jx_ld_format_error(L, name, "type-tag", "empty marshaler tag in the typehint");
            Py_CLEAR(obj);
        } else {
            Py_SETREF(obj, apply_one(L, name, tag, obj));
        }
        Py_DECREF(tag);
        start += len + 1;
    }
    return obj;
}
