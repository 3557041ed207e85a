#!/usr/bin/env python3
"""The folding constants of the carry-less-multiplication CRC-32C (layout/jxv_crc32c.c),
derived from the algebra, and a model of the folding that checks them.

    python scripts/crc32c_fold_constants.py          # prints the C table, checks the model

The algebra (P = the Castagnoli polynomial, x^32 + ... + 1, 0x1EDC6F41 with the x^32 term,
0x82F63B78 bit-reflected; everything in GF(2)[x]):

* A raw CRC register after a message M (n bytes, the old register c XORed into its first
  four bytes) is M(x) * x^32 mod P, the first bit of the stream being M's highest term and
  each byte taken least significant bit first ("reflected").
* A 16-byte block loaded little-endian into a 128-bit register has its bit i as the
  coefficient of x^(127-i). Its low 64-bit half H holds the terms x^127..x^64, the high half
  L the terms x^63..x^0: the block is H x^64 + L.
* Folding a block forward by D bits (to the block D bits later in the stream, which is then
  XORed in) multiplies it by x^D. Modulo P, H x^(64+D) + L x^D == H k_H + L k_L with
  32-bit remainders k = x^e mod P: products of 96 bits at most, so they fit the register
  again and the folded sum stays congruent (the CRC only needs the value mod P).
* PCLMULQDQ multiplies a (bit i = x^(63-i)) by b; we store a constant k as b with bit j the
  coefficient of x^(32-j) (k bit-reflected in 32 bits, shifted left by one). Bit i + j of
  the product is then x^(95-(i+j)), which the 128-bit register reads as x^(127-(i+j)): the
  register holds the product times x^32. So the constant for a fold by D bits is
  k_H = x^(D+32) mod P for H and k_L = x^(D-32) mod P for L.
* When everything is folded into one 16-byte block X at the end of the data, the raw CRC is
  X x^32 mod P: the CRC instruction of that block from a zero register, so no Barrett
  reduction is needed (SSE4.2 is present on every CPU with PCLMULQDQ that we dispatch to).

The constants are printed as C (the table in jxv_crc32c.c must equal it), and the model
(Python integers standing in for the registers) is checked against a bitwise CRC-32C for
the same fold distances the C code uses.
"""

import random

POLY_REFLECTED = 0x82F63B78
POLY = (1 << 32) | int(f"{POLY_REFLECTED:032b}"[::-1], 2)  # normal form with x^32


def reflect(v: int, bits: int) -> int:
    return int(f"{v:0{bits}b}"[::-1], 2)


def x_pow_mod(e: int) -> int:
    """x^e mod P in normal form (bit k = x^k)."""
    r = 1
    for _ in range(e):
        r <<= 1
        if r >> 32:
            r ^= POLY
    return r


def constant(e: int) -> int:
    """x^e mod P as PCLMULQDQ takes it here: bit j is the coefficient of x^(32-j)."""
    return reflect(x_pow_mod(e), 32) << 1


def fold_pair(d_bits: int) -> tuple[int, int]:
    """(k_H, k_L) for a fold forward by d_bits."""
    return constant(d_bits + 32), constant(d_bits - 32)


# The fold distances of jxv_crc32c.c, by name: bytes between a block and the one it is
# folded into.
DISTANCES = {
    "FOLD_16": 16,      # one block into the next
    "FOLD_32": 32,      # the 512-bit lanes' reduction: lane 1 of 4 into lane 3
    "FOLD_48": 48,      # lane 0 of 4 into lane 3
    "FOLD_64": 64,      # four 128-bit lanes (SSE) / one 512-bit register into the next
    "FOLD_128": 128,    # the 512-bit path's registers two apart
    "FOLD_192": 192,    # three apart
    "FOLD_256": 256,    # the 512-bit main loop: four registers of 64 bytes
}


def crc32c_bitwise(crc: int, data: bytes) -> int:
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ POLY_REFLECTED if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def clmul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


def fold(block: int, pair: tuple[int, int]) -> int:
    """PCLMULQDQ(block.lo, k_H) ^ PCLMULQDQ(block.hi, k_L) on 128-bit Python ints."""
    lo, hi = block & (2**64 - 1), block >> 64
    return clmul(lo, pair[0]) ^ clmul(hi, pair[1])


def crc_instruction(c: int, block: int) -> int:
    """_mm_crc32_u64 twice: the raw register after 16 more bytes."""
    data = block.to_bytes(16, "little")
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ POLY_REFLECTED if c & 1 else c >> 1
    return c


def model(crc: int, data: bytes, lanes: int) -> int:
    """The C code's shape: `lanes` 16-byte accumulators folded by lanes*16 bytes, reduced to
    one by folding each into the last, the remaining blocks folded one by one, the last
    block reduced with the CRC instruction, the tail bytewise."""
    c = crc ^ 0xFFFFFFFF
    n = len(data) - len(data) % 16
    blocks = [int.from_bytes(data[i:i + 16], "little") for i in range(0, n, 16)]
    blocks[0] ^= c
    acc = blocks[:lanes]
    i = lanes
    pair = fold_pair(lanes * 128)
    while i + lanes <= len(blocks):
        acc = [fold(a, pair) ^ b for a, b in zip(acc, blocks[i:i + lanes])]
        i += lanes
    x = acc[-1]
    for j, a in enumerate(acc[:-1]):
        x ^= fold(a, fold_pair((lanes - 1 - j) * 128))
    for b in blocks[i:]:
        x = fold(x, fold_pair(128)) ^ b
    r = crc_instruction(0, x)
    for b in data[n:]:
        r ^= b
        for _ in range(8):
            r = (r >> 1) ^ POLY_REFLECTED if r & 1 else r >> 1
    return r ^ 0xFFFFFFFF


def main() -> None:
    assert crc32c_bitwise(0, b"123456789") == 0xE3069283
    rng = random.Random(1)
    for lanes in (4, 16):  # the SSE path's four blocks, the 512-bit path's 4 x 4
        for length in list(range(lanes * 16, lanes * 16 + 70)) + [rng.randrange(64, 3000)
                                                                   for _ in range(30)]:
            if length < lanes * 16:
                continue
            data = bytes(rng.randrange(256) for _ in range(length))
            crc = rng.randrange(2**32)
            assert model(crc, data, lanes) == crc32c_bitwise(crc, data), (lanes, length)
    print("/* scripts/crc32c_fold_constants.py: {x^(D+32) mod P, x^(D-32) mod P} for a fold")
    print(" * forward by D bits, bit-reflected and shifted left by one. */")
    for name, nbytes in DISTANCES.items():
        kh, kl = fold_pair(nbytes * 8)
        print(f"#define {name} 0x{kh:09x}u, 0x{kl:09x}u /* {nbytes} bytes */")
    print("/* the model agrees with a bitwise CRC-32C */")


if __name__ == "__main__":
    main()
