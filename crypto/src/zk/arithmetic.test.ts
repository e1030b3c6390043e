// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { utf8 } from '../bytes';
import { Point, SM2_N } from '../sm2/curve';
import { sm2Arithmetic } from '../sm2/verify-keys';
import { boundedLog } from './discrete-log';
import { affineOf } from './encoding';
import { ipaU, pedersenH, vectorGenerators } from './generators';
import { isIdentity, msm, oddMultiples } from './msm';
import { ctMsm, equalBit, mulFixedSecret, selectPoint, selectScalar } from './secret';
import { Transcript } from './transcript';

const scalar = fc.bigInt({ min: 0n, max: SM2_N - 1n });
const points = [3n, 5n, 7n, 11n].map((k) => Point.BASE.multiply(k));

function toPoint(jac: [bigint, bigint, bigint]): Point {
  if (isIdentity(jac)) return Point.ZERO;
  const [a] = sm2Arithmetic.normalize([jac]);
  return Point.fromAffine(a as { x: bigint; y: bigint });
}

describe('the verifiers’ variable-time msm', () => {
  it('equals Σ k_i·P_i by noble, with negative scalars, zero and n − 1', () => {
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 4, maxLength: 4 }), scalar, (ks, f) => {
        const tables = oddMultiples(points.map(affineOf));
        const terms = tables.map((table, i) => ({ table, scalar: i === 3 ? -(ks[i] as bigint) : (ks[i] as bigint) }));
        const expected = points
          .map((p, i) => p.multiplyUnsafe(ks[i] as bigint))
          .map((p, i) => (i === 3 ? p.negate() : p))
          .reduce((a, b) => a.add(b))
          .add(pedersenH().point.multiplyUnsafe(f));
        const got = toPoint(msm(terms, [{ table: pedersenH().table(), scalar: f }]));
        expect(got.equals(expected)).toBe(true);
      }),
      { numRuns: 10 },
    );
    const [t] = oddMultiples([affineOf(points[0] as Point)]);
    expect(isIdentity(msm([{ table: t!, scalar: 0n }]))).toBe(true);
    expect(toPoint(msm([{ table: t!, scalar: SM2_N - 1n }])).equals((points[0] as Point).negate())).toBe(true);
    expect(
      isIdentity(
        msm([
          { table: t!, scalar: 5n },
          { table: t!, scalar: -5n },
        ]),
      ),
    ).toBe(true);
  });

  it('the generators’ cached tables multiply like their points', () => {
    const { g, h } = vectorGenerators(2);
    const k = 0x1234567890abcdefn;
    for (const gen of [g[1], h[0]]) {
      expect(toPoint(msm([{ table: gen!.odd, scalar: k }])).equals(gen!.point.multiply(k))).toBe(true);
    }
    expect(toPoint(msm([], [{ table: ipaU().table(), scalar: k }])).equals(ipaU().point.multiply(k))).toBe(true);
  });
});

describe('the provers’ constant-time helpers', () => {
  it('ctMsm equals noble’s Σ k_i·P_i, zero scalars included', () => {
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 3, maxLength: 3 }), (ks) => {
        const expected = points
          .slice(0, 3)
          .map((p, i) => p.multiplyUnsafe(ks[i] as bigint))
          .reduce((a, b) => a.add(b));
        expect(ctMsm(points.slice(0, 3), ks).equals(expected)).toBe(true);
      }),
      { numRuns: 5 },
    );
    expect(ctMsm(points.slice(0, 2), [0n, 0n]).is0()).toBe(true);
  });

  it('mulFixedSecret covers [0, n − 1]; selections pick by a 0/1 bit', () => {
    for (const k of [0n, 1n, 2n, SM2_N - 2n, SM2_N - 1n])
      expect(mulFixedSecret(Point.BASE, k).equals(Point.BASE.multiplyUnsafe(k))).toBe(true);
    expect(selectScalar(1n, 5n, 9n)).toBe(5n);
    expect(selectScalar(0n, 5n, 9n)).toBe(9n);
    expect(selectPoint(1n, points[0] as Point, points[1] as Point).equals(points[0] as Point)).toBe(true);
    expect(selectPoint(0n, points[0] as Point, points[1] as Point).equals(points[1] as Point)).toBe(true);
    expect([equalBit(3, 3), equalBit(3, 4), equalBit(0, 15), equalBit(15, 15)]).toEqual([1n, 0n, 0n, 1n]);
  });
});

describe('the bounded discrete log', () => {
  it('finds v for v·G across baby and giant steps, and refuses v beyond 2^bits', () => {
    for (const v of [1n, 31n, 32n, 33n, 1023n, 1024n, 4095n]) expect(boundedLog(Point.BASE.multiply(v), 12)).toBe(v);
    expect(boundedLog(Point.ZERO, 12)).toBe(0n);
    expect(() => boundedLog(Point.BASE.multiply(4096n), 12)).toThrow(RangeError);
    expect(() => boundedLog(Point.BASE.negate(), 12)).toThrow(RangeError);
  });
});

describe('the transcript', () => {
  it('is deterministic and binds the protocol, the context, every entry and its label', () => {
    const run = (protocol: 'range' | 'validity', context: string, label: string, data: string): bigint => {
      const t = new Transcript(protocol, utf8(context));
      t.append(label, utf8(data));
      return t.challengeScalar('c');
    };
    const base = run('range', 'ctx', 'A', 'x');
    expect(run('range', 'ctx', 'A', 'x')).toBe(base);
    expect(
      new Set([
        base,
        run('validity', 'ctx', 'A', 'x'),
        run('range', 'ctx2', 'A', 'x'),
        run('range', 'ctx', 'B', 'x'),
        run('range', 'ctx', 'A', 'y'),
      ]).size,
    ).toBe(5);
    // Framing: moving a byte between label and data changes the challenge.
    expect(run('range', 'ctx', 'Ax', '')).not.toBe(run('range', 'ctx', 'A', 'x'));
  });

  it('chains challenges: a second challenge depends on the first', () => {
    const t = new Transcript('range', utf8('ctx'));
    const first = t.challengeScalar('y');
    const second = t.challengeScalar('y');
    expect(second).not.toBe(first);
    expect(t.weights('w', 3).every((w) => w < 2n ** 128n)).toBe(true);
  });
});
