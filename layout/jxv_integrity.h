/* End-to-end integrity of Jaxon files (spec §12): the CRC-32C checksums our writer keeps in
 * object comments, in one place for every party — the saver and the loader of the Python
 * extension (pybridge/src/integrity.c), the connector (which keeps the record in front of
 * its annotations) and the whole-file checker (jaxon-validate).
 *
 * A record is the start of an object's comment: "jaxon-crc32c=" and 8 lowercase hex digits
 * (or "none": the writer did not compute one), then, when the connector annotated the
 * object, "; " and the annotation. What a record covers:
 *   dataset  the CRC-32C of its data as stored: every element in C order, in the file
 *            datatype's byte representation (the logical data: chunking and filters do
 *            not change it);
 *   group    jxv_gsum_value over its attributes: the names in iteration order, and one
 *            digest per attribute (name, datatype class and size, shape, raw value).
 * The CRC is the Castagnoli polynomial (iSCSI, ext4, Btrfs; SSE4.2 and ARMv8 have
 * instructions for it), with zlib's conventions: jxv_crc32c(0, "123456789", 9) ==
 * 0xe3069283. It detects accidental corruption (every burst of up to 32 bits, any other
 * change with probability 1 - 2^-32), not a forger, who can recompute it. */
#ifndef JXV_INTEGRITY_H
#define JXV_INTEGRITY_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "jxv.h"

/* ---- CRC-32C ------------------------------------------------------------------------- */

/* The CRC of buf[0:len] continued from crc (0 to start): chaining is concatenation,
 * jxv_crc32c(jxv_crc32c(0, a, n), b, m) == CRC of a followed by b. Uses the CPU's
 * carry-less multiplication (VPCLMULQDQ with AVX-512) or CRC instructions (SSE4.2) when it
 * has them, else tables (layout/jxv_crc32c.c). Thread-safe. */
uint32_t jxv_crc32c(uint32_t crc, const void *buf, size_t len);
/* The CRC of a followed by b from crc_a, crc_b and b's length (as zlib's crc32_combine):
 * pieces hashed out of order or in parallel combine into the CRC of the whole. */
uint32_t jxv_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
/* The raw CRC register c after n more zero bytes (multiplication by x^(8n) modulo the
 * polynomial): the algebra behind combining pieces hashed out of order. */
uint32_t jxv_crc32c_shift(uint32_t c, uint64_t n);
/* Which implementation jxv_crc32c uses (for tests and the docs): the first this CPU runs of
 * "vpclmul" (VPCLMULQDQ folding on AVX-512 registers), "sse4.2" (the CRC32 instruction) and
 * "table"; "pclmul" (PCLMULQDQ folding on 16-byte registers, no faster than sse4.2) only
 * when asked. The environment variable JAXON_CRC32C_IMPL set to one of these names chooses
 * it instead, if the CPU can run it (measurements). */
const char *jxv_crc32c_impl(void);
/* The portable table implementation alone (tests compare the fast paths with it). */
uint32_t jxv_crc32c_portable(uint32_t crc, const void *buf, size_t len);
typedef uint32_t (*jxv_crc32c_fn)(uint32_t crc, const void *buf, size_t len);
#define JXV_CRC32C_VARIANTS 4
/* Implementation i < JXV_CRC32C_VARIANTS of jxv_crc32c (0 "table", 1 "sse4.2", 2 "pclmul",
 * 3 "vpclmul": its name into *name), NULL if this CPU cannot run it: tests and benchmarks
 * run every one. */
jxv_crc32c_fn jxv__crc32c_variant(int i, const char **name);

/* ---- records ------------------------------------------------------------------------- */

#define JXV_RECORD_PREFIX "jaxon-crc32c="
#define JXV_RECORD_PREFIX_LEN 13
#define JXV_RECORD_NONE "jaxon-crc32c=none"
#define JXV_RECORD_SEP "; "
/* Bytes of a record: prefix + 8 hex digits + NUL. */
#define JXV_RECORD_CAP 24

typedef enum jxv_record_kind {
    JXV_RECORD_ABSENT,    /* the comment does not start with the prefix */
    JXV_RECORD_VALUE,     /* a checksum: *value */
    JXV_RECORD_UNCHECKED, /* "none": written without a checksum (e.g. a sharded write) */
    JXV_RECORD_MALFORMED  /* the prefix, then neither 8 hex digits nor "none" */
} jxv_record_kind;

/* Parses the record at the start of comment[0:len] (len may include more text). *rec_len:
 * bytes of the record including a following "; " (so comment + *rec_len is the rest of the
 * comment), 0 when absent. */
jxv_record_kind jxv_record_parse(const char *comment, size_t len, uint32_t *value,
                                 size_t *rec_len);
/* "jaxon-crc32c=%08x" into out (JXV_RECORD_CAP bytes). */
void jxv_record_format(char *out, uint32_t value);
/* The comment that keeps the record at the start of with_record (if it has one) and the
 * annotation of with_annotation (its text after its own record, if any): "<record>",
 * "<annotation>" or "<record>; <annotation>". Either may be NULL. For the connector, which
 * writes annotations over comments our saver wrote and vice versa. malloc'd (NULL: out of
 * memory). */
char *jxv_record_merge(const char *with_record, const char *with_annotation);

/* ---- group checksums ----------------------------------------------------------------- */

/* The checksum of a group, accumulated attribute by attribute. The names part is ordered
 * (it fixes the order a reader gets the children in); the digests are summed, so they may be
 * added in any order (a reader that loads children on demand, a filter that skips some). */
typedef struct jxv_gsum {
    uint32_t names;  /* CRC of every name followed by NUL, in iteration order */
    uint32_t digests; /* sum of the attribute digests mod 2^32 */
    uint64_t count;  /* names added */
    uint64_t added;  /* digests added */
} jxv_gsum;

void jxv_gsum_init(jxv_gsum *g);
/* Adds n names given back to back, each followed by its NUL (the whole buffer of a name
 * list, or one name with its terminator). */
void jxv_gsum_names(jxv_gsum *g, const char *names, size_t len, uint64_t n);
/* The digest of one attribute: its name, what its value is (kind: 'T' for a text, i.e. a
 * fixed-length UTF-8 string, else the NumPy dtype kind the value reads as: b i u f c S V;
 * order: '<', '>' or '|', NumPy's byte order with native made explicit), its item size, its
 * shape (rank -1 for a NULL dataspace, 0 for a scalar) and its raw bytes as stored (read
 * with the file datatype). The writer and the loader take kind and order from the NumPy
 * dtype they hold, the checker from the HDF5 datatype (jxv__integrity_kind). */
uint32_t jxv_attr_digest(const char *name, size_t name_len, char kind, char order,
                         uint64_t type_size, uint32_t typesig, int rank, const hsize_t *dims,
                         const void *data, uint64_t nbytes);
/* typesig of jxv_attr_digest: for kind 'V' (structured and opaque data, whose NumPy kind
 * says nothing of their fields) a CRC of the datatype's description, recursively (class,
 * size, order, sign, member names, offsets and types, array dimensions, enum members,
 * opaque tags); 0 for every other kind. Every party computes it from the HDF5 datatype. */
uint32_t jxv__type_signature(hid_t t, char kind);
/* kind and order (see jxv_attr_digest) of the value an attribute of datatype ft reads as,
 * mapped the way the loader maps HDF5 types to NumPy (spec §2.5). */
void jxv__integrity_kind(hid_t ft, char *kind, char *order);
void jxv_gsum_add(jxv_gsum *g, uint32_t digest);
/* The group's checksum: valid once every name and every digest is in. */
uint32_t jxv_gsum_value(const jxv_gsum *g);

/* ---- checker ------------------------------------------------------------------------- */

/* The checksum checks of jaxon-validate, on an object of an open file (native ids): a
 * group's attributes are read raw and compared with its record, a dataset's data read in
 * pieces of at most 64 MiB. A mismatch is a JXV_RULE_CHECKSUM violation at path. Objects
 * without a record pass, unless required (their file's "/" has a record): then a missing
 * record is reported too. Returns 0, or -1 if memory ran out. */
int jxv__integrity_check_group(hid_t gid, const char *path, int required, jxv_report *rep);
int jxv__integrity_check_dataset(hid_t did, const char *path, int required, jxv_report *rep);
/* Reads the record of obj's comment: JXV_RECORD_ABSENT also when it has no comment. */
jxv_record_kind jxv__integrity_read_record(hid_t obj, uint32_t *value);

#endif /* JXV_INTEGRITY_H */
