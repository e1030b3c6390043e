// SPDX-License-Identifier: Apache-2.0
// SM2's prime field and Jacobian point arithmetic for verification (public data only: variable
// time), and signing's constant-time [k]G (ct_base_x, at the end: secret k), compiled to
// WebAssembly by scripts/wasm/build-sm2-field.sh into
// crypto/src/sm2/field-wasm.generated.ts. No libc, no allocator: the caller (field-wasm.ts) lays
// out its buffers in linear memory above __heap_base and passes pointers.
//
// A field element is 8 little-endian 32-bit words in Montgomery form (a·R mod p, R = 2^256),
// always reduced (< p). p = 2^256 − 2^224 − 2^96 + 2^64 − 1 is ≡ −1 mod 2^32, so Montgomery's
// factor −p⁻¹ mod 2^32 is 1 and a reduction step adds m·p with m the low word itself; p's
// special form makes m·p four shifted additions or subtractions of m, with no multiplication.
// A Jacobian point is X, Y, Z (24 words), Z = 0 the point at infinity; an affine point is x, y.

typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

#define EXPORT(name) __attribute__((export_name(#name)))

static const u32 P[8] = {0xffffffffu, 0xffffffffu, 0x00000000u, 0xffffffffu,
                         0xffffffffu, 0xffffffffu, 0xffffffffu, 0xfffffffeu};
// R² mod p, to enter Montgomery form.
static const u32 R2[8] = {0x00000003u, 0x00000002u, 0xffffffffu, 0x00000002u,
                          0x00000001u, 0x00000001u, 0x00000002u, 0x00000004u};
static const u32 ONE[8] = {1, 0, 0, 0, 0, 0, 0, 0};
// Montgomery form of 1 (R mod p), for Z = 1: set by init().
static u32 MONT_ONE[8];

// r = t / 2^256 mod p for t < p·2^256 given as 16 words (Montgomery reduction, special form).
static void reduce(u32 *r, const u32 *t) {
  i64 col[17];
  for (int i = 0; i < 16; i++) col[i] = t[i];
  col[16] = 0;
  for (int i = 0; i < 8; i++) {
    // Column i holds its word plus the carry of column i − 1; m is its low word, and adding m·p
    // clears it: m·p = m·2^256 − m·2^224 − m·2^96 + m·2^64 − m.
    i64 m = col[i] & 0xffffffffLL;
    col[i + 1] += (col[i] - m) >> 32;
    col[i + 2] += m;
    col[i + 3] -= m;
    col[i + 7] -= m;
    col[i + 8] += m;
  }
  for (int i = 8; i < 16; i++) {
    col[i + 1] += col[i] >> 32;
    col[i] &= 0xffffffffLL;
  }
  // The result is < 2p: subtract p once if it is ≥ p (col[16] is its 257th bit).
  u32 s[8];
  i64 borrow = 0;
  for (int i = 0; i < 8; i++) {
    i64 d = col[8 + i] - (i64)P[i] + borrow;
    s[i] = (u32)d;
    borrow = d >> 32;
  }
  // Masked, not branched (signing's scalar multiplication runs through here with secrets).
  u32 keep = 0u - (u32)((u64)(col[16] + borrow) >> 63);
  for (int i = 0; i < 8; i++) r[i] = (s[i] & ~keep) | ((u32)col[8 + i] & keep);
}

static void mul(u32 *r, const u32 *a, const u32 *b) {
  u32 t[16];
  for (int i = 0; i < 16; i++) t[i] = 0;
  for (int i = 0; i < 8; i++) {
    u64 c = 0;
    u64 ai = a[i];
    for (int j = 0; j < 8; j++) {
      c += ai * b[j] + t[i + j];
      t[i + j] = (u32)c;
      c >>= 32;
    }
    t[i + 8] = (u32)c;
  }
  reduce(r, t);
}

static void sqr(u32 *r, const u32 *a) {
  // Off-diagonal products once, doubled, plus the squares: 36 multiplications instead of 64.
  u32 t[16];
  for (int i = 0; i < 16; i++) t[i] = 0;
  for (int i = 0; i < 7; i++) {
    u64 c = 0;
    u64 ai = a[i];
    for (int j = i + 1; j < 8; j++) {
      c += ai * a[j] + t[i + j];
      t[i + j] = (u32)c;
      c >>= 32;
    }
    t[i + 8] = (u32)c;
  }
  u32 top = 0;
  for (int i = 0; i < 16; i++) {
    u32 w = t[i];
    t[i] = (w << 1) | top;
    top = w >> 31;
  }
  u64 c = 0;
  for (int i = 0; i < 8; i++) {
    u64 sq = (u64)a[i] * a[i];
    c += (u64)t[2 * i] + (u32)sq;
    t[2 * i] = (u32)c;
    c >>= 32;
    c += (u64)t[2 * i + 1] + (sq >> 32);
    t[2 * i + 1] = (u32)c;
    c >>= 32;
  }
  reduce(r, t);
}

static void add(u32 *r, const u32 *a, const u32 *b) {
  u32 s[8];
  u64 c = 0;
  for (int i = 0; i < 8; i++) {
    c += (u64)a[i] + b[i];
    s[i] = (u32)c;
    c >>= 32;
  }
  // a + b − p: keep it unless it borrows past the carry.
  u32 d[8];
  i64 borrow = 0;
  for (int i = 0; i < 8; i++) {
    i64 x = (i64)s[i] - (i64)P[i] + borrow;
    d[i] = (u32)x;
    borrow = x >> 32;
  }
  u32 keep = 0u - (u32)((u64)((i64)c + borrow) >> 63);
  for (int i = 0; i < 8; i++) r[i] = (d[i] & ~keep) | (s[i] & keep);
}

static void sub(u32 *r, const u32 *a, const u32 *b) {
  i64 borrow = 0;
  u32 d[8];
  for (int i = 0; i < 8; i++) {
    i64 x = (i64)a[i] - (i64)b[i] + borrow;
    d[i] = (u32)x;
    borrow = x >> 32;
  }
  // Add p back under a mask (borrow is 0 or −1), not a branch.
  u32 mask = (u32)borrow;
  u64 c = 0;
  for (int i = 0; i < 8; i++) {
    c += (u64)d[i] + (P[i] & mask);
    r[i] = (u32)c;
    c >>= 32;
  }
}

static int is_zero(const u32 *a) {
  u32 x = 0;
  for (int i = 0; i < 8; i++) x |= a[i];
  return x == 0;
}

static void copy(u32 *r, const u32 *a) {
  for (int i = 0; i < 8; i++) r[i] = a[i];
}

static void neg(u32 *r, const u32 *a) {
  static const u32 zero[8] = {0};
  sub(r, zero, a);
}

// dbl-2001-b (a = −3), in place: 3M + 5S. Infinity stays infinity (Z₃ = 2YZ = 0).
static void dbl(u32 *pt) {
  u32 *x = pt, *y = pt + 8, *z = pt + 16;
  u32 delta[8], gamma[8], beta[8], t[8], u[8], alpha[8], beta4[8], x3[8], gamma8[8];
  sqr(delta, z);
  sqr(gamma, y);
  mul(beta, x, gamma);
  sub(t, x, delta);
  add(u, x, delta);
  mul(t, t, u);
  add(alpha, t, t);
  add(alpha, alpha, t);
  add(beta4, beta, beta);
  add(beta4, beta4, beta4);
  sqr(x3, alpha);
  add(t, beta4, beta4);
  sub(x3, x3, t);
  add(t, y, z);
  sqr(t, t);
  sub(t, t, gamma);
  sub(z, t, delta);
  sqr(gamma8, gamma);
  add(gamma8, gamma8, gamma8);
  add(gamma8, gamma8, gamma8);
  add(gamma8, gamma8, gamma8);
  sub(t, beta4, x3);
  mul(t, alpha, t);
  sub(y, t, gamma8);
  copy(x, x3);
}

// The exceptions of the incomplete addition formulas, on P₁ = pt before it changes: h = 0 means
// equal x, so P₁ = P₂ (r = 0: double) or P₁ = −P₂ (infinity). Returns 1 if it handled them.
static int add_exception(u32 *pt, const u32 *h, const u32 *r) {
  if (!is_zero(h)) return 0;
  if (is_zero(r)) {
    dbl(pt);
  } else {
    for (int i = 0; i < 8; i++) pt[16 + i] = 0;
  }
  return 1;
}

// The common end of both additions (add-1998-cmo-2), with h = U₂ − U₁ and r = S₂ − S₁:
// X₃ = r² − h³ − 2·U₁h², Y₃ = r·(U₁h² − X₃) − S₁h³, Z₃ = Z·h where pt's Z already holds Z₁Z₂.
// U₁ and S₁ may be pt's own X and Y (the mixed addition): they are read before being replaced.
static void add_finish(u32 *pt, const u32 *u1, const u32 *s1, const u32 *h, const u32 *r) {
  u32 hh[8], hhh[8], v[8], t[8];
  sqr(hh, h);
  mul(hhh, h, hh);
  mul(v, u1, hh);
  sqr(t, r);
  sub(t, t, hhh);
  sub(t, t, v);
  sub(t, t, v);
  mul(pt + 16, pt + 16, h);
  sub(v, v, t);
  mul(v, r, v);
  mul(hhh, s1, hhh);
  sub(pt + 8, v, hhh);
  copy(pt, t);
}

// pt += (qx, qy) with Z₂ = 1: 8M + 3S. P = ∞ gives Q, P = Q doubles, P = −Q gives ∞.
static void add_affine(u32 *pt, const u32 *qx, const u32 *qy) {
  u32 *x1 = pt, *y1 = pt + 8, *z1 = pt + 16;
  if (is_zero(z1)) {
    copy(x1, qx);
    copy(y1, qy);
    copy(z1, MONT_ONE);
    return;
  }
  u32 z1z1[8], u2[8], s2[8], h[8], r[8];
  sqr(z1z1, z1);
  mul(u2, qx, z1z1);
  mul(s2, z1, z1z1);
  mul(s2, qy, s2);
  sub(h, u2, x1);
  sub(r, s2, y1);
  if (!add_exception(pt, h, r)) add_finish(pt, x1, y1, h, r);
}

// r = a^(p−2) = a⁻¹ (a ≠ 0; 0 gives 0), by a fixed 4-bit window: 256 squarings, 64 multiplications.
static void inv(u32 *r, const u32 *a) {
  static const u32 E[8] = {0xfffffffdu, 0xffffffffu, 0x00000000u, 0xffffffffu,
                           0xffffffffu, 0xffffffffu, 0xffffffffu, 0xfffffffeu};  // p − 2
  u32 pow[16][8];
  copy(pow[1], a);
  for (int i = 2; i < 16; i++) mul(pow[i], pow[i - 1], a);
  u32 acc[8];
  copy(acc, MONT_ONE);
  for (int nib = 63; nib >= 0; nib--) {
    sqr(acc, acc);
    sqr(acc, acc);
    sqr(acc, acc);
    sqr(acc, acc);
    u32 d = (E[nib >> 3] >> ((nib & 7) * 4)) & 15;
    if (d) mul(acc, acc, pow[d]);
  }
  copy(r, acc);
}

// p1 += p2, both Jacobian: 12M + 4S, the same exceptions.
static void add_jac(u32 *p1, const u32 *p2) {
  if (is_zero(p2 + 16)) return;
  if (is_zero(p1 + 16)) {
    for (int i = 0; i < 24; i++) p1[i] = p2[i];
    return;
  }
  u32 z1z1[8], z2z2[8], u1[8], u2[8], s1[8], s2[8], h[8], r[8];
  sqr(z1z1, p1 + 16);
  sqr(z2z2, p2 + 16);
  mul(u1, p1, z2z2);
  mul(u2, p2, z1z1);
  mul(s1, p2 + 16, z2z2);
  mul(s1, p1 + 8, s1);
  mul(s2, p1 + 16, z1z1);
  mul(s2, p2 + 8, s2);
  sub(h, u2, u1);
  sub(r, s2, s1);
  if (add_exception(p1, h, r)) return;
  mul(p1 + 16, p1 + 16, p2 + 16);
  add_finish(p1, u1, s1, h, r);
}

// ---- constant time: signing's [k]G (k secret) ---------------------------------------------
// Everything below runs the same instructions and touches the same addresses whatever k is:
// the field operations above are branch-free (fixed loops, masked final subtractions), the
// point addition is complete (no exceptional cases to branch on), table entries are chosen by
// reading every entry of the window under a mask, and the inversion is a fixed exponent chain.
// A projective point here is X, Y, Z with x = X/Z, y = Y/Z (not Jacobian), (0, 1, 0) the identity.

// b in plain form, and 3b in Montgomery form (set by init()).
static const u32 B[8] = {0x4d940e93u, 0xddbcbd41u, 0x15ab8f92u, 0xf39789f5u,
                         0xcf6509a7u, 0x4d5a9e4bu, 0x9d9f5e34u, 0x28e9fa9eu};
static u32 B3_MONT[8];

// r = a·t with a = −3: −(t + t + t).
static void mul_a(u32 *r, const u32 *t) {
  static const u32 zero[8] = {0};
  u32 t3[8];
  add(t3, t, t);
  add(t3, t3, t);
  sub(r, zero, t3);
}

// r[i] = mask ? a[i] : r[i] for n words, mask all ones or all zeros.
static void cmov(u32 *r, const u32 *a, u32 mask, int n) {
  for (int i = 0; i < n; i++) r[i] = (r[i] & ~mask) | (a[i] & mask);
}

// All ones if x = 0, else 0, without a comparison the compiler could branch on.
static u32 zero_mask(u32 x) {
  return ((x | (0u - x)) >> 31) - 1u;
}

// p3 = p1 + p2, projective, complete for every pair of points of a prime-order curve (no
// exceptions: P + ∞, P + P, P + (−P) all come out right): Renes–Costello–Batina 2016,
// algorithm 1, with a = −3. 12M + 2·(3b) + 23 additions. p3 may not alias p1 or p2.
static void add_complete(u32 *p3, const u32 *p1, const u32 *p2) {
  const u32 *x1 = p1, *y1 = p1 + 8, *z1 = p1 + 16, *x2 = p2, *y2 = p2 + 8, *z2 = p2 + 16;
  u32 *x3 = p3, *y3 = p3 + 8, *z3 = p3 + 16;
  u32 t0[8], t1[8], t2[8], t3[8], t4[8], t5[8];
  mul(t0, x1, x2);
  mul(t1, y1, y2);
  mul(t2, z1, z2);
  add(t3, x1, y1);
  add(t4, x2, y2);
  mul(t3, t3, t4);
  add(t4, t0, t1);
  sub(t3, t3, t4);
  add(t4, x1, z1);
  add(t5, x2, z2);
  mul(t4, t4, t5);
  add(t5, t0, t2);
  sub(t4, t4, t5);
  add(t5, y1, z1);
  add(x3, y2, z2);
  mul(t5, t5, x3);
  add(x3, t1, t2);
  sub(t5, t5, x3);
  mul_a(z3, t4);
  mul(x3, B3_MONT, t2);
  add(z3, x3, z3);
  sub(x3, t1, z3);
  add(z3, t1, z3);
  mul(y3, x3, z3);
  add(t1, t0, t0);
  add(t1, t1, t0);
  mul_a(t2, t2);
  mul(t4, B3_MONT, t4);
  add(t1, t1, t2);
  sub(t2, t0, t2);
  mul_a(t2, t2);
  add(t4, t4, t2);
  mul(t0, t1, t4);
  add(y3, y3, t0);
  mul(t0, t5, t4);
  mul(x3, t3, x3);
  sub(x3, x3, t0);
  mul(t0, t3, t1);
  mul(z3, t5, z3);
  add(z3, z3, t0);
}

// The affine x of [k]G into `x` (Montgomery form), k < n given as 8 little-endian words, from
// fixed_table(G, 4, 65)'s table: window j holds d·16^j·G for d = 1 … 8 (affine, 16 words each).
// k is recoded into 65 signed digits in [−7, 8] (digit + carry, minus 16 when above 8, all by
// arithmetic); each window adds ±(its digit's entry), selected by scanning the window's 8
// entries under masks, and a zero digit keeps the accumulator by a masked copy: 65 complete
// additions, 520 entry reads, one inversion, for every k. Returns 0 if [k]G is infinity (k ≡ 0
// mod n, refused by the caller), read off Z after the fact (the result is public as r).
EXPORT(ct_base_x) int ct_base_x(u32 *x, const u32 *k, const u32 *table) {
  static const u32 zero[8] = {0};
  u32 acc[24], sum[24], q[24], ny[8], zi[8];
  for (int i = 0; i < 24; i++) acc[i] = 0;
  copy(acc + 8, MONT_ONE);
  u32 carry = 0;
  for (int w = 0; w < 65; w++) {
    u32 bits = w < 64 ? (k[w >> 3] >> ((w & 7) * 4)) & 15u : 0u;  // w is public
    u32 b = bits + carry;                                          // 0 … 16
    carry = (8u - b) >> 31;                                        // b > 8
    u32 neg_mask = 0u - carry;
    u32 abs = (b & ~neg_mask) | ((16u - b) & neg_mask);            // |digit|, 0 … 8
    for (int i = 0; i < 24; i++) q[i] = 0;
    for (u32 d = 1; d <= 8; d++) cmov(q, table + 16 * (8 * w + d - 1), zero_mask(abs ^ d), 16);
    copy(q + 16, MONT_ONE);
    sub(ny, zero, q + 8);
    cmov(q + 8, ny, neg_mask, 8);
    add_complete(sum, acc, q);
    cmov(acc, sum, ~zero_mask(abs), 24);
  }
  inv(zi, acc + 16);
  mul(x, acc, zi);
  u32 z = 0;
  for (int i = 0; i < 8; i++) z |= acc[16 + i];
  return (int)(~zero_mask(z) & 1u);
}

// ---- exports ----------------------------------------------------------------------------

EXPORT(init) void init(void) {
  mul(MONT_ONE, ONE, R2);
  u32 b[8];
  mul(b, B, R2);
  add(B3_MONT, b, b);
  add(B3_MONT, B3_MONT, b);
}

EXPORT(fe_mul) void fe_mul(u32 *r, const u32 *a, const u32 *b) { mul(r, a, b); }
EXPORT(fe_sqr) void fe_sqr(u32 *r, const u32 *a) { sqr(r, a); }

// n elements in place into (to_mont) or out of (from_mont) Montgomery form; inputs < p.
EXPORT(to_mont) void to_mont(u32 *a, int n) {
  for (int i = 0; i < n; i++) mul(a + 8 * i, a + 8 * i, R2);
}
EXPORT(from_mont) void from_mont(u32 *a, int n) {
  for (int i = 0; i < n; i++) mul(a + 8 * i, a + 8 * i, ONE);
}

EXPORT(point_double) void point_double(u32 *pt) { dbl(pt); }

// A Straus/fixed-window program on the accumulator `acc` (Jacobian): each op is −1 (double)
// or 2·i + s (add the affine point pts[i], negated when s = 1).
EXPORT(run) void run(u32 *acc, const int *ops, int count, const u32 *pts) {
  u32 ny[8];
  for (int k = 0; k < count; k++) {
    int op = ops[k];
    if (op < 0) {
      if (!is_zero(acc + 16)) dbl(acc);
      continue;
    }
    const u32 *q = pts + 16 * (op >> 1);
    if (op & 1) {
      neg(ny, q + 8);
      add_affine(acc, q, ny);
    } else {
      add_affine(acc, q, q + 8);
    }
  }
}

// Micro-benchmark entry points: n chained multiplications / mixed additions.
EXPORT(bench_mul) void bench_mul(u32 *a, const u32 *b, int n) {
  for (int i = 0; i < n; i++) mul(a, a, b);
}
EXPORT(bench_add_affine) void bench_add_affine(u32 *acc, const u32 *q, int n) {
  for (int i = 0; i < n; i++) add_affine(acc, q, q + 8);
}

EXPORT(fe_inv) void fe_inv(u32 *r, const u32 *a) { inv(r, a); }
EXPORT(point_add) void point_add(u32 *p1, const u32 *p2) { add_jac(p1, p2); }

// n Jacobian points (24 words each, none at infinity) to affine (x, y: 16 words each) into
// `out`, with one inversion (Montgomery's trick); `tmp` holds 8·n words.
EXPORT(normalize) void normalize(const u32 *jac, int n, u32 *out, u32 *tmp) {
  u32 acc[8], zi[8], zi2[8], t[8];
  copy(acc, MONT_ONE);
  for (int i = 0; i < n; i++) {
    copy(tmp + 8 * i, acc);
    mul(acc, acc, jac + 24 * i + 16);
  }
  inv(acc, acc);
  for (int i = n - 1; i >= 0; i--) {
    const u32 *p = jac + 24 * i;
    mul(zi, acc, tmp + 8 * i);
    mul(acc, acc, p + 16);
    sqr(zi2, zi);
    mul(out + 16 * i, p, zi2);
    mul(t, zi2, zi);
    mul(out + 16 * i + 8, p + 8, t);
  }
}

// P, 3P, 5P, …, (2·count − 1)P of the affine point q (16 words) as affine points into `out`;
// `jac` holds 24·count words and `tmp` 8·count. Fails (returns 0) if a multiple is infinity,
// which cannot happen for a point of prime order n > 2·count.
EXPORT(odd_multiples) int odd_multiples(const u32 *q, int count, u32 *out, u32 *jac, u32 *tmp) {
  u32 twice[24];
  for (int i = 0; i < 16; i++) jac[i] = twice[i] = q[i];
  copy(jac + 16, MONT_ONE);
  copy(twice + 16, MONT_ONE);
  dbl(twice);
  for (int k = 1; k < count; k++) {
    for (int i = 0; i < 24; i++) jac[24 * k + i] = jac[24 * (k - 1) + i];
    add_jac(jac + 24 * k, twice);
    if (is_zero(jac + 24 * k + 16)) return 0;
  }
  normalize(jac, count, out, tmp);
  return 1;
}

// The fixed-window table of field-wasm.ts (jacobian.ts FixedTable's layout): window j holds
// d·2^(window·j)·Q for d = 1 … half, as affine points into `out` (16 words each). The bases come
// from doublings and one inversion; each window's rows are mixed additions (d = 2 a doubling),
// normalized a chunk of windows at a time with one inversion. `scratch` holds
// fixed_table_scratch_words(window, windows) words. Returns 0 if a point is infinity (only for
// a Q of small order, which an SM2 public key is not).
#define CHUNK 1024

static int table_capacity(int window, int windows) {
  int half = 1 << (window - 1);
  int cap = CHUNK;
  if (windows > cap) cap = windows;
  if (half > cap) cap = half;
  return cap;
}

EXPORT(fixed_table_scratch_words) int fixed_table_scratch_words(int window, int windows) {
  return 16 * windows + 32 * table_capacity(window, windows);
}

EXPORT(fixed_table) int fixed_table(const u32 *q, int window, int windows, u32 *out, u32 *scratch) {
  int half = 1 << (window - 1);
  int cap = table_capacity(window, windows);
  u32 *bases = scratch;
  u32 *jac = bases + 16 * windows;
  u32 *tmp = jac + 24 * cap;
  for (int i = 0; i < 16; i++) jac[i] = q[i];
  copy(jac + 16, MONT_ONE);
  for (int w = 1; w < windows; w++) {
    u32 *b = jac + 24 * w;
    for (int i = 0; i < 24; i++) b[i] = b[i - 24];
    for (int i = 0; i < window; i++) dbl(b);
    if (is_zero(b + 16)) return 0;
  }
  normalize(jac, windows, bases, tmp);
  int per = cap / half;
  for (int w0 = 0; w0 < windows; w0 += per) {
    int w1 = w0 + per < windows ? w0 + per : windows;
    int k = 0;
    for (int w = w0; w < w1; w++) {
      const u32 *b = bases + 16 * w;
      u32 *pt = jac + 24 * k++;
      for (int i = 0; i < 16; i++) pt[i] = b[i];
      copy(pt + 16, MONT_ONE);
      for (int d = 2; d <= half; d++) {
        u32 *next = jac + 24 * k++;
        for (int i = 0; i < 24; i++) next[i] = next[i - 24];
        add_affine(next, b, b + 8);
        if (is_zero(next + 16)) return 0;
      }
    }
    normalize(jac, k, out + 16 * w0 * half, tmp);
  }
  return 1;
}
