/* Numbers in the Jaxon layout's texts (spec §3.3, §4.3): index names, and the int, float and
 * complex atoms checked against what CPython's repr produces (the writers call repr), so a
 * message can name the canonical text that was expected. Pure string code. */
#include "jxv_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- numbers -------------------------------------------------------------------------- */

/* index = "0" | nonzero-digit { digit }, fitting in 64 bits. NULL if ok, else the reason. */
const char *jxv__parse_index(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return "an index must not be empty";
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return "an index has decimal digits only";
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return "the index does not fit in 64 bits";
        v = v * 10 + d;
    }
    if (len > 1 && s[0] == '0')
        return "an index has no leading zeros";
    if (out)
        *out = v;
    return NULL;
}

/* python-int-repr = [ "-" ] ( "0" | nonzero-digit { digit } ). */
const char *jxv__check_int_repr(const char *s, size_t len)
{
    size_t i = 0;
    if (len && s[0] == '-')
        i = 1;
    if (i == len)
        return "expected Python's repr of an int, e.g. 42 or -7";
    for (size_t j = i; j < len; j++)
        if (!is_digit(s[j]))
            return "expected Python's repr of an int (optional '-', decimal digits only)";
    if (len - i > 1 && s[i] == '0')
        return "Python's repr of an int has no leading zeros";
    if (i == 1 && len == 2 && s[1] == '0')
        return "Python's repr of zero is 0, not -0";
    if (len - i > JXV_MAX_INT_DIGITS)
        return "an int with more than 4300 digits cannot be written by CPython's repr";
    return NULL;
}

/* Decimal digits of d: the correctly rounded p significant digits ("%.*e"). */
static void sci_digits(double d, int p, char *dig, int *nd, int *exp10)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, fabs(d));
    const char *q = tmp;
    *nd = 0;
    for (; *q && *q != 'e'; q++)
        if (is_digit(*q))
            dig[(*nd)++] = *q;
    dig[*nd] = '\0';
    *exp10 = atoi(q + 1);
}

/* The p-digit decimal next to dig (dir = +1 up, -1 down), renormalised. */
static void neighbour(const char *dig, int nd, int exp10, int dir, char *out, int *oexp)
{
    memcpy(out, dig, (size_t)nd + 1);
    *oexp = exp10;
    int i = nd - 1;
    if (dir > 0) {
        while (i >= 0 && out[i] == '9')
            out[i--] = '0';
        if (i >= 0) {
            out[i]++;
        } else { /* 9.99 -> 10.0 = 1.00e+1 */
            out[0] = '1';
            for (int k = 1; k < nd; k++)
                out[k] = '0';
            (*oexp)++;
        }
    } else {
        while (i >= 0 && out[i] == '0')
            out[i--] = '9';
        if (i >= 0)
            out[i]--;
        if (out[0] == '0') { /* 1.00 -> 0.99: the lower decade is finer, 9.99e-1 */
            for (int k = 0; k < nd; k++)
                out[k] = '9';
            (*oexp)--;
        }
    }
}

/* Copies the n bytes of b into out as a string, truncated to cap (nothing when cap is 0). */
static void copy_out(char *out, size_t cap, const char *b, size_t n)
{
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, b, n);
    out[n] = '\0';
}

/* "-d.ddde-7": the text strtod reads back (no snprintf: this runs several times per float). */
static void digits_text(int neg, const char *dig, int nd, int exp10, char *out, size_t cap)
{
    char b[64];
    size_t n = 0;
    if (neg)
        b[n++] = '-';
    b[n++] = dig[0];
    b[n++] = '.';
    if (nd > 1) {
        memcpy(b + n, dig + 1, (size_t)nd - 1);
        n += (size_t)nd - 1;
    } else {
        b[n++] = '0';
    }
    b[n++] = 'e';
    if (exp10 < 0)
        b[n++] = '-';
    unsigned e = (unsigned)(exp10 < 0 ? -exp10 : exp10);
    char rev[8];
    size_t k = 0;
    do
        rev[k++] = (char)('0' + e % 10);
    while ((e /= 10) && k < sizeof rev);
    while (k)
        b[n++] = rev[--k];
    copy_out(out, cap, b, n);
}

/* Python's layout of a float repr from its digits (no trailing zeros, nd <= 17) and decimal
 * exponent: scientific iff exp10 < -4 or >= 16, at least two exponent digits, ".0" added to
 * integral values. */
static void format_repr(int neg, const char *digits, int nd, int exp10, char *out, size_t cap)
{
    char b[64];
    size_t n = 0;
    if (neg)
        b[n++] = '-';
    if (exp10 < -4 || exp10 >= 16) {
        b[n++] = digits[0];
        if (nd > 1) {
            b[n++] = '.';
            memcpy(b + n, digits + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        int e = exp10 < 0 ? -exp10 : exp10;
        b[n++] = 'e';
        b[n++] = exp10 < 0 ? '-' : '+';
        if (e >= 100)
            b[n++] = (char)('0' + e / 100);
        b[n++] = (char)('0' + (e / 10) % 10);
        b[n++] = (char)('0' + e % 10);
    } else if (exp10 < 0) {
        b[n++] = '0';
        b[n++] = '.';
        for (int i = 0; i < -exp10 - 1; i++)
            b[n++] = '0';
        memcpy(b + n, digits, (size_t)nd);
        n += (size_t)nd;
    } else {
        size_t intd = (size_t)exp10 + 1;
        if ((size_t)nd <= intd) {
            memcpy(b + n, digits, (size_t)nd);
            n += (size_t)nd;
            for (size_t i = (size_t)nd; i < intd; i++)
                b[n++] = '0';
            b[n++] = '.';
            b[n++] = '0';
        } else {
            memcpy(b + n, digits, intd);
            n += intd;
            b[n++] = '.';
            memcpy(b + n, digits + intd, (size_t)nd - intd);
            n += (size_t)nd - intd;
        }
    }
    copy_out(out, cap, b, n);
}

/* The significant digits of a float text that passed float_syntax (not inf/nan), without
 * leading or trailing zeros, and the decimal exponent of the first one. Returns 0 when the
 * text has more than 23 significant digits or an exponent of more than 4 digits. */
static int decimal_digits(const char *s, size_t len, int *neg, char dig[24], int *ndp,
                          long *exp10)
{
    size_t i = 0;
    int nd = 0, seen = 0;
    long lead = 0, intlen = 0; /* lead: zeros before the first significant digit */
    *neg = s[0] == '-';
    if (*neg)
        i++;
    for (int frac = 0; i < len; i++) {
        if (s[i] == '.' && !frac) {
            frac = 1;
            continue;
        }
        if (!is_digit(s[i]))
            break;
        intlen += !frac;
        if (!seen && s[i] == '0') {
            lead++;
            continue;
        }
        seen = 1;
        if (nd >= 23)
            return 0;
        dig[nd++] = s[i];
    }
    long e = 0;
    if (i < len && s[i] == 'e') {
        long esign = s[i + 1] == '-' ? -1 : 1;
        size_t ed = 0;
        for (i += 2; i < len; i++, ed++) {
            if (ed >= 4)
                return 0;
            e = e * 10 + (s[i] - '0');
        }
        e *= esign;
    }
    while (nd > 0 && dig[nd - 1] == '0')
        nd--;
    dig[nd] = '\0';
    *ndp = nd;
    *exp10 = intlen - 1 - lead + e;
    return 1;
}

/* The double nearest to the decimal digits dig (nd <= 15, no trailing zeros) times
 * 10^(exp10 - nd + 1): the integer D < 10^15 < 2^53 and 10^|k| for |k| <= 22 are exact
 * doubles, so one IEEE multiplication or division rounds once, correctly (Clinger's fast
 * path); other exponents go through strtod, which rounds correctly too. Either way it is the
 * double float() makes of the text. */
static double small_decimal_value(int neg, const char *dig, int nd, long exp10, const char *s,
                                  size_t len)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    long k = exp10 - nd + 1;
    if (k >= -22 && k <= 22) {
        uint64_t D = 0;
        for (int i = 0; i < nd; i++)
            D = D * 10 + (uint64_t)(dig[i] - '0');
        double d = k >= 0 ? (double)D * p10[k] : (double)D / p10[-k];
        return neg ? -d : d;
    }
    char tmp[80];
    memcpy(tmp, s, len); /* len <= 64: checked by the caller */
    tmp[len] = '\0';
    return strtod(tmp, NULL);
}

/* Fast path of the canonical test for the common short floats, without any conversion: a
 * decimal of at most 15 significant digits well inside the normal range is the only decimal
 * of <= 15 digits that reads back as its double (DBL_DIG = 15: decimal -> double -> 15
 * digits gives it back), so the shortest round-trip digits of that double are its own
 * digits, and Python's repr is those digits in Python's layout. s must have passed
 * float_syntax and not be inf/nan. Returns 1 with canon filled, or 0 when it does not apply
 * (zero, more than 15 digits, exponent beyond +-300): then use py_float_repr. */
static int float_repr_fast(const char *s, size_t len, char *canon, size_t cap, double *value)
{
    char dig[24];
    int neg, nd;
    long exp10;
    if (!decimal_digits(s, len, &neg, dig, &nd, &exp10) || nd == 0 || nd > 15 ||
        exp10 < -300 || exp10 > 300)
        return 0;
    format_repr(neg, dig, nd, (int)exp10, canon, cap);
    if (value)
        *value = small_decimal_value(neg, dig, nd, exp10, s, len);
    return 1;
}

/* Python's repr of a finite double: the shortest digit string that reads back as d (the
 * closest one if several), scientific iff the decimal exponent is < -4 or >= 16, at least two
 * exponent digits, ".0" added to integral values. The correctly rounded p-digit string is not
 * always the one: next to a power of two the rounding interval is asymmetric, so its two
 * p-digit neighbours are tried too (2**-24 is 5.960464477539063e-08, not ...062e-08). */
static int shortest_digits_from(double d, int neg, int from, char *digits, int *nd, int *exp10);

static void py_float_repr(double d, char *out, size_t cap)
{
    if (isnan(d)) {
        snprintf(out, cap, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(out, cap, d < 0 ? "-inf" : "inf");
        return;
    }
    int neg = signbit(d) != 0;
    char digits[24];
    int nd = 0, exp10 = 0;
    /* Most floats written by Python have 16 or 17 digits: start at 15 (three conversions)
     * and only when 15 digits already round-trip search the short ones from 1. */
    if (shortest_digits_from(d, neg, 15, digits, &nd, &exp10) == 15)
        shortest_digits_from(d, neg, 1, digits, &nd, &exp10);
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    format_repr(neg, digits, nd, exp10, out, cap);
}

/* The shortest round-trip digits of d searched from precision `from` upwards; returns the
 * precision where the search stopped (17 at most: 17 digits always round-trip). A stop at
 * `from` proves only that the answer has at most `from` digits: fewer digits than p cannot
 * round-trip when p cannot, since padding them with zeros would give a p-digit one. */
static int shortest_digits_from(double d, int neg, int from, char *digits, int *ndp, int *exp10p)
{
    char cand[24], text[64];
    int nd = 0, exp10 = 0, prec;
    for (prec = from; prec <= 17; prec++) {
        sci_digits(d, prec, digits, &nd, &exp10);
        digits_text(neg, digits, nd, exp10, text, sizeof text);
        if (strtod(text, NULL) == d)
            break;
        int found = 0;
        long double best = 0;
        char best_dig[24];
        int best_exp = 0;
        for (int dir = -1; dir <= 1; dir += 2) {
            int ce;
            neighbour(digits, nd, exp10, dir, cand, &ce);
            digits_text(neg, cand, nd, ce, text, sizeof text);
            if (strtod(text, NULL) == d) {
                long double dist = fabsl(strtold(text, NULL) - (long double)d);
                if (!found || dist < best) {
                    memcpy(best_dig, cand, sizeof cand);
                    best_exp = ce;
                    best = dist;
                }
                found = 1;
            }
        }
        if (found) {
            memcpy(digits, best_dig, sizeof cand);
            exp10 = best_exp;
            break;
        }
    }
    *ndp = nd;
    *exp10p = exp10;
    return prec > 17 ? 17 : prec;
}

/* Is s a python-float-repr by syntax (before the canonical-digits test)? */
static int float_syntax(const char *s, size_t len)
{
    if (jxv__eq(s, len, "inf") || jxv__eq(s, len, "-inf") || jxv__eq(s, len, "nan"))
        return 1;
    size_t i = 0;
    if (i < len && s[i] == '-')
        i++;
    size_t d0 = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t nint = i - d0;
    if (nint == 0)
        return 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t f0 = i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == f0)
            return 0;
        if (i == len)
            return 1; /* fixed form */
    } else if (i == len) {
        return 0;     /* an int, not a float */
    }
    if (i < len && s[i] == 'e') {
        if (nint != 1)
            return 0;
        i++;
        if (i >= len || (s[i] != '+' && s[i] != '-'))
            return 0;
        i++;
        size_t e0 = i;
        while (i < len && is_digit(s[i]))
            i++;
        return i == len && i - e0 >= 2;
    }
    return 0;
}

/* The fast test for the texts of 16 or 17 significant digits (most floats Python writes,
 * e.g. random.random()): 1 when s is proven canonical, 0 when undecided (the full search
 * then decides). s must have passed float_syntax and not be inf/nan. Canonical means: laid
 * out like Python; the nearest nd-digit decimal to d = strtod(s) (the correctly rounded one,
 * one "%.*e"); and no nd-1 digit decimal reads back as d. For the last, the two nd-1 digit
 * decimals around s suffice: the rounding interval of d is convex and contains s, so if any
 * shorter decimal lies in it, the nearest one on that side of s does. Fewer digits than
 * nd-1 cannot round-trip when nd-1 cannot (see shortest_digits_from). */
/* ---- exact 128-bit proof for float_repr_long ---- */

typedef unsigned __int128 u128;

/* 5^0 .. 5^27, the powers of five that fit in 64 bits. */
static const uint64_t POW5[28] = {
    1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL, 1953125ULL,
    9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL, 30517578125ULL,
    152587890625ULL, 762939453125ULL, 3814697265625ULL, 19073486328125ULL, 95367431640625ULL,
    476837158203125ULL, 2384185791015625ULL, 11920928955078125ULL, 59604644775390625ULL,
    298023223876953125ULL, 1490116119384765625ULL, 7450580596923828125ULL};

/* x * 5^n (n <= 54), 0 when the product reaches 2^125 (headroom for the doublings below).
 * One or two multiplications: this runs for every float a reader checks. */
static int mul_pow5(uint64_t x, int n, u128 *out)
{
    u128 r = (u128)x * POW5[n < 27 ? n : 27];
    if (n > 27 && __builtin_mul_overflow(r, (u128)POW5[n - 27], &r))
        return 0;
    *out = r;
    return r >> 125 == 0;
}

static int mul_pow2(u128 x, int n, u128 *out)
{
    if (n >= 125 || (n > 0 && x >> (125 - n)))
        return 0;
    *out = x << n;
    return 1;
}

/* The decimal X = D * 10^k and the double Y = d = m * 2^e (d > 0), with unit = 10^k (one
 * unit of D's last digit) and ulp = 2^e (d's spacing), all four multiplied by
 * 10^max(-k,0) * 2^max(-e,0) to make them integers and then divided by their common power of
 * two (10^n = 5^n * 2^n), so that they compare exactly. 0 when they do not fit in 128 bits,
 * or d is a power of two (the gap below it is half the gap above). */
typedef struct exact_q {
    u128 X, Y, unit, ulp;
    uint64_t m;
} exact_q;

static int exact_scale(uint64_t D, long k, double d, exact_q *q)
{
    int E;
    double f = frexp(d, &E);
    if (!(f >= 0.5) || E < -1000)
        return 0;
    q->m = (uint64_t)ldexp(f, 53); /* d = m * 2^e exactly, 2^52 <= m < 2^53 */
    int e = E - 53;
    if (q->m == (uint64_t)1 << 52)
        return 0;
    if (k > 54 || k < -54 || e > 200 || e < -200)
        return 0;
    int kp = k > 0 ? (int)k : 0, kn = k < 0 ? (int)-k : 0;
    int ep = e > 0 ? e : 0, en = e < 0 ? -e : 0;
    int x2 = kp + en, y2 = kn + ep, c = x2 < y2 ? x2 : y2;
    return mul_pow5(D, kp, &q->X) && mul_pow2(q->X, x2 - c, &q->X) &&
           mul_pow5(q->m, kn, &q->Y) && mul_pow2(q->Y, y2 - c, &q->Y) &&
           mul_pow5(1, kp, &q->unit) && mul_pow2(q->unit, x2 - c, &q->unit) &&
           mul_pow5(1, kn, &q->ulp) && mul_pow2(q->ulp, y2 - c, &q->ulp);
}

/* The double nearest to D * 10^k (D < 10^17, D > 0), as a correctly rounding strtod gives it,
 * without strtod: a floating-point estimate (at most three roundings away) is moved one
 * spacing at a time until exact arithmetic shows it is within half a spacing of the decimal.
 * 0 when that cannot be shown (a tie, a power of two, beyond 128 bits): use strtod. */
static int nearest_double(uint64_t D, long k, double *out, exact_q *q)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (k > 22 || k < -44)
        return 0;
    double d = (double)D;
    if (k >= 0)
        d *= p10[k];
    else if (k >= -22)
        d /= p10[-k];
    else
        d = d / p10[22] / p10[-k - 22];
    for (int step = 0; step < 4; step++) {
        if (!(d > 0) || !exact_scale(D, k, d, q))
            return 0;
        u128 diff = q->X > q->Y ? q->X - q->Y : q->Y - q->X;
        if (2 * diff < q->ulp) {
            *out = d;
            return 1;
        }
        if (2 * diff == q->ulp)
            return 0; /* a tie: rounding to even is strtod's business */
        d = nextafter(d, q->X > q->Y ? (double)INFINITY : 0.0);
    }
    return 0;
}

/* Proves, in exact integer arithmetic, that the nd-digit decimal D * 10^k (nd = 16 or 17,
 * no trailing zero) that reads as d > 0 is Python's repr of d: (a) D is d correctly
 * rounded to nd digits (what "%.*e" would print), and (b) neither (nd-1)-digit decimal
 * around it reads back as d (no shorter text round-trips). Returns 1 when both are proven,
 * 0 when unknown (numbers too large or small for 128 bits, ties, powers of two): the caller
 * then takes the conversion path. Replaces one "%.*e" and two strtod. */
static int float_repr_exact(uint64_t D, const exact_q *q)
{
    u128 X = q->X, Y = q->Y, unit = q->unit, ulp = q->ulp;
    /* (a) correctly rounded: |X - Y| < unit / 2, strictly (a tie is left to printf). D has
     * no trailing zero, so D > 10^(nd-1) and d > (D - 1/2) units lies in D's decade: "%.*e"
     * prints d at D's exponent, rounded to the nearest unit, i.e. D. */
    u128 diff = X > Y ? X - Y : Y - X;
    if (2 * diff >= unit)
        return 0;
    /* (b) the (nd-1)-digit neighbours lo <= X <= hi lie outside d's rounding interval
     * [Y - ulp/2, Y + ulp/2] (whose ends belong to d when m is even: conservatively,
     * touching an end counts as reading back as d). */
    u128 lo = X - (u128)(D % 10) * unit;
    u128 hi = lo + 10 * unit;
    u128 dlo = Y > lo ? Y - lo : lo - Y, dhi = hi > Y ? hi - Y : Y - hi;
    return 2 * dlo > ulp && 2 * dhi > ulp;
}

static int float_repr_long(const char *s, size_t len, double *value)
{
    char dig[24];
    int neg, nd;
    long exp10;
    if (!decimal_digits(s, len, &neg, dig, &nd, &exp10) || nd < 16 || nd > 17 ||
        exp10 < -300 || exp10 > 300)
        return 0;
    char text[64];
    format_repr(neg, dig, nd, (int)exp10, text, sizeof text);
    if (strlen(text) != len || memcmp(text, s, len) != 0)
        return 0;
    uint64_t D = 0;
    for (int i = 0; i < nd; i++)
        D = D * 10 + (uint64_t)(dig[i] - '0');
    double d;
    exact_q q;
    int scaled = nearest_double(D, exp10 - nd + 1, &d, &q);
    if (scaled) {
        d = neg ? -d : d;
    } else {
        memcpy(text, s, len);
        text[len] = '\0';
        d = strtod(text, NULL);
    }
    if (!isfinite(d) || d == 0)
        return 0;
    *value = d;
    if ((scaled || exact_scale(D, exp10 - nd + 1, fabs(d), &q)) && float_repr_exact(D, &q))
        return 1;
    char rdig[24];
    int rnd, rexp;
    sci_digits(d, nd, rdig, &rnd, &rexp);
    if (rnd != nd || rexp != exp10 || memcmp(rdig, dig, (size_t)nd) != 0)
        return 0;
    char lo[24], hi[24];
    int hexp;
    memcpy(lo, dig, (size_t)nd - 1);
    lo[nd - 1] = '\0';
    digits_text(neg, lo, nd - 1, (int)exp10, text, sizeof text);
    if (strtod(text, NULL) == d)
        return 0;
    neighbour(lo, nd - 1, (int)exp10, +1, hi, &hexp);
    digits_text(neg, hi, nd - 1, hexp, text, sizeof text);
    return strtod(text, NULL) != d;
}

/* python-float-repr, canonical. On failure, msg gets a sentence naming the expected text.
 * On success *value (if not NULL) is the double the text stands for: the number is parsed
 * once, here, and the loader builds its float from it. */
const char *jxv__check_float_value(const char *s, size_t len, char *msg, size_t cap,
                                   double *value)
{
    double unused;
    if (!value)
        value = &unused;
    if (!float_syntax(s, len)) {
        snprintf(msg, cap, "expected Python's repr of a float, e.g. 2.5, -0.0, 1e-05, "
                           "1.5e+16, inf, -inf or nan");
        return msg;
    }
    if (len > 64) {
        snprintf(msg, cap, "Python's repr of a float is at most 24 characters long");
        return msg;
    }
    char tmp[80], canon[48];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    int special = jxv__eq(s, len, "inf") || jxv__eq(s, len, "-inf") || jxv__eq(s, len, "nan");
    if (!special && float_repr_long(s, len, value))
        return NULL;
    if (special || !float_repr_fast(s, len, canon, sizeof canon, value)) {
        *value = strtod(tmp, NULL); /* "nan" is the positive quiet NaN, as float("nan") */
        py_float_repr(*value, canon, sizeof canon);
    }
    if (strcmp(tmp, canon) != 0) {
        snprintf(msg, cap, "not Python's repr of this float: expected %s", canon);
        return msg;
    }
    return NULL;
}

const char *jxv__check_float_repr(const char *s, size_t len, char *msg, size_t cap)
{
    return jxv__check_float_value(s, len, msg, cap, NULL);
}

/* complex-part = python-float-repr with a trailing ".0" removed; unsigned says the part
 * follows the "+"/"-" operator of the two-part form and so carries no sign of its own. */
static const char *check_complex_part(const char *s, size_t len, int unsigned_part, char *msg,
                                      size_t cap)
{
    if (len == 0) {
        snprintf(msg, cap, "a part of a complex number is empty");
        return msg;
    }
    if (unsigned_part && s[0] == '-') {
        snprintf(msg, cap, "the imaginary part follows the sign operator and is unsigned");
        return msg;
    }
    if (len >= 2 && s[len - 2] == '.' && s[len - 1] == '0') {
        snprintf(msg, cap, "Python's complex repr drops the trailing .0 of its parts");
        return msg;
    }
    char tmp[80];
    if (len > 60) {
        snprintf(msg, cap, "a part of a complex number is too long for Python's repr");
        return msg;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    int integral = 1;
    for (size_t i = (s[0] == '-'); i < len; i++)
        if (!is_digit(s[i]))
            integral = 0;
    if (integral && len > (size_t)(s[0] == '-')) {
        strcat(tmp, ".0"); /* 1 -> 1.0; room: len <= 60 */
        len += 2;
    }
    if (jxv__check_float_repr(tmp, len, msg, cap)) {
        char inner[200];
        snprintf(inner, sizeof inner, "%s", msg);
        snprintf(msg, cap, "in a part of a complex number: %s", inner);
        return msg;
    }
    return NULL;
}

size_t jxv__complex_operator(const char *s, size_t body)
{
    /* the last '+'/'-' that is not at the start and not after an 'e' */
    for (size_t i = body; i-- > 1;)
        if ((s[i] == '+' || s[i] == '-') && s[i - 1] != 'e')
            return i;
    return 0;
}

/* python-complex-repr without the outer parentheses: "2j", "-1j", "5+1j", "-0-1j". */
const char *jxv__check_complex_repr(const char *s, size_t len, char *msg, size_t cap)
{
    if (len == 0) {
        snprintf(msg, cap, "empty complex number; complex() is what the v1.2.0 writer makes "
                           "of a pure imaginary number like 2j (bug B1-1), expected e.g. 2j "
                           "or 5+1j");
        return msg;
    }
    if (s[len - 1] != 'j') {
        snprintf(msg, cap, "a complex number ends with the imaginary unit j (the v1.2.0 "
                           "writer cuts the j of pure imaginary numbers, bug B1-1), expected "
                           "e.g. 2j or 5+1j");
        return msg;
    }
    size_t body = len - 1, op = jxv__complex_operator(s, body);
    if (op == 0)
        return check_complex_part(s, body, 0, msg, cap);
    if (check_complex_part(s, op, 0, msg, cap))
        return msg;
    return check_complex_part(s + op + 1, body - op - 1, 1, msg, cap);
}

/* Splits "a,b[,c]" of range()/slice() and checks each member. */
const char *jxv__check_members(const char *s, size_t len, int is_slice, char *msg, size_t cap)
{
    const char *parts[4];
    size_t plen[4];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == ',') {
            if (n == 3) {
                n = 4;
                break;
            }
            parts[n] = s + start;
            plen[n] = i - start;
            n++;
            start = i + 1;
        }
    }
    if (is_slice ? n != 3 : (n < 2 || n > 3)) {
        snprintf(msg, cap, is_slice ? "slice(…) has exactly three members start,stop,step"
                                    : "range(…) has two or three int members start,stop[,step]");
        return msg;
    }
    for (size_t i = 0; i < n; i++) {
        if (is_slice && jxv__eq(parts[i], plen[i], "None"))
            continue;
        const char *why = jxv__check_int_repr(parts[i], plen[i]);
        if (why) {
            snprintf(msg, cap, "%s member %zu: %s%s", is_slice ? "slice" : "range", i + 1,
                     is_slice ? "None or " : "", why);
            return msg;
        }
    }
    if (!is_slice && n == 3 && jxv__eq(parts[2], plen[2], "0")) {
        snprintf(msg, cap, "range(…) step must not be zero");
        return msg;
    }
    if (!is_slice && n == 3 && jxv__eq(parts[2], plen[2], "1")) {
        snprintf(msg, cap, "Python's repr omits a range step of 1");
        return msg;
    }
    return NULL;
}

/* "<word>(" inner ")" */
const char *jxv__check_call(const char *s, size_t len, const char *word, const char **inner,
                              size_t *inner_len, char *msg, size_t cap)
{
    size_t wl = strlen(word);
    if (len < wl + 2 || s[wl] != '(' || s[len - 1] != ')') {
        snprintf(msg, cap, "expected %s(…) with the value between the parentheses", word);
        return msg;
    }
    *inner = s + wl + 1;
    *inner_len = len - wl - 2;
    return NULL;
}

