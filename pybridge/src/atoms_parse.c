/* Parsing of the Jaxon v1.2.0 text atoms (spec §3.3 grammar, §3.12 reader rules).
 *
 * The v1.2.0 reader classifies a text by its prefix and only then parses the inside, so a
 * text that starts with "int" but is not "int(...)" is an error rather than a typehint. The
 * insides go through the same constructors Python's int(), float() and complex() use, so the
 * accepted syntax (whitespace, "_", "nan", "-0.0", huge ints up to the digit limit) is
 * identical; short plain numbers take a C fast path that gives the same results. */
#include "atoms_parse.h"

#include <string.h>

/* A str from UTF-8 bytes, strictly (the v1.2.0 reader decodes every value strictly). */
static PyObject *utf8(const char *s, Py_ssize_t n)
{
    return PyUnicode_DecodeUTF8(s, n, "strict");
}

/* ValueError(fmt % repr(text)) where fmt has one %R for the (shortened) text. */
static void bad_text(const char *fmt, const char *s, Py_ssize_t n)
{
    PyObject *t = PyUnicode_DecodeUTF8(s, n > 200 ? 200 : n, "replace");
    if (t) {
        PyErr_Format(PyExc_ValueError, fmt, t);
        Py_DECREF(t);
    }
}

static int has_prefix(const char *s, Py_ssize_t n, const char *word, Py_ssize_t wlen)
{
    return n >= wlen && memcmp(s, word, (size_t)wlen) == 0;
}

static int equals(const char *s, Py_ssize_t n, const char *word)
{
    Py_ssize_t wlen = (Py_ssize_t)strlen(word);
    return n == wlen && memcmp(s, word, (size_t)wlen) == 0;
}

PyObject *jx_atom_int(const char *s, Py_ssize_t n)
{
    /* Fast path: [-]digits, at most 18 digits, so the value fits a long long; int() gives
     * exactly this for such text. Everything else goes through int() itself. */
    Py_ssize_t i = 0, ndig;
    int neg = 0;
    if (n > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    ndig = n - i;
    if (ndig >= 1 && ndig <= 18) {
        long long v = 0;
        Py_ssize_t j;
        for (j = i; j < n; j++) {
            if (s[j] < '0' || s[j] > '9')
                break;
            v = v * 10 + (s[j] - '0');
        }
        if (j == n)
            return PyLong_FromLongLong(neg ? -v : v);
    }
    PyObject *text = utf8(s, n), *r;
    if (!text)
        return NULL;
    r = PyLong_FromUnicodeObject(text, 10);
    Py_DECREF(text);
    return r;
}

/* Python float(s[0:n]). */
static PyObject *atom_float(const char *s, Py_ssize_t n)
{
    char buf[64];
    /* PyOS_string_to_double is the routine float() ends in; when it consumes the whole
     * (NUL-free) text the result is the one float() gives. */
    if (n > 0 && (size_t)n < sizeof buf && memchr(s, '\0', (size_t)n) == NULL) {
        char *end = NULL;
        memcpy(buf, s, (size_t)n);
        buf[n] = '\0';
        double d = PyOS_string_to_double(buf, &end, NULL);
        if (d == -1.0 && PyErr_Occurred())
            PyErr_Clear();
        else if (end == buf + n)
            return PyFloat_FromDouble(d);
    }
    PyObject *text = utf8(s, n), *r;
    if (!text)
        return NULL;
    r = PyFloat_FromString(text);
    Py_DECREF(text);
    return r;
}

/* Python complex(s[0:n]): accepts both "5+1j" and the bare "2j" form. */
static PyObject *atom_complex(const char *s, Py_ssize_t n)
{
    PyObject *text = utf8(s, n), *r;
    if (!text)
        return NULL;
    r = PyObject_CallOneArg((PyObject *)&PyComplex_Type, text);
    Py_DECREF(text);
    return r;
}

/* Splits s[0:n] at commas into at most `max` parts; returns the count, or max+1 if more. */
static int split_commas(const char *s, Py_ssize_t n, int max, const char **part,
                        Py_ssize_t *plen)
{
    int k = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            if (k == max)
                return max + 1;
            part[k] = s + start;
            plen[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

/* range(a,b[,c]) from the inside "a,b[,c]". */
static PyObject *atom_range(const char *s, Py_ssize_t n)
{
    const char *part[3];
    Py_ssize_t plen[3];
    PyObject *args = NULL, *r = NULL;
    int k = split_commas(s, n, 3, part, plen);
    if (k < 2 || k > 3) {
        bad_text("range atom needs 2 or 3 comma-separated ints, not range(%R)", s, n);
        return NULL;
    }
    args = PyTuple_New(k);
    if (!args)
        return NULL;
    for (int i = 0; i < k; i++) {
        PyObject *v = jx_atom_int(part[i], plen[i]);
        if (!v)
            goto done;
        PyTuple_SET_ITEM(args, i, v);
    }
    r = PyObject_Call((PyObject *)&PyRange_Type, args, NULL);
done:
    Py_DECREF(args);
    return r;
}

/* slice(x,y,z) from the inside "x,y,z", each None or an int. */
static PyObject *atom_slice(const char *s, Py_ssize_t n)
{
    const char *part[3];
    Py_ssize_t plen[3];
    PyObject *v[3] = {NULL, NULL, NULL}, *r = NULL;
    int k = split_commas(s, n, 3, part, plen);
    if (k != 3) {
        bad_text("slice atom needs 3 comma-separated parts, not slice(%R)", s, n);
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        v[i] = equals(part[i], plen[i], "None") ? Py_NewRef(Py_None)
                                                : jx_atom_int(part[i], plen[i]);
        if (!v[i])
            goto done;
    }
    r = PySlice_New(v[0], v[1], v[2]);
done:
    for (int i = 0; i < 3; i++)
        Py_XDECREF(v[i]);
    return r;
}

typedef PyObject *(*inside_parser)(const char *s, Py_ssize_t n);

static PyObject *atom_bool(const char *s, Py_ssize_t n)
{
    if (equals(s, n, "True"))
        Py_RETURN_TRUE;
    if (equals(s, n, "False"))
        Py_RETURN_FALSE;
    bad_text("bool atom must be bool(True) or bool(False), not bool(%R)", s, n);
    return NULL;
}

static const struct {
    const char *word;
    Py_ssize_t len;
    inside_parser parse;
} call_atoms[] = {
    {"int", 3, jx_atom_int},          {"float", 5, atom_float}, {"bool", 4, atom_bool},
    {"complex", 7, atom_complex},     {"range", 5, atom_range}, {"slice", 5, atom_slice},
};

int jx_atom_parse_v1(const char *s, Py_ssize_t n, PyObject **out)
{
    if (n >= 1 && s[0] == '\'') {
        /* raw text between the first and the last character: nothing is escaped */
        if (n < 2 || s[n - 1] != '\'') {
            PyErr_SetString(PyExc_ValueError,
                            "string atom must start and end with a single quote (')");
            return -1;
        }
        *out = utf8(s + 1, n - 2);
        return *out ? 1 : -1;
    }
    if (equals(s, n, "None")) {
        *out = Py_NewRef(Py_None);
        return 1;
    }
    if (equals(s, n, "Ellipsis")) {
        *out = Py_NewRef(Py_Ellipsis);
        return 1;
    }
    for (size_t i = 0; i < sizeof call_atoms / sizeof call_atoms[0]; i++) {
        Py_ssize_t w = call_atoms[i].len;
        if (!has_prefix(s, n, call_atoms[i].word, w))
            continue;
        if (n < w + 2 || s[w] != '(' || s[n - 1] != ')') {
            PyErr_Format(PyExc_ValueError, "%s atom must have the form %s(...)",
                         call_atoms[i].word, call_atoms[i].word);
            return -1;
        }
        *out = call_atoms[i].parse(s + w + 1, n - w - 2);
        return *out ? 1 : -1;
    }
    return 0;
}

PyObject *jx_atom_checked_v1(const jxv_atom *a, const char *s, Py_ssize_t n)
{
    PyObject *r = NULL;
    switch (a->kind) {
    case JXV_AK_NONE:
        return Py_NewRef(Py_None);
    case JXV_AK_ELLIPSIS:
        return Py_NewRef(Py_Ellipsis);
    case JXV_AK_STR:
        return utf8(a->inner, (Py_ssize_t)a->inner_len);
    case JXV_AK_INT:
        return jx_atom_int(a->inner, (Py_ssize_t)a->inner_len);
    case JXV_AK_FLOAT:
        /* the check parsed the canonical text with a correctly rounded conversion: the same
         * double float() gives */
        return PyFloat_FromDouble(a->value);
    case JXV_AK_BOOL:
        return Py_NewRef(a->truth ? Py_True : Py_False);
    default:
        if (jx_atom_parse_v1(s, n, &r) == 0)
            PyErr_SetString(PyExc_SystemError, "a checked atom did not parse as an atom");
        return r;
    }
}
