/* Custom types on the save side (spec 3.8, issue "custom types"):
 *   1. custom_marshalers, in order: f(obj) -> None | (tag, converted)
 *   2. obj.to_jaxon()            tag = module.qualname of the type
 *   3. dataclass instances       {field: value} for every field, tag = qualname
 *   4. namedtuple instances      tuple(obj), tag = qualname
 * repeated until a builtin container results; the typehint lists the tags innermost first
 * ("dict#<tag of B>#<tag of A>" for A -> B -> dict), as the v1.2.0 layout does. And:
 *   5. objects importable by name (functions, classes, enum members, jax.nn.relu):
 *      "tuple#jaxon-import" holding (module, qualname); checked by resolving the name back
 *      to the very same object, so nothing that would load as something else is stored. */
#include "save_internal.h"

#define JX_MAX_CHAIN 32 /* marshaler steps for one object */

/* The module's cached dataclasses.fields, imported on first use. */
static PyObject *dataclass_fields(Saver *s, PyObject *obj)
{
    JxState *st = s->st;
    if (!st->dataclasses_fields) {
        PyObject *m = PyImport_ImportModule("dataclasses");
        if (!m)
            return NULL;
        st->dataclasses_fields = PyObject_GetAttrString(m, "fields");
        Py_DECREF(m);
        if (!st->dataclasses_fields)
            return NULL;
    }
    return PyObject_CallOneArg(st->dataclasses_fields, obj);
}

/* {field.name: getattr(obj, field.name)} in field order. */
static PyObject *dataclass_dict(Saver *s, PyObject *obj)
{
    PyObject *fields = dataclass_fields(s, obj), *d = NULL, *name = NULL, *value = NULL;
    if (!fields)
        return NULL;
    d = PyDict_New();
    if (!d)
        goto error;
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    for (Py_ssize_t i = 0; i < n; i++) {
        name = PyObject_GetAttrString(PyTuple_GET_ITEM(fields, i), "name");
        if (!name)
            goto error;
        value = PyObject_GetAttr(obj, name);
        if (!value || PyDict_SetItem(d, name, value) < 0)
            goto error;
        Py_CLEAR(name);
        Py_CLEAR(value);
    }
    Py_DECREF(fields);
    return d;
error:
    Py_XDECREF(fields);
    Py_XDECREF(d);
    Py_XDECREF(name);
    Py_XDECREF(value);
    return NULL;
}

static int is_builtin_container(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    return t == &PyDict_Type || t == &PyList_Type || t == &PyTuple_Type || t == &PySet_Type ||
           t == &PyFrozenSet_Type;
}

static const char *container_tag(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    return t == &PyDict_Type ? JXV_NAME_DICT : t == &PyList_Type ? JXV_NAME_LIST : t == &PyTuple_Type ? JXV_NAME_TUPLE
           : t == &PySet_Type ? JXV_NAME_SET : JXV_NAME_FROZENSET;
}

/* One conversion step. Returns 1 with *tag and *out (new refs), 0 if none applies. */
static int convert_once(Saver *s, PyObject *obj, PyObject **tag, PyObject **out)
{
    *tag = *out = NULL;
    PyObject *ms = s->o->custom_marshalers;
    for (Py_ssize_t i = 0; ms && i < PyTuple_GET_SIZE(ms); i++) {
        PyObject *r = PyObject_CallOneArg(PyTuple_GET_ITEM(ms, i), obj);
        if (!r)
            return -1;
        if (r == Py_None) {
            Py_DECREF(r);
            continue;
        }
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(r, 0))) {
            PyErr_Format(PyExc_TypeError, "custom marshaler %R must return None or a (tag: str, "
                         "object) pair, not %.100s", PyTuple_GET_ITEM(ms, i), Py_TYPE(r)->tp_name);
            Py_DECREF(r);
            return -1;
        }
        Py_ssize_t n;
        const char *t = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(r, 0), &n);
        if (!t || n == 0 || memchr(t, '#', (size_t)n) || memchr(t, ':', (size_t)n) ||
            memchr(t, '\0', (size_t)n)) {
            if (t)
                PyErr_Format(PyExc_ValueError, "custom marshaler tag %R must be non-empty and "
                             "contain no '#', ':' or NUL", PyTuple_GET_ITEM(r, 0));
            Py_DECREF(r);
            return -1;
        }
        *tag = Py_NewRef(PyTuple_GET_ITEM(r, 0));
        *out = Py_NewRef(PyTuple_GET_ITEM(r, 1));
        Py_DECREF(r);
        return 1;
    }
    PyObject *type = (PyObject *)Py_TYPE(obj);
    int has = PyObject_HasAttrString(type, "to_jaxon");
    if (has) {
        *out = PyObject_CallMethod(obj, "to_jaxon", NULL);
        *tag = *out ? jx_sv_qualname(type) : NULL;
        return *tag ? 1 : -1;
    }
    if (PyObject_HasAttrString(type, "__dataclass_fields__")) {
        *out = dataclass_dict(s, obj);
        *tag = *out ? jx_sv_qualname(type) : NULL;
        return *tag ? 1 : -1;
    }
    if (PyTuple_Check(obj) && PyObject_HasAttrString(type, "_fields")) {
        *out = PySequence_Tuple(obj);
        *tag = *out ? jx_sv_qualname(type) : NULL;
        return *tag ? 1 : -1;
    }
    return 0;
}

/* (module, qualname) if obj is reachable by importing module and walking qualname, else
 * None; functions, classes, builtins and enum members qualify. New reference. */
static PyObject *import_name(PyObject *obj)
{
    PyObject *mod = NULL, *qn = NULL, *m = NULL, *cur = NULL, *parts = NULL, *r = NULL;
    PyObject *type = (PyObject *)Py_TYPE(obj);
    if (PyType_Check(obj) || PyFunction_Check(obj) || PyCFunction_Check(obj) ||
        PyObject_HasAttrString(obj, "__qualname__")) {
        mod = PyObject_GetAttrString(obj, "__module__");
        qn = mod ? PyObject_GetAttrString(obj, "__qualname__") : NULL;
    } else if (PyObject_HasAttrString(type, "_member_map_") && PyObject_HasAttrString(obj, "_name_")) {
        /* an enum member: Class.MEMBER */
        PyObject *tq = PyObject_GetAttrString(type, "__qualname__");
        PyObject *nm = tq ? PyObject_GetAttrString(obj, "_name_") : NULL;
        mod = nm ? PyObject_GetAttrString(type, "__module__") : NULL;
        qn = mod ? PyUnicode_FromFormat("%S.%S", tq, nm) : NULL;
        Py_XDECREF(tq);
        Py_XDECREF(nm);
    }
    PyErr_Clear();
    if (!mod || !qn || !PyUnicode_Check(mod) || !PyUnicode_Check(qn))
        goto none;
    m = PyImport_Import(mod);
    if (!m)
        goto none;
    if (PyUnicode_FindChar(qn, '<', 0, PyUnicode_GET_LENGTH(qn), 1) >= 0) {
        /* <lambda> or <locals>: still importable if the module binds it to a name, as
         * equinox does with `_identity = lambda x: x` (the default of MLP.final_activation) */
        PyObject *d = PyModule_Check(m) ? PyModule_GetDict(m) : NULL, *k, *v;
        Py_ssize_t pos = 0;
        while (d && PyDict_Next(d, &pos, &k, &v)) {
            if (v == obj && PyUnicode_Check(k)) {
                r = PyTuple_Pack(2, mod, k);
                goto done;
            }
        }
        goto none;
    }
    parts = PyObject_CallMethod(qn, "split", "s", ".");
    if (!parts)
        goto error;
    cur = Py_NewRef(m);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts); i++) {
        Py_SETREF(cur, PyObject_GetAttr(cur, PyList_GET_ITEM(parts, i)));
        if (!cur)
            goto none;
    }
    if (cur != obj)
        goto none;
    r = PyTuple_Pack(2, mod, qn);
    goto done;
none:
    PyErr_Clear();
    r = Py_NewRef(Py_None);
    goto done;
error:
    r = NULL;
done:
    Py_XDECREF(mod);
    Py_XDECREF(qn);
    Py_XDECREF(m);
    Py_XDECREF(cur);
    Py_XDECREF(parts);
    return r;
}

int jx_sv_custom(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj)
{
    PyObject *tags = NULL, *cur = Py_NewRef(obj), *tag = NULL, *next = NULL, *hint = NULL;
    int rc = -1;
    tags = PyList_New(0);
    if (!tags)
        goto done;
    while (!is_builtin_container(cur)) {
        if (PyList_GET_SIZE(tags) >= JX_MAX_CHAIN) {
            PyObject *path = jx_sv_pytree_path(s);
            if (path)
                PyErr_Format(PyExc_TypeError, "cannot save %U: more than %d marshaler steps for "
                             "%.100s (a marshaler keeps returning convertible objects)", path,
                             JX_MAX_CHAIN, Py_TYPE(obj)->tp_name);
            Py_XDECREF(path);
            goto done;
        }
        int r = convert_once(s, cur, &tag, &next);
        if (r < 0)
            goto done;
        if (r == 0) {
            if (PyList_GET_SIZE(tags) > 0) {
                jx_sv_fail_type(s, cur, "were returned by a marshaler (or to_jaxon) but are "
                                        "not a dict, list, tuple, set or frozenset, nor "
                                        "convertible to one");
                goto done;
            }
            /* no conversion at all: is it importable by name? */
            PyObject *name = import_name(obj);
            if (!name)
                goto done;
            if (name == Py_None) {
                Py_DECREF(name);
                rc = 0;
                goto done;
            }
            Py_DECREF(cur);
            cur = name;
            tag = PyUnicode_FromString("jaxon-import");
            if (!tag)
                goto done;
            next = NULL;
        } else {
            Py_SETREF(cur, next);
            next = NULL;
        }
        if (PyList_Append(tags, tag) < 0)
            goto done;
        Py_CLEAR(tag);
    }
    /* typehint: container tag, then the tags innermost (last conversion) first */
    hint = PyUnicode_FromString(container_tag(cur));
    for (Py_ssize_t i = PyList_GET_SIZE(tags) - 1; hint && i >= 0; i--)
        Py_SETREF(hint, PyUnicode_FromFormat("%U#%U", hint, PyList_GET_ITEM(tags, i)));
    if (!hint)
        goto done;
    const char *h = PyUnicode_AsUTF8(hint);
    if (!h)
        goto done;
    rc = jx_sv_container(s, g, slot, slot_len, cur, obj, h) < 0 ? -1 : 1;
done:
    Py_XDECREF(tags);
    Py_XDECREF(cur);
    Py_XDECREF(tag);
    Py_XDECREF(next);
    Py_XDECREF(hint);
    return rc;
}

/* A typed PRNG key array (jax.random.key(...), dtype key<impl>): NumPy has no such dtype.
 * Stored as the extension node "tuple#jaxon-prng-key" holding (impl name, key data): the
 * uint32 data of jax.random.key_data and the name that jax.random.wrap_key_data(data,
 * impl=name) takes back, so the key loads bit-exact with its implementation. */
int jx_sv_prng_key(Saver *s, hid_t g, const char *slot, size_t slot_len, PyObject *obj)
{
    PyObject *random = NULL, *impl = NULL, *name = NULL, *data = NULL, *pair = NULL;
    int rc = -1;
    random = PyImport_ImportModule("jax.random");
    if (!random)
        goto done;
    impl = PyObject_CallMethod(random, "key_impl", "O", obj);
    /* key_impl gives a str in current jax and a PRNGSpec (whose str is the name) before */
    name = impl ? PyObject_Str(impl) : NULL;
    data = name ? PyObject_CallMethod(random, "key_data", "O", obj) : NULL;
    if (!data) {
        /* not a key after all (another extended dtype): say where, not a raw jax error */
        if (PyErr_ExceptionMatches(PyExc_TypeError) || PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            rc = jx_sv_fail_type(s, obj, "with this dtype are not supported (only typed PRNG "
                                         "keys among JAX's extended dtypes)");
        }
        goto done;
    }
    pair = PyTuple_Pack(2, name, data);
    if (!pair)
        goto done;
    if (Py_EnterRecursiveCall(" while saving a pytree"))
        goto done;
    rc = jx_sv_container(s, g, slot, slot_len, pair, obj, "tuple#jaxon-prng-key");
    Py_LeaveRecursiveCall();
done:
    Py_XDECREF(random);
    Py_XDECREF(impl);
    Py_XDECREF(name);
    Py_XDECREF(data);
    Py_XDECREF(pair);
    return rc;
}
