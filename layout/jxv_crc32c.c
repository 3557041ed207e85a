/* CRC-32C (spec §12) for the integrity records: jxv_crc32c and its combine/shift algebra.
 *
 * Speed matters: the loader checks every byte of array data it reads, and a load from the
 * page cache moves about 5 GB/s. One CRC32 instruction retires per cycle but its result
 * is ready only after three, so a single stream runs at a third of the possible rate:
 * blocks are cut into three lanes hashed together, and the lanes' CRCs are joined with
 * precomputed "shift by a lane of zeros" tables (the same algebra as jxv_crc32c_combine,
 * four table lookups instead of a GF(2) multiplication). */
#include "jxv_integrity.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jxv_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JXV_HAVE_SSE42 1
#include <nmmintrin.h>
#else
#define JXV_HAVE_SSE42 0
#endif

/* The reflected Castagnoli polynomial. */
#define POLY 0x82F63B78u
/* Lane lengths of the three-way blocks: long lanes for the bulk, short ones for what is
 * left, then one stream. Each needs one shift table (4 x 256 entries). */
#define LONG_LANE 8192
#define SHORT_LANE 256

static uint32_t table8[8][256];         /* slicing-by-8 tables */
static uint32_t shift_long[4][256];     /* c -> c * x^(8 * LONG_LANE) mod P */
static uint32_t shift_short[4][256];    /* c -> c * x^(8 * SHORT_LANE) mod P */
static uint32_t x2n[64];                /* x^(2^k) mod P */
static int use_sse42;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* a * b mod P, both reflected (bit 31 is x^0). */
static uint32_t gf2_multiply(uint32_t a, uint32_t b)
{
    uint32_t p = 0;
    for (int i = 0; i < 32; i++) {
        if (a & 0x80000000u)
            p ^= b;
        a <<= 1;
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
    }
    return p;
}

/* x^(8 * n) mod P: the factor that appends n zero bytes to a raw CRC register. */
static uint32_t x_pow_8n(uint64_t n)
{
    uint32_t p = 0x80000000u; /* x^0 */
    for (unsigned k = 3; n; n >>= 1, k++)
        if (n & 1)
            p = gf2_multiply(x2n[k & 63], p);
    return p;
}

static void make_shift_table(uint32_t t[4][256], uint64_t nbytes)
{
    uint32_t m = x_pow_8n(nbytes);
    for (int b = 0; b < 4; b++)
        for (uint32_t i = 0; i < 256; i++)
            t[b][i] = gf2_multiply(m, i << (8 * b));
}

static inline uint32_t shift_by(const uint32_t t[4][256], uint32_t c)
{
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
}

static void init_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table8[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int s = 1; s < 8; s++)
            table8[s][i] = (table8[s - 1][i] >> 8) ^ table8[0][table8[s - 1][i] & 0xff];
    x2n[0] = 0x40000000u; /* x^1 */
    for (int k = 1; k < 64; k++)
        x2n[k] = gf2_multiply(x2n[k - 1], x2n[k - 1]);
    make_shift_table(shift_long, LONG_LANE);
    make_shift_table(shift_short, SHORT_LANE);
#if JXV_HAVE_SSE42
    __builtin_cpu_init();
    use_sse42 = __builtin_cpu_supports("sse4.2");
    if (getenv("JAXON_CRC32C_PORTABLE")) /* tests and measurements of the fallback */
        use_sse42 = 0;
#endif
}

/* Raw register update (no pre/post inversion), 8 bytes per step. */
static uint32_t raw_portable(uint32_t c, const unsigned char *p, size_t n)
{
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        w ^= c;
        c = table8[7][w & 0xff] ^ table8[6][(w >> 8) & 0xff] ^ table8[5][(w >> 16) & 0xff] ^
            table8[4][(w >> 24) & 0xff] ^ table8[3][(w >> 32) & 0xff] ^
            table8[2][(w >> 40) & 0xff] ^ table8[1][(w >> 48) & 0xff] ^ table8[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ table8[0][(c ^ *p++) & 0xff];
    return c;
}

#if JXV_HAVE_SSE42
__attribute__((target("sse4.2"))) static uint32_t raw_sse42_1(uint32_t c, const unsigned char *p,
                                                              size_t n)
{
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = _mm_crc32_u64(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = _mm_crc32_u8(c, *p++);
    return c;
}

/* Three lanes of lane bytes each, hashed together; the first continues from c. */
__attribute__((target("sse4.2"))) static uint32_t raw_sse42_3(uint32_t c, const unsigned char *p,
                                                              size_t lane,
                                                              const uint32_t shift[4][256])
{
    uint64_t a = c, b = 0, d = 0;
    const unsigned char *end = p + lane;
    while (p < end) {
        uint64_t w0, w1, w2;
        memcpy(&w0, p, 8);
        memcpy(&w1, p + lane, 8);
        memcpy(&w2, p + 2 * lane, 8);
        a = _mm_crc32_u64(a, w0);
        b = _mm_crc32_u64(b, w1);
        d = _mm_crc32_u64(d, w2);
        p += 8;
    }
    /* CRC(A B C) = shift(shift(crc A) ^ crc B) ^ crc C for raw registers */
    return shift_by(shift, shift_by(shift, (uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)d;
}

static uint32_t raw_sse42(uint32_t c, const unsigned char *p, size_t n)
{
    while (n >= 3 * LONG_LANE) {
        c = raw_sse42_3(c, p, LONG_LANE, shift_long);
        p += 3 * LONG_LANE;
        n -= 3 * LONG_LANE;
    }
    while (n >= 3 * SHORT_LANE) {
        c = raw_sse42_3(c, p, SHORT_LANE, shift_short);
        p += 3 * SHORT_LANE;
        n -= 3 * SHORT_LANE;
    }
    return raw_sse42_1(c, p, n);
}
#endif

uint32_t jxv_crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&tables_once, init_tables);
    const unsigned char *p = buf;
    uint32_t c = ~crc;
#if JXV_HAVE_SSE42
    if (use_sse42)
        return ~raw_sse42(c, p, len);
#endif
    return ~raw_portable(c, p, len);
}

uint32_t jxv_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&tables_once, init_tables);
    return ~raw_portable(~crc, buf, len);
}

uint32_t jxv_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
    pthread_once(&tables_once, init_tables);
    /* with zlib's inversions the init terms cancel: shift(crc_a) ^ crc_b */
    return gf2_multiply(x_pow_8n(len_b), crc_a) ^ crc_b;
}

uint32_t jxv_crc32c_shift(uint32_t c, uint64_t n)
{
    pthread_once(&tables_once, init_tables);
    return gf2_multiply(x_pow_8n(n), c);
}

const char *jxv_crc32c_impl(void)
{
    pthread_once(&tables_once, init_tables);
    return use_sse42 ? "sse4.2" : "table";
}
