/* A small test harness for the C units: each executable lists its cases with RUN(), every
 * assertion prints both operands and the location, and main() returns non-zero on failure.
 *
 *   static void grammar_should_accept_index_slots(void) { ASSERT_EQ_INT(f(), 0); }
 *   int main(void) { RUN(grammar_should_accept_index_slots); return test_summary(); }
 */
#ifndef JAXON_TEST_H
#define JAXON_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((unused)) static int test_failures_ = 0;
__attribute__((unused)) static int test_cases_ = 0;
__attribute__((unused)) static int test_case_failed_ = 0;

#define TEST_FAIL_(...)                                                                        \
    do {                                                                                       \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                      \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fputc('\n', stderr);                                                                   \
        test_case_failed_ = 1;                                                                 \
        return;                                                                                \
    } while (0)

#define ASSERT_TRUE(c)                                                                         \
    do { if (!(c)) TEST_FAIL_("expected true: %s", #c); } while (0)
#define ASSERT_FALSE(c)                                                                        \
    do { if (c) TEST_FAIL_("expected false: %s", #c); } while (0)
#define ASSERT_EQ_INT(a, b)                                                                    \
    do {                                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                                    \
        if (a_ != b_) TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);                    \
    } while (0)
#define ASSERT_NE_INT(a, b)                                                                    \
    do {                                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                                    \
        if (a_ == b_) TEST_FAIL_("%s != %s: both %lld", #a, #b, a_);                           \
    } while (0)
#define ASSERT_GE_INT(a, b)                                                                    \
    do {                                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                                    \
        if (a_ < b_) TEST_FAIL_("%s >= %s: %lld < %lld", #a, #b, a_, b_);                      \
    } while (0)
#define ASSERT_STREQ(a, b)                                                                     \
    do {                                                                                       \
        const char *a_ = (a), *b_ = (b);                                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                 \
            TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",               \
                       b_ ? b_ : "(null)");                                                    \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                           \
    do {                                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                                \
        if (!h_ || !strstr(h_, n_))                                                            \
            TEST_FAIL_("%s contains \"%s\": got \"%s\"", #hay, n_, h_ ? h_ : "(null)");        \
    } while (0)

#define RUN(fn)                                                                                \
    do {                                                                                       \
        test_case_failed_ = 0;                                                                 \
        test_cases_++;                                                                         \
        fn();                                                                                  \
        if (test_case_failed_) {                                                               \
            test_failures_++;                                                                  \
            fprintf(stderr, "FAIL %s\n", #fn);                                                 \
        } else {                                                                               \
            printf("ok   %s\n", #fn);                                                          \
        }                                                                                      \
    } while (0)

static inline int test_summary(void)
{
    printf("%d passed, %d failed\n", test_cases_ - test_failures_, test_failures_);
    return test_failures_ ? 1 : 0;
}

#endif /* JAXON_TEST_H */
