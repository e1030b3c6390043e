// SPDX-License-Identifier: Apache-2.0
/**
 * The app's choice of a ring for an anonymous request in a study (docs/protocol.md §19.6): the
 * author and n−1 others drawn uniformly, without replacement, from the active patients the
 * registry lists, sorted by key id (the order hides the author's position).
 *
 * The draw is keyed by the author's secret and the study: every listed patient gets the rank
 * HMAC-SM3(seed, keyId) with seed = HMAC-SM3(private key, RING_CHOICE_LABEL ‖ studyId), and the
 * n−1 lowest ranks are the others ("bottom-k" sampling; uniform as long as HMAC-SM3 is a PRF).
 * So a withdrawal or a replacement, which any ring holding the author could sign (the key image
 * links), draws the same ring again: two different rings linked by one key image would give away
 * the author as a member of both (their intersection). Patients who join or leave change it by
 * as many members at most. Another study has another seed: rings of different studies are
 * independent draws.
 */
import { fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { hmacSm3 } from '@medshare/crypto/sm3';
import {
  RING_CHOICE_LABEL,
  RING_DEFAULT,
  RING_MAX,
  RING_MIN,
  fail,
  keyIdOf,
  type ListPatientsResult,
  type PageBody,
  type SigningKey,
} from '@medshare/protocol';

/** One page of the active patients (MedshareClient.listPatients, bound to a user). */
export type PatientLister = (page: PageBody) => Promise<ListPatientsResult>;

export interface RingChoiceOptions {
  /** Members in all, the author included: RING_MIN…RING_MAX, default RING_DEFAULT. */
  readonly size?: number;
  /** Pages of 100 read at most (default 100: the first 10 000 active patients). */
  readonly maxPages?: number;
}

export interface RingChoice {
  /** The members' public keys, sorted by key id, the author's among them. */
  readonly members: readonly string[];
  /** Active patients seen, the author included. */
  readonly eligible: number;
  /** Whether the listing ended within `maxPages` (when false, only its first pages were drawn from). */
  readonly complete: boolean;
}

const PAGE_SIZE = 100;
const DEFAULT_MAX_PAGES = 100;

/** The `capacity` offered items of lowest rank (insertion into a short sorted list: capacity ≤ 63). */
class BottomK {
  readonly items: { rank: string; publicKey: string }[] = [];
  offered = 0;

  constructor(private readonly capacity: number) {}

  offer(rank: string, publicKey: string): void {
    this.offered += 1;
    const at = this.items.findIndex((i) => rank < i.rank);
    if (at === -1) {
      if (this.items.length < this.capacity) this.items.push({ rank, publicKey });
      return;
    }
    this.items.splice(at, 0, { rank, publicKey });
    if (this.items.length > this.capacity) this.items.pop();
  }
}

/** Reads the listing (at most `maxPages` pages) into the sample; whether the author was listed, and whether it ended. */
async function drawFromListing(
  author: string,
  seed: Uint8Array,
  listPatients: PatientLister,
  sample: BottomK,
  maxPages: number,
): Promise<{ authorListed: boolean; complete: boolean }> {
  const seen = new Set<string>();
  let bookmark = '';
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await listPatients({ pageSize: PAGE_SIZE, bookmark });
    for (const patient of page.patients) {
      // A listing is the gateway's word: an entry not named by its own key, or listed twice, is skipped.
      if (keyIdOf(patient.publicKey) !== patient.keyId || seen.has(patient.keyId)) continue;
      seen.add(patient.keyId);
      if (patient.keyId !== author) sample.offer(toHex(hmacSm3(seed, fromHex(patient.keyId))), patient.publicKey);
    }
    bookmark = page.bookmark;
    if (bookmark === '') return { authorListed: seen.has(author), complete: true };
  }
  return { authorListed: seen.has(author), complete: false };
}

const byKeyId = (a: string, b: string): number => {
  const [x, y] = [keyIdOf(a), keyIdOf(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Chooses the author's ring for `studyId` (see the module comment). When fewer patients than
 * `size` are active, the ring is all of them; fewer than RING_MIN is RING_SIZE_INVALID. An author
 * not among the active patients of a complete listing is RING_MEMBER_NOT_ELIGIBLE (the chaincode
 * would refuse the ring).
 */
export async function chooseRing(
  author: SigningKey,
  studyId: string,
  listPatients: PatientLister,
  options: RingChoiceOptions = {},
): Promise<RingChoice> {
  const size = options.size ?? RING_DEFAULT;
  if (!Number.isSafeInteger(size) || size < RING_MIN || size > RING_MAX)
    throw fail('RING_SIZE_INVALID', `a ring has ${RING_MIN}…${RING_MAX} members, not ${size}`);
  const secret = fromHex(author.privateKey, 'privateKey');
  const seed = hmacSm3(secret, utf8(`${RING_CHOICE_LABEL}${studyId}`));
  secret.fill(0);
  const sample = new BottomK(size - 1);
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const listed = await drawFromListing(keyIdOf(author.publicKey), seed, listPatients, sample, maxPages);
  seed.fill(0);
  if (listed.complete && !listed.authorListed)
    throw fail('RING_MEMBER_NOT_ELIGIBLE', 'the author is not an active registered patient');
  const eligible = sample.offered + 1;
  if (eligible < RING_MIN)
    throw fail('RING_SIZE_INVALID', `${eligible} active patients: a ring needs at least ${RING_MIN}`);
  const members = [...sample.items.map((i) => i.publicKey), author.publicKey].sort(byKeyId);
  return { members, eligible, complete: listed.complete };
}
