// SPDX-License-Identifier: Apache-2.0
/**
 * Daily indicators (docs/protocol.md §21): the institution's study key, study and output; the
 * doctor's keyword attestation; the patient's readings, join, submissions and leaving. The patient's
 * upload of an attested record is `medshare upload --attestation FILE`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DAY_MS, dayOf, fail, type IndicatorStudyInput, type IndicatorStudyResult } from '@medshare/protocol';
import type { MedshareClient, UserKey } from '../../client/medshare-client';
import type { MedshareIndicators } from '../../indicators/indicators-client';
import { attestKeyword } from '../../indicators/keyword';
import {
  INDICATOR_EXPORT_FORMATS,
  type DecryptedAggregates,
  type IndicatorExportFormat,
  type SeriesReport,
} from '../../indicators/output';
import { createStudyKeyFile, readStudyKeyFile } from '../../indicators/study-key';
import { defineCommand, type Printed } from '../command';
import { indicatorsUser } from '../needs';
import { checkedJson, int, need, UsageError, type Values } from '../options';

interface Provided {
  readonly indicators: MedshareIndicators;
  readonly client: MedshareClient;
  readonly user: UserKey;
}
type Verb = (p: Provided) => Promise<Printed>;

/** A day as a UTC date (YYYY-MM-DD) or a UTC day number. */
export function parseDay(text: string, flag: string): number {
  if (/^[0-9]{1,7}$/.test(text)) return Number(text);
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== text)
    throw new UsageError(`--${flag} must be a date YYYY-MM-DD or a UTC day number`);
  return dayOf(ms);
}

const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

function studyId(id: string | undefined, verb: string): string {
  if (!id) throw new UsageError(`indicators ${verb} needs a STUDY_ID`);
  return id;
}

function jsonFile(path: string | undefined, what: string): unknown {
  if (!path) throw new UsageError(`indicators ${what}`);
  return JSON.parse(checkedJson(readFileSync(path, 'utf8'), 'file')) as unknown;
}

function describe(s: IndicatorStudyResult): string {
  const { study } = s;
  return [
    `indicator study ${s.studyId} ${s.open ? 'open' : 'closed'}: ${study.title}`,
    `  institution ${s.institutionKeyId}; ${s.participants} participants (at most ${study.maxParticipants})`,
    `  keywords ${study.keywords.join(', ')}`,
    `  indicators ${study.indicators.map((i) => `${i.name} ${i.lo / i.scale}–${i.hi / i.scale} ${i.unit}`).join(', ')}`,
    `  window ${dateOf(study.window.startDay)} + ${study.window.days} days; check ${study.check}; per ${study.output.granularity}; k ${study.output.k}`,
  ].join('\n');
}

function aggregatesText(a: DecryptedAggregates): string {
  return [
    `aggregates of ${a.studyId}: ${a.participants} participants, k ${a.k}`,
    ...a.indicators.map(
      (i) =>
        `  ${i.name}: ${i.participants} participants, ${i.readings} readings, ${i.mean === null ? 'withheld (fewer than k participants)' : `mean ${i.mean} ${i.unit}`}`,
    ),
  ].join('\n');
}

export function seriesReportText(r: SeriesReport): string {
  return `k ${r.k}: participants ${r.participants}, rows kept ${r.rowsKept}, rows suppressed ${r.rowsSuppressed}, periods kept [${r.periodsKept.join(', ')}], suppressed [${r.periodsSuppressed.join(', ')}]`;
}

// ---- the institution ---------------------------------------------------------------------

function keygen(values: Values): Verb {
  const out = need(values, 'out');
  return ({ user }) => {
    const { publicKey } = createStudyKeyFile(out, user);
    return Promise.resolve({
      data: { file: out, publicKey },
      text: `study key file ${out} (sealed for your key; the secret never leaves it)\n  public key ${publicKey}`,
    });
  };
}

function publish(path: string | undefined, values: Values): Verb {
  const study = jsonFile(path, 'publish needs a STUDY_JSON file') as Omit<IndicatorStudyInput, 'publicKey'>;
  const keyFile = need(values, 'study-key');
  return async ({ indicators, user }) => {
    const key = readStudyKeyFile(keyFile, user);
    const r = await indicators.publish(user, study, key);
    return { data: r, text: `published indicator study ${r.studyId}\n  institution ${r.institutionKeyId}` };
  };
}

function show(id: string | undefined): Verb {
  const sid = studyId(id, 'show');
  return async ({ indicators, user }) => {
    const r = await indicators.getStudy(user, sid);
    return { data: r, text: describe(r) };
  };
}

function list(values: Values): Verb {
  const page = { pageSize: int(values['page-size'], 'page-size', 50), bookmark: values.bookmark ?? '' };
  return async ({ indicators, user }) => {
    const r = await indicators.listStudies(user, page);
    const more = r.bookmark ? `\n  more: --bookmark ${r.bookmark}` : '';
    return {
      data: r,
      text: `${r.studies.length} indicator studies${r.studies.map((s) => `\n${describe(s)}`).join('')}${more}`,
    };
  };
}

function aggregates(id: string | undefined, values: Values): Verb {
  const sid = studyId(id, 'aggregates');
  const keyFile = need(values, 'study-key');
  return async ({ indicators, user }) => {
    const a = await indicators.aggregates(user, sid, readStudyKeyFile(keyFile, user));
    const data = { ...a, indicators: a.indicators.map((i) => ({ ...i, sum: i.sum === null ? null : Number(i.sum) })) };
    return { data, text: aggregatesText(a) };
  };
}

function exportVerb(id: string | undefined, values: Values): Verb {
  const sid = studyId(id, 'export');
  const keyFile = need(values, 'study-key');
  const format = need(values, 'format');
  if (!(INDICATOR_EXPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError('--format must be csv or ndjson');
  const out = values.out;
  return async ({ indicators, user }) => {
    const e = await indicators.exportSeries(
      user,
      sid,
      readStudyKeyFile(keyFile, user),
      format as IndicatorExportFormat,
    );
    if (out) writeFileSync(out, e.content, { mode: 0o600 });
    const data = { studyId: sid, format, ...(out ? { out } : { content: e.content }), report: e.report };
    const text = `exported indicator study ${sid} as ${format}${out ? ` to ${out}` : ''}\n${seriesReportText(e.report)}${out ? '' : `\n${e.content.trimEnd()}`}`;
    return { data, text };
  };
}

// ---- the doctor --------------------------------------------------------------------------

function attest(values: Values): Verb {
  const out = need(values, 'out');
  const patientKeyId = need(values, 'patient');
  const keyword = need(values, 'keyword');
  return ({ user }) => {
    if (existsSync(out)) throw fail('INVALID_INPUT', `${out} exists; refusing to overwrite it`);
    const handoff = attestKeyword(user, { patientKeyId, keyword });
    writeFileSync(out, `${JSON.stringify(handoff, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return Promise.resolve({
      data: { file: out, patientKeyId, attestation: handoff.attestation },
      text: `keyword attestation for patient ${patientKeyId} written to ${out} (hand it to the patient; it holds the keyword's opening)\n  commitment ${handoff.attestation.commitment}`,
    });
  };
}

// ---- the patient -------------------------------------------------------------------------

function record(values: Values): Verb {
  const data = JSON.parse(checkedJson(need(values, 'data'))) as unknown;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError('indicators record takes --data {"name": value, …}');
  const day = values.day === undefined ? undefined : parseDay(values.day, 'day');
  return ({ indicators, user }) => {
    const r = indicators.record(user, data as Record<string, number>, day);
    const names = Object.keys(r.values);
    return Promise.resolve({
      data: { day: r.day, date: dateOf(r.day), indicators: names },
      text: `recorded ${names.length} readings for ${dateOf(r.day)} (day ${r.day}), kept in your sealed store`,
    });
  };
}

function join(id: string | undefined): Verb {
  const sid = studyId(id, 'join');
  return async ({ indicators, user }) => {
    const r = await indicators.join(user, sid);
    return {
      data: r,
      text: `joined indicator study ${r.studyId} with record ${r.recordId} (keyword matched in zero knowledge)\n  pseudonym ${r.pseudonym}`,
    };
  };
}

function submitDays(values: Values): number[] {
  if (values.day !== undefined) {
    if (values.from !== undefined || values.to !== undefined) throw new UsageError('give --day or --from and --to');
    return [parseDay(values.day, 'day')];
  }
  if (values.from === undefined || values.to === undefined)
    throw new UsageError('indicators submit needs --day DAY or --from DAY --to DAY');
  const from = parseDay(values.from, 'from');
  const to = parseDay(values.to, 'to');
  if (to < from || to - from > 365) throw new UsageError('--to must be 0…365 days after --from');
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function submit(id: string | undefined, values: Values): Verb {
  const sid = studyId(id, 'submit');
  const days = submitDays(values);
  return async ({ indicators, user }) => {
    const r = await indicators.submit(user, sid, days);
    return {
      data: r,
      text: `submitted ${r.days.map(dateOf).join(', ')} to indicator study ${r.studyId} (encrypted, range-proven) as ${r.pseudonym}`,
    };
  };
}

function leave(id: string | undefined): Verb {
  const sid = studyId(id, 'leave');
  return async ({ indicators, user }) => {
    const r = await indicators.leave(user, sid);
    return { data: r, text: `left indicator study ${r.studyId}: ${r.removedDays} days of readings removed` };
  };
}

const VERBS: Readonly<Record<string, (id: string | undefined, values: Values) => Verb>> = {
  keygen: (_id, values) => keygen(values),
  publish,
  show,
  list: (_id, values) => list(values),
  aggregates,
  export: exportVerb,
  attest: (_id, values) => attest(values),
  record: (_id, values) => record(values),
  join,
  submit,
  leave,
};

export const indicators = defineCommand({
  name: 'indicators',
  usage: [
    { synopsis: 'keygen --key FILE --out FILE', summary: 'institution: a study key, sealed for your key' },
    { synopsis: 'publish STUDY_JSON --key FILE --study-key FILE' },
    { synopsis: 'show STUDY_ID --key FILE' },
    { synopsis: 'list --key FILE [--page-size N] [--bookmark B]' },
    { synopsis: 'aggregates STUDY_ID --key FILE --study-key FILE' },
    { synopsis: 'export STUDY_ID --key FILE --study-key FILE --format csv|ndjson [--out FILE]' },
    { synopsis: 'attest --key FILE --patient KEYID --keyword CODE --out FILE' },
    { synopsis: 'record --key FILE --data JSON [--day DAY]' },
    { synopsis: 'join STUDY_ID --key FILE', summary: 'patient: a zero-knowledge keyword match' },
    { synopsis: 'submit STUDY_ID --key FILE (--day DAY | --from DAY --to DAY)' },
    { synopsis: 'leave STUDY_ID --key FILE' },
  ],
  needs: indicatorsUser,
  parse({ positionals: [verb, id], values }): Verb {
    const make = verb !== undefined && Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
    if (!make) throw new UsageError(`indicators needs ${Object.keys(VERBS).join(', ')}`);
    return make(id, values);
  },
  run: (verb, provided) => verb(provided),
  print: (printed) => printed,
});
