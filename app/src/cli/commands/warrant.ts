// SPDX-License-Identifier: Apache-2.0
import type { ReleasedValue } from '@medshare/protocol';
import { defineCommand } from '../command';
import { researchUser } from '../needs';
import { need } from '../options';

/** `age 35-39, sex female, …`: what an extract released (null: the record does not have it). */
export function releasedText(released: Readonly<Record<string, ReleasedValue>>): string {
  return Object.entries(released)
    .map(([field, value]) => `${field} ${value === null ? '—' : String(value)}`)
    .join(', ');
}

/** The owner warrants a record to a study: the app derives the study's extract and seals it for the institution. */
export const warrant = defineCommand({
  name: 'warrant',
  usage: [{ synopsis: '--key FILE --record ID --study ID', summary: 'a generalized extract for the study' }],
  needs: researchUser,
  parse: ({ values }) => ({ record: need(values, 'record'), study: need(values, 'study') }),
  run: ({ record, study }, { research, user }) => research.warrant(user, record, study),
  print: (r) => ({
    data: r,
    text: `warranted record ${r.recordId} to study ${r.studyId}\n  institution ${r.institutionKeyId}\n  entry ${r.entryId}\n  released: ${releasedText(r.released)}`,
  }),
});

/** The owner withdraws a warrant: the institution's next read of its list no longer has the extract. */
export const unwarrant = defineCommand({
  name: 'unwarrant',
  usage: [{ synopsis: '--key FILE --record ID --study ID' }],
  needs: researchUser,
  parse: ({ values }) => ({ record: need(values, 'record'), study: need(values, 'study') }),
  run: ({ record, study }, { research, user }) => research.unwarrant(user, record, study),
  print: (r) => ({ data: r, text: `unwarranted record ${r.recordId} from study ${r.studyId}` }),
});
