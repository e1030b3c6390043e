#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent check of test/vectors/zk.json against docs/protocol.md §20 (Pedersen commitments
and opening proofs, keyword-set membership, twisted ElGamal and its validity proof, aggregated
Bulletproofs range proofs, on SM2/SM3).

Written from the document only (§20, and the §15 and §18 definitions it refers to), with no
reference to the TypeScript implementation or the vector generator. Python 3 standard library
only. The §15 primitives (SM3, sm2p256v1 arithmetic, expand_message_xmd, compressed points) are
check-tpre-independent.py's, the SWU map check-ring-independent.py's, both written from the
document; everything §20 adds is here: the generators, the transcript, the four VERIFIERS, the
encryption and decryption, and a Straus multi-scalar multiplication of our own. The provers are
not re-implemented: the vectors' proofs are checked, not re-derived.

A refusal raises Refused(check), `check` spelled as the vectors' `refusedBy`: "point", "scalar",
"length", "set size", "repeated keyword", "count", "bits", "range", "bound".

Usage: python3 scripts/vectors/check-zk-independent.py [path/to/zk.json]
Prints one line per check; exits 1 on any failure.
"""

import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ref = _load("tpre_reference", "check-tpre-independent.py")
ring = _load("ring_reference", "check-ring-independent.py")

sm3 = ref.sm3
P, ORDER, G, INF = ref.P, ref.N, ref.G, ref.INF
add, neg, on_curve = ref.add, ref.neg, ref.on_curve
to_jac, from_jac, jac_add, jac_double, J_INF = ref.to_jac, ref.from_jac, ref.jac_add, ref.jac_double, ref.J_INF
i2osp, os2ip, expand_message_xmd, encode_point = ref.i2osp, ref.os2ip, ref.expand_message_xmd, ref.encode_point
map_to_curve = ring.map_to_curve


class Refused(Exception):
    def __init__(self, check_name: str, detail: str = ""):
        super().__init__(check_name + ((": " + detail) if detail else ""))
        self.check = check_name


# ---------------------------------------------------------------------------------------------
# §20.1 generators and encodings
# ---------------------------------------------------------------------------------------------

DST_GEN = b"medshare/v1/zk/SM2_XMD:SM3_SSWU_RO_"


def hash_to_curve(msg: bytes, dst: bytes):
    uniform = expand_message_xmd(msg, dst, 96)
    u0, u1 = os2ip(uniform[0:48]) % P, os2ip(uniform[48:96]) % P
    q = add(map_to_curve(u0), map_to_curve(u1))
    assert q is not INF
    return q


H = hash_to_curve(b"H", DST_GEN)
U = hash_to_curve(b"U", DST_GEN)
_VG, _VH = [], []


def vector_gens(n: int):
    while len(_VG) < n:
        i = len(_VG)
        _VG.append(hash_to_curve(b"G" + i2osp(i, 4), DST_GEN))
        _VH.append(hash_to_curve(b"H" + i2osp(i, 4), DST_GEN))
    return _VG[:n], _VH[:n]


def point(b: bytes, what: str):
    try:
        return ref.decode_point(bytes(b), what)
    except ref.Refused as e:
        raise Refused("point", "%s: %s" % (what, e))


def scalar(b: bytes, what: str) -> int:
    v = os2ip(b)
    if len(b) != 32 or v >= ORDER:
        raise Refused("scalar", what)
    return v


class Fields:
    """Reads a fixed layout front to back after a length check."""

    def __init__(self, b: bytes, length: int, what: str):
        if len(b) != length:
            raise Refused("length", "%s is %d bytes, not %d" % (what, len(b), length))
        self.b, self.at, self.what = b, 0, what

    def point(self, name):
        p = point(self.b[self.at : self.at + 33], "%s.%s" % (self.what, name))
        self.at += 33
        return p

    def scalar(self, name):
        v = scalar(self.b[self.at : self.at + 32], "%s.%s" % (self.what, name))
        self.at += 32
        return v


def keyword_scalar(kw: bytes) -> int:
    framed = i2osp(len(kw), 4) + kw
    return os2ip(expand_message_xmd(framed, b"medshare/v1/zk/keyword", 48)) % ORDER


def sc(v: int) -> bytes:
    return i2osp(v % ORDER, 32)


# ---------------------------------------------------------------------------------------------
# §20.2 the transcript
# ---------------------------------------------------------------------------------------------


def frame(b: bytes) -> bytes:
    return i2osp(len(b), 4) + b


class Transcript:
    def __init__(self, name: str, context: bytes):
        self.t = b""
        self.append("protocol", b"medshare/v1/zk/" + name.encode())
        self.append("generators", DST_GEN)
        self.append("context", context)

    def append(self, label: str, data: bytes):
        self.t += frame(label.encode()) + frame(data)

    def challenge(self, label: str, length: int) -> bytes:
        lab = frame(label.encode())
        out = expand_message_xmd(self.t + lab, b"medshare/v1/zk/challenge", length)
        self.t += lab + frame(out)
        return out

    def scalar(self, label: str) -> int:
        return os2ip(self.challenge(label, 48)) % ORDER

    def weights(self, label: str, k: int):
        out = self.challenge(label, 16 * k)
        return [os2ip(out[16 * i : 16 * i + 16]) for i in range(k)]


# ---------------------------------------------------------------------------------------------
# A multi-scalar multiplication: Straus, 4-bit windows, shared doublings (public data only)
# ---------------------------------------------------------------------------------------------


def msm_is_identity(pairs) -> bool:
    terms = [(k % ORDER, p) for k, p in pairs if p is not INF and k % ORDER != 0]
    tables = []
    for _, p in terms:
        row = [J_INF, to_jac(p)]
        for _ in range(14):
            row.append(jac_add(row[-1], row[1]))
        tables.append(row)
    acc = J_INF
    for w in range(63, -1, -1):
        for _ in range(4):
            acc = jac_double(acc)
        for (k, _), row in zip(terms, tables):
            d = (k >> (4 * w)) & 15
            if d:
                acc = jac_add(acc, row[d])
    return from_jac(acc) is INF


# ---------------------------------------------------------------------------------------------
# §20.3–20.7 verifiers
# ---------------------------------------------------------------------------------------------


def verify_opening(C_bytes: bytes, value: int, context: bytes, proof: bytes) -> bool:
    C = point(C_bytes, "commitment")
    if value >= ORDER:
        raise Refused("scalar", "value")
    f = Fields(proof, 65, "opening proof")
    A, z = f.point("A"), f.scalar("z")
    t = Transcript("opening", context)
    t.append("commitment", C_bytes)
    t.append("value", sc(value))
    t.append("A", encode_point(A))
    c = t.scalar("c")
    if c == 0:
        return False
    return msm_is_identity([(z, H), (-1, A), (-c, C), (c * value, G)])


def verify_membership(C_bytes: bytes, keywords, context: bytes, proof: bytes) -> bool:
    C = point(C_bytes, "commitment")
    m = len(keywords)
    if not 1 <= m <= 64:
        raise Refused("set size", str(m))
    if len(set(keywords)) != m:
        raise Refused("repeated keyword")
    ks = [keyword_scalar(k) for k in keywords]
    f = Fields(proof, 97 * m - 32, "membership proof")
    A = [f.point("A_%d" % (i + 1)) for i in range(m)]
    cs = [f.scalar("c_%d" % (i + 1)) for i in range(m - 1)]
    zs = [f.scalar("z_%d" % (i + 1)) for i in range(m)]
    t = Transcript("membership", context)
    t.append("commitment", C_bytes)
    t.append("keywords", b"".join(sc(k) for k in ks))
    t.append("A", b"".join(encode_point(a) for a in A))
    c = t.scalar("c")
    if c == 0:
        return False
    cs.append((c - sum(cs)) % ORDER)
    t.append("responses", proof[33 * m :])
    w = t.weights("weights", m)
    pairs = [(-w[i], A[i]) for i in range(m)]
    pairs += [
        (sum(w[i] * zs[i] for i in range(m)), H),
        (-sum(w[i] * cs[i] for i in range(m)), C),
        (sum(w[i] * cs[i] * ks[i] for i in range(m)), G),
    ]
    return msm_is_identity(pairs)


def ciphertexts_of(cts, max_count):
    if not 1 <= len(cts) <= max_count:
        raise Refused("count", str(len(cts)))
    out = []
    for i, b in enumerate(cts):
        if len(b) != 66:
            raise Refused("point", "ciphertext %d is %d bytes" % (i, len(b)))
        out.append((point(b[:33], "X_%d" % i), point(b[33:], "Y_%d" % i)))
    return out


def verify_validity(pk_bytes: bytes, cts, context: bytes, proof: bytes) -> bool:
    pk = point(pk_bytes, "publicKey")
    decoded = ciphertexts_of(cts, 64)
    f = Fields(proof, 130, "validity proof")
    AX, AY, zv, zr = f.point("A_X"), f.point("A_Y"), f.scalar("z_v"), f.scalar("z_r")
    t = Transcript("validity", context)
    t.append("publicKey", pk_bytes)
    t.append("ciphertexts", b"".join(cts))
    e = t.weights("e", len(cts))
    t.append("A", encode_point(AX) + encode_point(AY))
    c = t.scalar("c")
    if c == 0:
        return False
    t.append("responses", sc(zv) + sc(zr))
    (omega,) = t.weights("weights", 1)
    pairs = [(zr, pk), (-1, AX), (-omega, AY), (omega * zv, G), (omega * zr, H)]
    for ei, (X, Y) in zip(e, decoded):
        pairs += [(-c * ei, X), (-omega * c * ei, Y)]
    return msm_is_identity(pairs)


def verify_range(pk_bytes: bytes, cts, ranges, bits: int, context: bytes, proof: bytes) -> bool:
    point(pk_bytes, "publicKey")
    decoded = ciphertexts_of(cts, 8)
    if bits not in (8, 16, 32, 64):
        raise Refused("bits", str(bits))
    if len(ranges) != len(cts):
        raise Refused("range", "one range per ciphertext")
    values = []  # (ciphertext index, shift)
    for i, (lo, hi) in enumerate(ranges):
        if not (0 <= lo <= hi <= 2**64 - 1) or hi - lo >= 2**bits:
            raise Refused("range", "ranges[%d]" % i)
        values.append((i, -lo))
        if hi - lo + 1 != 2**bits:
            values.append((i, 2**bits - 1 - hi))
    m = 1
    while m < len(values):
        m *= 2
    n_vec = bits * m
    k = n_vec.bit_length() - 1
    f = Fields(proof, 292 + 66 * k, "range proof")
    A, S, T1, T2 = f.point("A"), f.point("S"), f.point("T1"), f.point("T2")
    tau_x, mu, t_hat = f.scalar("tau_x"), f.scalar("mu"), f.scalar("t")
    Ls, Rs = [], []
    for j in range(k):
        Ls.append(f.point("L_%d" % j))
        Rs.append(f.point("R_%d" % j))
    a, b = f.scalar("a"), f.scalar("b")

    t = Transcript("range", context)
    t.append("publicKey", pk_bytes)
    t.append("ciphertexts", b"".join(cts))
    t.append("bits", i2osp(bits, 1))
    t.append("ranges", b"".join(i2osp(lo, 8) + i2osp(hi, 8) for lo, hi in ranges))
    t.append("A", encode_point(A))
    t.append("S", encode_point(S))
    y, z = t.scalar("y"), t.scalar("z")
    t.append("T1", encode_point(T1))
    t.append("T2", encode_point(T2))
    x = t.scalar("x")
    t.append("tau_x", sc(tau_x))
    t.append("mu", sc(mu))
    t.append("t", sc(t_hat))
    w = t.scalar("w")
    us = []
    for j in range(k):
        t.append("L", encode_point(Ls[j]))
        t.append("R", encode_point(Rs[j]))
        us.append(t.scalar("u"))
    t.append("a", sc(a))
    t.append("b", sc(b))
    c = t.scalar("c")
    if 0 in (y, z, x, w, c) or 0 in us:
        return False

    inv = lambda v: pow(v, ORDER - 2, ORDER)
    # s_i = Π_j u_j^(+1 if bit k−1−j of i is set, else −1)
    s = []
    for i in range(n_vec):
        acc = 1
        for j in range(k):
            acc = acc * (us[j] if (i >> (k - 1 - j)) & 1 else inv(us[j])) % ORDER
        s.append(acc)
    y_inv = inv(y)
    delta = ((z - z * z) * sum(pow(y, i, ORDER) for i in range(n_vec)) - (2**bits - 1) * sum(pow(z, 3 + j, ORDER) for j in range(m))) % ORDER
    g_vec, h_vec = vector_gens(n_vec)
    pairs = [(1, A), (x, S), (c * x, T1), (c * x * x, T2)]
    pairs += [(us[j] * us[j], Ls[j]) for j in range(k)] + [(inv(us[j] * us[j]), Rs[j]) for j in range(k)]
    for i in range(n_vec):
        j, bit = divmod(i, bits)
        pairs.append((-z - a * s[i], g_vec[i]))
        pairs.append((z + pow(y_inv, i, ORDER) * (pow(z, 2 + j, ORDER) * 2**bit - b * s[n_vec - 1 - i]), h_vec[i]))
    g_scalar = c * (delta - t_hat)
    for j, (ct, shift) in enumerate(values):
        weight = c * pow(z, 2 + j, ORDER)
        pairs.append((weight, decoded[ct][1]))
        g_scalar += weight * shift
    pairs += [(g_scalar, G), (-mu - c * tau_x, H), (w * (t_hat - a * b), U)]
    return msm_is_identity(pairs)


# ---------------------------------------------------------------------------------------------
# §20.5 twisted ElGamal
# ---------------------------------------------------------------------------------------------


def mul(k, p):
    return ref.mul(k % ORDER, p)


def encrypt(pk, v, r):
    return encode_point(mul(r, pk)) + encode_point(add(mul(v, G), mul(r, H)))


def half(b: bytes):
    return INF if b == bytes(33) else point(b, "aggregate half")


def decrypt(sk: int, agg: bytes, bits: int) -> int:
    X, Y = half(agg[:33]), half(agg[33:])
    D = Y if X is INF else add(Y, neg(mul(pow(sk, ORDER - 2, ORDER), X)))
    big_m = 2 ** ((bits + 1) // 2)
    baby = {}
    acc = INF
    for j in range(1, big_m):
        acc = add(acc, G)
        baby[acc] = j
    step = neg(mul(big_m, G))
    cur = D
    for i in range(2 ** (bits // 2)):
        if cur is INF:
            return i * big_m
        if cur in baby:
            return i * big_m + baby[cur]
        cur = add(cur, step)
    raise Refused("bound", "no v in [0, 2^%d)" % bits)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------

failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + (("  (" + detail + ")") if detail and not ok else ""))
    if not ok:
        failures += 1


def hx(h: str) -> bytes:
    return bytes.fromhex(h)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "test", "vectors", "zk.json")
    with open(path, encoding="utf-8") as fh:
        v = json.load(fh)

    gens = v["generators"]
    check("generators: DST", gens["dst"].encode() == DST_GEN)
    check("generators: H", encode_point(H).hex() == gens["H"])
    check("generators: U", encode_point(U).hex() == gens["U"])
    g4, h4 = vector_gens(4)
    check("generators: G_i, H_i", [encode_point(p).hex() for p in g4] == gens["G_i"] and [encode_point(p).hex() for p in h4] == gens["H_i"])

    tv = v["transcript"]
    t = Transcript(tv["protocol"], hx(tv["context"]))
    t.append("A", bytes([1, 2, 3]))
    y = t.scalar("y")
    t.append("empty", b"")
    w = t.weights("w", 2)
    check("transcript: challenge y", "%064x" % y == tv["steps"][1]["scalar"])
    check("transcript: weights", ["%032x" % x for x in w] == tv["steps"][3]["values"])
    check("transcript: T byte for byte", t.t.hex() == tv["T"])

    check("keyword scalars", all("%064x" % keyword_scalar(k["text"].encode()) == k["scalar"] for k in v["keywords"]))
    for i, c in enumerate(v["commitments"]):
        C = add(mul(int(c["value"], 16), G), mul(int(c["blinding"], 16), H))
        check("commitment %d = v·G + r·H" % i, encode_point(C).hex() == c["C"])

    eg = v["elgamal"]
    sk = int(eg["secretKey"], 16)
    pk = mul(sk, H)
    check("elgamal: pk = sk·H", encode_point(pk).hex() == eg["publicKey"])
    for i, e in enumerate(eg["encryptions"]):
        check("elgamal: encryption %d" % i, encrypt(pk, int(e["value"]), int(e["randomness"], 16)).hex() == e["ciphertext"])
    cts = [hx(e["ciphertext"]) for e in eg["encryptions"]]
    first = eg["aggregates"][0]
    X = INF
    Y = INF
    for i in first["of"]:
        X, Y = add(X, point(cts[i][:33], "X")), add(Y, point(cts[i][33:], "Y"))
    check("elgamal: aggregate is the pointwise sum", (encode_point(X) + encode_point(Y)).hex() == first["aggregate"])
    for a in eg["aggregates"]:
        check("elgamal: decrypt %s" % a["of"], str(decrypt(sk, hx(a["aggregate"]), a["bits"])) == a["decrypted"])
    for d in v["decryptRefusals"]:
        try:
            got = str(decrypt(sk, hx(d["ciphertext"]), d["bits"]))
            check("decrypt: " + d["name"], d.get("decrypted") == got, got)
        except Refused as e:
            check("decrypt: " + d["name"], d.get("refusedBy") == e.check, e.check)

    def run(scheme, case):
        if scheme == "opening":
            return verify_opening(hx(case["C"]), int(case["value"], 16), hx(case["context"]), hx(case["proof"]))
        if scheme == "membership":
            return verify_membership(hx(case["C"]), [k.encode() for k in case["keywords"]], hx(case["context"]), hx(case["proof"]))
        chosen = [hx(h) for h in case["rawCiphertexts"]] if "rawCiphertexts" in case else [cts[i] for i in case["ciphertexts"]]
        if scheme == "validity":
            return verify_validity(hx(case["publicKey"]), chosen, hx(case["context"]), hx(case["proof"]))
        rs = [(int(lo), int(hi)) for lo, hi in case["ranges"]]
        return verify_range(hx(case["publicKey"]), chosen, rs, case["bits"], hx(case["context"]), hx(case["proof"]))

    plural = {"opening": "openings", "membership": "memberships", "validity": "validity", "range": "ranges"}
    for scheme, key in plural.items():
        for i, case in enumerate(v[key]):
            check("%s %d verifies" % (scheme, i), run(scheme, case) is True)

    for r in v["refusals"]:
        case = dict(v[plural[r["scheme"]]][r["base"]])
        for field in ("C", "value", "context", "proof", "keywords", "publicKey", "ciphertexts", "ranges", "bits", "rawCiphertexts"):
            if field in r:
                case[field] = r[field]
        name = "refusal (%s): %s" % (r["scheme"], r["name"])
        try:
            ok = run(r["scheme"], case)
            check(name, r["expect"] == "invalid" and ok is False, "verified %s" % ok)
        except Refused as e:
            check(name, r["expect"] == "refused" and r.get("refusedBy") == e.check, "refused by %s" % e.check)

    print("OK: %d failure(s)" % failures if failures == 0 else "FAILED: %d failure(s)" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
