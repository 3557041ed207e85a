/* CRC-32C (layout/jxv_crc32c.c): every implementation this CPU runs (tables, the CRC32
 * instruction, PCLMULQDQ folding, VPCLMULQDQ folding on AVX-512) against published test
 * vectors and against the portable tables: every length from 0 to 1024 bytes at random
 * alignments and initial values, random lengths up to 64 KiB, buffers of several MiB, and
 * CRCs continued across random splits; then combining. The implementations the CPU lacks
 * are named as skipped, so a log shows what was compared. */
#include "jxv_integrity.h"
#include "test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static unsigned char *random_buffer(size_t n)
{
    unsigned char *b = malloc(n ? n : 1);
    if (b)
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)rnd();
    return b;
}

/* The implementations to compare: every usable one, the table one included. */
static int usable(jxv_crc32c_fn *fns, const char **names)
{
    int n = 0;
    for (int i = 0; i < JXV_CRC32C_VARIANTS; i++) {
        const char *name = NULL;
        jxv_crc32c_fn f = jxv__crc32c_variant(i, &name);
        if (f) {
            fns[n] = f;
            names[n++] = name;
        }
    }
    return n;
}

static void crc32c_should_report_a_usable_implementation(void)
{
    jxv_crc32c_fn fns[JXV_CRC32C_VARIANTS];
    const char *names[JXV_CRC32C_VARIANTS], *name = NULL;
    int n = usable(fns, names), found = 0;
    for (int i = 0; i < JXV_CRC32C_VARIANTS; i++)
        if (!jxv__crc32c_variant(i, &name))
            printf("     (%s: not on this CPU, skipped)\n", name);
    printf("     (jxv_crc32c uses %s)\n", jxv_crc32c_impl());
    ASSERT_GE_INT(n, 1);
    ASSERT_STREQ(names[0], "table");
    for (int i = 0; i < n; i++)
        found |= strcmp(names[i], jxv_crc32c_impl()) == 0;
    ASSERT_TRUE(found);
}

static void every_implementation_should_match_published_vectors(void)
{
    jxv_crc32c_fn fns[JXV_CRC32C_VARIANTS];
    const char *names[JXV_CRC32C_VARIANTS];
    int n = usable(fns, names);
    unsigned char zeros[32], ones[32], up[32], down[32];
    memset(zeros, 0, sizeof zeros);
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++) {
        up[i] = (unsigned char)i;
        down[i] = (unsigned char)(31 - i);
    }
    ASSERT_EQ_INT(jxv_crc32c(0, "123456789", 9), 0xe3069283u);
    ASSERT_EQ_INT(jxv_crc32c_portable(0, "123456789", 9), 0xe3069283u);
    for (int k = 0; k < n; k++) {
        printf("     (%s)\n", names[k]);
        ASSERT_EQ_INT(fns[k](0, "123456789", 9), 0xe3069283u);
        ASSERT_EQ_INT(fns[k](0, NULL, 0), 0);
        /* RFC 3720 appendix B.4 */
        ASSERT_EQ_INT(fns[k](0, zeros, 32), 0x8a9136aau);
        ASSERT_EQ_INT(fns[k](0, ones, 32), 0x62a8ab43u);
        ASSERT_EQ_INT(fns[k](0, up, 32), 0x46dd794eu);
        ASSERT_EQ_INT(fns[k](0, down, 32), 0x113fdb5cu);
    }
}

static void every_implementation_should_equal_the_tables_at_every_length_and_alignment(void)
{
    enum { MAX_EVERY = 1024, MAX_RANDOM = 65536, SLACK = 128 };
    jxv_crc32c_fn fns[JXV_CRC32C_VARIANTS];
    const char *names[JXV_CRC32C_VARIANTS];
    int n = usable(fns, names);
    unsigned char *buf = random_buffer(MAX_RANDOM + SLACK);
    ASSERT_TRUE(buf != NULL);
    for (int k = 0; k < n; k++) {
        /* every length to 1024, each at a random offset and from a random register */
        for (size_t len = 0; len <= MAX_EVERY; len++) {
            size_t off = rnd() % SLACK;
            uint32_t crc = rnd();
            uint32_t want = jxv_crc32c_portable(crc, buf + off, len);
            uint32_t got = fns[k](crc, buf + off, len);
            if (got != want) {
                free(buf);
                TEST_FAIL_("%s: length %zu offset %zu crc %08x: %08x, tables %08x", names[k],
                           len, off, crc, got, want);
            }
        }
        for (int r = 0; r < 2000; r++) {
            size_t len = rnd() % MAX_RANDOM, off = rnd() % SLACK;
            uint32_t crc = rnd();
            uint32_t want = jxv_crc32c_portable(crc, buf + off, len);
            uint32_t got = fns[k](crc, buf + off, len);
            if (got != want) {
                free(buf);
                TEST_FAIL_("%s: length %zu offset %zu crc %08x: %08x, tables %08x", names[k],
                           len, off, crc, got, want);
            }
        }
    }
    free(buf);
}

static void every_implementation_should_equal_the_tables_on_buffers_of_several_mib(void)
{
    size_t lens[] = {(size_t)4 << 20, ((size_t)4 << 20) + 13, ((size_t)9 << 20) + 1021};
    size_t max = ((size_t)9 << 20) + 1021 + 64;
    jxv_crc32c_fn fns[JXV_CRC32C_VARIANTS];
    const char *names[JXV_CRC32C_VARIANTS];
    int n = usable(fns, names);
    unsigned char *buf = random_buffer(max);
    ASSERT_TRUE(buf != NULL);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t off = i == 0 ? 0 : rnd() % 64;
        uint32_t want = jxv_crc32c_portable(0, buf + off, lens[i]);
        for (int k = 0; k < n; k++) {
            uint32_t got = fns[k](0, buf + off, lens[i]);
            if (got != want) {
                free(buf);
                TEST_FAIL_("%s: length %zu offset %zu: %08x, tables %08x", names[k], lens[i],
                           off, got, want);
            }
        }
    }
    free(buf);
}

static void every_implementation_should_continue_a_crc_across_splits(void)
{
    enum { N = 300000 };
    jxv_crc32c_fn fns[JXV_CRC32C_VARIANTS];
    const char *names[JXV_CRC32C_VARIANTS];
    int n = usable(fns, names);
    unsigned char *buf = random_buffer(N);
    ASSERT_TRUE(buf != NULL);
    uint32_t whole = jxv_crc32c_portable(0, buf, N);
    for (int k = 0; k < n; k++) {
        for (int r = 0; r < 40; r++) {
            /* pieces of random lengths, short and long mixed, each continuing the last */
            uint32_t c = 0;
            size_t at = 0;
            while (at < N) {
                size_t left = N - at;
                size_t piece = 1 + (rnd() % 4 == 0 ? rnd() % 64 : rnd() % 40000);
                piece = piece < left ? piece : left;
                c = fns[k](c, buf + at, piece);
                at += piece;
            }
            if (c != whole) {
                free(buf);
                TEST_FAIL_("%s: chained pieces give %08x, the whole %08x", names[k], c, whole);
            }
        }
    }
    free(buf);
}

static void crc32c_should_combine_as_concatenation(void)
{
    enum { N = 100000 };
    unsigned char *buf = random_buffer(N);
    ASSERT_TRUE(buf != NULL);
    uint32_t whole = jxv_crc32c(0, buf, N);
    for (int k = 0; k < 20; k++) {
        size_t cut = rnd() % N;
        uint32_t a = jxv_crc32c(0, buf, cut), b = jxv_crc32c(0, buf + cut, N - cut);
        if (jxv_crc32c(a, buf + cut, N - cut) != whole ||
            jxv_crc32c_combine(a, b, N - cut) != whole) {
            free(buf);
            TEST_FAIL_("cut at %zu does not give the whole CRC", cut);
        }
    }
    ASSERT_EQ_INT(jxv_crc32c_combine(whole, 0, 0), whole);
    free(buf);
}

int main(void)
{
    RUN(crc32c_should_report_a_usable_implementation);
    RUN(every_implementation_should_match_published_vectors);
    RUN(every_implementation_should_equal_the_tables_at_every_length_and_alignment);
    RUN(every_implementation_should_equal_the_tables_on_buffers_of_several_mib);
    RUN(every_implementation_should_continue_a_crc_across_splits);
    RUN(crc32c_should_combine_as_concatenation);
    return test_summary();
}
