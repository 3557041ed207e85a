/* Assertions on jxv reports shared by the validator tests. */
#ifndef JXV_VTEST_H
#define JXV_VTEST_H

#include "jxv.h"
#include "test.h"

static inline void vtest_dump(const jxv_report *r)
{
    for (size_t i = 0; i < r->count; i++)
        fprintf(stderr, "    [%s] %s: %s: «%s»\n", jxv_rule_name(r->items[i].rule),
                r->items[i].path, r->items[i].message, r->items[i].text);
}

/* The report holds exactly one violation, of this rule. */
#define ASSERT_ONLY_RULE(rep, rule_)                                                           \
    do {                                                                                       \
        const jxv_report *r_ = (rep);                                                          \
        if (r_->count != 1 || r_->items[0].rule != (rule_)) {                                  \
            vtest_dump(r_);                                                                    \
            TEST_FAIL_("expected exactly one [%s] violation, got %zu", jxv_rule_name(rule_),  \
                       r_->count);                                                             \
        }                                                                                      \
    } while (0)

#define ASSERT_CLEAN(rep)                                                                      \
    do {                                                                                       \
        const jxv_report *r_ = (rep);                                                          \
        if (r_->count != 0) {                                                                  \
            vtest_dump(r_);                                                                    \
            TEST_FAIL_("expected no violation, got %zu", r_->count);                           \
        }                                                                                      \
    } while (0)

#endif
