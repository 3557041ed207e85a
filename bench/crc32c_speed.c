/* CRC-32C speed of every implementation this CPU runs (layout/jxv_crc32c.c), in GB/s.
 *
 *   bench_crc32c_speed [MIB [ROUNDS]]      (default 1024 MiB, 5 rounds)
 *
 * Three shapes, each timed ROUNDS times per implementation (best and median printed):
 *   whole   one call over a buffer of MIB MiB (main memory when it is larger than the caches);
 *   4m      the same number of bytes as calls over the first 4 MiB of the buffer again and
 *           again, the loader's piece (pybridge/src/integrity.c): from the last-level cache
 *           where the L2 is smaller;
 *   256k    the same over its first 256 KiB: from the L2, the CRC's own speed.
 * memcpy of the whole buffer is timed too, as the memory bandwidth the CRC competes with.
 * The buffer is random bytes; every implementation's CRC of it is checked against the first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jxv_integrity.h"


static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Best and median of the rates in r[0:n] (sorted in place). */
static void report(const char *impl, const char *shape, double *r, int n)
{
    qsort(r, (size_t)n, sizeof *r, cmp_double);
    printf("%-8s %-7s best %6.2f GB/s  median %6.2f GB/s\n", impl, shape, r[n - 1], r[n / 2]);
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1024;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (mib < 4 || rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: %s [MIB >= 4 [ROUNDS 1..100]]\n", argv[0]);
        return 2;
    }
    size_t n = mib << 20;
    unsigned char *buf = malloc(n), *dst = malloc(n);
    double *rate = malloc(sizeof *rate * (size_t)rounds);
    if (!buf || !dst || !rate) {
        fprintf(stderr, "out of memory for %zu MiB\n", mib);
        return 1;
    }
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i += 8) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        memcpy(buf + i, &s, n - i < 8 ? n - i : 8);
    }
    memcpy(dst, buf, n);
    printf("%zu MiB, %d rounds; jxv_crc32c uses %s\n", mib, rounds, jxv_crc32c_impl());
    for (int k = 0; k < rounds; k++) {
        double t0 = now();
        memcpy(dst, buf, n);
        rate[k] = (double)n / (now() - t0) / 1e9;
    }
    report("memcpy", "whole", rate, rounds);
    uint32_t first = 0;
    int have_first = 0;
    for (int i = 0; i < JXV_CRC32C_VARIANTS; i++) {
        const char *name = NULL;
        jxv_crc32c_fn f = jxv__crc32c_variant(i, &name);
        if (!f) {
            printf("%-8s not on this CPU\n", name);
            continue;
        }
        volatile uint32_t sink = 0;
        for (int k = 0; k < rounds; k++) {
            double t0 = now();
            uint32_t c = f(0, buf, n);
            rate[k] = (double)n / (now() - t0) / 1e9;
            if (!have_first) {
                first = c;
                have_first = 1;
            } else if (c != first) {
                fprintf(stderr, "%s: CRC %08x differs from %08x\n", name, c, first);
                return 1;
            }
        }
        report(name, "whole", rate, rounds);
        static const size_t pieces[] = {(size_t)4 << 20, (size_t)256 << 10};
        static const char *const shapes[] = {"4m", "256k"};
        for (int j = 0; j < 2; j++) {
            for (int k = 0; k < rounds; k++) {
                double t0 = now();
                for (size_t at = 0; at + pieces[j] <= n; at += pieces[j])
                    sink ^= f(0, buf, pieces[j]);
                rate[k] = (double)(n / pieces[j] * pieces[j]) / (now() - t0) / 1e9;
            }
            report(name, shapes[j], rate, rounds);
        }
        (void)sink;
    }
    free(rate);
    free(dst);
    free(buf);
    return 0;
}
