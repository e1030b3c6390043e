// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { ringSign, ringSignatureKeyImage, ringVerify } from '@medshare/crypto/ring';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { RING_DEFAULT, keyIdOf, ringScope, type ListPatientsResult, type PageBody } from '@medshare/protocol';
import { chooseRing, type PatientLister } from './ring-members';
import { signingRing } from './research-crypto';

const patients = (n: number): Sm2KeyPair[] => Array.from({ length: n }, () => generateKeyPair());
const entry = (k: { publicKey: string }): { keyId: string; publicKey: string } => ({
  keyId: keyIdOf(k.publicKey),
  publicKey: k.publicKey,
});

/** A registry listing of `keys` in pages of `perPage`, recording the pages asked for. */
function lister(keys: readonly { publicKey: string }[], perPage = 7): PatientLister & { calls: PageBody[] } {
  const calls: PageBody[] = [];
  const list = (page: PageBody): Promise<ListPatientsResult> => {
    calls.push(page);
    const start = page.bookmark === '' ? 0 : Number(page.bookmark);
    const end = start + perPage;
    return Promise.resolve({
      patients: keys.slice(start, end).map(entry),
      bookmark: end < keys.length ? String(end) : '',
    });
  };
  return Object.assign(list, { calls });
}

const STUDY = 'ab'.repeat(32);

describe('choosing a ring', () => {
  const all = patients(24);
  const author = all[5] as Sm2KeyPair;

  it('holds the author and size−1 distinct others, sorted by key id, from every page', async () => {
    const list = lister(all);
    const ring = await chooseRing(author, STUDY, list, { size: 8 });
    expect(ring.members).toHaveLength(8);
    expect(ring.members).toContain(author.publicKey);
    expect(new Set(ring.members).size).toBe(8);
    const ids = ring.members.map(keyIdOf);
    expect(ids).toEqual([...ids].sort());
    expect(ring).toMatchObject({ eligible: 24, complete: true });
    expect(list.calls.map((c) => c.bookmark)).toEqual(['', '7', '14', '21']);
    expect(list.calls.every((c) => c.pageSize === 100)).toBe(true);
  });

  it('draws the others uniformly over studies: each of N−1 is in a ring of n with probability (n−1)/(N−1)', async () => {
    const few = patients(13); // the author and 12 others; rings of 4 → each other member with p = 3/12
    const list = lister(few, 5);
    const counts = new Map<string, number>();
    const trials = 2400;
    for (let t = 0; t < trials; t++) {
      const studyId = t.toString(16).padStart(64, '0');
      for (const m of (await chooseRing(few[0] as Sm2KeyPair, studyId, list, { size: 4 })).members)
        counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.get((few[0] as Sm2KeyPair).publicKey)).toBe(trials);
    // Expected 600 each; σ = √(2400·¼·¾) ≈ 21: ±6σ.
    for (const other of few.slice(1)) {
      expect(counts.get(other.publicKey)).toBeGreaterThan(600 - 130);
      expect(counts.get(other.publicKey)).toBeLessThan(600 + 130);
    }
  });

  it('defaults to RING_DEFAULT members and reads at most maxPages pages', async () => {
    expect((await chooseRing(author, STUDY, lister(all))).members).toHaveLength(RING_DEFAULT);
    const endless: PatientLister = (page) =>
      Promise.resolve({ patients: patients(1).map(entry), bookmark: `${page.bookmark}x` });
    const ring = await chooseRing(author, STUDY, endless, { size: 4, maxPages: 3 });
    expect(ring).toMatchObject({ complete: false, eligible: 4 });
  });

  it('takes every active patient when fewer than the size are active, and refuses below RING_MIN', async () => {
    const five = patients(5);
    const ring = await chooseRing(five[2] as Sm2KeyPair, STUDY, lister(five), { size: 16 });
    expect(ring.members).toHaveLength(5);
    const three = patients(3);
    await expect(chooseRing(three[0] as Sm2KeyPair, STUDY, lister(three))).rejects.toMatchObject({
      code: 'RING_SIZE_INVALID',
      message: expect.stringMatching(/3 active patients: a ring needs at least 4/),
    });
  });

  it('refuses a size outside RING_MIN…RING_MAX and an author who is not an active patient', async () => {
    for (const size of [3, 65, 4.5])
      await expect(chooseRing(author, STUDY, lister(all), { size })).rejects.toMatchObject({
        code: 'RING_SIZE_INVALID',
      });
    await expect(chooseRing(generateKeyPair(), STUDY, lister(all))).rejects.toMatchObject({
      code: 'RING_MEMBER_NOT_ELIGIBLE',
    });
  });

  it('skips listed entries not named by their own key, and a patient listed twice', async () => {
    const four = patients(4);
    const forged = { keyId: keyIdOf((four[1] as Sm2KeyPair).publicKey), publicKey: generateKeyPair().publicKey };
    const list: PatientLister = () =>
      Promise.resolve({ patients: [...four.map(entry), forged, entry(four[3] as Sm2KeyPair)], bookmark: '' });
    const ring = await chooseRing(four[0] as Sm2KeyPair, STUDY, list, { size: 8 });
    expect([...ring.members].sort()).toEqual(four.map((k) => k.publicKey).sort());
  });

  it('draws the same ring again for the same author and study, another for another study; joiners change it little', async () => {
    const first = await chooseRing(author, STUDY, lister(all), { size: 8 });
    expect((await chooseRing(author, STUDY, lister([...all].reverse(), 5), { size: 8 })).members).toEqual(
      first.members,
    );
    expect((await chooseRing(author, 'cd'.repeat(32), lister(all), { size: 8 })).members).not.toEqual(first.members);
    const joined = await chooseRing(author, STUDY, lister([...all, ...patients(3)]), { size: 8 });
    expect(joined.members.filter((m) => !first.members.includes(m)).length).toBeLessThanOrEqual(3);
    const gone = first.members.find((m) => m !== author.publicKey) as string;
    const left = await chooseRing(author, STUDY, lister(all.filter((k) => k.publicKey !== gone)), { size: 8 });
    expect(left.members.filter((m) => !first.members.includes(m))).toHaveLength(1);
    expect(left.members).not.toContain(gone);
  });

  it('a withdrawal could be signed in any ring with the author: another ring links by the same key image', async () => {
    const message = utf8('the signed bytes of a request');
    const sign = (members: readonly string[], studyId: string): { image: string; verified: boolean } => {
      const ring = signingRing(author, members, studyId);
      const scope = ringScope(studyId);
      const signature = ringSign({
        message,
        scope,
        ring: ring.keys,
        signer: ring.signer,
        privateKey: author.privateKey,
      });
      return {
        image: toHex(ringSignatureKeyImage(signature, ring.keys.length)),
        verified: ringVerify({ message, scope, ring: ring.keys, signature }),
      };
    };
    const chosen = (await chooseRing(author, STUDY, lister(all), { size: 6 })).members;
    const other = [
      author.publicKey,
      ...all
        .filter((k) => !chosen.includes(k.publicKey))
        .slice(0, 5)
        .map((k) => k.publicKey),
    ];
    const contribution = sign(chosen, STUDY);
    const withdrawal = sign(other, STUDY);
    expect(contribution.verified && withdrawal.verified).toBe(true);
    expect(withdrawal.image).toBe(contribution.image);
    expect(withdrawal.image).toBe(signingRing(author, other, STUDY).author.keyImage);
    // Another study's scope: another key image, not linkable to the first.
    expect(sign(chosen, 'cd'.repeat(32)).image).not.toBe(contribution.image);
  });
});
