"""Writes tests/hostile/hdf5/: one file per class of libhdf5 crash found by fuzzing (issue 15).

    python tests/hostile/hdf5/make_hostile.py

Each file is fuzz/corpus/ours_dense_attrs.h5 (a Jaxon dict of 40 keys: 80+ attributes on the
root group, so HDF5 keeps them in dense storage: a fractal heap indexed by two v2 B-trees) with
one or two fields of one metadata block changed and the block's lookup3 checksum recomputed, as
the fuzzer's mutants were. MANIFEST.json records, per file, the block and fields changed, the
crash it caused in unpatched HDF5 (1.14.5 and 1.14.6 as Debian ships them), the patch of
patches/hdf5/ that turns it into an error, and what that error says. tests/python/test_hostile_hdf5.py loads them.
"""

from __future__ import annotations

import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
SEED = HERE.parent.parent.parent / "fuzz" / "corpus" / "ours_dense_attrs.h5"


def lookup3(data: bytes, initval: int = 0) -> int:
    """Jenkins lookup3 hashlittle, as HDF5's H5_checksum_lookup3 (bytes, little-endian)."""
    m = 0xFFFFFFFF

    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & m

    a = b = c = (0xDEADBEEF + len(data) + initval) & m
    k, n = 0, len(data)
    while n > 12:
        a = (a + int.from_bytes(data[k:k + 4], "little")) & m
        b = (b + int.from_bytes(data[k + 4:k + 8], "little")) & m
        c = (c + int.from_bytes(data[k + 8:k + 12], "little")) & m
        a = (a - c) & m; a ^= rot(c, 4); c = (c + b) & m    # noqa: E702
        b = (b - a) & m; b ^= rot(a, 6); a = (a + c) & m    # noqa: E702
        c = (c - b) & m; c ^= rot(b, 8); b = (b + a) & m    # noqa: E702
        a = (a - c) & m; a ^= rot(c, 16); c = (c + b) & m   # noqa: E702
        b = (b - a) & m; b ^= rot(a, 19); a = (a + c) & m   # noqa: E702
        c = (c - b) & m; c ^= rot(b, 4); b = (b + a) & m    # noqa: E702
        k += 12
        n -= 12
    if n == 0:
        return c
    tail = data[k:] + bytes(12 - n)
    a = (a + int.from_bytes(tail[0:4], "little")) & m
    b = (b + int.from_bytes(tail[4:8], "little")) & m
    c = (c + int.from_bytes(tail[8:12], "little")) & m
    c ^= b; c = (c - rot(b, 14)) & m   # noqa: E702
    a ^= c; a = (a - rot(c, 11)) & m   # noqa: E702
    b ^= a; b = (b - rot(a, 25)) & m   # noqa: E702
    c ^= b; c = (c - rot(b, 16)) & m   # noqa: E702
    a ^= c; a = (a - rot(c, 4)) & m    # noqa: E702
    b ^= a; b = (b - rot(a, 14)) & m   # noqa: E702
    c ^= b; c = (c - rot(b, 24)) & m   # noqa: E702
    return c


def block_length(data: bytes, off: int) -> int:
    """Length covered by the checksum of the block at off (the checksum follows it)."""
    for n in range(8, min(4096, len(data) - off - 4) + 1):
        if lookup3(data[off:off + n]) == int.from_bytes(data[off + n:off + n + 4], "little"):
            return n
    raise ValueError(f"no checksummed block at {off}")


def edit(data: bytearray, sig: bytes, nth: int, fields: dict[int, tuple[int, int]]) -> dict:
    """Sets fields {offset in block: (width, value)} of the nth block with signature sig."""
    off = -1
    for _ in range(nth + 1):
        off = data.index(sig, off + 1)
    n = block_length(bytes(data), off)
    for rel, (width, value) in fields.items():
        data[off + rel:off + rel + width] = value.to_bytes(width, "little")
    data[off + n:off + n + 4] = lookup3(bytes(data[off:off + n])).to_bytes(4, "little")
    return {"block": sig.decode(), "nth": nth, "offset": off,
            "fields": {str(k): v[1] for k, v in fields.items()}}


# v2 B-tree header (BTHD): type @5 (1 byte), node size @6 (4), record size @10 (2), depth @12 (2),
# split % @14, merge % @15, root address @16 (8), root record count @24 (2), total @26 (8).
# Attribute name index leaf (BTLF): records from @6, 17 bytes each: heap ID (8), flags (1), ...
CASES = {
    "b2_record_size_zero": (
        "B-tree record size is zero",
        b"BTHD", 0, {10: (2, 0)},
        "SIGFPE in H5B2__hdr_init: leaf records per node = (node size - prefix) / record size",
        "0001-v2-btree-header-fields-checked.patch"),
    "b2_node_size_4g": (
        "B-tree node size larger than the file",
        b"BTHD", 0, {6: (4, 0xFFFFFFF0)},
        "4 GiB allocated and cleared in H5B2__hdr_init per B-tree open (the 'hang' class)",
        "0001-v2-btree-header-fields-checked.patch"),
    "b2_type_shared_message_index": (
        "B-tree type does not match how it is used",
        b"BTHD", 0, {5: (1, 7)},
        "SIGSEGV in H5F_sizeof_addr: the shared-message B-tree type's context callback gets the "
        "NULL context of the attribute index",
        "0006-v2-btree-type-needs-its-context.patch"),
    "b2_root_record_count_65535": (
        "record count exceeds its capacity",
        b"BTHD", 0, {24: (2, 0xFFFF)},
        "SIGSEGV in H5F_get_checksums: the checksum of a node of 65535 records is read past the "
        "512-byte node",
        "0002-v2-btree-node-record-count-checked.patch"),
    "b2_total_records_4g": (
        "B-tree record count larger than the file can hold",
        b"BTHD", 0, {26: (8, 1 << 32)},
        "a 32 GiB attribute table allocated (and cleared) from the header's total record count: "
        "'memory allocation failed', or tens of GB resident for a smaller count",
        "0010-v2-btree-total-record-count-fits-the-file.patch"),
    "dense_attr_record_claims_shared": (
        "attribute record refers to a missing heap",
        b"BTLF", 0, {6 + 8: (1, 0x02)},
        "SIGSEGV in H5HF_op: the record's 'shared' flag selects the shared-message heap, which "
        "this file does not have (NULL)",
        "0004-dense-attribute-record-without-its-heap.patch"),
    # fractal heap header (FRHP): doubling table width @110 (2 bytes), starting block size @112 (8)
    "fheap_table_width_zero": (
        "invalid fractal heap table width",
        b"FRHP", 0, {110: (2, 0)},
        "SIGSEGV in H5HF__hdr_finish_init_phase2: row tables derived from a width of 0",
        "0007-fractal-heap-doubling-table-checked.patch"),
    "fheap_start_block_size_3": (
        "invalid fractal heap starting block size",
        b"FRHP", 0, {112: (8, 3)},
        "SIGSEGV in H5HF__dtable_lookup: log2 of a starting block size that is no power of two",
        "0007-fractal-heap-doubling-table-checked.patch"),
    # FRHP "huge" object B-tree address @22 (8 bytes): set (to another B-tree) while the header
    # counts no huge objects
    "fheap_no_huge_objects_but_index": (
        None,  # loads: the index is never needed, and a read-only close leaves it alone
        b"FRHP", 0, {22: (8, 799)},
        "no crash, but closing the heap tried to delete the index in the read-only file, failed "
        "('no write intent on file'), and the file stayed open in the library after the load",
        "0009-fractal-heap-read-only-close-keeps-huge-index.patch"),
    # FRHP total managed size @46 (8 bytes); attribute name index leaf (BTLF): heap ID = version
    # byte, heap offset (5 bytes, @7 for record 0), length (2). The heap's root indirect block has
    # 1 row of 4 x 1 KiB direct blocks (heap offsets 0-4095), so the managed size is 4096.
    "fheap_id_beyond_root_iblock": (
        "fractal heap object offset beyond the root indirect block",
        [(b"FRHP", 0, {46: (8, 0xFFF0001000)}), (b"BTLF", 0, {7: (5, 0x8700000242)})],
        None, None,
        "SIGSEGV in H5HF__man_iblock_protect (load and validate): a managed size of ~2^40 lets "
        "the heap ID's offset select row 28 of the doubling table, an indirect row, in a root "
        "block of 1 row that has no child-block pointers (NULL)",
        "0013-fractal-heap-id-offset-within-its-blocks.patch"),
    "fheap_id_at_managed_size": (
        "fractal heap object offset beyond the root indirect block",
        [(b"BTLF", 0, {7: (5, 4096)})],
        None, None,
        "the offset equals the managed size, which the heap accepts (it rejects only larger "
        "ones): row 1 of a 1-row root block, whose entry is read past the entry array; the "
        "garbage address then fails a checksum, and jaxon-validate printed 'HDF5: infinite loop "
        "closing library' at exit",
        "0013-fractal-heap-id-offset-within-its-blocks.patch"),
    "poison_b2_alloc_failure": (
        "B-tree node size larger than the file",
        b"BTHD", 0, {6: (4, 0x40000000), 10: (2, 1)},
        "with an address-space limit (the test sets 3 GiB) the 8 GiB offset table of a 1 GiB "
        "node fails ('memory allocation failed for chunk'); the failed B-tree header then "
        "terminated free-list factories it did not own (stale pointers in a recycled node-info "
        "array), and the next valid file crashed or hung at close",
        "0003-v2-btree-failed-header-init-frees-only-its-own.patch"),
}


def main() -> None:
    seed = SEED.read_bytes()
    manifest = {"seed": "fuzz/corpus/ours_dense_attrs.h5", "files": {}}
    for name, (reason, sig, nth, fields, crash, patch) in CASES.items():
        data = bytearray(seed)
        if isinstance(sig, list):  # several blocks: [(signature, nth, fields), ...]
            where = {"edits": [edit(data, *e) for e in sig]}
        else:
            where = edit(data, sig, nth, fields)
        (HERE / f"{name}.h5").write_bytes(bytes(data))
        manifest["files"][f"{name}.h5"] = {**where, "unpatched": crash, "fixed_by": patch,
                                           "error_names": reason}
    (HERE / "poison_valid_partner.h5").write_bytes(seed)
    manifest["poisoning_pair"] = ["poison_b2_alloc_failure.h5", "poison_valid_partner.h5"]
    (HERE / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
