#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent check of test/vectors/tpre.json against docs/protocol.md §15 (threshold proxy
re-encryption, Umbral on SM2/SM3) and §16 (chunked files).

Written from the document only (plus GB/T 32918.5 curve parameters, RFC 9380 §5.3.1,
RFC 6962 §2.1, RFC 2104), with no reference to the TypeScript implementation or the
vector generator. Python 3 standard library only; SM4-CTR through the `openssl` CLI.

Every refusal raises Refused(check, detail), where `check` is the §15 condition that failed,
spelled as the vectors' `refusedBy` spells it where the vectors name it ("x < p", "s < n",
"E + V is not the identity", "s·G = V + h·E", "z3·E = E2 + h·E1", "signature check", "m ≥ t",
"same X_A", "distinct id").

Usage: python3 scripts/vectors/check-tpre-independent.py [path/to/tpre.json]
Prints one line per check; exits 1 on any failure.
"""


import hashlib
import json
import os
import struct
import subprocess
import sys

# ---------------------------------------------------------------------------------------------
# SM3 (GB/T 32905). hashlib's if OpenSSL provides it, else a pure-Python implementation.
# ---------------------------------------------------------------------------------------------


def _rotl(x, k):
    k &= 31
    return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF


def _sm3_pure(msg: bytes) -> bytes:
    iv = [0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
          0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E]
    ml = len(msg) * 8
    msg = msg + b"\x80" + b"\x00" * ((55 - len(msg)) % 64) + struct.pack(">Q", ml)
    v = iv
    for off in range(0, len(msg), 64):
        w = list(struct.unpack(">16I", msg[off:off + 64]))
        for j in range(16, 68):
            x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
            p1 = x ^ _rotl(x, 15) ^ _rotl(x, 23)
            w.append(p1 ^ _rotl(w[j - 13], 7) ^ w[j - 6])
        w1 = [w[j] ^ w[j + 4] for j in range(64)]
        a, b, c, d, e, f, g, h = v
        for j in range(64):
            tj = 0x79CC4519 if j < 16 else 0x7A879D8A
            ss1 = _rotl((_rotl(a, 12) + e + _rotl(tj, j)) & 0xFFFFFFFF, 7)
            ss2 = ss1 ^ _rotl(a, 12)
            if j < 16:
                ff = a ^ b ^ c
                gg = e ^ f ^ g
            else:
                ff = (a & b) | (a & c) | (b & c)
                gg = (e & f) | (~e & g)
            tt1 = (ff + d + ss2 + w1[j]) & 0xFFFFFFFF
            tt2 = (gg + h + ss1 + w[j]) & 0xFFFFFFFF
            d, c, b, a = c, _rotl(b, 9), a, tt1
            h, g, f = g, _rotl(f, 19), e
            e = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17)
        v = [x ^ y for x, y in zip(v, [a, b, c, d, e, f, g, h])]
    return struct.pack(">8I", *v)


try:
    hashlib.new("sm3", b"abc")

    def sm3(data: bytes) -> bytes:
        return hashlib.new("sm3", data).digest()

    SM3_SOURCE = "hashlib (OpenSSL)"
except (ValueError, TypeError):
    sm3 = _sm3_pure
    SM3_SOURCE = "pure Python"


def hmac_sm3(key: bytes, msg: bytes) -> bytes:
    # RFC 2104 with SM3 (block size 64 bytes).
    if len(key) > 64:
        key = sm3(key)
    key = key.ljust(64, b"\x00")
    ipad = bytes(k ^ 0x36 for k in key)
    opad = bytes(k ^ 0x5C for k in key)
    return sm3(opad + sm3(ipad + msg))


# ---------------------------------------------------------------------------------------------
# sm2p256v1 (GB/T 32918.5)
# ---------------------------------------------------------------------------------------------

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A_COEF = P - 3
B_COEF = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

INF = None  # the identity, in affine form


def on_curve(pt) -> bool:
    if pt is INF:
        return False
    x, y = pt
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A_COEF * x + B_COEF)) % P == 0


# Jacobian coordinates (X, Y, Z) represent (X/Z^2, Y/Z^3); Z == 0 is the identity.
J_INF = (1, 1, 0)


def to_jac(pt):
    return J_INF if pt is INF else (pt[0], pt[1], 1)


def from_jac(jp):
    x, y, z = jp
    if z % P == 0:
        return INF
    zi = pow(z, P - 2, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def jac_double(jp):
    x, y, z = jp
    if z == 0 or y == 0:
        return J_INF
    # a = -3: M = 3(X - Z^2)(X + Z^2)
    zz = z * z % P
    m = 3 * (x - zz) * (x + zz) % P
    yy = y * y % P
    s = 4 * x * yy % P
    x3 = (m * m - 2 * s) % P
    y3 = (m * (s - x3) - 8 * yy * yy) % P
    z3 = 2 * y * z % P
    return (x3, y3, z3)


def jac_add(p1, p2):
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    z1z1 = z1 * z1 % P
    z2z2 = z2 * z2 % P
    u1 = x1 * z2z2 % P
    u2 = x2 * z1z1 % P
    s1 = y1 * z2 * z2z2 % P
    s2 = y2 * z1 * z1z1 % P
    if u1 == u2:
        if s1 != s2:
            return J_INF
        return jac_double(p1)
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    z3 = h * z1 * z2 % P
    return (x3, y3, z3)


def add(p1, p2):
    return from_jac(jac_add(to_jac(p1), to_jac(p2)))


def neg(pt):
    return INF if pt is INF else (pt[0], (-pt[1]) % P)


def mul(k: int, pt):
    """k·pt (variable time: this is a test script; every input is public test data)."""
    k %= N
    if k == 0 or pt is INF:
        return INF
    acc = J_INF
    base = to_jac(pt)
    for bit in bin(k)[2:]:
        acc = jac_double(acc)
        if bit == "1":
            acc = jac_add(acc, base)
    return from_jac(acc)


G = (GX, GY)


def sqrt_mod_p(v: int):
    # p ≡ 3 (mod 4): candidate = v^((p+1)/4)
    r = pow(v, (P + 1) // 4, P)
    return r if r * r % P == v % P else None





# ---------------------------------------------------------------------------------------------
# Refusals and canonical decoding (§15 "Notation")
# ---------------------------------------------------------------------------------------------


class Refused(Exception):
    """An input refused by a named §15 check."""

    def __init__(self, check: str, detail: str = ""):
        super().__init__(check + ((": " + detail) if detail else ""))
        self.check = check
        self.detail = detail


def i2osp(x: int, k: int) -> bytes:
    return x.to_bytes(k, "big")


def os2ip(b: bytes) -> int:
    return int.from_bytes(b, "big")


def encode_point(pt) -> bytes:
    if pt is INF:
        raise ValueError("the identity has no encoding")
    x, y = pt
    return bytes([2 | (y & 1)]) + i2osp(x, 32)


def decode_point(b: bytes, what: str = "point"):
    # §15: refuse any other length or first byte, x ≥ p, and an x for which x³ + a_c·x + b_c is
    # not a square mod p. (The identity has no encoding, so it can never come out of here.)
    if len(b) != 33:
        raise Refused("length", "%s is %d bytes, not 33" % (what, len(b)))
    if b[0] not in (2, 3):
        raise Refused("first byte", "%s starts %02x" % (what, b[0]))
    x = os2ip(b[1:])
    if x >= P:
        raise Refused("x < p", what)
    y = sqrt_mod_p((x * x * x + A_COEF * x + B_COEF) % P)
    if y is None:
        raise Refused("x³ + a_c·x + b_c is a square mod p", what)
    if (y & 1) != (b[0] & 1):
        y = P - y  # y ≠ 0 on this curve (prime order, no 2-torsion), so P - y has the other parity
    pt = (x, y)
    assert on_curve(pt)
    return pt


def decode_scalar(b: bytes, name: str, nonzero: bool = False) -> int:
    # §15: refuse a value ≥ n, and zero "where this section says so" (only rk, in [1, n−1]).
    if len(b) != 32:
        raise Refused("length", "%s is %d bytes, not 32" % (name, len(b)))
    v = os2ip(b)
    if v >= N:
        raise Refused("%s < n" % name)
    if nonzero and v == 0:
        raise Refused("%s ≠ 0" % name)
    return v


def inv_n(x: int) -> int:
    x %= N
    if x == 0:
        raise ZeroDivisionError("inverse of 0 mod n")
    return pow(x, N - 2, N)

# ---------------------------------------------------------------------------------------------
# Hashes (§15)
# ---------------------------------------------------------------------------------------------


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 §5.3.1 with H = SM3 (b_in_bytes = 32, s_in_bytes = 64)."""
    b_in_bytes, s_in_bytes = 32, 64
    ell = -(-len_in_bytes // b_in_bytes)
    if ell > 255 or len_in_bytes > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xmd: bad lengths")
    dst_prime = dst + i2osp(len(dst), 1)
    z_pad = b"\x00" * s_in_bytes
    l_i_b_str = i2osp(len_in_bytes, 2)
    msg_prime = z_pad + msg + l_i_b_str + i2osp(0, 1) + dst_prime
    b0 = sm3(msg_prime)
    b1 = sm3(b0 + i2osp(1, 1) + dst_prime)
    out = [b1]
    for i in range(2, ell + 1):
        prev = out[-1]
        out.append(sm3(bytes(x ^ y for x, y in zip(b0, prev)) + i2osp(i, 1) + dst_prime))
    return b"".join(out)[:len_in_bytes]


def _as_bytes(m) -> bytes:
    # §15: points enter hashes as their 33-byte encodings; id, D and context (and the 32-byte
    # scalar encodings, where any) as raw bytes.
    if isinstance(m, (bytes, bytearray)):
        return bytes(m)
    if isinstance(m, tuple):
        return encode_point(m)
    raise TypeError(type(m))


def framed(*ms) -> bytes:
    out = b""
    for m in ms:
        mb = _as_bytes(m)
        out += i2osp(len(mb), 4) + mb
    return out


def H(tag: str, *ms) -> int:
    dst = ("medshare/v1/tpre/" + tag).encode("utf-8")
    return os2ip(expand_message_xmd(framed(*ms), dst, 48)) % N


def kdf(z: bytes, klen: int) -> bytes:
    """GB/T 32918.4 KDF: SM3(Z ‖ ct) for a 32-bit big-endian counter from 1."""
    out = b""
    ct = 1
    while len(out) < klen:
        out += sm3(z + struct.pack(">I", ct))
        ct += 1
    return out[:klen]


def kem_kdf(pt) -> bytes:
    # §15: every operation refuses when the point it would derive a key from is the identity.
    if pt is INF:
        raise Refused("KDF point is not the identity")
    return kdf(i2osp(pt[0], 32) + i2osp(pt[1], 32), 32)


def derive_U():
    ctr = 0
    while True:
        x = os2ip(sm3(b"medshare/v1/tpre/U" + i2osp(ctr, 4)))
        if x < P:
            y = sqrt_mod_p((x * x * x + A_COEF * x + B_COEF) % P)
            if y is not None:
                return decode_point(b"\x02" + i2osp(x, 32), "U"), ctr
        ctr += 1


U, U_CTR = derive_U()

# ---------------------------------------------------------------------------------------------
# §15 operations
# ---------------------------------------------------------------------------------------------


def parse_capsule(cap: bytes):
    """Decode and validate a capsule. Order: decode E, V, s; then E + V ≠ O; then s·G = V + h·E
    (the order the sentence "valid when E + V is not the identity and s·G = V + h·E" lists)."""
    if len(cap) != 98:
        raise Refused("length", "capsule is %d bytes, not 98" % len(cap))
    E = decode_point(cap[0:33], "E")
    V = decode_point(cap[33:66], "V")
    s = decode_scalar(cap[66:98], "s")  # "s may be zero, must be < n"
    if add(E, V) is INF:
        raise Refused("E + V is not the identity")
    h = H("capsule", E, V)
    if mul(s, G) != add(V, mul(h, E)):  # point comparison (the identity equals only itself)
        raise Refused("s·G = V + h·E")
    return E, V, s


def encapsulate(Apub, r, u):
    assert 1 <= r < N and 1 <= u < N
    E = mul(r, G)
    V = mul(u, G)
    h = H("capsule", E, V)
    s = (u + r * h) % N
    cap = encode_point(E) + encode_point(V) + i2osp(s, 32)
    K = kem_kdf(mul((r + u) % N, Apub))  # refuses when (r + u)·A is the identity
    return cap, K


def decapsulate(a, cap):
    E, V, _ = parse_capsule(cap)
    return kem_kdf(mul(a, add(E, V)))


def make_kfrags(a, Bpub, t, n_f, x_A, coeffs, ids, ys):
    assert 1 <= t <= n_f <= 255 and len(coeffs) == t - 1 and len(ids) == len(ys) == n_f
    assert 1 <= x_A < N and all(1 <= c < N for c in coeffs) and all(1 <= y < N for y in ys)
    assert all(len(i) == 32 for i in ids)
    Apub = mul(a, G)
    X_A = mul(x_A, G)
    d = H("dh", X_A, Bpub, mul(x_A, Bpub))
    D = i2osp(H("id-base", Apub, Bpub, mul(a, Bpub)), 32)
    poly = [a * inv_n(d) % N] + list(coeffs)  # f(x) = a·d⁻¹ + c_1·x + … + c_{t−1}·x^{t−1}
    out = []
    for id_i, y_i in zip(ids, ys):
        x_i = H("x", id_i, D)
        rk = 0
        for c in reversed(poly):  # Horner
            rk = (rk * x_i + c) % N
        U1 = mul(rk, U)
        z1 = H("kfrag", mul(y_i, G), id_i, Apub, Bpub, U1, X_A)
        z2 = (y_i - a * z1) % N
        kf = (id_i + i2osp(rk, 32) + encode_point(X_A) + encode_point(U1)
              + i2osp(z1, 32) + i2osp(z2, 32))
        assert len(kf) == 194
        out.append(kf)
    return out


def signature_check(id_, U1, X_A, z1, z2, Apub, Bpub):
    """§15: Y = z2·G + z1·A; holds when Y is not the identity and H_kfrag(Y, id, A, B, U1, X_A) = z1."""
    Y = add(mul(z2, G), mul(z1, Apub))
    if Y is INF:
        raise Refused("signature check", "Y is the identity")
    if H("kfrag", Y, id_, Apub, Bpub, U1, X_A) != z1:
        raise Refused("signature check", "H_kfrag(Y, id, A, B, U1, X_A) ≠ z1")


def parse_kfrag(kf: bytes):
    if len(kf) != 194:
        raise Refused("length", "key fragment is %d bytes, not 194" % len(kf))
    return dict(
        id=kf[0:32],
        rk=decode_scalar(kf[32:64], "rk", nonzero=True),  # rk ∈ [1, n−1]
        X_A=decode_point(kf[64:97], "X_A"),
        U1=decode_point(kf[97:130], "U1"),
        z1=decode_scalar(kf[130:162], "z1"),
        z2=decode_scalar(kf[162:194], "z2"),
    )


def check_kfrag(kf: bytes, Apub, Bpub):
    k = parse_kfrag(kf)
    if mul(k["rk"], U) != k["U1"]:
        raise Refused("rk·U = U1")
    signature_check(k["id"], k["U1"], k["X_A"], k["z1"], k["z2"], Apub, Bpub)
    return k


def reencrypt(cap, kf, tau, context, Apub, Bpub):
    assert 1 <= tau < N
    E, V, _ = parse_capsule(cap)
    k = check_kfrag(kf, Apub, Bpub)
    rk = k["rk"]
    E1, V1 = mul(rk, E), mul(rk, V)
    E2, V2, U2 = mul(tau, E), mul(tau, V), mul(tau, U)
    h = H("cfrag", E, E1, E2, V, V1, V2, U, k["U1"], U2, context)
    z3 = (tau + h * rk) % N
    cf = (encode_point(E1) + encode_point(V1) + k["id"] + encode_point(k["X_A"])
          + encode_point(E2) + encode_point(V2) + encode_point(U2) + encode_point(k["U1"])
          + i2osp(k["z1"], 32) + i2osp(k["z2"], 32) + i2osp(z3, 32))
    assert len(cf) == 359
    return cf


# (name, offset, length, kind), in the order §15 lays the capsule fragment out
CFRAG_FIELDS = [
    ("E1", 0, 33, "pt"), ("V1", 33, 33, "pt"), ("id", 66, 32, "id"), ("X_A", 98, 33, "pt"),
    ("E2", 131, 33, "pt"), ("V2", 164, 33, "pt"), ("U2", 197, 33, "pt"), ("U1", 230, 33, "pt"),
    ("z1", 263, 32, "sc"), ("z2", 295, 32, "sc"), ("z3", 327, 32, "sc"),
]
assert CFRAG_FIELDS[-1][1] + CFRAG_FIELDS[-1][2] == 359
CF_ID = slice(66, 98)
CF_XA = slice(98, 131)


def verify_cfrag(cf: bytes, cap: bytes, Apub, Bpub, context: bytes):
    """§15 "Verify a capsule fragment". Order (mine where §15 gives none): capsule validity,
    length, every field decoded in layout order, then the three equations in the order listed,
    then the signature check. Returns the decoded fragment or raises Refused."""
    E, V, _ = parse_capsule(cap)
    if len(cf) != 359:
        raise Refused("length", "capsule fragment is %d bytes, not 359" % len(cf))
    f = {}
    for name, off, ln, kind in CFRAG_FIELDS:
        raw = cf[off:off + ln]
        f[name] = (decode_point(raw, name) if kind == "pt"
                   else decode_scalar(raw, name) if kind == "sc" else raw)
    h = H("cfrag", E, f["E1"], f["E2"], V, f["V1"], f["V2"], U, f["U1"], f["U2"], context)
    z3 = f["z3"]
    if mul(z3, E) != add(f["E2"], mul(h, f["E1"])):
        raise Refused("z3·E = E2 + h·E1")
    if mul(z3, V) != add(f["V2"], mul(h, f["V1"])):
        raise Refused("z3·V = V2 + h·V1")
    if mul(z3, U) != add(f["U2"], mul(h, f["U1"])):
        raise Refused("z3·U = U2 + h·U1")
    signature_check(f["id"], f["U1"], f["X_A"], f["z1"], f["z2"], Apub, Bpub)
    return f


def open_frags(b, t, cfrags, cap, Apub, context):
    """§15 "Open from fragments", refusing at the first failure, in this order: m ≥ t; then for
    each fragment in order: its X_A equals F_1's, its id differs from every earlier fragment's,
    and it verifies (which is where the capsule is validated). X_A and id are compared as bytes
    ("comparing encodings compares points"); a fragment of the wrong length is refused before
    its X_A is read (my choice: §15 does not place the length check)."""
    Bpub = mul(b, G)
    m = len(cfrags)
    if m < t:
        raise Refused("m ≥ t", "m = %d, t = %d" % (m, t))
    fs, seen = [], []
    for k, cf in enumerate(cfrags, start=1):
        if len(cf) != 359:
            raise Refused("length", "F_%d is %d bytes, not 359" % (k, len(cf)))
        if cf[CF_XA] != cfrags[0][CF_XA]:
            raise Refused("same X_A", "F_%d's X_A differs from F_1's" % k)
        if cf[CF_ID] in seen:
            raise Refused("distinct id", "F_%d repeats F_%d's id" % (k, seen.index(cf[CF_ID]) + 1))
        seen.append(cf[CF_ID])
        try:
            fs.append(verify_cfrag(cf, cap, Apub, Bpub, context))
        except Refused as e:
            raise Refused(e.check, "F_%d%s" % (k, (": " + e.detail) if e.detail else "")) from None
    fs = fs[:t]
    D = i2osp(H("id-base", Apub, Bpub, mul(b, Apub)), 32)
    xs = [H("x", f["id"], D) for f in fs]
    S = INF
    for i, f in enumerate(fs):
        lam = 1
        for j in range(t):
            if j != i:
                lam = lam * xs[j] % N * inv_n(xs[j] - xs[i]) % N
        S = add(S, mul(lam, add(f["E1"], f["V1"])))
    X_A = fs[0]["X_A"]
    d = H("dh", X_A, Bpub, mul(b, X_A))
    return kem_kdf(mul(d, S))

# ---------------------------------------------------------------------------------------------
# §16
# ---------------------------------------------------------------------------------------------


def sm4_ctr(key16: bytes, iv16: bytes, data: bytes) -> bytes:
    if not data:
        return b""
    res = subprocess.run(
        ["openssl", "enc", "-sm4-ctr", "-K", key16.hex(), "-iv", iv16.hex(), "-nosalt"],
        input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return res.stdout


def merkle_root(leaves):
    m = len(leaves)
    if m == 0:
        raise ValueError("no leaves")
    if m == 1:
        return leaves[0]
    k = 1
    while k * 2 < m:
        k *= 2
    return sm3(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


def chunk_file(K: bytes, plaintext: bytes, chunk_bytes: int):
    assert chunk_bytes % 16 == 0 and 4096 <= chunk_bytes <= 16 * 1024 * 1024
    size = len(plaintext)
    count = max(1, -(-size // chunk_bytes))
    enc_key, check_key = K[0:16], K[16:32]
    chunks, leaves = [], []
    for i in range(count):
        pt = plaintext[i * chunk_bytes:(i + 1) * chunk_bytes]
        ct = sm4_ctr(enc_key, i2osp(i, 8) + b"\x00" * 8, pt)
        assert len(ct) == len(pt)
        final = 1 if i == count - 1 else 0
        leaves.append(sm3(b"\x00" + b"medshare/v1/file/chunk" + i2osp(i, 8) + bytes([final]) + ct))
        chunks.append(ct)
    root = merkle_root(leaves)
    key_check = hmac_sm3(check_key, b"medshare/v1/file/key-check" + root)[:16]
    return chunks, leaves, root, key_check


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------

FAILS = 0


def check(label, ok, detail=""):
    global FAILS
    if not ok:
        FAILS += 1
    print("%s  %s%s" % ("PASS" if ok else "FAIL", label, ("  (" + detail + ")") if detail else ""))


def eq(label, got: bytes, want_hex: str):
    want = bytes.fromhex(want_hex)
    check(label, got == want, "" if got == want else "got %s want %s" % (got.hex(), want_hex))


def eq_call(label, fn, want_hex: str):
    """Like eq, but an exception from fn (e.g. a refusal) counts as a failure, not a crash."""
    try:
        got = fn()
    except Exception as e:  # noqa: BLE001
        check(label, False, "%s: %s" % (type(e).__name__, e))
        return
    eq(label, got, want_hex)


def accepts(label, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        check(label, False, "%s: %s" % (type(e).__name__, e))
        return
    check(label, True)


def refuses(label, fn, want_check=None):
    """Passes when fn raises Refused (by want_check, if given); prints the check that refused."""
    try:
        fn()
    except Refused as e:
        ok = want_check is None or e.check == want_check
        msg = "refused by '%s'%s" % (e.check, (" [" + e.detail + "]") if e.detail else "")
        if want_check is not None:
            msg += "; expected '%s'" % want_check
        check(label, ok, msg)
        return
    except Exception as e:  # noqa: BLE001
        check(label, False, "not a refusal: %s: %s" % (type(e).__name__, e))
        return
    check(label, False, "accepted" + ("; expected refusal by '%s'" % want_check if want_check else ""))


LABEL_PREFIX = "medshare test vector: "
RULE_SCALAR = 'OS2IP(SM3(utf8("medshare test vector: " ‖ label))) mod (n−1) + 1'
RULE_BYTES = 'SM3(utf8("medshare test vector: " ‖ label))'


def label_bytes(label: str) -> bytes:
    return sm3((LABEL_PREFIX + label).encode("utf-8"))


def label_scalar(label: str) -> int:
    return os2ip(label_bytes(label)) % (N - 1) + 1


def hx(x: int) -> str:
    return i2osp(x, 32).hex()


def sc(h: str) -> int:
    return os2ip(bytes.fromhex(h))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "test", "vectors", "tpre.json")
    with open(path, encoding="utf-8") as fh:
        v = json.load(fh)

    # (0) primitives ---------------------------------------------------------------------------
    check("(0) SM3 [%s] 'abc' vector" % SM3_SOURCE, sm3(b"abc").hex() ==
          "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    check("(0) SM3 pure-Python agrees with the one in use", _sm3_pure(b"abc" * 50) == sm3(b"abc" * 50))
    check("(0) G on curve and (n−1)·G + G = O", on_curve(G) and mul(N - 1, G) == neg(G)
          and from_jac(jac_add(to_jac(mul(N - 1, G)), to_jac(G))) is INF)

    kv, rv = v["keyFragments"], v["reEncrypt"]
    t, n_f = kv["threshold"], kv["shares"]

    # (L) every fixed input re-derived from its label -------------------------------------------
    # `labels` maps label -> rule; the field a label feeds is inferred from the label's name
    # (the spec's table says only "the label each fixed input was derived from").
    labels = v["labels"]
    scalar_fields = {  # label -> (field name, value in the vector)
        "tpre delegating": ("delegating.secret", v["delegating"]["secret"]),
        "tpre receiver": ("receiver.secret", v["receiver"]["secret"]),
        "tpre r": ("encapsulate.r", v["encapsulate"]["r"]),
        "tpre u": ("encapsulate.u", v["encapsulate"]["u"]),
        "tpre precursor": ("keyFragments.precursor", kv["precursor"]),
    }
    for k, c in enumerate(kv["coefficients"], start=1):  # c_1 … c_{t−1}: 1-based labels
        scalar_fields["tpre coefficient %d" % k] = ("keyFragments.coefficients[%d]" % (k - 1), c)
    for i in range(n_f):  # ids, signing and tau: 0-based labels
        scalar_fields["tpre signing %d" % i] = ("keyFragments.signing[%d]" % i, kv["signing"][i])
        scalar_fields["tpre tau %d" % i] = ("reEncrypt.tau[%d]" % i, rv["tau"][i])
    byte_fields = {"tpre id %d" % i: ("keyFragments.ids[%d]" % i, kv["ids"][i]) for i in range(n_f)}
    check("(L) lengths: coefficients = t − 1, ids = signing = tau = fragments = N_f",
          len(kv["coefficients"]) == t - 1 and len(kv["ids"]) == len(kv["signing"]) == len(rv["tau"])
          == len(kv["fragments"]) == len(rv["fragments"]) == n_f)
    used = set()
    for lab, (field, want) in list(scalar_fields.items()) + list(byte_fields.items()):
        rule = RULE_BYTES if lab in byte_fields else RULE_SCALAR
        if lab not in labels:
            check("(L) %s has a label ('%s')" % (field, lab), False, "label missing")
            continue
        used.add(lab)
        got = label_bytes(lab).hex() if rule == RULE_BYTES else hx(label_scalar(lab))
        check("(L) %s = %s with label '%s'" % (field, "SM3(…)" if rule == RULE_BYTES else "scalar(…)", lab),
              labels[lab] == rule and got == want,
              "" if labels[lab] == rule and got == want else
              "rule %r, derived %s, vector %s" % (labels[lab], got, want))
    other = {k: r for k, r in labels.items() if k.startswith("tpre other ")}
    for k in other:
        used.add(k)
        want_rule = RULE_BYTES if k.startswith("tpre other id ") else RULE_SCALAR
        check("(L) label '%s' has the %s rule" % (k, "bytes" if want_rule == RULE_BYTES else "scalar"),
              labels[k] == want_rule, "" if labels[k] == want_rule else labels[k])
    if "tpre stranger" in labels:
        used.add("tpre stranger")
        check("(L) label 'tpre stranger' has the scalar rule", labels["tpre stranger"] == RULE_SCALAR)
    unused = sorted(set(labels) - used)
    check("(L) every label is accounted for", not unused, ", ".join(unused))
    print("INFO  not label-derived (literals): context = %r; refusal contexts %s"
          % (bytes.fromhex(v["context"]).decode("utf-8", "replace"),
             [bytes.fromhex(r["context"]).decode("utf-8", "replace") for r in v["refusals"] if "context" in r]))

    # (1) U and public keys ---------------------------------------------------------------------
    eq("(1) U (found at ctr = %d; §15 says 0)" % U_CTR, encode_point(U), v["U"])
    check("(1) U found at ctr = 0", U_CTR == 0)
    a, b = sc(v["delegating"]["secret"]), sc(v["receiver"]["secret"])
    check("(1) 1 ≤ a, b ≤ n − 1", 1 <= a < N and 1 <= b < N)
    Apub, Bpub = mul(a, G), mul(b, G)
    eq("(1) delegating.publicKey = encode(a·G) (33-byte compressed)", encode_point(Apub), v["delegating"]["publicKey"])
    eq("(1) receiver.publicKey = encode(b·G) (33-byte compressed)", encode_point(Bpub), v["receiver"]["publicKey"])
    accepts("(1) decode(A), decode(B) round-trip",
            lambda: (decode_point(bytes.fromhex(v["delegating"]["publicKey"])) == Apub
                     and decode_point(bytes.fromhex(v["receiver"]["publicKey"])) == Bpub) or 1 / 0)
    context = bytes.fromhex(v["context"])

    # (2) capsule -------------------------------------------------------------------------------
    cap = bytes.fromhex(v["encapsulate"]["capsule"])
    accepts("(2) capsule decodes and is valid (E + V ≠ O, s·G = V + h·E)", lambda: parse_capsule(cap))
    eq_call("(2) Decapsulate(a, capsule) = encapsulate.key", lambda: decapsulate(a, cap),
            v["encapsulate"]["key"])
    r, u = sc(v["encapsulate"]["r"]), sc(v["encapsulate"]["u"])
    cap2, K2 = encapsulate(Apub, r, u)
    eq("(2) Encapsulate(A; r, u) capsule", cap2, v["encapsulate"]["capsule"])
    eq("(2) Encapsulate(A; r, u) key", K2, v["encapsulate"]["key"])

    # (3) key fragments -------------------------------------------------------------------------
    x_A = sc(kv["precursor"])
    coeffs = [sc(c) for c in kv["coefficients"]]
    ids = [bytes.fromhex(i) for i in kv["ids"]]
    ys = [sc(y) for y in kv["signing"]]
    kfr = make_kfrags(a, Bpub, t, n_f, x_A, coeffs, ids, ys)
    for i, (mine, want) in enumerate(zip(kfr, kv["fragments"])):
        eq("(3) kfrag_%d regenerated bytes" % (i + 1), mine, want)
    for i, want in enumerate(kv["fragments"]):
        accepts("(3) kfrag_%d passes the proxy's check (rk ∈ [1, n−1], rk·U = U1, signature)" % (i + 1),
                lambda want=want: check_kfrag(bytes.fromhex(want), Apub, Bpub))
    d = H("dh", mul(x_A, G), Bpub, mul(x_A, Bpub))
    D = i2osp(H("id-base", Apub, Bpub, mul(a, Bpub)), 32)
    pts = [(H("x", ids[i], D), parse_kfrag(bytes.fromhex(kv["fragments"][i]))["rk"]) for i in range(n_f)]
    f0 = 0
    for i in range(t):
        lam = 1
        for j in range(t):
            if j != i:
                lam = lam * pts[j][0] % N * inv_n(pts[j][0] - pts[i][0]) % N
        f0 = (f0 + lam * pts[i][1]) % N
    check("(3) Σ λ_i·rk_i = a·d⁻¹ over the first t fragments", f0 == a * inv_n(d) % N)
    check("(3) D computed by the receiver (b·A) equals the delegator's (a·B)",
          D == i2osp(H("id-base", Apub, Bpub, mul(b, Apub)), 32))

    # (4) capsule fragments ---------------------------------------------------------------------
    cfr = [bytes.fromhex(c) for c in rv["fragments"]]
    for i in range(n_f):
        eq_call("(4) cfrag_%d regenerated from kfrag_%d with tau[%d]" % (i + 1, i + 1, i),
                lambda i=i: reencrypt(cap, kfr[i], sc(rv["tau"][i]), context, Apub, Bpub),
                rv["fragments"][i])
    for i, cf in enumerate(cfr):
        accepts("(4) cfrag_%d verifies" % (i + 1), lambda cf=cf: verify_cfrag(cf, cap, Apub, Bpub, context))

    # (5) open ----------------------------------------------------------------------------------
    using = v["open"]["using"]
    eq_call("(5) Open(b, t = %d, using = %s) = open.key" % (t, using),
            lambda: open_frags(b, t, [cfr[i] for i in using], cap, Apub, context), v["open"]["key"])
    check("(5) open.key = encapsulate.key", v["open"]["key"] == v["encapsulate"]["key"])
    for i in range(n_f):
        for j in range(n_f):
            if i != j and [i, j] != using:
                eq_call("(5) Open(b, using = [%d, %d])" % (i, j),
                        lambda i=i, j=j: open_frags(b, t, [cfr[i], cfr[j]], cap, Apub, context),
                        v["open"]["key"])
    eq_call("(5) Open(b, using = [0, 1, 2]) (m > t: all verified, first t used)",
            lambda: open_frags(b, t, cfr, cap, Apub, context), v["open"]["key"])

    # (R) the vector's refusals -----------------------------------------------------------------
    # The "other" delegation (labels 'tpre other …'): same a, B, t, N_f; the `with` fragment is
    # inferred to be made from its key fragment 1 (0-based, the only 'other tau') under `context`.
    def olab(name):
        return label_scalar("tpre other " + name)
    okfr = None
    if other:
        okfr = make_kfrags(a, Bpub, t, n_f, olab("precursor"),
                           [olab("coefficient %d" % k) for k in range(1, t)],
                           [label_bytes("tpre other id %d" % i) for i in range(n_f)],
                           [olab("signing %d" % i) for i in range(n_f)])
        for i in range(n_f):
            accepts("(R) other delegation: kfrag_%d passes the proxy's check" % (i + 1),
                    lambda i=i: check_kfrag(okfr[i], Apub, Bpub))
    seen_checks = []
    for k, ref in enumerate(v["refusals"]):
        name, want = ref.get("name", "#%d" % k), ref.get("refusedBy")
        label = "(R) refusal '%s'" % name
        kinds = [x for x in ("capsule", "cfrag", "open") if x in ref]
        if len(kinds) != 1 or want is None:
            check(label, False, "entry has %s and refusedBy %r" % (kinds, want))
            continue
        seen_checks.append(want)
        if kinds == ["capsule"]:
            c = bytes.fromhex(ref["capsule"])
            refuses(label + " [capsule decode + validity]", lambda c=c: parse_capsule(c), want)
            # how the input was made, where its name says it
            if c[0:33] == cap[0:33] and c[33:66] == cap[33:66] and c[66:] != cap[66:]:
                s0, s1 = os2ip(cap[66:]), os2ip(c[66:])
                if "s + n" in name:
                    ok = s1 == s0 + N  # implies s1 ≥ n, i.e. a non-canonical s
                    check(label + " [input: s field = I2OSP(s + n, 32), a value ≥ n]", ok,
                          "" if ok else "s + n = %x is %d bits, so it has no 32-byte encoding; the"
                          " field holds %x, which is %s n" % (s0 + N, (s0 + N).bit_length(), s1,
                                                             "<" if s1 < N else "≥"))
                else:
                    check(label + " [input: only s differs]", True, "s %x -> %x" % (s0, s1))
            elif "V = −E" in name:
                check(label + " [input: V = −E]", decode_point(c[33:66]) == neg(decode_point(c[0:33])))
            elif "x = p" in name:
                check(label + " [input: E = 02 ‖ I2OSP(p, 32), V and s unchanged]",
                      c[0:33] == b"\x02" + i2osp(P, 32) and c[33:] == cap[33:])
        elif kinds == ["cfrag"]:
            cf = bytes.fromhex(ref["cfrag"])
            ctx = bytes.fromhex(ref["context"]) if "context" in ref else context
            Bx = Bpub
            if "receiver" in ref:
                Bx = decode_point(bytes.fromhex(ref["receiver"]), "receiver")
                if "tpre stranger" in labels:
                    eq(label + " [input: receiver = encode(stranger·G), label 'tpre stranger']",
                       encode_point(mul(label_scalar("tpre stranger"), G)), ref["receiver"])
            idx = [i for i, c in enumerate(cfr) if c == cf]
            check(label + " [input: the cfrag is reEncrypt.fragments%s]" % idx, bool(idx))
            refuses(label + " [verify%s%s]" % (" under context %r" % ctx.decode("utf-8", "replace")
                                                if "context" in ref else "",
                                                " for receiver %s…" % ref["receiver"][:12]
                                                if "receiver" in ref else ""),
                    lambda cf=cf, ctx=ctx, Bx=Bx: verify_cfrag(cf, cap, Apub, Bx, ctx), want)
        else:
            frs = [cfr[i] for i in ref["open"]]
            if "with" in ref:
                w = bytes.fromhex(ref["with"])
                if okfr is not None:
                    eq_call(label + " [input: `with` = cfrag from the other delegation's kfrag_2, label"
                            " 'tpre other tau 1']",
                            lambda: reencrypt(cap, okfr[1], olab("tau 1"), context, Apub, Bpub), ref["with"])
                accepts(label + " [input: the `with` fragment verifies on its own]",
                        lambda w=w: verify_cfrag(w, cap, Apub, Bpub, context))
                frs = frs + [w]
            refuses(label + " [open %s%s, t = %d]" % (ref["open"], " + with" if "with" in ref else "", t),
                    lambda frs=frs: open_frags(b, t, frs, cap, Apub, context), want)
    print("INFO  checks the vector's refusals name: %s" % ", ".join("'%s'" % c for c in seen_checks))

    # (D) decoding, identity and order, on inputs made here --------------------------------------
    accepts("(D) point 02 ‖ 0³² decodes (the genuine point (0, √b_c))",
            lambda: decode_point(b"\x02" + b"\x00" * 32) == (0, sqrt_mod_p(B_COEF)) or 1 / 0)
    refuses("(D) point 02 ‖ I2OSP(p, 32) refused", lambda: decode_point(b"\x02" + i2osp(P, 32)), "x < p")
    refuses("(D) point 03 ‖ I2OSP(p + 1, 32) refused", lambda: decode_point(b"\x03" + i2osp(P + 1, 32)), "x < p")
    refuses("(D) point 02 ‖ ff³² refused", lambda: decode_point(b"\x02" + b"\xff" * 32), "x < p")
    xbad = next(x for x in range(1, 100) if sqrt_mod_p((x ** 3 + A_COEF * x + B_COEF) % P) is None)
    refuses("(D) point 02 ‖ I2OSP(%d, 32) (not a square) refused" % xbad,
            lambda: decode_point(b"\x02" + i2osp(xbad, 32)), "x³ + a_c·x + b_c is a square mod p")
    for pre in (0, 1, 4, 6, 7):
        refuses("(D) point with first byte %02x refused" % pre,
                lambda pre=pre: decode_point(bytes([pre]) + bytes.fromhex(v["U"])[1:]), "first byte")
    refuses("(D) point of 32 bytes refused", lambda: decode_point(bytes.fromhex(v["U"])[:32]), "length")
    refuses("(D) point of 65 bytes (04 ‖ x ‖ y) refused",
            lambda: decode_point(b"\x04" + i2osp(U[0], 32) + i2osp(U[1], 32)), "length")
    for sv, what in ((N, "n"), (N + 1, "n + 1"), (2 ** 256 - 1, "2²⁵⁶ − 1")):
        refuses("(D) capsule with s = %s refused" % what,
                lambda sv=sv: parse_capsule(cap[:66] + i2osp(sv, 32)), "s < n")
    refuses("(D) capsule with s = 0 decodes, then fails the equation",
            lambda: parse_capsule(cap[:66] + i2osp(0, 32)), "s·G = V + h·E")
    refuses("(D) capsule of 97 bytes refused", lambda: parse_capsule(cap[:97]), "length")
    refuses("(D) capsule with V = −E and the 'right' s = (h − 1)·r refused by the identity rule",
            lambda: parse_capsule(cap[:33] + encode_point(neg(mul(r, G))) + i2osp(
                (H("capsule", mul(r, G), neg(mul(r, G))) - 1) * r % N, 32)), "E + V is not the identity")
    refuses("(D) Encapsulate with u = n − r refused (the KDF point (r + u)·A is the identity)",
            lambda: encapsulate(Apub, r, N - r), "KDF point is not the identity")
    kf0 = bytes.fromhex(kv["fragments"][0])
    refuses("(D) kfrag with rk = 0 refused", lambda: check_kfrag(kf0[:32] + i2osp(0, 32) + kf0[64:], Apub, Bpub),
            "rk ≠ 0")
    refuses("(D) kfrag with rk = n refused", lambda: check_kfrag(kf0[:32] + i2osp(N, 32) + kf0[64:], Apub, Bpub),
            "rk < n")
    refuses("(D) kfrag with rk + 1 refused", lambda: check_kfrag(
        kf0[:32] + i2osp(os2ip(kf0[32:64]) + 1, 32) + kf0[64:], Apub, Bpub), "rk·U = U1")
    refuses("(D) kfrag for another receiver refused",
            lambda: check_kfrag(kf0, Apub, mul(label_scalar("tpre stranger"), G)), "signature check")
    cf0 = cfr[0]
    for name, off in (("z1", 263), ("z2", 295), ("z3", 327)):
        refuses("(D) cfrag with %s = n refused" % name,
                lambda off=off: verify_cfrag(cf0[:off] + i2osp(N, 32) + cf0[off + 32:], cap, Apub, Bpub, context),
                "%s < n" % name)
    refuses("(D) cfrag with z1 = z2 = 0 refused (Y = O)",
            lambda: verify_cfrag(cf0[:263] + b"\x00" * 64 + cf0[327:], cap, Apub, Bpub, context), "signature check")
    refuses("(D) cfrag of 358 bytes refused", lambda: verify_cfrag(cf0[:358], cap, Apub, Bpub, context), "length")
    bad_cap = bytes.fromhex(next(r_["capsule"] for r_ in v["refusals"] if "V = −E" in r_.get("name", "")))
    refuses("(D) verify against a capsule with V = −E refused",
            lambda: verify_cfrag(cf0, bad_cap, Apub, Bpub, context), "E + V is not the identity")

    def tamper_z3(cf):
        return cf[:327] + i2osp((os2ip(cf[327:]) + 1) % N, 32)
    # a second delegation with the vector's own ids, so that an id repeats across delegations
    kf_same_ids = make_kfrags(a, Bpub, t, n_f, (x_A + 1) % N or 1, coeffs, ids, ys)
    cf_same_id = reencrypt(cap, kf_same_ids[0], sc(rv["tau"][0]), context, Apub, Bpub)
    accepts("(D) order: other-delegation cfrag with cfrag_1's id verifies on its own",
            lambda: verify_cfrag(cf_same_id, cap, Apub, Bpub, context))
    refuses("(D) order: open [cfrag_1, other X_A and same id] -> X_A is checked before id",
            lambda: open_frags(b, t, [cfr[0], cf_same_id], cap, Apub, context), "same X_A")
    refuses("(D) order: open [cfrag_2, cfrag_2 with z3 + 1] -> id is checked before verifying",
            lambda: open_frags(b, t, [cfr[1], tamper_z3(cfr[1])], cap, Apub, context), "distinct id")
    refuses("(D) order: open [cfrag_1 with z3 + 1] (m < t) -> m ≥ t first",
            lambda: open_frags(b, t, [tamper_z3(cfr[0])], cap, Apub, context), "m ≥ t")
    refuses("(D) order: open [cfrag_1 with z3 + 1, cfrag_2] -> F_1 fails verification",
            lambda: open_frags(b, t, [tamper_z3(cfr[0]), cfr[1]], cap, Apub, context), "z3·E = E2 + h·E1")
    refuses("(D) order: open [cfrag_1, cfrag_2, cfrag_3 with z3 + 1] (m > t) -> every fragment verified",
            lambda: open_frags(b, t, [cfr[0], cfr[1], tamper_z3(cfr[2])], cap, Apub, context), "z3·E = E2 + h·E1")
    refuses("(D) order: open with the V = −E capsule refused",
            lambda: open_frags(b, t, cfr[:2], bad_cap, Apub, context), "E + V is not the identity")
    refuses("(D) order: open [] with t = %d -> m ≥ t" % t,
            lambda: open_frags(b, t, [], bad_cap, Apub, context), "m ≥ t")
    if okfr is not None:
        o0 = reencrypt(cap, okfr[0], label_scalar("tpre other tau 0 (checker)"), context, Apub, Bpub)
        o1 = reencrypt(cap, okfr[1], olab("tau 1"), context, Apub, Bpub)
        eq_call("(D) the other delegation alone opens the same key (its cfrags 1, 2)",
                lambda: open_frags(b, t, [o0, o1], cap, Apub, context), v["encapsulate"]["key"])
        refuses("(D) order: open [other cfrag_2, cfrag_1] -> same X_A (F_1 sets X_A)",
                lambda: open_frags(b, t, [o1, cfr[0]], cap, Apub, context), "same X_A")

    # (6) bit flips: for each cfrag and field, flip the low bit of the field's last byte; for
    # point fields also flip the prefix parity bit (02<->03, i.e. negate the point, which always
    # decodes, so the refusal must come from the equations, not the decoder).
    for i, cf in enumerate(cfr):
        for name, off, ln, kind in CFRAG_FIELDS:
            flips = [(off + ln - 1, 0x01, "last-byte bit 0")]
            if kind == "pt":
                flips.append((off, 0x01, "prefix parity"))
            for pos, mask, what in flips:
                m = bytearray(cf)
                m[pos] ^= mask
                refuses("(6) cfrag_%d.%s %s flipped is refused" % (i + 1, name, what),
                        lambda m=bytes(m): verify_cfrag(m, cap, Apub, Bpub, context))
        refuses("(6) cfrag_%d under context ‖ 'x' is refused" % (i + 1),
                lambda cf=cf: verify_cfrag(cf, cap, Apub, Bpub, context + b"x"), "z3·E = E2 + h·E1")

    # (7) §16 -----------------------------------------------------------------------------------
    fv = v["file"]
    size, cb = fv["size"], fv["chunkBytes"]
    blocks = [sm3(b"medshare test vector: file byte block " + str(j).encode("ascii"))
              for j in range(-(-size // 32))]
    plaintext = bytes(blocks[i >> 5][i & 31] for i in range(size))
    eq("(7) plaintext SM3 (rule: %s)" % fv["plaintextRule"], sm3(plaintext), fv["plaintextSm3"])
    K = bytes.fromhex(v["encapsulate"]["key"])  # the table: "under K = encapsulate.key"
    chunks, leaves, root, key_check = chunk_file(K, plaintext, cb)
    check("(7) chunk count = max(1, ⌈size/chunkBytes⌉) = %d" % len(chunks),
          len(chunks) == len(fv["chunksSm3"]) == len(fv["leaves"]))
    for i, ct in enumerate(chunks):
        eq("(7) chunk[%d] ciphertext SM3 (%d bytes)" % (i, len(ct)), sm3(ct), fv["chunksSm3"][i])
    for i, lf in enumerate(leaves):
        eq("(7) leaf[%d]" % i, lf, fv["leaves"][i])
    eq("(7) root", root, fv["root"])
    eq("(7) key check", key_check, fv["keyCheck"])
    dec = b"".join(sm4_ctr(K[:16], i2osp(i, 8) + b"\x00" * 8, c) for i, c in enumerate(chunks))
    check("(7) SM4-CTR decrypt round-trip", dec == plaintext)
    _, el, er, _ = chunk_file(K, b"", cb)
    check("(7) empty file is one (empty) chunk, root = its leaf", len(el) == 1 and er == el[0])

    print("%s: %d failure(s)" % ("OK" if FAILS == 0 else "FAILED", FAILS))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
