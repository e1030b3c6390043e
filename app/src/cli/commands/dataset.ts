// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from 'node:fs';
import type { KAnonymityReport } from '../../research/k-anonymity';
import { DATASET_FORMATS, type DatasetFormat } from '../../research/dataset-formats';
import { defineCommand } from '../command';
import { researchUser } from '../needs';
import { need, UsageError } from '../options';

function reportText(r: KAnonymityReport): string {
  return [
    `k-anonymity report (k = ${r.k} over ${r.quasiIdentifiers.join(', ') || 'no quasi-identifier'})`,
    `  rows in ${r.rowsIn}: rejected ${r.rowsRejected}, excluded ${r.rowsExcluded}, suppressed ${r.rowsSuppressed}, released ${r.rowsReleased}`,
    `  groups ${r.groups}; k reached ${r.kReached ?? '— (nothing released)'}`,
  ].join('\n');
}

/** The institution exports its study's dataset under k-anonymity; the report is printed (and written with --report). */
export const dataset = defineCommand({
  name: 'dataset',
  usage: [{ synopsis: 'export --key FILE --study ID --format csv|ndjson|fhir --out FILE [--report FILE]' }],
  needs: researchUser,
  parse({ positionals: [verb], values }) {
    if (verb !== 'export') throw new UsageError('dataset needs export');
    const format = need(values, 'format');
    if (!(DATASET_FORMATS as readonly string[]).includes(format))
      throw new UsageError('--format must be csv, ndjson or fhir');
    return {
      study: need(values, 'study'),
      format: format as DatasetFormat,
      out: need(values, 'out'),
      report: values.report,
    };
  },
  async run({ study, format, out, report }, { research, user }) {
    const d = await research.exportDataset(user, study, format);
    writeFileSync(out, d.content, { mode: 0o600 });
    if (report) writeFileSync(report, `${JSON.stringify(d.report, null, 2)}\n`, { mode: 0o600 });
    return { studyId: study, format, out, report: d.report, rejections: d.rejections };
  },
  print: (r) => ({
    data: r,
    text: [
      `exported study ${r.studyId} as ${r.format} to ${r.out}`,
      reportText(r.report),
      ...r.rejections.map((j) => `  rejected entry ${j.entryId}: ${j.code} ${j.message}`),
    ].join('\n'),
  }),
});
