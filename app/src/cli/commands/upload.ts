// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { readFileSync } from 'node:fs';
import { parseKeywordHandoff, type KeywordHandoff } from '../../indicators/keyword';
import { defineCommand } from '../command';
import { indicatorsUser } from '../needs';
import { checkedJson, UsageError } from '../options';

/**
 * Uploads a record for the patient of --key. With --attestation (the file a doctor's `indicators
 * attest` wrote), the upload carries the doctor's keyword attestation and the patient's sealed
 * store keeps the keyword's opening for indicator studies (docs/protocol.md §21.2).
 */
export const upload = defineCommand({
  name: 'upload',
  usage: [{ synopsis: '--key FILE (--file PATH | --data JSON) [--kind KIND] [--attestation FILE]' }],
  needs: indicatorsUser,
  parse({ values }) {
    const content = values.file
      ? new Uint8Array(readFileSync(values.file))
      : values.data
        ? utf8(checkedJson(values.data))
        : undefined;
    if (!content) throw new UsageError('upload needs --file PATH or --data JSON');
    const handoff: KeywordHandoff | undefined = values.attestation
      ? parseKeywordHandoff(
          JSON.parse(checkedJson(readFileSync(values.attestation, 'utf8'), 'attestation')) as unknown,
          values.attestation,
        )
      : undefined;
    return {
      record: {
        content,
        kind: values.kind ?? (values.file ? 'document' : 'clinical-note'),
        ...(values.pseudonym ? { patientId: values.pseudonym } : {}),
      },
      handoff,
    };
  },
  async run({ record, handoff }, { client, indicators, user }) {
    const r = handoff ? await indicators.uploadAttested(user, record, handoff) : await client.upload(user, record);
    return { ...r, attested: handoff !== undefined };
  },
  print: (r) => ({
    data: r,
    text: `uploaded record ${r.recordId}${r.attested ? ' with the keyword attestation (its opening kept in your sealed store)' : ''}\n  content hash (SM3 of the ciphertext) ${r.contentHash}`,
  }),
});
