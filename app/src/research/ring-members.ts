// SPDX-License-Identifier: Apache-2.0
/**
 * The app's choice of a ring for an anonymous request (docs/protocol.md §19.4): the author and
 * n−1 others drawn uniformly at random, without replacement, from the active patients the
 * registry lists. The ring is sorted by key id (the order hides the author's position). A
 * withdrawal or replacement draws a fresh ring: any ring that holds the author yields the same
 * key image in the study's scope, so nothing about the first ring has to be kept.
 */
import { randomInt } from 'node:crypto';
import {
  RING_DEFAULT,
  RING_MAX,
  RING_MIN,
  fail,
  keyIdOf,
  type ListPatientsResult,
  type PageBody,
} from '@medshare/protocol';

/** One page of the active patients (MedshareClient.listPatients, bound to a user). */
export type PatientLister = (page: PageBody) => Promise<ListPatientsResult>;

export interface RingChoiceOptions {
  /** Members in all, the author included: RING_MIN…RING_MAX, default RING_DEFAULT. */
  readonly size?: number;
  /** Pages of 100 read at most (default 100: the first 10 000 active patients). */
  readonly maxPages?: number;
  /** A uniform integer in [0, n): node:crypto's randomInt unless a test replaces it. */
  readonly randomBelow?: (n: number) => number;
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

/** Algorithm R: after N offers, each offered item is held with probability capacity/N. */
class Reservoir {
  readonly items: string[] = [];
  offered = 0;

  constructor(
    private readonly capacity: number,
    private readonly randomBelow: (n: number) => number,
  ) {}

  offer(item: string): void {
    this.offered += 1;
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    const j = this.randomBelow(this.offered);
    if (j < this.capacity) this.items[j] = item;
  }
}

/** Reads the listing (at most `maxPages` pages) into the reservoir; whether the author was listed, and whether it ended. */
async function drawFromListing(
  author: string,
  listPatients: PatientLister,
  reservoir: Reservoir,
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
      if (patient.keyId !== author) reservoir.offer(patient.publicKey);
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
 * Chooses the ring: a uniform sample without replacement of size−1 of the listed active patients
 * other than the author (reservoir sampling over the pages), plus the author. When fewer patients
 * than `size` are active, the ring is all of them; fewer than RING_MIN is RING_SIZE_INVALID. An
 * author not among the active patients of a complete listing is RING_MEMBER_NOT_ELIGIBLE (the
 * chaincode would refuse the ring).
 */
export async function chooseRing(
  authorPublicKey: string,
  listPatients: PatientLister,
  options: RingChoiceOptions = {},
): Promise<RingChoice> {
  const size = options.size ?? RING_DEFAULT;
  if (!Number.isSafeInteger(size) || size < RING_MIN || size > RING_MAX)
    throw fail('RING_SIZE_INVALID', `a ring has ${RING_MIN}…${RING_MAX} members, not ${size}`);
  const reservoir = new Reservoir(size - 1, options.randomBelow ?? ((n: number) => randomInt(n)));
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const { authorListed, complete } = await drawFromListing(keyIdOf(authorPublicKey), listPatients, reservoir, maxPages);
  if (complete && !authorListed)
    throw fail('RING_MEMBER_NOT_ELIGIBLE', 'the author is not an active registered patient');
  const eligible = reservoir.offered + 1;
  if (eligible < RING_MIN)
    throw fail('RING_SIZE_INVALID', `${eligible} active patients: a ring needs at least ${RING_MIN}`);
  return { members: [...reservoir.items, authorPublicKey].sort(byKeyId), eligible, complete };
}
