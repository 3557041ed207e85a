/* h5mutate: a structure-aware mutator for HDF5 files.
 *
 * HDF5's newer metadata blocks (superblock v2/3, object headers OHDR/OCHK, v2 B-tree nodes
 * BTHD/BTIN/BTLF, fractal heap blocks FRHP/FHIB/FHDB, free-space and shared-message blocks,
 * extensible/fixed array blocks) start with a signature and end with a Jenkins lookup3
 * checksum of the block. A flipped byte inside such a block is rejected by the checksum
 * before any field is parsed, so byte-level fuzzing never reaches the parsers. This mutator
 * changes *fields* inside a block and recomputes its checksum, as an attacker would, so the
 * changed values reach the code that trusts them.
 *
 * Block extents are found without a full parser: for a signature at offset o, the block length
 * is the smallest L for which lookup3(file[o, o+L)) equals the 4 bytes at o+L (object header
 * chunk 0 and the superblock are computed from their own length fields instead).
 *
 * Used by the libFuzzer target (fuzz/fuzz_validate.c, LLVMFuzzerCustomMutator), by the atheris
 * target and by the mutant campaign (fuzz/mutant_campaign.py, through ctypes). */
#ifndef H5MUTATE_H
#define H5MUTATE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define H5M_API __attribute__((visibility("default")))
#else
#define H5M_API
#endif

/* Jenkins lookup3 hashlittle() over bytes, as HDF5's H5_checksum_lookup3 computes it. */
H5M_API uint32_t h5m_lookup3(const void *data, size_t len, uint32_t initval);

typedef struct h5m_block {
    size_t offset;    /* of the signature */
    size_t length;    /* bytes covered by the checksum (the checksum follows them) */
    int has_checksum; /* 0: a block of the old format (TREE, HEAP, SNOD, GCOL, superblock v0/1) */
    char sig[5];      /* "OHDR", ..., "SUPR" for a superblock */
} h5m_block;

/* Lists up to max metadata blocks of data (in file order); returns how many were found (which
 * may exceed max: only the first max are stored). For blocks of the old format, length is
 * a bounded guess (up to 64 bytes) of the region worth mutating. */
H5M_API size_t h5m_find_blocks(const uint8_t *data, size_t size, h5m_block *out, size_t max);

/* Mutation kinds, for the flags argument of h5m_mutate (0 means H5M_ALL). */
enum {
    H5M_FIELDS = 1, /* change fields inside a block and recompute its checksum */
    H5M_RAW = 2,    /* byte flips, overwrites, truncations, duplications near metadata */
    H5M_ALL = 3
};

/* Mutates data (size bytes, capacity max_size) in place, deterministically from seed; returns
 * the new size (<= max_size). Files without any recognised block get a raw mutation. */
H5M_API size_t h5m_mutate(uint8_t *data, size_t size, size_t max_size, uint64_t seed,
                          unsigned flags);

#endif
