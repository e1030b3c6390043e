// SPDX-License-Identifier: Apache-2.0
import type { StudyDefinitionInput, StudyResult } from '@medshare/protocol';
import { defineCommand, type Printed } from '../command';
import { userKey } from '../needs';
import { int, jsonArgument, UsageError, type Values } from '../options';

type Verb =
  | { verb: 'publish'; study: StudyDefinitionInput }
  | { verb: 'show'; studyId: string }
  | { verb: 'list'; page: { pageSize: number; bookmark: string } };

function describeStudy(s: StudyResult): string {
  const fields = s.study.fields.map((f) => {
    const parameter = 'width' in f ? ` ${f.width}` : 'length' in f ? ` ${f.length}` : '';
    return `${f.field} (${f.rule}${parameter})`;
  });
  return [
    `study ${s.studyId} ${s.open ? 'open' : 'closed'}: ${s.study.title}`,
    `  institution ${s.institutionKeyId}`,
    `  k ${s.study.k}; fields ${fields.join(', ')}`,
  ].join('\n');
}

function parseVerb(verb: string | undefined, studyId: string | undefined, values: Values): Verb {
  switch (verb) {
    case 'publish':
      // The chaincode parses it (parseStudyInput); the CLI only needs JSON.
      return { verb, study: jsonArgument(values, 'study publish') as StudyDefinitionInput };
    case 'show':
      if (!studyId) throw new UsageError('study show needs a STUDY_ID');
      return { verb, studyId };
    case 'list':
      return { verb, page: { pageSize: int(values['page-size'], 'page-size', 50), bookmark: values.bookmark ?? '' } };
    default:
      throw new UsageError('study needs publish, show or list');
  }
}

/** Studies: an approved institution publishes one; any registered user reads them. */
export const study = defineCommand({
  name: 'study',
  usage: [
    { synopsis: 'publish --key FILE (--data JSON | --file PATH)' },
    { synopsis: 'show STUDY_ID --key FILE' },
    { synopsis: 'list --key FILE [--page-size N] [--bookmark B]' },
  ],
  needs: userKey,
  parse: ({ positionals: [verb, studyId], values }) => parseVerb(verb, studyId, values),
  async run(args, { client, user }): Promise<Printed> {
    if (args.verb === 'publish') {
      const r = await client.publishStudy(user, args.study);
      return { data: r, text: `published study ${r.studyId}\n  institution ${r.institutionKeyId}` };
    }
    if (args.verb === 'show') {
      const r = await client.getStudy(user, args.studyId);
      return { data: r, text: describeStudy(r) };
    }
    const r = await client.listStudies(user, args.page);
    const more = r.bookmark ? `\n  more: --bookmark ${r.bookmark}` : '';
    return {
      data: r,
      text: `${r.studies.length} studies${r.studies.map((s) => `\n${describeStudy(s)}`).join('')}${more}`,
    };
  },
  print: (printed) => printed,
});
