/* End-to-end integrity (spec §12): the comment records, group checksums, and the checker's
 * verification of them. See jxv_integrity.h for what each record covers; the CRC-32C itself
 * is in jxv_crc32c.c. */
#include "jxv_integrity.h"

#include <stdlib.h>
#include <string.h>

#include "jxv_internal.h"

/* ---- records ------------------------------------------------------------------------- */

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

jxv_record_kind jxv_record_parse(const char *comment, size_t len, uint32_t *value,
                                 size_t *rec_len)
{
    *rec_len = 0;
    if (!comment || len < JXV_RECORD_PREFIX_LEN ||
        memcmp(comment, JXV_RECORD_PREFIX, JXV_RECORD_PREFIX_LEN) != 0)
        return JXV_RECORD_ABSENT;
    const char *v = comment + JXV_RECORD_PREFIX_LEN;
    size_t rest = len - JXV_RECORD_PREFIX_LEN, used;
    jxv_record_kind kind;
    if (rest >= 4 && memcmp(v, "none", 4) == 0) {
        used = 4;
        kind = JXV_RECORD_UNCHECKED;
    } else {
        uint32_t x = 0;
        for (used = 0; used < 8; used++) {
            int h = used < rest ? hex_value(v[used]) : -1;
            if (h < 0)
                break;
            x = x << 4 | (uint32_t)h;
        }
        if (used != 8)
            return JXV_RECORD_MALFORMED;
        *value = x;
        kind = JXV_RECORD_VALUE;
    }
    /* the record ends the comment or is followed by "; " and the annotation */
    if (used == rest) {
        *rec_len = len;
    } else if (rest - used >= 2 && memcmp(v + used, JXV_RECORD_SEP, 2) == 0) {
        *rec_len = JXV_RECORD_PREFIX_LEN + used + 2;
    } else {
        return JXV_RECORD_MALFORMED;
    }
    return kind;
}

void jxv_record_format(char *out, uint32_t value)
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, JXV_RECORD_PREFIX, JXV_RECORD_PREFIX_LEN);
    for (int i = 0; i < 8; i++)
        out[JXV_RECORD_PREFIX_LEN + i] = hex[(value >> (28 - 4 * i)) & 0xf];
    out[JXV_RECORD_PREFIX_LEN + 8] = '\0';
}

char *jxv_record_merge(const char *with_record, const char *with_annotation)
{
    uint32_t v;
    size_t rl = 0, al = 0, skip = 0;
    if (with_record &&
        jxv_record_parse(with_record, strlen(with_record), &v, &rl) != JXV_RECORD_ABSENT &&
        rl > 0) {
        /* the record itself, without the separator that may follow it */
        if (rl >= 2 && memcmp(with_record + rl - 2, JXV_RECORD_SEP, 2) == 0)
            rl -= 2;
    } else {
        rl = 0;
    }
    if (with_annotation) {
        if (jxv_record_parse(with_annotation, strlen(with_annotation), &v, &skip) ==
            JXV_RECORD_MALFORMED)
            skip = 0; /* not a record: all of it is the annotation */
        al = strlen(with_annotation + skip);
    }
    char *out = malloc(rl + 2 + al + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    if (rl)
        memcpy(out, with_record, rl);
    n += rl;
    if (rl && al) {
        memcpy(out + n, JXV_RECORD_SEP, 2);
        n += 2;
    }
    if (al)
        memcpy(out + n, with_annotation + skip, al);
    out[n + al] = '\0';
    return out;
}

/* ---- group checksums ----------------------------------------------------------------- */

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void jxv_gsum_init(jxv_gsum *g)
{
    memset(g, 0, sizeof *g);
}

void jxv_gsum_names(jxv_gsum *g, const char *names, size_t len, uint64_t n)
{
    g->names = jxv_crc32c(g->names, names, len);
    g->count += n;
}

uint32_t jxv_attr_digest(const char *name, size_t name_len, char kind, char order,
                         uint64_t type_size, uint32_t typesig, int rank, const hsize_t *dims,
                         const void *data, uint64_t nbytes)
{
    /* name NUL kind order rank size dims... nbytes, then the bytes: a fixed header, so that
     * no two different descriptions hash the same prefix. Most attributes are short texts:
     * they are hashed from one stack buffer in one call (the same CRC as piece by piece). */
    unsigned char buf[512];
    unsigned char *head = buf;
    size_t h = 0;
    int small = name_len + 1 + 3 + 12 + 8 * H5S_MAX_RANK + 8 + nbytes <= sizeof buf;
    if (rank > H5S_MAX_RANK)
        rank = H5S_MAX_RANK;
    if (small) {
        memcpy(buf, name, name_len);
        buf[name_len] = '\0';
        head = buf + name_len + 1;
    }
    head[h++] = (unsigned char)kind;
    head[h++] = (unsigned char)order;
    head[h++] = (unsigned char)(rank < 0 ? 0xff : rank);
    put_le64(head + h, type_size);
    h += 8;
    for (int i = 0; i < 4; i++)
        head[h++] = (unsigned char)(typesig >> (8 * i));
    for (int i = 0; i < rank; i++, h += 8)
        put_le64(head + h, dims[i]);
    put_le64(head + h, nbytes);
    h += 8;
    if (small) {
        if (nbytes)
            memcpy(head + h, data, (size_t)nbytes);
        return jxv_crc32c(0, buf, name_len + 1 + h + (size_t)nbytes);
    }
    uint32_t c = jxv_crc32c(0, name, name_len);
    c = jxv_crc32c(c, "", 1);
    c = jxv_crc32c(c, head, h);
    return jxv_crc32c(c, data, (size_t)nbytes);
}

void jxv_gsum_add(jxv_gsum *g, uint32_t digest)
{
    g->digests += digest;
    g->added++;
}

uint32_t jxv_gsum_value(const jxv_gsum *g)
{
    unsigned char b[16];
    for (int i = 0; i < 4; i++) {
        b[i] = (unsigned char)(g->names >> (8 * i));
        b[4 + i] = (unsigned char)(g->digests >> (8 * i));
    }
    put_le64(b + 8, g->count);
    return jxv_crc32c(0, b, sizeof b);
}

/* One datatype's description into the CRC c, recursively (bounded: hostile files may
 * nest types deeply). */
static uint32_t describe(uint32_t c, hid_t t, int depth)
{
    unsigned char b[24];
    H5T_class_t cls = H5Tget_class(t);
    put_le64(b, H5Tget_size(t));
    b[8] = (unsigned char)cls;
    b[9] = (unsigned char)(cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_BITFIELD
                               ? H5Tget_order(t) : 0);
    b[10] = (unsigned char)(cls == H5T_INTEGER ? H5Tget_sign(t) : 0);
    b[11] = (unsigned char)depth;
    c = jxv_crc32c(c, b, 12);
    if (depth >= 16)
        return c;
    if (cls == H5T_FLOAT) {
        size_t spos, epos, esize, mpos, msize;
        if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) >= 0) {
            size_t f[6] = {spos, epos, esize, mpos, msize, H5Tget_ebias(t)};
            for (int i = 0; i < 6; i++) {
                put_le64(b, f[i]);
                c = jxv_crc32c(c, b, 8);
            }
        }
    } else if (cls == H5T_COMPOUND || cls == H5T_ENUM) {
        int n = H5Tget_nmembers(t);
        for (int i = 0; i < n; i++) {
            char *name = H5Tget_member_name(t, (unsigned)i);
            if (name) {
                c = jxv_crc32c(c, name, strlen(name) + 1);
                H5free_memory(name);
            }
            if (cls == H5T_COMPOUND) {
                put_le64(b, H5Tget_member_offset(t, (unsigned)i));
                c = jxv_crc32c(c, b, 8);
                hid_t m = H5Tget_member_type(t, (unsigned)i);
                if (m >= 0) {
                    c = describe(c, m, depth + 1);
                    H5Tclose(m);
                }
            } else {
                unsigned char v[16] = {0};
                size_t vs = H5Tget_size(t);
                if (vs <= sizeof v && H5Tget_member_value(t, (unsigned)i, v) >= 0)
                    c = jxv_crc32c(c, v, vs);
            }
        }
    } else if (cls == H5T_OPAQUE) {
        char *tag = H5Tget_tag(t);
        if (tag) {
            c = jxv_crc32c(c, tag, strlen(tag) + 1);
            H5free_memory(tag);
        }
    } else if (cls == H5T_ARRAY) {
        hsize_t dims[H5S_MAX_RANK];
        int nd = H5Tget_array_ndims(t);
        if (nd > 0 && nd <= H5S_MAX_RANK && H5Tget_array_dims2(t, dims) == nd)
            for (int i = 0; i < nd; i++) {
                put_le64(b, dims[i]);
                c = jxv_crc32c(c, b, 8);
            }
    }
    if (cls == H5T_ENUM || cls == H5T_ARRAY) {
        hid_t super = H5Tget_super(t);
        if (super >= 0) {
            c = describe(c, super, depth + 1);
            H5Tclose(super);
        }
    }
    return c;
}

uint32_t jxv__type_signature(hid_t t, char kind)
{
    if (kind != 'V')
        return 0;
    hid_t err = H5Eget_current_stack(); /* describing is best effort: keep the caller's stack */
    uint32_t c = describe(0, t, 0);
    if (err >= 0)
        H5Eset_current_stack(err);
    return c;
}

/* ---- checker ------------------------------------------------------------------------- */

static char order_of(hid_t t, size_t size)
{
    if (size <= 1)
        return '|';
    H5T_order_t o = H5Tget_order(t);
    return o == H5T_ORDER_BE ? '>' : o == H5T_ORDER_LE ? '<' : '|';
}

/* Whether a 2-member type's member i is named want. */
static int member_is(hid_t t, unsigned i, const char *want)
{
    char *name = H5Tget_member_name(t, i);
    int ok = name && strcmp(name, want) == 0;
    if (name)
        H5free_memory(name);
    return ok;
}

void jxv__integrity_kind(hid_t ft, char *kind, char *order)
{
    size_t size = H5Tget_size(ft);
    *kind = 'V';
    *order = '|';
    switch (H5Tget_class(ft)) {
    case H5T_STRING:
        *kind = H5Tget_cset(ft) == H5T_CSET_UTF8 ? 'T' : 'S';
        break;
    case H5T_INTEGER:
        *kind = H5Tget_sign(ft) == H5T_SGN_2 ? 'i' : 'u';
        *order = order_of(ft, size);
        break;
    case H5T_FLOAT:
        *kind = 'f';
        /* a long double reads as the native one: NumPy's native order */
        *order = size > 8 ? '<' : order_of(ft, size);
        break;
    case H5T_ENUM: {
        signed char v0 = -1, v1 = -1;
        if (H5Tget_nmembers(ft) == 2 && size == 1 && member_is(ft, 0, "FALSE") &&
            member_is(ft, 1, "TRUE") && H5Tget_member_value(ft, 0, &v0) >= 0 &&
            H5Tget_member_value(ft, 1, &v1) >= 0 && v0 == 0 && v1 == 1) {
            *kind = 'b'; /* the bool enum; any other enum reads as its base integer */
        } else {
            hid_t super = H5Tget_super(ft);
            if (super >= 0) {
                jxv__integrity_kind(super, kind, order);
                H5Tclose(super);
            }
        }
        break;
    }
    case H5T_COMPOUND:
        if (H5Tget_nmembers(ft) == 2 && member_is(ft, 0, "r") && member_is(ft, 1, "i")) {
            hid_t m0 = H5Tget_member_type(ft, 0), m1 = H5Tget_member_type(ft, 1);
            size_t ms = m0 >= 0 ? H5Tget_size(m0) : 0;
            if (m0 >= 0 && m1 >= 0 && H5Tget_class(m0) == H5T_FLOAT && H5Tequal(m0, m1) > 0 &&
                H5Tget_member_offset(ft, 1) == ms && size == 2 * ms &&
                (ms == 4 || ms == 8 || ms == 16)) {
                *kind = 'c';
                *order = ms > 8 ? '<' : order_of(m0, ms);
            }
            if (m0 >= 0)
                H5Tclose(m0);
            if (m1 >= 0)
                H5Tclose(m1);
        }
        break;
    default:
        break;
    }
}

jxv_record_kind jxv__integrity_read_record(hid_t obj, uint32_t *value)
{
    char buf[64];
    ssize_t n = H5Oget_comment(obj, buf, sizeof buf);
    if (n <= 0)
        return JXV_RECORD_ABSENT;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, rec_len;
    return jxv_record_parse(buf, len, value, &rec_len);
}

/* What a record covers, for messages. */
typedef struct covered {
    const char *object;  /* "group" */
    const char *content; /* "group's attributes (names, types, shapes and values)" */
    const char *verb;    /* "do" / "does" */
} covered;

static const covered GROUP = {"group", "group's attributes (names, types, shapes and values)",
                              "do"};
static const covered DATASET = {"dataset", "dataset's data", "does"};

/* A record that is there (or required) but does not match: one violation at path. Returns
 * 0 (a violation is a finding, not a failure of the check), -1 when memory ran out. */
static int report(jxv_report *rep, const char *path, jxv_record_kind kind, int required,
                  int have, uint32_t want, uint32_t got, const covered *what)
{
    if (kind == JXV_RECORD_MALFORMED)
        jxv_fail(rep, JXV_RULE_CHECKSUM, path, "", 0,
                 "the %s's comment starts with %s but holds no checksum", what->object,
                 JXV_RECORD_PREFIX);
    else if (kind == JXV_RECORD_ABSENT && required)
        jxv_fail(rep, JXV_RULE_CHECKSUM, path, "", 0,
                 "the file records checksums (on /) but this %s has none", what->object);
    else if (kind == JXV_RECORD_VALUE && !have)
        jxv_fail(rep, JXV_RULE_CHECKSUM, path, "", 0,
                 "the %s could not all be read to verify the checksum", what->content);
    else if (kind == JXV_RECORD_VALUE && want != got)
        jxv_fail(rep, JXV_RULE_CHECKSUM, path, "", 0,
                 "the %s %s not match the checksum (stored %08x, computed %08x): the file was "
                 "damaged or changed after it was saved", what->content, what->verb, want, got);
    return rep->out_of_memory ? -1 : 0;
}

typedef struct gwalk {
    jxv_gsum sum;
    int failed;
} gwalk;

/* One attribute: its name into the ordered part, its digest into the sum. */
static herr_t digest_cb(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ud)
{
    gwalk *w = ud;
    size_t len = strlen(name);
    jxv_gsum_names(&w->sum, name, len + 1, 1);
    hid_t aid = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t ft = aid >= 0 ? H5Aget_type(aid) : H5I_INVALID_HID;
    hid_t sp = aid >= 0 ? H5Aget_space(aid) : H5I_INVALID_HID;
    hsize_t dims[H5S_MAX_RANK];
    void *buf = NULL;
    /* an attribute that cannot be read leaves its digest out: the sum then cannot match */
    if (ft >= 0 && sp >= 0) {
        H5T_class_t cls = H5Tget_class(ft);
        char kind, order;
        jxv__integrity_kind(ft, &kind, &order);
        size_t size = H5Tget_size(ft);
        H5S_class_t sc = H5Sget_simple_extent_type(sp);
        int rank = sc == H5S_NULL ? -1 : H5Sget_simple_extent_dims(sp, dims, NULL);
        hssize_t npoints = sc == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(sp);
        uint64_t nbytes = npoints > 0 ? (uint64_t)npoints * size : 0;
        /* variable-length data reads as pointers: never what a record covers; a size the
         * attribute does not store is never read (a hostile file could claim any) */
        if (cls >= 0 && size > 0 && (rank >= 0 || sc == H5S_NULL) && npoints >= 0 &&
            cls != H5T_VLEN && H5Tis_variable_str(ft) == 0 &&
            (npoints == 0 || (uint64_t)npoints <= UINT64_MAX / size) &&
            nbytes <= H5Aget_storage_size(aid) && nbytes <= SIZE_MAX) {
            buf = malloc(nbytes ? (size_t)nbytes : 1);
            if (!buf) {
                w->failed = 1;
            } else if (nbytes == 0 || H5Aread(aid, ft, buf) >= 0) {
                jxv_gsum_add(&w->sum, jxv_attr_digest(name, len, kind, order, size,
                                                      jxv__type_signature(ft, kind), rank,
                                                      dims, buf, nbytes));
            }
        }
    }
    (void)ainfo;
    free(buf);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (aid >= 0)
        H5Aclose(aid);
    return w->failed ? -1 : 0;
}

int jxv__integrity_check_group(hid_t gid, const char *path, int required, jxv_report *rep)
{
    uint32_t want = 0;
    jxv_record_kind kind = jxv__integrity_read_record(gid, &want);
    if (kind != JXV_RECORD_VALUE)
        return report(rep, path, kind, required, 0, 0, 0, &GROUP);
    H5_index_t idx = jxv__crt_order_tracked(gid) > 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    gwalk w;
    memset(&w, 0, sizeof w);
    jxv_gsum_init(&w.sum);
    hsize_t pos = 0;
    herr_t r = H5Aiterate2(gid, idx, H5_ITER_INC, &pos, digest_cb, &w);
    if (w.failed) {
        rep->out_of_memory = 1;
        return -1;
    }
    return report(rep, path, kind, required, r >= 0 && w.sum.added == w.sum.count, want,
                  jxv_gsum_value(&w.sum), &GROUP);
}

/* Pieces of a dataset read by the checker: whole rows along the first axis. */
#define CHECK_PIECE ((hsize_t)64 << 20)

int jxv__integrity_check_dataset(hid_t did, const char *path, int required, jxv_report *rep)
{
    uint32_t want = 0, got = 0;
    jxv_record_kind kind = jxv__integrity_read_record(did, &want);
    if (kind != JXV_RECORD_VALUE)
        return report(rep, path, kind, required, 0, 0, 0, &DATASET);
    hid_t ft = H5Dget_type(did), fsp = H5Dget_space(did), msp = H5I_INVALID_HID;
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK], count[H5S_MAX_RANK];
    unsigned char *buf = NULL;
    int ok = 0;
    size_t size = ft >= 0 ? H5Tget_size(ft) : 0;
    int rank = fsp >= 0 ? H5Sget_simple_extent_dims(fsp, dims, NULL) : -1;
    H5S_class_t sc = fsp >= 0 ? H5Sget_simple_extent_type(fsp) : H5S_NO_CLASS;
    if (size == 0 || rank < 0 || H5Tget_class(ft) == H5T_VLEN || H5Tis_variable_str(ft) != 0)
        goto done;
    if (sc == H5S_NULL) {
        ok = 1;
        goto done;
    }
    /* A hostile file can claim any extent over storage it never wrote (fill values): read
     * only what the stored bytes can hold, as the loader bounds it (docs/security.md): the
     * stored bytes, expanded at most 1100 times by filters, or anything when every chunk is
     * stored (the filters' real output; zstd reaches 20,000:1 on zeros). Our writer stores
     * every byte. Data behind a filter this program does not have cannot be checked: it is
     * left alone (HDF5_PLUGIN_PATH decides which filters there are). */
    hsize_t npoints = (hsize_t)H5Sget_simple_extent_npoints(fsp), stored = H5Dget_storage_size(did);
    hid_t dcpl = H5Dget_create_plist(did);
    int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
    int nfilters = chunked ? H5Pget_nfilters(dcpl) : 0, all_chunks = 0, unavailable = 0;
    for (int i = 0; i < nfilters; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = 8;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        unavailable |= id < 0 || H5Zfilter_avail(id) <= 0;
    }
    if (chunked && rank > 0) {
        hsize_t chunk[H5S_MAX_RANK], expected = 1, have = 0;
        if (H5Pget_chunk(dcpl, rank, chunk) == rank) {
            for (int i = 0; i < rank && expected; i++)
                expected = chunk[i] ? expected * ((dims[i] + chunk[i] - 1) / chunk[i]) : 0;
            all_chunks = expected && H5Dget_num_chunks(did, H5S_ALL, &have) >= 0 &&
                         have >= expected;
        }
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    if (unavailable) {
        kind = JXV_RECORD_UNCHECKED;
        goto done;
    }
    hsize_t held = stored > (hsize_t)-1 / 1100 ? (hsize_t)-1 : stored * (nfilters ? 1100 : 1);
    if (npoints > (hsize_t)-1 / size || (!all_chunks && npoints * size > held))
        goto done;
    /* bytes of one index step along axis 0 (the whole dataset for a scalar) */
    hsize_t row = size, rows = rank > 0 ? dims[0] : 1;
    for (int i = 1; i < rank; i++) {
        if (dims[i] && row > (hsize_t)-1 / dims[i])
            goto done;
        row *= dims[i];
    }
    if (rows == 0 || row == 0) {
        ok = 1;
        goto done;
    }
    hsize_t per = row >= CHECK_PIECE ? 1 : CHECK_PIECE / row;
    if (per > rows)
        per = rows;
    if (row > SIZE_MAX / per)
        goto done;
    buf = malloc((size_t)(row * per));
    if (!buf) {
        rep->out_of_memory = 1;
        goto done;
    }
    if (rank == 0) {
        ok = H5Dread(did, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
        if (ok)
            got = jxv_crc32c(0, buf, (size_t)row);
        goto done;
    }
    for (int i = 0; i < rank; i++) {
        start[i] = 0;
        count[i] = dims[i];
    }
    for (hsize_t r0 = 0; r0 < rows; r0 += per) {
        hsize_t n = rows - r0 < per ? rows - r0 : per;
        start[0] = r0;
        count[0] = n;
        hsize_t melems = n * (row / size);
        if (H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            goto done;
        if (msp >= 0)
            H5Sclose(msp);
        msp = H5Screate_simple(1, &melems, NULL);
        if (msp < 0 || H5Dread(did, ft, msp, fsp, H5P_DEFAULT, buf) < 0)
            goto done;
        got = jxv_crc32c(got, buf, (size_t)(n * row));
    }
    ok = 1;
done:
    free(buf);
    if (msp >= 0)
        H5Sclose(msp);
    if (fsp >= 0)
        H5Sclose(fsp);
    if (ft >= 0)
        H5Tclose(ft);
    if (rep->out_of_memory)
        return -1;
    return report(rep, path, kind, required, ok, want, got, &DATASET);
}
