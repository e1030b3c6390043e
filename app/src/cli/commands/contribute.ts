// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { readFileSync } from 'node:fs';
import type { RecordRef } from '../../research/research-client';
import { defineCommand } from '../command';
import { researchUser } from '../needs';
import { checkedJson, int, need, UsageError, type Values } from '../options';
import { releasedText } from './warrant';

const ringOptions = (values: Values): { size?: number } =>
  values.ring === undefined ? {} : { size: int(values.ring, 'ring') };

function recordRef(values: Values): RecordRef {
  const given = [values.record, values.file, values.data].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('contribute needs one of --record ID, --file PATH or --data JSON');
  if (values.record !== undefined) return { recordId: values.record };
  if (values.file !== undefined) return { content: new Uint8Array(readFileSync(values.file)) };
  return { content: utf8(checkedJson(values.data as string)) };
}

const ringText = (ring: { size: number; eligible: number }): string =>
  `a ring of ${ring.size} (of ${ring.eligible} active patients)`;

/**
 * An anonymous contribution: the extract of a record, signed in a ring of active patients the
 * app chooses. --record opens the record by an audited view first; --file or --data does not.
 */
export const contribute = defineCommand({
  name: 'contribute',
  usage: [{ synopsis: '--key FILE --study ID (--record ID | --file PATH | --data JSON) [--ring N] [--replace]' }],
  needs: researchUser,
  parse: ({ values }) => ({
    study: need(values, 'study'),
    record: recordRef(values),
    ring: ringOptions(values),
    replace: values.replace === true,
  }),
  run: ({ study, record, ring, replace }, { research, user }) =>
    replace
      ? research.replaceContribution(user, record, study, ring)
      : research.contributeAnonymously(user, record, study, ring),
  print: (r) => ({
    data: r,
    text: `contributed anonymously to study ${r.studyId} in ${ringText(r.ring)}\n  link tag (key image) ${r.keyImage}\n  entry ${r.entryId}\n  released: ${releasedText(r.released)}`,
  }),
});

/** Withdraws the author's anonymous contribution (the same link tag, from the ring the app draws again). */
export const withdraw = defineCommand({
  name: 'withdraw',
  usage: [{ synopsis: '--key FILE --study ID [--ring N]' }],
  needs: researchUser,
  parse: ({ values }) => ({ study: need(values, 'study'), ring: ringOptions(values) }),
  run: ({ study, ring }, { research, user }) => research.withdraw(user, study, ring),
  print: (r) => ({
    data: r,
    text: `withdrew the contribution with link tag ${r.keyImage} from study ${r.studyId} (${ringText(r.ring)})`,
  }),
});
