// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptKeyFile } from '@medshare/protocol';
import { main } from './main';

// The usage text as users and the README know it; generated from the commands' declarations.
const USAGE = `medshare — patient-controlled medical record sharing (SM2/SM3/SM4 over Hyperledger Fabric)

usage: medshare <command> [options]          (global: --config FILE, --gateway URL, --json)

user commands (the key file's passphrase comes from MEDSHARE_PASSPHRASE or a prompt):
  keygen     --out FILE [--qr]                           new SM2 key in a passphrase-protected file
  register   --key FILE --role patient|doctor|institution [--pseudonym HEX]
  login      --key FILE                                  sign a login challenge; prints the K3-signed assertion
  upload     --key FILE (--file PATH | --data JSON) [--kind KIND] [--attestation FILE]
  grant      --key FILE --record ID --to KEYID
  revoke     --key FILE --record ID --from KEYID
  view       --key FILE --record ID [--out FILE]
  records    --key FILE [--page-size N] [--bookmark B]
  grants     --key FILE [--page-size N] [--bookmark B]
  audit      --key FILE --record ID [--page-size N] [--bookmark B]
  events     --key FILE [--after ID] [--follow]          access notifications of your records, one line each
  file       upload --key FILE --file PATH [--media-type T] [--chunk-bytes N]
  file       share FILE_ID --key FILE --to KEYID [--threshold T]
  file       revoke FILE_ID --key FILE --to KEYID
  file       download FILE_ID --key FILE --out PATH      verified chunk by chunk
  file       list --key FILE [--shared]
  profile    set --key FILE (--data JSON | --file PATH)  sealed for you alone: name, sex, birthDate, …
  profile    show --key FILE
  study      publish --key FILE (--data JSON | --file PATH)
  study      show STUDY_ID --key FILE
  study      list --key FILE [--page-size N] [--bookmark B]
  warrant    --key FILE --record ID --study ID           a generalized extract for the study
  unwarrant  --key FILE --record ID --study ID
  contribute --key FILE --study ID (--record ID | --file PATH | --data JSON) [--ring N] [--replace]
  withdraw   --key FILE --study ID [--ring N]
  dataset    export --key FILE --study ID --format csv|ndjson|fhir --out FILE [--report FILE]
  indicators keygen --key FILE --out FILE                institution: a study key, sealed for your key
  indicators publish STUDY_JSON --key FILE --study-key FILE
  indicators show STUDY_ID --key FILE
  indicators list --key FILE [--page-size N] [--bookmark B]
  indicators aggregates STUDY_ID --key FILE --study-key FILE
  indicators export STUDY_ID --key FILE --study-key FILE --format csv|ndjson [--out FILE]
  indicators attest --key FILE --patient KEYID --keyword CODE --out FILE
  indicators record --key FILE --data JSON [--day DAY]
  indicators join STUDY_ID --key FILE                    patient: a zero-knowledge keyword match
  indicators submit STUDY_ID --key FILE (--day DAY | --from DAY --to DAY)
  indicators leave STUDY_ID --key FILE
  whois      KEYID

admin commands (embedded runtime; the admin token comes from the app config's adminTokenFile):
  admin approve KEYID
  admin register-k3 --public-key HEX --not-before MS --not-after MS
  admin retire-k3 KEYID [--at MS]
  admin audit --record ID
  admin app-policy [--min VERSION] [--deny V1,V2]      this org's app versions (none: any)

the app config defaults to $MEDSHARE_APP_CONFIG or $MEDSHARE_DATA_DIR/app/app.json (.data, created by npm start).
exit codes: 0 ok, 1 refused (the error code is printed), 2 usage error.
`;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { MEDSHARE_PASSPHRASE: 'p', ...env },
  });
  return { code, out, err };
}

describe('medshare CLI: dispatch, usage and exit codes (no gateway)', () => {
  let dir: string;
  let config: string;
  let adminConfig: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-cli-unit-'));
    const k2 = generateKeyPair();
    writeFileSync(join(dir, 'k2.pem'), privateKeyToPem(k2.privateKey));
    writeFileSync(join(dir, 'token'), 'admin-token\n');
    const file = {
      gatewayUrl: 'https://127.0.0.1:1',
      appId: 'hospital-1.app',
      appKeyFile: 'k2.pem',
      trustedAccessKeys: [k2.publicKey],
    };
    config = join(dir, 'app.json');
    adminConfig = join(dir, 'admin.json');
    writeFileSync(config, JSON.stringify(file));
    writeFileSync(adminConfig, JSON.stringify({ ...file, adminTokenFile: 'token' }));
    writeFileSync(join(dir, 'bad.key'), '{');
    writeFileSync(join(dir, 'user.key'), JSON.stringify(await encryptKeyFile(generateKeyPair().privateKey, 'p')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help prints the usage generated from the commands (exit 0); no command prints it with exit 2', async () => {
    expect(await cli(['--help'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await cli(['-h', 'keygen'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await cli([])).toEqual({ code: 2, out: USAGE, err: '' });
  });

  it.each([
    [['bogus'], 'unknown command bogus'],
    [['upload', '--nope'], "Unknown option '--nope'"],
    [['keygen'], '--out is required'],
  ])('%j is a usage error (exit 2) before any config is read', async (args, message) => {
    const r = await cli(args, { MEDSHARE_APP_CONFIG: join(dir, 'missing.json') });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`usage error: ${message}`);
  });

  it('the app config is checked first, then the key file, then the command flags', async () => {
    const missing = await cli(['register', '--json'], { MEDSHARE_APP_CONFIG: join(dir, 'missing.json') });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.err)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await cli(['--config', config, 'whois'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('whois needs a KEYID'),
    });
    expect(await cli(['--config', config, 'register'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--key is required'),
    });
    expect(await cli(['--config', config, 'register', '--key', join(dir, 'bad.key')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('error INVALID_INPUT: cannot read key file'),
    });
  });

  it('admin commands need the admin token before their verb is checked', async () => {
    expect(await cli(['--config', config, 'admin', 'bogus'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('error NOT_ORG_ADMIN'),
    });
    expect(await cli(['--config', adminConfig, 'admin', 'bogus'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('admin needs approve'),
    });
    expect(await cli(['--config', adminConfig, 'admin', 'register-k3', '--public-key', 'x'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--not-before is required'),
    });
  });

  it.each([
    [['profile', 'bogus'], 'profile needs set or show'],
    [['profile', 'set'], 'profile set needs --data JSON or --file PATH'],
    [['profile', 'set', '--data', '[1]'], 'profile set takes a JSON object'],
    [['study', 'publish', '--data', '{'], '--data must be valid JSON'],
    [['study', 'show'], 'study show needs a STUDY_ID'],
    [['study'], 'study needs publish, show or list'],
    [['warrant', '--record', 'r'], '--study is required'],
    [['unwarrant', '--study', 's'], '--record is required'],
    [['contribute', '--study', 's'], 'contribute needs one of --record ID, --file PATH or --data JSON'],
    [['contribute', '--study', 's', '--record', 'r', '--data', '{}'], 'contribute needs one of'],
    [['contribute', '--study', 's', '--record', 'r', '--ring', 'many'], '--ring must be a non-negative integer'],
    [['withdraw'], '--study is required'],
    [['dataset', 'import'], 'dataset needs export'],
    [['dataset', 'export', '--study', 's', '--format', 'xlsx', '--out', 'f'], '--format must be csv, ndjson or fhir'],
    [['dataset', 'export', '--study', 's', '--format', 'csv'], '--out is required'],
  ])('research command %j is a usage error (exit 2) once the config and key file are read', async (args, message) => {
    const r = await cli(['--config', config, ...args, '--key', join(dir, 'user.key')]);
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining(`usage error: ${message}`) });
  });

  it.each([
    [
      ['indicators'],
      'indicators needs keygen, publish, show, list, aggregates, export, attest, record, join, submit, leave',
    ],
    [['indicators', 'toString'], 'indicators needs keygen'],
    [['indicators', 'keygen'], '--out is required'],
    [['indicators', 'publish'], 'indicators publish needs a STUDY_JSON file'],
    [['indicators', 'show'], 'indicators show needs a STUDY_ID'],
    [['indicators', 'aggregates', 's'], '--study-key is required'],
    [['indicators', 'export', 's', '--study-key', 'k', '--format', 'fhir'], '--format must be csv or ndjson'],
    [['indicators', 'attest', '--out', 'a.json', '--patient', 'p'], '--keyword is required'],
    [['indicators', 'record'], '--data is required'],
    [['indicators', 'record', '--data', '[1]'], 'indicators record takes --data'],
    [['indicators', 'record', '--data', '{}', '--day', '2026-02-30'], '--day must be a date YYYY-MM-DD'],
    [['indicators', 'submit', 's'], 'indicators submit needs --day DAY or --from DAY --to DAY'],
    [['indicators', 'submit', 's', '--from', '2026-12-02', '--to', '2026-12-01'], '--to must be 0…365 days after'],
    [['upload', '--data', '{}', '--attestation', '/nonexistent/a.json'], 'ENOENT'],
  ])('indicator command %j is a usage error (exit 2) once the config and key file are read', async (args, message) => {
    const r = await cli(['--config', config, ...args, '--key', join(dir, 'user.key')]);
    if (message === 'ENOENT') expect(r).toMatchObject({ code: 1, err: expect.stringContaining('ENOENT') });
    else expect(r).toMatchObject({ code: 2, err: expect.stringContaining(`usage error: ${message}`) });
  });

  it('indicators keygen, attest and record work offline: 0600 files, sealed, never overwritten', async () => {
    const keyed = (args: string[]): Promise<{ code: number; out: string; err: string }> =>
      cli(['--config', config, ...args, '--key', join(dir, 'user.key'), '--json']);
    const studyKey = join(dir, 'study.key');
    const made = await keyed(['indicators', 'keygen', '--out', studyKey]);
    expect(made.code).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({
      file: studyKey,
      publicKey: expect.stringMatching(/^0[23][0-9a-f]{64}$/),
    });
    expect(statSync(studyKey).mode & 0o777).toBe(0o600);
    const before = readFileSync(studyKey, 'utf8');
    expect(await keyed(['indicators', 'keygen', '--out', studyKey])).toMatchObject({ code: 1 });
    expect(readFileSync(studyKey, 'utf8')).toBe(before);

    const handoff = join(dir, 'attestation.json');
    const patientKeyId = '3'.repeat(64);
    const attest = await keyed([
      'indicators',
      'attest',
      '--patient',
      patientKeyId,
      '--keyword',
      'i10',
      '--out',
      handoff,
    ]);
    expect(attest.code).toBe(0);
    expect(attest.out).not.toContain('I10');
    expect(statSync(handoff).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(handoff, 'utf8'))).toMatchObject({ patientKeyId, keyword: 'I10' });
    expect(
      await keyed(['indicators', 'attest', '--patient', patientKeyId, '--keyword', 'E11', '--out', handoff]),
    ).toMatchObject({
      code: 1,
    });
    expect(JSON.parse(readFileSync(handoff, 'utf8'))).toMatchObject({ keyword: 'I10' });

    const store = join(dir, 'store');
    const recorded = await keyed([
      'indicators',
      'record',
      '--store',
      store,
      '--data',
      '{"systolic":128}',
      '--day',
      '2026-11-30',
    ]);
    expect(JSON.parse(recorded.out)).toEqual({ day: 20_787, date: '2026-11-30', indicators: ['systolic'] });
    const [file] = readdirSync(store);
    expect(statSync(join(store, file as string)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(store, file as string), 'utf8')).not.toContain('systolic');
    const refused = await keyed(['indicators', 'submit', 's'.repeat(64), '--store', store, '--day', '2026-11-30']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.err)).toMatchObject({ code: 'NOT_PARTICIPANT' });
  });
});
