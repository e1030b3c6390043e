#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent check of test/vectors/ring.json against docs/protocol.md §18 (linkable ring
signatures, bLSAG on SM2/SM3 with the key image x·Hp(scope)).

Written from the document only (§18, and §15's definitions it refers to), with no reference to
the TypeScript implementation or the vector generator. Python 3 standard library only. The §15
primitives (SM3, HMAC-SM3, sm2p256v1 arithmetic, expand_message_xmd, framed, compressed point
decoding) are those of check-tpre-independent.py, itself written from the document; everything
§18 adds is here: the SWU map in RFC 9380 §6.6.2's plain form (check-tpre has none), Z by
RFC 9380 §H.2's find_z_sswu, Hp, the challenge, the RFC 6979 nonces, signing and verification.

A refusal raises Refused(check), `check` spelled as the vectors' `refusedBy`: "scope",
"ring size", "ring member", "signature length", "key image", "c_0", "s_i".

Usage: python3 scripts/vectors/check-ring-independent.py [path/to/ring.json]
Prints one line per check; exits 1 on any failure.
"""

import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("tpre_reference", os.path.join(HERE, "check-tpre-independent.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

sm3, hmac_sm3 = ref.sm3, ref.hmac_sm3
P, A, B, N, G, INF = ref.P, ref.A_COEF, ref.B_COEF, ref.N, ref.G, ref.INF
add, mul, on_curve = ref.add, ref.mul, ref.on_curve
i2osp, os2ip = ref.i2osp, ref.os2ip
expand_message_xmd, framed, encode_point = ref.expand_message_xmd, ref.framed, ref.encode_point
check, eq = ref.check, ref.eq


class Refused(Exception):
    def __init__(self, check_name: str, detail: str = ""):
        super().__init__(check_name + ((": " + detail) if detail else ""))
        self.check = check_name


# ---------------------------------------------------------------------------------------------
# RFC 9380: Z (§H.2), the simplified SWU map (§6.6.2) and hash_to_curve (§3) for sm2p256v1
# ---------------------------------------------------------------------------------------------


def is_square(v: int, p: int) -> bool:
    return v % p == 0 or pow(v, (p - 1) // 2, p) == 1


def _poly_mulmod(a, b, f, p):
    """a·b mod f over GF(p); polynomials as coefficient lists, lowest first; f monic."""
    r = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            r[i + j] = (r[i + j] + x * y) % p
    d = len(f) - 1
    for k in range(len(r) - 1, d - 1, -1):
        c = r[k]
        if c:
            for j in range(d + 1):
                r[k - d + j] = (r[k - d + j] - c * f[j]) % p
    return (r + [0] * d)[:d]


def _cubic_has_root(f, p) -> bool:
    """A monic cubic over GF(p) is irreducible iff it has no root iff gcd(x^p − x, f) = 1."""
    res, base, e = [1, 0, 0], [0, 1, 0], p
    while e:
        if e & 1:
            res = _poly_mulmod(res, base, f, p)
        base = _poly_mulmod(base, base, f, p)
        e >>= 1
    g = [res[0] % p, (res[1] - 1) % p, res[2] % p]

    def trim(a):
        while a and a[-1] % p == 0:
            a = a[:-1]
        return a

    a, b = trim(list(f)), trim(g)
    while b:
        a = list(a)
        while a and len(a) >= len(b):
            c = a[-1] * pow(b[-1], -1, p) % p
            s = len(a) - len(b)
            for j in range(len(b)):
                a[s + j] = (a[s + j] - c * b[j]) % p
            a = trim(a)
        a, b = b, a
    return len(a) > 1


def find_z_sswu(p: int, a: int, b: int) -> int:
    """RFC 9380 §H.2, as a signed integer: candidates 1, −1, 2, −2, …"""
    ctr = 1
    while True:
        for z in (ctr, -ctr):
            zp = z % p
            if is_square(zp, p):  # criterion 1: Z non-square
                continue
            if zp == p - 1:  # criterion 2: Z ≠ −1
                continue
            if _cubic_has_root([(b - zp) % p, a % p, 0, 1], p):  # criterion 3: g(x) − Z irreducible
                continue
            x = b * pow(zp * a, -1, p) % p  # criterion 4: g(B / (Z·A)) square
            if is_square((x * x * x + a * x + b) % p, p):
                return z
        ctr += 1


Z = -9  # §18; confirmed by find_z_sswu in main()


def inv0(v: int) -> int:
    return pow(v % P, P - 2, P)  # 0 ↦ 0


def sqrt_p(v: int) -> int:
    return pow(v % P, (P + 1) // 4, P)  # p ≡ 3 (mod 4)


def sgn0(v: int) -> int:
    return v % 2


def g(x: int) -> int:
    return (x * x * x + A * x + B) % P


def map_to_curve(u: int):
    """§18 / RFC 9380 §6.6.2, the plain (not straight-line) form."""
    zp = Z % P
    tv1 = inv0(zp * zp * pow(u, 4, P) + zp * u * u)
    if tv1 == 0:
        x1 = B * inv0(zp * A) % P
    else:
        x1 = (-B) * inv0(A) * (1 + tv1) % P
    gx1 = g(x1)
    if is_square(gx1, P):
        x, y = x1, sqrt_p(gx1)
    else:
        x = zp * u * u * x1 % P
        y = sqrt_p(g(x))
    if sgn0(u) != sgn0(y):
        y = (-y) % P
    pt = (x, y)
    assert on_curve(pt)
    return pt


H2C_DST = b"medshare/v1/ring/SM2_XMD:SM3_SSWU_RO_"


def hash_to_field(msg: bytes):
    uniform = expand_message_xmd(msg, H2C_DST, 96)
    return os2ip(uniform[0:48]) % P, os2ip(uniform[48:96]) % P


def hp(scope: bytes):
    u0, u1 = hash_to_field(scope)
    h = add(map_to_curve(u0), map_to_curve(u1))
    if h is INF:
        raise Refused("scope", "Hp(scope) is the identity")
    return h


# ---------------------------------------------------------------------------------------------
# §18 hashes, encodings, signing and verification
# ---------------------------------------------------------------------------------------------


def H_ring(tag: str, *parts: bytes) -> int:
    return os2ip(expand_message_xmd(framed(*parts), ("medshare/v1/ring/" + tag).encode("utf-8"), 48)) % N


def uncompressed(pt) -> bytes:
    return b"\x04" + i2osp(pt[0], 32) + i2osp(pt[1], 32)


def decode_member(b: bytes, i: int):
    if len(b) != 65 or b[0] != 4:
        raise Refused("ring member", "ring[%d] is not 65 bytes starting 04" % i)
    pt = (os2ip(b[1:33]), os2ip(b[33:65]))
    if not on_curve(pt):  # on_curve also requires x, y < p
        raise Refused("ring member", "ring[%d] is not on the curve" % i)
    return pt


def challenge(ring_bytes: bytes, scope: bytes, image: bytes, message: bytes, L, R) -> int:
    return H_ring("challenge", ring_bytes, scope, image, message, encode_point(L), encode_point(R))


def rfc6979_nonces(x: int, e: int):
    """§3's RFC 6979 generator with HMAC-SM3, h1 = I2OSP(e, 32); yields the kept values."""
    xb, h1 = i2osp(x, 32), i2osp(e, 32)
    V, K = b"\x01" * 32, b"\x00" * 32
    K = hmac_sm3(K, V + b"\x00" + xb + h1)
    V = hmac_sm3(K, V)
    K = hmac_sm3(K, V + b"\x01" + xb + h1)
    V = hmac_sm3(K, V)
    first = True
    while True:
        if not first:
            K = hmac_sm3(K, V + b"\x00")
            V = hmac_sm3(K, V)
        first = False
        V = hmac_sm3(K, V)
        k = os2ip(V)
        if 1 <= k < N:
            yield k


def sign(message: bytes, scope: bytes, ring, pi: int, x: int):
    """§18 signing steps 1–6; returns (signature, nonce seed e, [c_0 … c_{n−1}])."""
    nr = len(ring)
    pts = [decode_member(m, i) for i, m in enumerate(ring)]
    assert 0 <= pi < nr and 1 <= x <= N - 2 and mul(x, G) == pts[pi]
    H = hp(scope)
    I = mul(x, H)
    ib = encode_point(I)
    rb = b"".join(ring)
    e = H_ring("nonce", rb, scope, message)
    nonces = rfc6979_nonces(x, e)
    alpha = next(nonces)
    c, s = [0] * nr, [0] * nr
    c[(pi + 1) % nr] = challenge(rb, scope, ib, message, mul(alpha, G), mul(alpha, H))
    for k in range(1, nr):
        i = (pi + k) % nr
        s[i] = next(nonces)
        L = add(mul(s[i], G), mul(c[i], pts[i]))
        R = add(mul(s[i], H), mul(c[i], I))
        c[(i + 1) % nr] = challenge(rb, scope, ib, message, L, R)
    s[pi] = (alpha - c[pi] * x) % N
    return ib + i2osp(c[0], 32) + b"".join(i2osp(v, 32) for v in s), e, c


def verify(message: bytes, scope: bytes, ring, sig: bytes):
    """§18 verification: raises Refused for malformed input, else returns (valid, challenges)."""
    if len(scope) == 0:
        raise Refused("scope", "empty")
    nr = len(ring)
    if not 1 <= nr <= 1024:
        raise Refused("ring size", str(nr))
    pts = [decode_member(m, i) for i, m in enumerate(ring)]
    if len(sig) != 65 + 32 * nr:
        raise Refused("signature length", "%d bytes for a ring of %d" % (len(sig), nr))
    try:
        I = ref.decode_point(sig[:33], "I")
    except ref.Refused as err:
        raise Refused("key image", err.check) from err
    c0 = os2ip(sig[33:65])
    if not 1 <= c0 < N:
        raise Refused("c_0")
    s = [os2ip(sig[65 + 32 * i:97 + 32 * i]) for i in range(nr)]
    if any(v >= N for v in s):
        raise Refused("s_i")
    H = hp(scope)
    rb = b"".join(ring)
    c, seen = c0, []
    for i in range(nr):
        seen.append(c)
        L = add(mul(s[i], G), mul(c, pts[i]))
        R = add(mul(s[i], H), mul(c, I))
        if L is INF or R is INF:
            return False, seen
        c = challenge(rb, scope, sig[:33], message, L, R)
    return c == c0, seen


# ---------------------------------------------------------------------------------------------
# The vectors
# ---------------------------------------------------------------------------------------------

P256 = (0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF, -3,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B)


def scope_name(scope_hex: str) -> str:
    raw = bytes.fromhex(scope_hex)
    try:
        text = raw.decode("ascii")
        if text.isprintable() and text:
            return repr(text)
    except UnicodeDecodeError:
        pass
    return scope_hex[:16] + ("…" if len(scope_hex) > 16 else "")


def check_primitives(v):
    check("(0) SM3 [%s] 'abc' vector" % ref.SM3_SOURCE, sm3(b"abc").hex() ==
          "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    z_p256 = find_z_sswu(P256[0], P256[1] % P256[0], P256[2])
    check("(0) find_z_sswu(P-256) = −10 (RFC 9380's published Z)", z_p256 == -10, "got %d" % z_p256)
    z_sm2 = find_z_sswu(P, A, B)
    check("(0) find_z_sswu(sm2p256v1) = −9", z_sm2 == -9, "got %d" % z_sm2)
    suite = v["suite"]
    check("(0) suite Z = %s" % suite["Z"], int(suite["Z"]) == Z)
    check("(0) suite DSTs", suite["hashToCurveDst"].encode() == H2C_DST
          and suite["challengeDst"] == "medshare/v1/ring/challenge" and suite["nonceDst"] == "medshare/v1/ring/nonce")
    for t in v["expandMessageXmd"]:
        msg = t["msg"].encode("utf-8")
        eq("(0) expand_message_xmd(%r…, %d)" % (t["msg"][:12], t["lenInBytes"]),
           expand_message_xmd(msg, t["dst"].encode("utf-8"), t["lenInBytes"]), t["uniformBytes"])


def check_hash_to_curve(v):
    for t in v["hashToCurve"]:
        scope = bytes.fromhex(t["scope"])
        what = t.get("text", t["scope"][:16])
        u0, u1 = hash_to_field(scope)
        eq("(1) u_0 of %r" % what, i2osp(u0, 32), t["u0"])
        eq("(1) u_1 of %r" % what, i2osp(u1, 32), t["u1"])
        q0, q1 = map_to_curve(u0), map_to_curve(u1)
        eq("(1) Q_0 = map(u_0) of %r" % what, uncompressed(q0), t["Q0"])
        eq("(1) Q_1 = map(u_1) of %r" % what, uncompressed(q1), t["Q1"])
        h = hp(scope)
        check("(1) Hp(%r) on the curve" % what, on_curve(h))
        eq("(1) Hp(%r)" % what, uncompressed(h), t["point"])
        eq("(1) Hp(%r) compressed" % what, encode_point(h), t["compressed"])


def check_keys(v):
    keys = []
    for i, k in enumerate(v["keys"]):
        x = os2ip(bytes.fromhex(k["secret"]))
        check("(2) key %d secret in [1, n−2]" % i, 1 <= x <= N - 2)
        eq("(2) key %d public = x·G" % i, uncompressed(mul(x, G)), k["publicKey"])
        keys.append((x, bytes.fromhex(k["publicKey"])))
    per_key = {}
    for t in v["keyImages"]:
        x = keys[t["key"]][0]
        scope = bytes.fromhex(t["scope"])
        eq("(3) key image of key %d in scope %s" % (t["key"], scope_name(t["scope"])), encode_point(mul(x, hp(scope))), t["I"])
        per_key.setdefault(t["key"], []).append(t["I"])
    for key, images in sorted(per_key.items()):
        check("(3) key %d: %d scopes, %d different key images" % (key, len(images), len(set(images))),
              len(set(images)) == len(images))
    return keys


def check_signatures(v, keys):
    for j, t in enumerate(v["signatures"]):
        ring = [keys[i][1] for i in t["ring"]]
        scope, message = bytes.fromhex(t["scope"]), bytes.fromhex(t["message"])
        signer = t["signer"]
        what = "signature %d (ring of %d, signer %d)" % (j, len(ring), signer)
        sig, e, cs = sign(message, scope, ring, signer, keys[t["ring"][signer]][0])
        eq("(4) %s: nonce seed e" % what, i2osp(e, 32), t["nonceSeed"])
        check("(4) %s: challenges c_0 … c_%d" % (what, len(ring) - 1),
              [i2osp(c, 32).hex() for c in cs] == t["challenges"])
        eq("(4) %s: signed from the spec, byte for byte" % what, sig, t["signature"])
        ok, seen = verify(message, scope, ring, bytes.fromhex(t["signature"]))
        check("(4) %s verifies" % what, ok and [i2osp(c, 32).hex() for c in seen] == t["challenges"])


def check_links(v, keys):
    by_scope = {}
    for t in v["signatures"]:
        key = t["ring"][t["signer"]]
        by_scope.setdefault((key, t["scope"]), set()).add(t["signature"][:66])
    for (key, scope), images in sorted(by_scope.items()):
        check("(5) key %d in scope %s: one key image over all its signatures" % (key, scope_name(scope)), len(images) == 1)
    images = {}
    for (key, scope), imgs in by_scope.items():
        images.setdefault(key, {})[scope] = next(iter(imgs))
    for key, per_scope in sorted(images.items()):
        if len(per_scope) > 1:
            check("(5) key %d: different key images in different scopes" % key,
                  len(set(per_scope.values())) == len(per_scope))
        check("(5) key %d: no key image is the compressed public key" % key,
              all(img != encode_point((os2ip(keys[key][1][1:33]), os2ip(keys[key][1][33:]))).hex()
                  for img in per_scope.values()))


def check_refusals(v, keys):
    for r in v["refusals"]:
        base = v["signatures"][r["base"]]
        ring = [keys[i][1] if isinstance(i, int) else bytes.fromhex(i) for i in r.get("ring", base["ring"])]
        scope = bytes.fromhex(r.get("scope", base["scope"]))
        message = bytes.fromhex(r.get("message", base["message"]))
        sig = bytes.fromhex(r.get("signature", base["signature"]))
        label = "(6) %s [%s]" % (r["name"], r["field"])
        try:
            ok, _ = verify(message, scope, ring, sig)
        except Refused as err:
            want = r.get("refusedBy")
            check(label, r["expect"] == "refused" and err.check == want,
                  "refused by '%s'; expected %s" % (err.check, want or r["expect"]))
            continue
        check(label, r["expect"] == "invalid" and not ok, "verified %s; expected %s" % (ok, r["expect"]))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "test", "vectors", "ring.json")
    with open(path, encoding="utf-8") as fh:
        v = json.load(fh)
    check_primitives(v)
    check_hash_to_curve(v)
    keys = check_keys(v)
    check_signatures(v, keys)
    check_links(v, keys)
    check_refusals(v, keys)
    print("%s: %d failure(s)" % ("OK" if ref.FAILS == 0 else "FAILED", ref.FAILS))
    sys.exit(1 if ref.FAILS else 0)


if __name__ == "__main__":
    main()
