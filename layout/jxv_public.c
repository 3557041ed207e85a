/* jaxon_validate_file(): the public entry point of include/jaxon/validate.h. */
#include "jxv.h"

#include <jaxon/validate.h>

JAXON_EXPORT long jaxon_validate_file(hid_t file_id, jaxon_violation_fn on_violation,
                                      void *user_data)
{
    jxv_report rep;
    jxv_report_init(&rep);
    if (jxv_check_file(file_id, &rep) < 0) {
        jxv_report_clear(&rep);
        return -1;
    }
    long n = (long)rep.count;
    for (size_t i = 0; on_violation && i < rep.count; i++) {
        jaxon_violation v = {rep.items[i].path, jxv_rule_name(rep.items[i].rule),
                             rep.items[i].text, rep.items[i].message};
        if (on_violation(&v, user_data) != 0)
            break;
    }
    jxv_report_clear(&rep);
    return n;
}
