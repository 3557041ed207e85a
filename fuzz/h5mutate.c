/* h5mutate: structure-aware HDF5 mutator (see h5mutate.h for what and why). */
#include "h5mutate.h"

#include <string.h>

/* ---- lookup3 (Bob Jenkins, public domain algorithm; byte-wise little-endian variant) ---- */

#define H5M_ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

uint32_t h5m_lookup3(const void *data, size_t len, uint32_t initval)
{
    const uint8_t *k = data;
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)len + initval;
    while (len > 12) {
        a += k[0] + ((uint32_t)k[1] << 8) + ((uint32_t)k[2] << 16) + ((uint32_t)k[3] << 24);
        b += k[4] + ((uint32_t)k[5] << 8) + ((uint32_t)k[6] << 16) + ((uint32_t)k[7] << 24);
        c += k[8] + ((uint32_t)k[9] << 8) + ((uint32_t)k[10] << 16) + ((uint32_t)k[11] << 24);
        /* mix(a, b, c) */
        a -= c; a ^= H5M_ROT(c, 4);  c += b;
        b -= a; b ^= H5M_ROT(a, 6);  a += c;
        c -= b; c ^= H5M_ROT(b, 8);  b += a;
        a -= c; a ^= H5M_ROT(c, 16); c += b;
        b -= a; b ^= H5M_ROT(a, 19); a += c;
        c -= b; c ^= H5M_ROT(b, 4);  b += a;
        len -= 12;
        k += 12;
    }
    switch (len) { /* the last 1..12 bytes; every case falls through */
    case 12: c += (uint32_t)k[11] << 24; /* fall through */
    case 11: c += (uint32_t)k[10] << 16; /* fall through */
    case 10: c += (uint32_t)k[9] << 8;   /* fall through */
    case 9:  c += k[8];                  /* fall through */
    case 8:  b += (uint32_t)k[7] << 24;  /* fall through */
    case 7:  b += (uint32_t)k[6] << 16;  /* fall through */
    case 6:  b += (uint32_t)k[5] << 8;   /* fall through */
    case 5:  b += k[4];                  /* fall through */
    case 4:  a += (uint32_t)k[3] << 24;  /* fall through */
    case 3:  a += (uint32_t)k[2] << 16;  /* fall through */
    case 2:  a += (uint32_t)k[1] << 8;   /* fall through */
    case 1:  a += k[0]; break;
    case 0:  return c;
    }
    /* final(a, b, c) */
    c ^= b; c -= H5M_ROT(b, 14);
    a ^= c; a -= H5M_ROT(c, 11);
    b ^= a; b -= H5M_ROT(a, 25);
    c ^= b; c -= H5M_ROT(b, 16);
    a ^= c; a -= H5M_ROT(c, 4);
    b ^= a; b -= H5M_ROT(a, 14);
    c ^= b; c -= H5M_ROT(b, 24);
    return c;
}

/* ---- block discovery -------------------------------------------------------------------- */

static const char *const checksummed_sigs[] = {
    "OHDR", "OCHK", "BTHD", "BTIN", "BTLF", "FRHP", "FHIB", "FHDB", "FSHD",
    "FSSE", "SMTB", "SMLI", "EAHD", "EAIB", "EASB", "EADB", "FAHD", "FADB"};
static const char *const old_sigs[] = {"TREE", "HEAP", "SNOD", "GCOL"};
static const uint8_t superblock_sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

/* The checksum search tries every length up to this; longer blocks (big heap direct blocks)
 * are mutated as blocks without a checksum, which the library then rejects early. */
#define H5M_SEARCH_MAX 4096
#define H5M_OLD_SPAN 64

static uint64_t get_le(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, unsigned w, uint64_t v)
{
    for (unsigned i = 0; i < w; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int checksum_at(const uint8_t *data, size_t size, size_t off, size_t len)
{
    return off + len + 4 <= size &&
           h5m_lookup3(data + off, len, 0) == (uint32_t)get_le(data + off + len, 4);
}

/* Length of the checksummed part of the block at off, or 0 if none was found. */
static size_t checksummed_length(const uint8_t *data, size_t size, size_t off)
{
    if (memcmp(data + off, "OHDR", 4) == 0 && off + 6 <= size && data[off + 4] == 2) {
        /* version-2 object header: prefix, then chunk 0 whose size has a 1-8 byte field */
        uint8_t flags = data[off + 5];
        size_t pos = off + 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
        unsigned w = 1u << (flags & 3);
        if (pos + w <= size) {
            uint64_t chunk = get_le(data + pos, w);
            size_t len = pos - off + w + (size_t)chunk;
            if (chunk < size && checksum_at(data, size, off, len))
                return len;
        }
    }
    size_t max = size - off;
    max = max > 4 ? max - 4 : 0;
    if (max > H5M_SEARCH_MAX)
        max = H5M_SEARCH_MAX;
    for (size_t len = 8; len <= max; len++)
        if (checksum_at(data, size, off, len))
            return len;
    return 0;
}

static int match_sig(const uint8_t *p, const char *const *sigs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(p, sigs[i], 4) == 0)
            return (int)i;
    return -1;
}

size_t h5m_find_blocks(const uint8_t *data, size_t size, h5m_block *out, size_t max)
{
    size_t n = 0;
    for (size_t off = 0; off + 8 <= size; off++) {
        h5m_block b = {off, 0, 0, ""};
        int i;
        if (memcmp(data + off, superblock_sig, 8) == 0 && off + 12 <= size) {
            memcpy(b.sig, "SUPR", 5);
            uint8_t version = data[off + 8];
            size_t len = 12 + 4 * (size_t)data[off + 9];
            if (version >= 2 && checksum_at(data, size, off, len)) {
                b.length = len;
                b.has_checksum = 1;
            } else {
                b.length = size - off < 96 ? size - off : 96;
            }
        } else if ((i = match_sig(data + off, checksummed_sigs, 18)) >= 0) {
            memcpy(b.sig, checksummed_sigs[i], 5);
            b.length = checksummed_length(data, size, off);
            b.has_checksum = b.length > 0;
            if (!b.has_checksum)
                b.length = size - off < H5M_OLD_SPAN ? size - off : H5M_OLD_SPAN;
        } else if ((i = match_sig(data + off, old_sigs, 4)) >= 0) {
            memcpy(b.sig, old_sigs[i], 5);
            b.length = size - off < H5M_OLD_SPAN ? size - off : H5M_OLD_SPAN;
        } else {
            continue;
        }
        if (n < max)
            out[n] = b;
        n++;
    }
    return n;
}

/* ---- mutation ------------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t below(rng *r, uint64_t n)
{
    return n ? next(r) % n : 0;
}

/* A new value for a w-byte little-endian field: the values that break size arithmetic. */
static uint64_t field_value(rng *r, uint64_t old, unsigned w, size_t file_size, uint64_t other)
{
    uint64_t mask = w == 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * w)) - 1);
    int64_t delta;
    switch (below(r, 11)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;
    case 3: return mask >> 1;
    case 4: return (mask >> 1) + 1;
    case 5:
        delta = (int64_t)below(r, 33) - 16;
        return (old + (uint64_t)(delta ? delta : 1)) & mask;
    case 6: return ((uint64_t)1 << below(r, 8 * w)) & mask;
    case 7: return ((uint64_t)file_size - below(r, 9) + below(r, 3)) & mask;
    case 8: return (old ^ ((uint64_t)1 << below(r, 8 * w))) & mask;
    case 9: return other & mask; /* a value found elsewhere in the block */
    default: return next(r) & mask;
    }
}

static void mutate_fields(rng *r, uint8_t *data, size_t size, const h5m_block *b)
{
    size_t start = b->offset + (memcmp(b->sig, "SUPR", 4) == 0 ? 8 : 4);
    size_t end = b->offset + b->length;
    if (end <= start)
        return;
    unsigned changes = 1 + (below(r, 4) == 0 ? (unsigned)below(r, 3) : 0);
    static const unsigned widths[] = {1, 1, 2, 2, 4, 4, 8};
    for (unsigned c = 0; c < changes; c++) {
        unsigned w = widths[below(r, 7)];
        if (end - start < w)
            w = 1;
        size_t pos = start + below(r, end - start - w + 1);
        size_t opos = start + below(r, end - start - w + 1);
        uint64_t v = field_value(r, get_le(data + pos, w), w, size, get_le(data + opos, w));
        put_le(data + pos, w, v);
    }
    if (b->has_checksum)
        put_le(data + end, 4, h5m_lookup3(data + b->offset, b->length, 0));
}

static size_t mutate_raw(rng *r, uint8_t *data, size_t size, size_t max_size, size_t near)
{
    if (size == 0)
        return 0;
    size_t lo = near > 64 ? near - 64 : 0, hi = near + 128 < size ? near + 128 : size;
    size_t pos = lo + below(r, hi - lo);
    switch (below(r, 5)) {
    case 0: /* bit flip */
        data[pos] ^= (uint8_t)(1u << below(r, 8));
        return size;
    case 1: { /* overwrite 1-8 bytes */
        size_t n = 1 + below(r, 8);
        for (size_t i = 0; i < n && pos + i < size; i++)
            data[pos + i] = (uint8_t)next(r);
        return size;
    }
    case 2: /* truncate */
        return pos ? pos : 1;
    case 3: { /* duplicate a region in place of the following bytes, growing the file */
        size_t n = 1 + below(r, 64);
        if (pos + n > size)
            n = size - pos;
        if (size + n > max_size)
            return size;
        memmove(data + pos + n, data + pos, size - pos);
        return size + n;
    }
    default: { /* delete a region */
        size_t n = 1 + below(r, 32);
        if (pos + n > size)
            n = size - pos;
        memmove(data + pos, data + pos + n, size - pos - n);
        return size - n > 0 ? size - n : 1;
    }
    }
}

#define H5M_MAX_BLOCKS 512

size_t h5m_mutate(uint8_t *data, size_t size, size_t max_size, uint64_t seed, unsigned flags)
{
    rng r = {seed * 0x2545f4914f6cdd1du + 1};
    if (flags == 0)
        flags = H5M_ALL;
    if (size > max_size)
        size = max_size;
    h5m_block blocks[H5M_MAX_BLOCKS];
    size_t n = h5m_find_blocks(data, size, blocks, H5M_MAX_BLOCKS);
    if (n > H5M_MAX_BLOCKS)
        n = H5M_MAX_BLOCKS;
    int fields = (flags & H5M_FIELDS) && n > 0 && (!(flags & H5M_RAW) || below(&r, 100) < 85);
    if (fields) {
        /* prefer checksummed blocks: they are where byte flips cannot go */
        size_t pick = below(&r, n);
        for (int tries = 0; tries < 4 && !blocks[pick].has_checksum; tries++)
            pick = below(&r, n);
        mutate_fields(&r, data, size, &blocks[pick]);
        return size;
    }
    size_t near = n > 0 ? blocks[below(&r, n)].offset : below(&r, size);
    return mutate_raw(&r, data, size, max_size, near);
}
