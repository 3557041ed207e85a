/* CRC-32C (spec §12) for the integrity records: jxv_crc32c and its combine/shift algebra.
 *
 * Speed matters: the loader checks every byte of array data it reads, and a load from the
 * page cache moves about 5 GB/s, so the CRC is a pass over the data as long as a copy of
 * it. Four implementations; the first of vpclmul, sse4.2, table that the CPU runs is chosen
 * once (jxv_crc32c_impl names it):
 *
 *   table    slicing-by-8 tables, any CPU.
 *   sse4.2   the CRC32 instruction. One retires per cycle but its result is ready only
 *            after three, so a single stream runs at a third of the possible rate: blocks
 *            are cut into three lanes hashed together, and the lanes' CRCs are joined with
 *            precomputed "shift by a lane of zeros" tables (the same algebra as
 *            jxv_crc32c_combine, four table lookups instead of a GF(2) multiplication).
 *   pclmul   folding with carry-less multiplication (PCLMULQDQ): four 16-byte accumulators,
 *            each multiplied by x^512 mod P (a fold 64 bytes forward) and XORed with the
 *            next 64 bytes, so the data never enters a 32-bit register; at the end the
 *            accumulators fold into one 16-byte block, whose CRC (from a zero register,
 *            with the CRC32 instruction) is the raw CRC of everything before it.
 *   vpclmul  the same with VPCLMULQDQ on 512-bit registers: sixteen 16-byte accumulators in
 *            four registers, 256 bytes per step.
 *
 * The folding constants x^e mod P and the proof that the folds keep the CRC are in
 * scripts/crc32c_fold_constants.py, which prints the FOLD_* table below and checks a model
 * of this code against a bitwise CRC. The folding paths hand short buffers, the bytes before
 * an aligned address and the tail of less than 16 bytes to the sse4.2 code. */
#include "jxv_integrity.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JXV_HAVE_SSE42 1
#include <immintrin.h>
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
typedef enum crc_impl { IMPL_TABLE, IMPL_SSE42, IMPL_PCLMUL, IMPL_VPCLMUL, IMPL_COUNT } crc_impl;
static const char *const impl_names[IMPL_COUNT] = {"table", "sse4.2", "pclmul", "vpclmul"};
static int impl_usable[IMPL_COUNT]; /* this CPU (and OS) can run it */
static crc_impl impl_used;          /* what jxv_crc32c runs */
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
    impl_usable[IMPL_TABLE] = 1;
#if JXV_HAVE_SSE42
    __builtin_cpu_init();
    impl_usable[IMPL_SSE42] = __builtin_cpu_supports("sse4.2");
    impl_usable[IMPL_PCLMUL] = impl_usable[IMPL_SSE42] && __builtin_cpu_supports("pclmul");
    /* (the avx512 checks include the OS saving the registers: libgcc reads XCR0) */
    impl_usable[IMPL_VPCLMUL] = impl_usable[IMPL_PCLMUL] && __builtin_cpu_supports("avx512f") &&
                                __builtin_cpu_supports("vpclmulqdq");
#endif
    /* pclmul is not chosen by itself: it retires 16 bytes per two PCLMULQDQ, one a cycle,
     * the same 8 bytes a cycle as the CRC32 instruction, and measured no faster than sse4.2
     * (bench/crc32c_speed.c); it stays for JAXON_CRC32C_IMPL and the tests. */
    static const crc_impl preference[] = {IMPL_VPCLMUL, IMPL_SSE42, IMPL_TABLE};
    for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++)
        if (impl_usable[preference[i]]) {
            impl_used = preference[i];
            break;
        }
    /* JAXON_CRC32C_IMPL=table|sse4.2|pclmul|vpclmul: another implementation, for
     * measurements (ignored if this CPU cannot run it) */
    const char *want = getenv("JAXON_CRC32C_IMPL");
    for (int i = 0; want && i < IMPL_COUNT; i++)
        if (strcmp(want, impl_names[i]) == 0 && impl_usable[i])
            impl_used = (crc_impl)i;
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

/* The folding constants, {x^(D+32) mod P, x^(D-32) mod P} for a fold D bits forward, as
 * scripts/crc32c_fold_constants.py derives and prints them (bit-reflected, shifted left by
 * one: the layout PCLMULQDQ needs for the product to land in place). */
#define FOLD_16 0x0f20c0dfeu, 0x14cd00bd6u  /* 16 bytes */
#define FOLD_32 0x1384aa63au, 0x0ba4fc28eu  /* 32 bytes */
#define FOLD_48 0x01c291d04u, 0x1d82c63dau  /* 48 bytes */
#define FOLD_64 0x0740eef02u, 0x09e4addf8u  /* 64 bytes */
#define FOLD_128 0x06992cea2u, 0x00d3b6092u /* 128 bytes */
#define FOLD_192 0x0a87ab8a8u, 0x0ab7aff2au /* 192 bytes */
#define FOLD_256 0x0dcb17aa4u, 0x0b9e02b86u /* 256 bytes */
#define PAIR_(hi_term, lo_term) _mm_set_epi64x((long long)(lo_term), (long long)(hi_term))
/* {k_H, k_L} in one register: k_H in the low half, multiplied with a block's low half (its
 * first 8 bytes, the high-order terms); k_L in the high half. */
#define PAIR(fold) PAIR_(fold)
/* Below these lengths a folding path hands the buffer on (vpclmul to pclmul, pclmul to
 * sse4.2): after aligning it needs 64 / 256 bytes to start, and its reduction at the end
 * costs as much as hashing a few hundred bytes. */
#define PCLMUL_MIN 128
#define VPCLMUL_MIN 512

/* x (16 bytes) carried D bits forward modulo P, for the constants k of D. */
__attribute__((target("sse4.2,pclmul"))) static inline __m128i fold_128(__m128i x, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/* The end of both folding paths: x is the 16 bytes before p, with everything before folded
 * in; the blocks of 16 bytes left are folded in one by one, the last block reduced by the
 * CRC32 instruction, the bytes after the last block hashed by it too. */
__attribute__((target("sse4.2,pclmul"))) static uint32_t fold_finish(__m128i x,
                                                                     const unsigned char *p,
                                                                     size_t n)
{
    const __m128i k16 = PAIR(FOLD_16);
    while (n >= 16) {
        x = _mm_xor_si128(fold_128(x, k16), _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
    uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
    c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(x, 1));
    return raw_sse42_1((uint32_t)c, p, n);
}

/* Bytes from p up to the next multiple of align (a power of two), at most n. */
static size_t head_to(const unsigned char *p, size_t align, size_t n)
{
    size_t h = (size_t)(-(uintptr_t)p & (align - 1));
    return h < n ? h : n;
}

__attribute__((target("sse4.2,pclmul"))) static uint32_t raw_pclmul(uint32_t c,
                                                                    const unsigned char *p,
                                                                    size_t n)
{
    if (n < PCLMUL_MIN)
        return raw_sse42(c, p, n);
    size_t h = head_to(p, 16, n);
    c = raw_sse42_1(c, p, h);
    p += h;
    n -= h;
    /* four accumulators, the register c XORed into the first four bytes */
    const __m128i *v = (const __m128i *)p;
    __m128i x0 = _mm_xor_si128(_mm_load_si128(v), _mm_cvtsi32_si128((int)c));
    __m128i x1 = _mm_load_si128(v + 1), x2 = _mm_load_si128(v + 2), x3 = _mm_load_si128(v + 3);
    p += 64;
    n -= 64;
    const __m128i k64 = PAIR(FOLD_64);
    while (n >= 64) {
        v = (const __m128i *)p;
        x0 = _mm_xor_si128(fold_128(x0, k64), _mm_load_si128(v));
        x1 = _mm_xor_si128(fold_128(x1, k64), _mm_load_si128(v + 1));
        x2 = _mm_xor_si128(fold_128(x2, k64), _mm_load_si128(v + 2));
        x3 = _mm_xor_si128(fold_128(x3, k64), _mm_load_si128(v + 3));
        p += 64;
        n -= 64;
    }
    /* into the last: x0 is 48 bytes before it, x1 32, x2 16 */
    __m128i x = _mm_xor_si128(x3, fold_128(x0, PAIR(FOLD_48)));
    x = _mm_xor_si128(x, fold_128(x1, PAIR(FOLD_32)));
    x = _mm_xor_si128(x, fold_128(x2, PAIR(FOLD_16)));
    return fold_finish(x, p, n);
}

#define VPCLMUL_TARGET "sse4.2,pclmul,avx512f,vpclmulqdq"

/* Each 16-byte lane of x carried forward modulo P (k: one pair of constants per lane). */
__attribute__((target(VPCLMUL_TARGET))) static inline __m512i fold_512(__m512i x, __m512i k)
{
    return _mm512_xor_si512(_mm512_clmulepi64_epi128(x, k, 0x00),
                            _mm512_clmulepi64_epi128(x, k, 0x11));
}

/* fold_512(x, k) ^ y in one instruction for the two XORs. */
__attribute__((target(VPCLMUL_TARGET))) static inline __m512i fold_512_xor(__m512i x, __m512i k,
                                                                          __m512i y)
{
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                     _mm512_clmulepi64_epi128(x, k, 0x11), y, 0x96);
}

__attribute__((target(VPCLMUL_TARGET))) static uint32_t raw_vpclmul(uint32_t c,
                                                                   const unsigned char *p,
                                                                   size_t n)
{
    if (n < VPCLMUL_MIN)
        return raw_pclmul(c, p, n);
    /* 64-byte aligned loads: one cache line each */
    size_t h = head_to(p, 64, n);
    c = raw_sse42_1(c, p, h);
    p += h;
    n -= h;
    const __m512i *v = (const __m512i *)p;
    __m512i x0 = _mm512_xor_si512(_mm512_load_si512(v), _mm512_zextsi128_si512(
                                                            _mm_cvtsi32_si128((int)c)));
    __m512i x1 = _mm512_load_si512(v + 1), x2 = _mm512_load_si512(v + 2),
            x3 = _mm512_load_si512(v + 3);
    p += 256;
    n -= 256;
    const __m512i k256 = _mm512_broadcast_i32x4(PAIR(FOLD_256));
    while (n >= 256) {
        v = (const __m512i *)p;
        x0 = fold_512_xor(x0, k256, _mm512_load_si512(v));
        x1 = fold_512_xor(x1, k256, _mm512_load_si512(v + 1));
        x2 = fold_512_xor(x2, k256, _mm512_load_si512(v + 2));
        x3 = fold_512_xor(x3, k256, _mm512_load_si512(v + 3));
        p += 256;
        n -= 256;
    }
    /* into the last register: x0 is 192 bytes before it, x1 128, x2 64 */
    __m512i x = fold_512_xor(x0, _mm512_broadcast_i32x4(PAIR(FOLD_192)), x3);
    x = fold_512_xor(x1, _mm512_broadcast_i32x4(PAIR(FOLD_128)), x);
    x = fold_512_xor(x2, _mm512_broadcast_i32x4(PAIR(FOLD_64)), x);
    const __m512i k64 = _mm512_broadcast_i32x4(PAIR(FOLD_64));
    while (n >= 64) {
        x = fold_512_xor(x, k64, _mm512_loadu_si512((const void *)p));
        p += 64;
        n -= 64;
    }
    /* its four lanes into the last: lane 0 is 48 bytes before it, 1 32, 2 16; lane 3 is
     * XORed in as it is (its product, by zero constants, is not used) */
    const __m512i klanes = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_set_m128i(PAIR(FOLD_32), PAIR(FOLD_48))),
        _mm256_set_m128i(_mm_setzero_si128(), PAIR(FOLD_16)), 1);
    __m512i y = fold_512(x, klanes);
    __m128i r = _mm_xor_si128(_mm512_extracti32x4_epi32(x, 3), _mm512_castsi512_si128(y));
    r = _mm_xor_si128(r, _mm512_extracti32x4_epi32(y, 1));
    r = _mm_xor_si128(r, _mm512_extracti32x4_epi32(y, 2));
    return fold_finish(r, p, n);
}
#endif

/* The raw update of implementation i (one that impl_usable allows). */
static uint32_t raw_by(crc_impl i, uint32_t c, const unsigned char *p, size_t n)
{
    switch (i) {
#if JXV_HAVE_SSE42
    case IMPL_VPCLMUL:
        return raw_vpclmul(c, p, n);
    case IMPL_PCLMUL:
        return raw_pclmul(c, p, n);
    case IMPL_SSE42:
        return raw_sse42(c, p, n);
#endif
    default:
        return raw_portable(c, p, n);
    }
}

uint32_t jxv_crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&tables_once, init_tables);
    return ~raw_by(impl_used, ~crc, buf, len);
}

/* jxv__crc32c_variant's functions: jxv_crc32c with one implementation. */
static uint32_t crc_table(uint32_t crc, const void *buf, size_t len)
{
    return ~raw_by(IMPL_TABLE, ~crc, buf, len);
}
static uint32_t crc_sse42(uint32_t crc, const void *buf, size_t len)
{
    return ~raw_by(IMPL_SSE42, ~crc, buf, len);
}
static uint32_t crc_pclmul(uint32_t crc, const void *buf, size_t len)
{
    return ~raw_by(IMPL_PCLMUL, ~crc, buf, len);
}
static uint32_t crc_vpclmul(uint32_t crc, const void *buf, size_t len)
{
    return ~raw_by(IMPL_VPCLMUL, ~crc, buf, len);
}

jxv_crc32c_fn jxv__crc32c_variant(int i, const char **name)
{
    static const jxv_crc32c_fn fns[IMPL_COUNT] = {crc_table, crc_sse42, crc_pclmul, crc_vpclmul};
    _Static_assert(IMPL_COUNT == JXV_CRC32C_VARIANTS, "one variant per implementation");
    pthread_once(&tables_once, init_tables);
    if (i < 0 || i >= IMPL_COUNT)
        return NULL;
    *name = impl_names[i];
    return impl_usable[i] ? fns[i] : NULL;
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
    return impl_names[impl_used];
}
