/* Connector info: the parsed info string and the VOL 'info' class callbacks.
 *
 * Format (own options first, in any order, then the under connector):
 *     validate=<strict|warn|off>;open_check=<on|off>;under_vol=<value>;under_info={<…>}
 * Every part is optional: no under_vol means native below; no validate means strict. The
 * braces of under_info may nest; the text between the outermost pair is handed unchanged to
 * the under connector's from_str. The parser is our own and bounds-checked: every scan stops
 * at the terminating NUL and nothing is written past an allocation. */
#include "jxvol_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *jxvol_mode_name(jaxon_validate_mode mode)
{
    switch (mode) {
    case JAXON_VALIDATE_STRICT: return "strict";
    case JAXON_VALIDATE_WARN: return "warn";
    case JAXON_VALIDATE_OFF: return "off";
    }
    return "strict";
}

static int mode_from_text(const char *s, size_t n, jaxon_validate_mode *out)
{
    static const jaxon_validate_mode modes[] = {JAXON_VALIDATE_STRICT, JAXON_VALIDATE_WARN,
                                                JAXON_VALIDATE_OFF};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *name = jxvol_mode_name(modes[i]);
        if (strlen(name) == n && memcmp(name, s, n) == 0) {
            *out = modes[i];
            return 0;
        }
    }
    return -1;
}

static const char *skip_space(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* The parsed, not yet resolved, form of an info string. */
typedef struct parsed_info {
    jaxon_validate_mode mode;
    int open_check;
    int has_under;
    unsigned long under_value;
    const char *under_info; /* points into the string; NULL if absent */
    size_t under_info_len;
} parsed_info;

/* Reports a malformed string: what was wrong and where. Returns -1. */
static int malformed(const char *str, const char *at, const char *what)
{
    JXVOL_PUSH(jxvol_err_min_args(), "malformed jaxon info string \"%.200s\" at offset %zu: %s",
               str, (size_t)(at - str), what);
    return -1;
}

static int parse_text(const char *str, parsed_info *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->mode = JAXON_VALIDATE_STRICT;
    pi->open_check = 1;
    int seen_validate = 0, seen_info = 0, seen_open_check = 0;
    const char *p = skip_space(str);
    while (*p) {
        const char *key = p;
        while (*p && *p != '=' && *p != ';' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - key);
        if (*p != '=' || klen == 0)
            return malformed(str, key, "expected <key>=<value>");
        p++; /* '=' */
        const char *val = p;
        size_t vlen;
        if (klen == 10 && memcmp(key, "under_info", 10) == 0) {
            if (!pi->has_under)
                return malformed(str, key, "under_info needs a preceding under_vol");
            if (seen_info)
                return malformed(str, key, "under_info given twice");
            if (*p != '{')
                return malformed(str, p, "under_info must be enclosed in braces {...}");
            size_t depth = 0;
            const char *q = p;
            for (; *q; q++) {
                if (*q == '{')
                    depth++;
                else if (*q == '}' && --depth == 0)
                    break;
            }
            if (!*q)
                return malformed(str, p, "unbalanced braces in under_info");
            pi->under_info = p + 1;
            pi->under_info_len = (size_t)(q - p - 1);
            seen_info = 1;
            p = q + 1;
        } else {
            while (*p && *p != ';' && !isspace((unsigned char)*p))
                p++;
            vlen = (size_t)(p - val);
            if (vlen == 0)
                return malformed(str, val, "empty value");
            if (klen == 8 && memcmp(key, "validate", 8) == 0) {
                if (pi->has_under)
                    return malformed(str, key, "jaxon options must come before under_vol");
                if (seen_validate)
                    return malformed(str, key, "validate given twice");
                if (mode_from_text(val, vlen, &pi->mode) < 0)
                    return malformed(str, val, "validate must be strict, warn or off");
                seen_validate = 1;
            } else if (klen == 10 && memcmp(key, "open_check", 10) == 0) {
                /* off: the application checks what it reads itself (jaxon.load does) */
                if (pi->has_under)
                    return malformed(str, key, "jaxon options must come before under_vol");
                if (seen_open_check)
                    return malformed(str, key, "open_check given twice");
                if (vlen == 2 && memcmp(val, "on", 2) == 0)
                    pi->open_check = 1;
                else if (vlen == 3 && memcmp(val, "off", 3) == 0)
                    pi->open_check = 0;
                else
                    return malformed(str, val, "open_check must be on or off");
                seen_open_check = 1;
            } else if (klen == 9 && memcmp(key, "under_vol", 9) == 0) {
                if (pi->has_under)
                    return malformed(str, key, "under_vol given twice");
                for (size_t i = 0; i < vlen; i++)
                    if (!isdigit((unsigned char)val[i]))
                        return malformed(str, val, "under_vol must be a connector value");
                errno = 0;
                char *end = NULL;
                pi->under_value = strtoul(val, &end, 10);
                if (errno || end != val + vlen || pi->under_value > 65535)
                    return malformed(str, val, "under_vol out of range");
                pi->has_under = 1;
            } else {
                return malformed(str, key, "unknown option (expected validate, open_check, under_vol, under_info)");
            }
        }
        p = skip_space(p);
        if (*p == ';')
            p = skip_space(p + 1);
        else if (*p)
            return malformed(str, p, "expected ';' between options");
    }
    return 0;
}

int jxvol_info_parse(const char *str, jxvol_info **out)
{
    parsed_info pi;
    *out = NULL;
    if (!str)
        str = "";
    if (parse_text(str, &pi) < 0)
        return -1;
    if (pi.has_under && pi.under_value == (unsigned long)JAXON_VOL_VALUE)
        return malformed(str, str, "under_vol cannot be the jaxon connector itself");

    jxvol_info *info = calloc(1, sizeof *info);
    char *sub = NULL;
    if (!info || (pi.under_info && !(sub = malloc(pi.under_info_len + 1)))) {
        free(info);
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory parsing the info string");
        return -1;
    }
    info->mode = pi.mode;
    info->open_check = pi.open_check;
    if (sub) {
        memcpy(sub, pi.under_info, pi.under_info_len);
        sub[pi.under_info_len] = '\0';
    }
    if (pi.has_under && pi.under_value == (unsigned long)H5VL_PASSTHRU_VALUE) {
        /* The library's own pass-through is built in, not a plugin: register it directly. */
        info->under_vol_id = H5VL_PASSTHRU;
        if (info->under_vol_id >= 0)
            H5Iinc_ref(info->under_vol_id);
    } else if (pi.has_under)
        info->under_vol_id = H5VLregister_connector_by_value((H5VL_class_value_t)pi.under_value,
                                                             H5P_DEFAULT);
    else {
        info->under_vol_id = H5VL_NATIVE;
        if (info->under_vol_id >= 0)
            H5Iinc_ref(info->under_vol_id);
    }
    if (info->under_vol_id < 0) {
        JXVOL_PUSH(jxvol_err_min_under(), "cannot load the under connector with value %lu",
                   pi.under_value);
        free(sub);
        free(info);
        return -1;
    }
    if (sub && sub[0] != '\0' &&
        H5VLconnector_str_to_info(sub, info->under_vol_id, &info->under_vol_info) < 0) {
        JXVOL_PUSH(jxvol_err_min_args(), "the under connector rejected under_info={%.200s}", sub);
        free(sub);
        jxvol_info_free(info);
        return -1;
    }
    free(sub);
    *out = info;
    return 0;
}

int jxvol_info_format(const jxvol_info *info, char **out)
{
    H5VL_class_value_t value = 0;
    char *under_str = NULL;
    *out = NULL;
    if (H5VLget_value(info->under_vol_id, &value) < 0)
        return -1;
    if (H5VLconnector_info_to_str(info->under_vol_info, info->under_vol_id, &under_str) < 0)
        return -1;
    const char *mode = jxvol_mode_name(info->mode);
    const char *us = under_str ? under_str : "";
    size_t cap = strlen(mode) + strlen(us) + 64;
    /* The library releases the string with H5free_memory, so allocate it the same way. */
    char *s = H5allocate_memory(cap, 0);
    if (!s) {
        H5free_memory(under_str);
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory formatting the info string");
        return -1;
    }
    int n = snprintf(s, cap, "validate=%s;%sunder_vol=%u;under_info={%s}", mode,
                     info->open_check ? "" : "open_check=off;", (unsigned)value, us);
    H5free_memory(under_str);
    if (n < 0 || (size_t)n >= cap) {
        H5free_memory(s);
        return -1;
    }
    *out = s;
    return 0;
}

int jxvol_info_from_fapl(hid_t fapl_id, jxvol_info **out)
{
    void *info = NULL;
    *out = NULL;
    if (H5Pget_vol_info(fapl_id, &info) < 0)
        return -1;
    if (!info) {
        /* HDF5_VOL_CONNECTOR=jaxon with no info string: stack on native, validate strictly. */
        return jxvol_info_parse("", out);
    }
    *out = info; /* H5Pget_vol_info returned a copy made by jxvol_info_copy */
    return 0;
}

void jxvol_info_release(jxvol_info *info)
{
    if (info)
        jxvol_info_free(info);
}

/* ---- the info class ---------------------------------------------------------------------- */

void *jxvol_info_copy(const void *_info)
{
    const jxvol_info *src = _info;
    jxvol_info *dst = calloc(1, sizeof *dst);
    if (!dst) {
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory copying connector info");
        return NULL;
    }
    dst->mode = src->mode;
    dst->open_check = src->open_check;
    dst->under_vol_id = src->under_vol_id;
    H5Iinc_ref(dst->under_vol_id);
    if (src->under_vol_info &&
        H5VLcopy_connector_info(dst->under_vol_id, &dst->under_vol_info, src->under_vol_info) < 0) {
        jxvol_info_free(dst);
        return NULL;
    }
    return dst;
}

herr_t jxvol_info_cmp(int *cmp_value, const void *_info1, const void *_info2)
{
    const jxvol_info *a = _info1, *b = _info2;
    *cmp_value = 0;
    if (a->mode != b->mode) {
        *cmp_value = a->mode < b->mode ? -1 : 1;
        return 0;
    }
    if (a->open_check != b->open_check) {
        *cmp_value = a->open_check < b->open_check ? -1 : 1;
        return 0;
    }
    if (H5VLcmp_connector_cls(cmp_value, a->under_vol_id, b->under_vol_id) < 0)
        return -1;
    if (*cmp_value != 0)
        return 0;
    return H5VLcmp_connector_info(cmp_value, a->under_vol_id, a->under_vol_info, b->under_vol_info);
}

herr_t jxvol_info_free(void *_info)
{
    jxvol_info *info = _info;
    herr_t ret = 0;
    if (!info)
        return 0;
    /* Often called while an error is propagating: keep the stack the application will see. */
    hid_t err = jxvol_stack_save();
    if (info->under_vol_info && H5VLfree_connector_info(info->under_vol_id, info->under_vol_info) < 0)
        ret = -1;
    if (info->under_vol_id >= 0)
        H5Idec_ref(info->under_vol_id);
    jxvol_stack_restore(err);
    free(info);
    return ret;
}

herr_t jxvol_info_to_str(const void *info, char **str)
{
    return jxvol_info_format(info, str);
}

herr_t jxvol_info_from_str(const char *str, void **info)
{
    jxvol_info *parsed = NULL;
    if (jxvol_info_parse(str, &parsed) < 0)
        return -1;
    *info = parsed;
    return 0;
}
