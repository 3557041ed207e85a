/* Python's equality of dict keys as bytes: the value key of a key (spec §3.5, §4.5).
 *
 * A dict entry whose key equals a key the dict already holds does not grow the dict, and the
 * loader refuses it (duplicate-slot). Python's equality crosses types: 1 == 1.0 == True ==
 * (1+0j) == np.int64(1), 'a' == np.str_('a'), b'a' == np.bytes_(b'a'), range(0) ==
 * range(2, 2). A dict takes two keys for one when their hashes are equal and they compare
 * equal; for the values a Jaxon file can hold as keys that is "the same exact value", with
 * the one exception of NumPy's long double below. The functions here write a byte string for
 * a value such that two keys are one dict key exactly when their strings are equal, so that
 * the validator compares keys by hashing strings, never pairwise:
 *
 *   N               None                E          Ellipsis
 *   I<decimal>      an integral real number: int (any size), bool, an integral float or
 *                   long double, a complex number whose imaginary part is zero; I0 for 0,
 *                   -0.0 and False
 *   F<sign><hex>p<e>  a real number with a fraction, exactly: 0.<hex digits> * 2^e
 *   F+inf, F-inf    the infinities (float, NumPy floats and long double alike)
 *   L<real>         a long double that no double equals: NumPy hashes a long double as the
 *                   double nearest to it, so such a key is one dict key with another long
 *                   double of the same value and never with an int of that value (whose
 *                   hash is the exact one)
 *   C<real>,<imag>  a complex number with a non-zero imaginary part (each part as above)
 *   S<utf-8>        str and numpy.str_         B<bytes>   bytes and numpy.bytes_
 *   R0, R1,<start>, R<len>,<start>,<step>   a range, as range.__eq__ compares them
 *
 * NaN has no value key: it equals nothing, not even another NaN; only the same object is the
 * same key, which the caller decides by node identity. Tuples and frozensets are composed by
 * the checker (jxv_keys.c) from the keys of their elements. */
#include "jxv_internal.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers -------------------------------------------------------------------------- */

/* The exact value of x (not NaN) as I<decimal>, F<sign><hex>p<exp> or F±inf. */
static void real_exact(jxv_buf *b, long double x)
{
    char tmp[64];
    if (isinf(x)) {
        jxv__buf_adds(b, x > 0 ? "F+inf" : "F-inf");
        return;
    }
    if (x == floorl(x)) {
        if (fabsl(x) < 9.0e18L) {
            snprintf(tmp, sizeof tmp, "I%lld", (long long)x); /* -0.0 gives I0 */
            jxv__buf_adds(b, tmp);
            return;
        }
        /* glibc prints the exact decimal value of an integral long double (up to 4,933
         * digits); the I form then compares with the digits of a Python int of any size */
        char *s = jxv__aprintf("I%.0Lf", x);
        if (!s) {
            b->oom = 1;
            return;
        }
        jxv__buf_adds(b, s);
        free(s);
        return;
    }
    /* a fraction: its binary digits are finite, 64 (x86 long double) or 113 (binary128) bits
     * at most; multiplying by 16 only moves the point, so every step is exact */
    int e;
    long double f = frexpl(fabsl(x), &e); /* 0.5 <= f < 1 */
    size_t n = 0;
    tmp[n++] = 'F';
    tmp[n++] = x < 0 ? '-' : '+';
    while (f != 0 && n < 40) {
        f *= 16;
        int d = (int)f;
        f -= d;
        tmp[n++] = "0123456789abcdef"[d];
    }
    snprintf(tmp + n, sizeof tmp - n, "p%d", e);
    jxv__buf_adds(b, tmp);
}

int jxv__vkey_float(jxv_buf *b, long double x, int is_long_double)
{
    if (isnan(x))
        return 0;
    if (is_long_double && isfinite(x) && (long double)(double)x != x)
        jxv__buf_add(b, "L", 1);
    real_exact(b, x);
    return 1;
}

int jxv__vkey_complex(jxv_buf *b, long double re, long double im, int is_long_double)
{
    if (isnan(re) || isnan(im))
        return 0;
    if (im == 0) /* (1+0j) == 1 and hashes as 1 */
        return jxv__vkey_float(b, re, is_long_double);
    jxv__buf_add(b, "C", 1);
    jxv__vkey_float(b, re, is_long_double);
    jxv__buf_add(b, ",", 1);
    jxv__vkey_float(b, im, is_long_double);
    return 1;
}

void jxv__vkey_int(jxv_buf *b, int negative, uint64_t magnitude)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "I%s%" PRIu64, negative && magnitude ? "-" : "", magnitude);
    jxv__buf_adds(b, tmp);
}

/* I<decimal> of an int repr of any length ("-12", "0"); 0 if it is not one. */
static int int_text_key(jxv_buf *b, const char *s, size_t n)
{
    int neg = n && s[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == n)
        return 0;
    for (size_t k = i; k < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return 0;
    while (i + 1 < n && s[i] == '0') /* canonical reprs have none; be safe */
        i++;
    jxv__buf_add(b, "I", 1);
    if (neg && !(n - i == 1 && s[i] == '0'))
        jxv__buf_add(b, "-", 1);
    jxv__buf_add(b, s + i, n - i);
    return 1;
}

/* [s, s+n) as a C string in tmp[0:cap] for the C library's parsers; 0 when empty or too long
 * for any number they should take. */
static int as_cstr(char *tmp, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return 1;
}

/* strtod of [s, s+n) when it takes the whole text; 0 if it does not. */
static int parse_double(const char *s, size_t n, double *out)
{
    char tmp[80];
    if (!as_cstr(tmp, sizeof tmp, s, n))
        return 0;
    char *end;
    *out = strtod(tmp, &end);
    return end == tmp + n;
}

/* A complex repr without parentheses: "2j", "-1j", "5+1j", "-0-1j", "1e+16+nanj". */
static int complex_text_key(jxv_buf *b, const char *s, size_t n)
{
    if (n < 2 || s[n - 1] != 'j')
        return 0;
    size_t body = n - 1, op = jxv__complex_operator(s, body);
    double re = 0.0, im;
    if (op == 0 ? !parse_double(s, body, &im)
                : !parse_double(s, op, &re) || !parse_double(s + op, body - op, &im))
        return 0;
    return jxv__vkey_complex(b, re, im, 0);
}

/* One int64 member of range(…); 0 if it is no int or does not fit. */
static int parse_i64(const char *s, size_t n, int64_t *out)
{
    char tmp[32];
    if (!as_cstr(tmp, sizeof tmp, s, n))
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || end != tmp + n)
        return 0;
    *out = v;
    return 1;
}

/* The inside "a,b[,c]" of range(…), as range.__eq__ compares: by length, then by start when
 * not empty, then by step when longer than one. Members beyond 64 bits give 0 (compared by
 * identity): Python ints that large in a range key are left to the loader. */
static int range_text_key(jxv_buf *b, const char *s, size_t n)
{
    int64_t m[3] = {0, 0, 1};
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            if (k == 3 || !parse_i64(s + start, i - start, &m[k]))
                return 0;
            k++;
            start = i + 1;
        }
    }
    if (k < 2 || m[2] == 0)
        return 0;
    __int128 lo = m[0], hi = m[1], step = m[2], len;
    if (step > 0)
        len = lo < hi ? (hi - lo - 1) / step + 1 : 0;
    else
        len = lo > hi ? (lo - hi - 1) / -step + 1 : 0;
    char tmp[96];
    if (len == 0)
        snprintf(tmp, sizeof tmp, "R0");
    else if (len == 1)
        snprintf(tmp, sizeof tmp, "R1,%" PRId64, m[0]);
    else /* len < 2^64: the members are int64 */
        snprintf(tmp, sizeof tmp, "R%" PRIu64 ",%" PRId64 ",%" PRId64, (uint64_t)len, m[0],
                 m[2]);
    jxv__buf_adds(b, tmp);
    return 1;
}

/* ---- atoms ---------------------------------------------------------------------------- */

/* v2 quoted string: \' and \\ are the only escapes (spec §4.4). */
static void unescape_v2(jxv_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            jxv__buf_add(b, s + run, i - run);
            run = ++i; /* the escaped character starts the next run */
        }
    }
    jxv__buf_add(b, s + run, n - run);
}

/* The word(…) call's inside, or NULL. */
static const char *call_inside(const char *t, size_t n, const char *word, size_t *il)
{
    size_t wl = strlen(word);
    if (n < wl + 2 || memcmp(t, word, wl) != 0 || t[wl] != '(' || t[n - 1] != ')')
        return NULL;
    *il = n - wl - 2;
    return t + wl + 1;
}

static int atom_v1_key(jxv_buf *b, const char *t, size_t n)
{
    const char *in;
    size_t il;
    double d;
    if (n >= 2 && t[0] == '\'' && t[n - 1] == '\'') {
        jxv__buf_add(b, "S", 1); /* v1: the raw text between the quotes */
        jxv__buf_add(b, t + 1, n - 2);
        return 1;
    }
    if (jxv__eq(t, n, "None") || jxv__eq(t, n, "Ellipsis")) {
        jxv__buf_add(b, t[0] == 'N' ? "N" : "E", 1);
        return 1;
    }
    if ((in = call_inside(t, n, "int", &il)))
        return int_text_key(b, in, il);
    if ((in = call_inside(t, n, "float", &il)))
        return parse_double(in, il, &d) && jxv__vkey_float(b, d, 0);
    if ((in = call_inside(t, n, "bool", &il))) {
        if (!jxv__eq(in, il, "True") && !jxv__eq(in, il, "False"))
            return 0;
        jxv__buf_adds(b, in[0] == 'T' ? "I1" : "I0");
        return 1;
    }
    if ((in = call_inside(t, n, "complex", &il)))
        return complex_text_key(b, in, il);
    if ((in = call_inside(t, n, "range", &il)))
        return range_text_key(b, in, il);
    return 0; /* slice (unhashable), or no atom */
}

static int atom_v2_key(jxv_buf *b, const char *t, size_t n)
{
    const char *in;
    size_t il;
    double d;
    jxv__strip(&t, &n);
    if (n == 0)
        return 0;
    if (n >= 2 && t[0] == '\'' && t[n - 1] == '\'') {
        jxv__buf_add(b, "S", 1);
        unescape_v2(b, t + 1, n - 2);
        return 1;
    }
    if (jxv__eq(t, n, "None") || jxv__eq(t, n, "Ellipsis")) {
        jxv__buf_add(b, t[0] == 'N' ? "N" : "E", 1);
        return 1;
    }
    if (jxv__eq(t, n, "True") || jxv__eq(t, n, "False")) {
        jxv__buf_adds(b, t[0] == 'T' ? "I1" : "I0");
        return 1;
    }
    if ((in = call_inside(t, n, "range", &il)))
        return range_text_key(b, in, il);
    /* numbers, as the reader tries them (jxv_grammar.c atom_v2): complex, float, int */
    if (t[n - 1] == 'j')
        return complex_text_key(b, t, n);
    for (size_t i = 0; i < n; i++)
        if (t[i] == '.' || t[i] == 'e' || t[i] == 'n' || t[i] == 'i')
            return parse_double(t, n, &d) && jxv__vkey_float(b, d, 0);
    return int_text_key(b, t, n);
}

int jxv__vkey_atom(jxv_layout layout, const char *text, size_t len, jxv_buf *out)
{
    return layout == JXV_LAYOUT_V1 ? atom_v1_key(out, text, len) : atom_v2_key(out, text, len);
}

int jxv__vkey_number_slot(jxv_layout layout, const char *slot, size_t len)
{
    const char *t = slot;
    size_t n = len;
    if (layout == JXV_LAYOUT_V2)
        jxv__strip(&t, &n);
    /* strings, None and Ellipsis are one key only with the same text (the slot map's
     * check); everything else is a number or a range */
    return n > 0 && t[0] != '\'' && !jxv__eq(t, n, "None") && !jxv__eq(t, n, "Ellipsis");
}
