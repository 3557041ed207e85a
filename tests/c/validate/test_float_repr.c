/* The fast canonical-float test of the grammar (float_repr_fast: no conversions for floats of
 * at most 15 significant digits) must agree with the full shortest-repr search
 * (py_float_repr of the parsed value) on every text it decides. The grammar's static
 * functions are reached by compiling jxv_grammar.c into this test. */
#include "../../../layout/jxv_numbers.c"

#include "test.h"
#include "float_repr_cases.h"

#include <stdint.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static long decided = 0, compared = 0, long_decided = 0;

/* If the fast path decides t, its canonical text must be the full search's. */
static int agree(const char *t)
{
    size_t len = strlen(t);
    if (!float_syntax(t, len))
        return 1;
    compared++;
    char fast[48], slow[48];
    double value = 0, exact = strtod(t, NULL);
    if (strcmp(t, "inf") != 0 && strcmp(t, "-inf") != 0 && strcmp(t, "nan") != 0 &&
        float_repr_long(t, len, &value)) { /* proven canonical: the full search must agree */
        long_decided++;
        if (memcmp(&value, &exact, sizeof value) != 0) {
            fprintf(stderr, "  text %s: long test parsed %.17g, strtod %.17g\n", t, value, exact);
            return 0;
        }
        py_float_repr(strtod(t, NULL), slow, sizeof slow);
        if (strcmp(t, slow) != 0) {
            fprintf(stderr, "  text %s: long test says canonical, full search %s\n", t, slow);
            return 0;
        }
    }
    value = 0;
    if (!float_repr_fast(t, len, fast, sizeof fast, &value))
        return 1;
    decided++;
    /* the value the loader builds its float from is the correctly rounded one */
    if (memcmp(&value, &exact, sizeof value) != 0) {
        fprintf(stderr, "  text %s: fast path parsed %.17g, strtod %.17g\n", t, value, exact);
        return 0;
    }
    py_float_repr(strtod(t, NULL), slow, sizeof slow);
    if (strcmp(fast, slow) != 0) {
        fprintf(stderr, "  text %s: fast %s, full search %s\n", t, fast, slow);
        return 0;
    }
    return 1;
}

static void fast_path_should_agree_with_full_search_on_python_reprs(void)
{
    char t[64];
    for (int i = 0; i < 120000; i++) {
        double d;
        uint64_t bits = rnd();
        switch (i % 4) {
        case 0: /* any finite double */
            memcpy(&d, &bits, sizeof d);
            if (!isfinite(d))
                continue;
            break;
        case 1: /* halves, as in i * 0.5 */
            d = (double)(int64_t)(bits % 2000001 - 1000000) * 0.5;
            break;
        case 2: /* short decimals */
            d = (double)(int64_t)(bits % 200001 - 100000) / 1000.0;
            break;
        default: /* powers of two and their neighbours */
            d = ldexp(1.0, (int)(bits % 2000) - 1000);
            if (bits & 0x10000)
                d = nextafter(d, (bits & 0x20000) ? (double)INFINITY : 0.0);
            break;
        }
        py_float_repr(d, t, sizeof t);
        ASSERT_TRUE(agree(t));
    }
}

static void fast_path_should_agree_with_full_search_on_other_texts(void)
{
    /* Decimal texts of every layout, canonical or not: digits, trailing zeros, exponents. */
    static const char *const fixed[] = {
        "0.5", "1.50", "1.0", "10.0", "1e+16", "1e+15", "1000000000000000.0",
        "10000000000000000.0", "0.0001", "0.00001", "1e-05", "1e-5", "0.1", "0.10",
        "123456789012345.0", "1234567890123456.0", "12345678901234567.0", "0.3", "0.30000000000000004",
        "9.999999999999999e+22", "1e+23", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e+308",
        "1e+300", "1e+301", "1e-300", "1e-301", "-0.5", "-1e-07", "00.5", "0.50e+01", "1.5e+00"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        ASSERT_TRUE(agree(fixed[i]));
    char t[80], dig[24];
    for (int i = 0; i < 160000; i++) {
        uint64_t r = rnd();
        int nd = 1 + (int)(r % 17);
        for (int k = 0; k < nd; k++)
            dig[k] = (char)('0' + (rnd() % 10));
        if (dig[0] == '0')
            dig[0] = '1' + (char)(r % 9);
        dig[nd] = '\0';
        int zeros = (int)((r >> 8) % 3);
        int e = (int)((r >> 16) % 640) - 320;
        if ((r >> 32) & 1) { /* scientific */
            snprintf(t, sizeof t, "%s%c.%s%.*se%c%02d", (r >> 33) & 1 ? "-" : "", dig[0],
                     nd > 1 ? dig + 1 : "0", zeros, "000", e < 0 ? '-' : '+', e < 0 ? -e : e);
        } else { /* fixed: point after p digits, or leading zeros */
            int p = (int)((r >> 40) % 22) - 5;
            if (p <= 0)
                snprintf(t, sizeof t, "0.%.*s%s%.*s", -p, "00000", dig, zeros, "000");
            else if (p >= nd)
                snprintf(t, sizeof t, "%s%.*s.0%.*s", dig, p - nd, "0000000000000000000000",
                         zeros, "000");
            else
                snprintf(t, sizeof t, "%.*s.%s%.*s", p, dig, dig + p, zeros, "000");
        }
        ASSERT_TRUE(agree(t));
    }
    /* the fast paths must carry most of the common texts */
    ASSERT_TRUE(decided > compared / 4);
    ASSERT_TRUE(long_decided > 10000);
}

/* The oracle: CPython's own repr of ~3,500 doubles (powers of two and their neighbours,
 * subnormals, random 16-17 digit values, every exponent range). */
static void full_search_should_give_cpython_repr(void)
{
    char t[64];
    for (size_t i = 0; i < sizeof FLOAT_CASES / sizeof FLOAT_CASES[0]; i++) {
        double d;
        uint64_t b = FLOAT_CASES[i].bits;
        memcpy(&d, &b, sizeof d);
        py_float_repr(d, t, sizeof t);
        if (strcmp(t, FLOAT_CASES[i].repr) != 0)
            fprintf(stderr, "  0x%016llx: got %s, CPython %s\n", (unsigned long long)b, t,
                    FLOAT_CASES[i].repr);
        ASSERT_TRUE(strcmp(t, FLOAT_CASES[i].repr) == 0);
    }
}

/* The validator accepts CPython's repr and refuses every longer text of the same double:
 * its correctly rounded 17 significant digits in Python's layout, whenever those are not
 * the repr itself (the shortest digits are then fewer). */
static void check_should_accept_cpython_repr_and_refuse_longer_texts(void)
{
    char msg[256], longer[64];
    size_t refused = 0;
    for (size_t i = 0; i < sizeof FLOAT_CASES / sizeof FLOAT_CASES[0]; i++) {
        const char *r = FLOAT_CASES[i].repr;
        double d, parsed = -1;
        uint64_t b = FLOAT_CASES[i].bits, pb;
        /* the check hands the loader the double itself: CPython's, to the bit */
        ASSERT_TRUE(jxv__check_float_value(r, strlen(r), msg, sizeof msg, &parsed) == NULL);
        memcpy(&pb, &parsed, sizeof pb);
        ASSERT_TRUE(pb == b);
        memcpy(&d, &b, sizeof d);
        char dig[24];
        int nd, exp10;
        sci_digits(d, 17, dig, &nd, &exp10);
        while (nd > 1 && dig[nd - 1] == '0')
            dig[--nd] = '\0';
        format_repr(signbit(d) != 0, dig, nd, exp10, longer, sizeof longer);
        if (strcmp(longer, r) == 0)
            continue;
        ASSERT_TRUE(jxv__check_float_repr(longer, strlen(longer), msg, sizeof msg) != NULL);
        refused++;
    }
    ASSERT_TRUE(refused > 1000);
}

/* The strtod-free conversion of 16-17 digit decimals gives strtod's double, bit for bit,
 * whenever it answers, and answers for nearly all of them. */
static void nearest_double_should_equal_strtod(void)
{
    long answered = 0, tried = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t D = rnd() % 100000000000000000ULL; /* < 10^17 */
        if (D == 0)
            continue;
        long k = (long)(rnd() % 51) - 28; /* 1e-12 .. 1e38: beyond, 128 bits do not hold it */
        char t[64];
        snprintf(t, sizeof t, "%llue%ld", (unsigned long long)D, k);
        double want = strtod(t, NULL), got = -1;
        exact_q q;
        tried++;
        if (!nearest_double(D, k, &got, &q))
            continue;
        answered++;
        if (memcmp(&got, &want, sizeof got) != 0)
            fprintf(stderr, "  %s: nearest_double %.17g, strtod %.17g\n", t, got, want);
        ASSERT_TRUE(memcmp(&got, &want, sizeof got) == 0);
    }
    fprintf(stderr, "  nearest_double answered %ld of %ld\n", answered, tried);
    ASSERT_TRUE(answered > tried * 95 / 100);
}

int main(void)
{
    RUN(nearest_double_should_equal_strtod);
    RUN(full_search_should_give_cpython_repr);
    RUN(check_should_accept_cpython_repr_and_refuse_longer_texts);
    RUN(fast_path_should_agree_with_full_search_on_python_reprs);
    RUN(fast_path_should_agree_with_full_search_on_other_texts);
    fprintf(stderr, "  %ld texts compared, %ld decided by the fast path, %ld proven by the 16-17 digit test\n",
            compared, decided, long_decided);
    return test_summary();
}
