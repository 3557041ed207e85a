/* Connector info: the parsed info string and the VOL 'info' class callbacks.
 *
 * Format (own options first, in any order, then the under connector):
 *     validate=<strict|warn|off>;open_check=<on|off>;report=<stderr|none>;
 *     under_vol=<value>;under_info={<…>}
 * Every part is optional: no under_vol means native below; no validate means strict; no
 * report means stderr (people running HDF5 tools see what the connector found, since the
 * tools hide the error stack). The braces of under_info may nest; the text between the
 * outermost pair is handed unchanged to the under connector's from_str. The parser is our
 * own and bounds-checked: every scan stops at the terminating NUL and nothing is written
 * past an allocation. */
#include "jxvol_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
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
    int report;
    int has_under;
    unsigned long under_value;
    const char *under_info; /* points into the string; NULL if absent */
    size_t under_info_len;
} parsed_info;

/* Where a parse failure is described: what the error stack gets and, from from_str, what
 * stderr gets. */
typedef struct parse_error {
    char why[320];
} parse_error;

/* Describes a malformed string (what is wrong, quoting the bad part) and where. Returns -1. */
static int malformed(const char *str, const char *at, parse_error *pe, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int malformed(const char *str, const char *at, parse_error *pe, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(pe->why, sizeof pe->why, "%s (at offset %zu)", what, (size_t)(at - str));
    JXVOL_PUSH(jxvol_err_min_args(), "malformed jaxon info string \"%.200s\" at offset %zu: %s",
               str, (size_t)(at - str), what);
    return -1;
}

/* Length of the token at p: up to the next ';', space or NUL (for quoting the bad part). */
static int token_len(const char *p)
{
    size_t n = 0;
    while (p[n] && p[n] != ';' && !isspace((unsigned char)p[n]) && n < 60)
        n++;
    return (int)n;
}

/* An own option "name=<one of values>" (values: NULL-terminated; the index is stored). */
typedef struct own_option {
    const char *name;
    const char *const *values;
    int *out;
    int seen;
} own_option;

static int parse_text(const char *str, parsed_info *pi, parse_error *pe)
{
    static const char *const modes[] = {"strict", "warn", "off", NULL}; /* enum order */
    static const char *const on_off[] = {"off", "on", NULL};            /* 0, 1 */
    static const char *const reports[] = {"none", "stderr", NULL};      /* 0, 1 */
    memset(pi, 0, sizeof *pi);
    pi->mode = JAXON_VALIDATE_STRICT;
    pi->open_check = 1;
    pi->report = 1;
    int mode = JAXON_VALIDATE_STRICT;
    own_option own[] = {{"validate", modes, &mode, 0},
                        {"open_check", on_off, &pi->open_check, 0},
                        {"report", reports, &pi->report, 0}};
    int seen_info = 0;
    const char *p = skip_space(str);
    while (*p) {
        const char *key = p;
        while (*p && *p != '=' && *p != ';' && !isspace((unsigned char)*p))
            p++;
        int klen = (int)(p - key);
        if (*p != '=' || klen == 0)
            return malformed(str, key, pe, "expected <key>=<value>, found '%.*s'",
                             token_len(key), key);
        p++; /* '=' */
        const char *val = p;
        if (klen == 10 && memcmp(key, "under_info", 10) == 0) {
            if (!pi->has_under)
                return malformed(str, key, pe, "under_info needs a preceding under_vol");
            if (seen_info)
                return malformed(str, key, pe, "under_info given twice");
            if (*p != '{')
                return malformed(str, p, pe, "under_info must be enclosed in braces {...}, "
                                 "found '%.*s'", token_len(p), p);
            size_t depth = 0;
            const char *q = p;
            for (; *q; q++) {
                if (*q == '{')
                    depth++;
                else if (*q == '}' && --depth == 0)
                    break;
            }
            if (!*q)
                return malformed(str, p, pe, "unbalanced braces in under_info");
            pi->under_info = p + 1;
            pi->under_info_len = (size_t)(q - p - 1);
            seen_info = 1;
            p = q + 1;
        } else {
            while (*p && *p != ';' && !isspace((unsigned char)*p))
                p++;
            int vlen = (int)(p - val);
            if (vlen == 0)
                return malformed(str, val, pe, "empty value for '%.*s'", klen, key);
            own_option *opt = NULL;
            for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
                if ((size_t)klen == strlen(own[i].name) && memcmp(key, own[i].name, (size_t)klen) == 0)
                    opt = &own[i];
            if (opt) {
                if (pi->has_under)
                    return malformed(str, key, pe, "jaxon option '%s' must come before under_vol",
                                     opt->name);
                if (opt->seen)
                    return malformed(str, key, pe, "%s given twice", opt->name);
                int found = -1;
                for (int i = 0; opt->values[i]; i++)
                    if ((size_t)vlen == strlen(opt->values[i]) &&
                        memcmp(val, opt->values[i], (size_t)vlen) == 0)
                        found = i;
                if (found < 0) {
                    /* the two or three accepted values, for the message */
                    const char *const *v = opt->values;
                    return malformed(str, val, pe, "%s must be %s%s%s or %s, not '%.*s'",
                                     opt->name, v[0], v[2] ? ", " : "", v[2] ? v[1] : "",
                                     v[2] ? v[2] : v[1], vlen, val);
                }
                *opt->out = found;
                opt->seen = 1;
            } else if (klen == 9 && memcmp(key, "under_vol", 9) == 0) {
                if (pi->has_under)
                    return malformed(str, key, pe, "under_vol given twice");
                for (int i = 0; i < vlen; i++)
                    if (!isdigit((unsigned char)val[i]))
                        return malformed(str, val, pe,
                                         "under_vol must be a connector value, not '%.*s'",
                                         vlen, val);
                errno = 0;
                char *end = NULL;
                pi->under_value = strtoul(val, &end, 10);
                if (errno || end != val + vlen || pi->under_value > 65535)
                    return malformed(str, val, pe, "under_vol out of range: '%.*s'", vlen, val);
                pi->has_under = 1;
            } else {
                return malformed(str, key, pe,
                                 "unknown key '%.*s' (expected validate, open_check, report, "
                                 "under_vol, under_info)",
                                 klen, key);
            }
        }
        p = skip_space(p);
        if (*p == ';')
            p = skip_space(p + 1);
        else if (*p)
            return malformed(str, p, pe, "expected ';' between options, found '%.*s'",
                             token_len(p), p);
    }
    pi->mode = (jaxon_validate_mode)mode;
    return 0;
}

/* jxvol_info_parse, also telling why a string was refused (pe->why; empty when the failure
 * was no fault of the string, i.e. out of memory). */
static int parse_info(const char *str, jxvol_info **out, parse_error *pe)
{
    parsed_info pi;
    *out = NULL;
    pe->why[0] = '\0';
    if (!str)
        str = "";
    if (parse_text(str, &pi, pe) < 0)
        return -1;
    if (pi.has_under && pi.under_value == (unsigned long)JAXON_VOL_VALUE)
        return malformed(str, str, pe, "under_vol cannot be the jaxon connector itself (%lu)",
                         pi.under_value);

    jxvol_info *info = calloc(1, sizeof *info);
    char *sub = NULL;
    if (!info || (pi.under_info && !(sub = malloc(pi.under_info_len + 1)))) {
        free(info);
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory parsing the info string");
        return -1;
    }
    info->mode = pi.mode;
    info->open_check = pi.open_check;
    info->report = pi.report;
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
        snprintf(pe->why, sizeof pe->why,
                 "under_vol=%lu: no connector with that value could be loaded", pi.under_value);
        JXVOL_PUSH(jxvol_err_min_under(), "cannot load the under connector with value %lu",
                   pi.under_value);
        free(sub);
        free(info);
        return -1;
    }
    if (sub && sub[0] != '\0' &&
        H5VLconnector_str_to_info(sub, info->under_vol_id, &info->under_vol_info) < 0) {
        snprintf(pe->why, sizeof pe->why, "the under connector rejected under_info={%.200s}",
                 sub);
        JXVOL_PUSH(jxvol_err_min_args(), "the under connector rejected under_info={%.200s}", sub);
        free(sub);
        jxvol_info_free(info);
        return -1;
    }
    free(sub);
    *out = info;
    return 0;
}

int jxvol_info_parse(const char *str, jxvol_info **out)
{
    parse_error pe;
    return parse_info(str, out, &pe);
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
    /* report is written only when it is not the default, so that strings of infos without
     * it read as before (and "report=none;" can be put in front of any other string). */
    int n = snprintf(s, cap, "validate=%s;%s%sunder_vol=%u;under_info={%s}", mode,
                     info->open_check ? "" : "open_check=off;", info->report ? "" : "report=none;",
                     (unsigned)value, us);
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
    jxvol_info *ji = info; /* H5Pget_vol_info returned a copy made by jxvol_info_copy */
    if (ji->bad) {
        JXVOL_PUSH(jxvol_err_min_args(),
                   "HDF5_VOL_CONNECTOR gives the jaxon connector a bad info string %.400s; no "
                   "file can be opened through it",
                   ji->bad);
        jxvol_info_free(ji);
        return -1;
    }
    *out = ji;
    return 0;
}

/* Is str the info part of HDF5_VOL_CONNECTOR="jaxon <info>"? HDF5 splits the variable at the
 * first blank and hands the rest, up to a line break, to from_str. */
static int is_env_info(const char *str)
{
    const char *env = getenv("HDF5_VOL_CONNECTOR");
    if (!env || !str)
        return 0;
    const char *p = env + strspn(env, " \t\n\r");
    size_t name = strcspn(p, " \t\n\r");
    if (name != strlen(JAXON_VOL_NAME) || memcmp(p, JAXON_VOL_NAME, name) != 0 || !p[name])
        return 0;
    p += name + 1;
    p += strspn(p, "\n\r");
    size_t len = strlen(str);
    return strncmp(p, str, len) == 0 && (p[len] == '\0' || p[len] == '\n' || p[len] == '\r');
}

/* The stand-in info for a bad HDF5_VOL_CONNECTOR string (see jxvol_info.bad), or NULL. */
static jxvol_info *bad_env_info(const char *str, const char *why)
{
    jxvol_info *info = calloc(1, sizeof *info);
    size_t cap = strlen(str) + strlen(why) + 8;
    if (!info || !(info->bad = malloc(cap))) {
        free(info);
        return NULL;
    }
    snprintf(info->bad, cap, "'%s': %s", str, why);
    info->open_check = 1;
    info->report = 1;
    /* copy, cmp and free expect an under connector: native, as with no info string */
    info->under_vol_id = H5VL_NATIVE;
    if (info->under_vol_id >= 0)
        H5Iinc_ref(info->under_vol_id);
    return info;
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
    dst->report = src->report;
    if (src->bad && !(dst->bad = strdup(src->bad))) {
        free(dst);
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory copying connector info");
        return NULL;
    }
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
    if (a->bad || b->bad) {
        *cmp_value = strcmp(a->bad ? a->bad : "", b->bad ? b->bad : "");
        return 0;
    }
    if (a->mode != b->mode) {
        *cmp_value = a->mode < b->mode ? -1 : 1;
        return 0;
    }
    if (a->open_check != b->open_check) {
        *cmp_value = a->open_check < b->open_check ? -1 : 1;
        return 0;
    }
    if (a->report != b->report) {
        *cmp_value = a->report < b->report ? -1 : 1;
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
    free(info->bad);
    free(info);
    return ret;
}

herr_t jxvol_info_to_str(const void *info, char **str)
{
    const jxvol_info *ji = info;
    if (ji->bad) {
        *str = NULL;
        JXVOL_PUSH(jxvol_err_min_args(), "bad jaxon info string %.400s", ji->bad);
        return -1;
    }
    return jxvol_info_format(info, str);
}

herr_t jxvol_info_from_str(const char *str, void **info)
{
    jxvol_info *parsed = NULL;
    parse_error pe;
    if (parse_info(str, &parsed, &pe) < 0) {
        /* Strings reach from_str from people: HDF5_VOL_CONNECTOR, a tool's --vol-info or an
         * application's H5VLconnector_str_to_info. The first two lose the error stack (library
         * initialisation, the tools' quiet retries), so the bad part is also said on stderr,
         * once per string. */
        if (!pe.why[0])
            return -1; /* out of memory: no fault of the string */
        jxvol_say_bad_info(str ? str : "", pe.why,
                           is_env_info(str) ? "no file can be opened through the jaxon connector"
                                            : NULL);
        /* From HDF5_VOL_CONNECTOR, a failure here makes HDF5 fall back to native without the
         * application knowing: accept a stand-in that refuses every file instead. */
        if (is_env_info(str) && (parsed = bad_env_info(str, pe.why)) != NULL) {
            *info = parsed;
            return 0;
        }
        return -1;
    }
    *info = parsed;
    return 0;
}
