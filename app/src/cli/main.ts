import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MedshareError, decryptKeyFile, encryptKeyFile, fail, generateKeyPair, keyIdOf, utf8, type Role } from '@medshare/protocol';
import { MedshareClient, defaultPseudonym, type UserKey } from '../client/medshare-client';
import { httpsTransport } from '../client/transport';
import { loadAppConfig } from '../config/app-config';
import { readPassphrase } from './passphrase';

const USAGE = `medshare — patient-controlled medical record sharing (SM2/SM3/SM4 over Hyperledger Fabric)

usage: medshare <command> [options]          (global: --config FILE, --gateway URL, --json)

user commands (the key file's passphrase comes from MEDSHARE_PASSPHRASE or a prompt):
  keygen   --out FILE [--qr]                           new SM2 key in a passphrase-protected file
  register --key FILE --role patient|doctor|institution [--pseudonym HEX]
  upload   --key FILE (--file PATH | --data JSON) [--kind KIND]
  grant    --key FILE --record ID --to KEYID
  revoke   --key FILE --record ID --from KEYID
  view     --key FILE --record ID [--out FILE]
  records  --key FILE [--page-size N] [--bookmark B]
  grants   --key FILE [--page-size N] [--bookmark B]
  audit    --key FILE --record ID [--page-size N] [--bookmark B]
  events   --key FILE [--after ID] [--follow]            access notifications of your records, one line each
  whois    KEYID

admin commands (embedded runtime; the admin token comes from the app config's adminTokenFile):
  admin approve KEYID
  admin register-k3 --public-key HEX --not-before MS --not-after MS
  admin retire-k3 KEYID [--at MS]
  admin audit --record ID

the app config defaults to $MEDSHARE_APP_CONFIG or .data/app/app.json (created by npm start).
exit codes: 0 ok, 1 refused (the error code is printed), 2 usage error.`;

const OPTIONS = {
  config: { type: 'string' },
  gateway: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  out: { type: 'string' },
  qr: { type: 'boolean', default: false },
  key: { type: 'string' },
  role: { type: 'string' },
  pseudonym: { type: 'string' },
  file: { type: 'string' },
  data: { type: 'string' },
  kind: { type: 'string' },
  record: { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
  'page-size': { type: 'string' },
  bookmark: { type: 'string' },
  'public-key': { type: 'string' },
  'not-before': { type: 'string' },
  'not-after': { type: 'string' },
  at: { type: 'string' },
  after: { type: 'string' },
  follow: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

class UsageError extends Error {}

function need(values: Values, name: keyof Values): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function int(text: string | undefined, name: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^[0-9]{1,16}$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(text);
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env };

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    };
    json = values.json === true;
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      io.out(`${USAGE}\n`);
      return command || values.help ? 0 : 2;
    }
    const result = await run(command, rest, values, io);
    if (!result.streamed) io.out(json ? `${JSON.stringify(result.data)}\n` : `${result.text}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`usage error: ${(error as Error).message}\nrun medshare --help\n`);
      return 2;
    }
    if (error instanceof MedshareError) {
      // An unknown outcome names its transaction, so an operator can look it up on the ledger.
      const txId = typeof error.context.txId === 'string' ? error.context.txId : undefined;
      io.err(
        json
          ? `${JSON.stringify({ code: error.code, message: error.detail, ...(txId ? { txId } : {}) })}\n`
          : `error ${error.code}: ${error.detail}${txId ? ` (transaction ${txId})` : ''}\n`,
      );
      return 1;
    }
    io.err(`error INTERNAL: ${(error as Error).message}\n`);
    return 1;
  }
}

interface Result {
  readonly text: string;
  readonly data: unknown;
  /** Already written line by line (events): nothing more to print. */
  readonly streamed?: boolean;
}

async function loadUserKey(path: string, io: Io): Promise<UserKey> {
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw fail('INVALID_INPUT', `cannot read key file ${path}`, cause);
  }
  const { privateKey, publicKey } = await decryptKeyFile(file, await readPassphrase(io.env, `passphrase for ${path}: `));
  return { privateKey, publicKey };
}

function client(values: Values, io: Io): { client: MedshareClient; adminToken: string | undefined; gatewayUrl: string; ca: Buffer | string | undefined } {
  const path = resolve(values.config ?? io.env.MEDSHARE_APP_CONFIG ?? '.data/app/app.json');
  const config = loadAppConfig(path, values.gateway ? { gatewayUrl: values.gateway } : {});
  const adminToken = config.adminTokenFile && existsSync(config.adminTokenFile) ? readFileSync(config.adminTokenFile, 'utf8').trim() : undefined;
  return { client: new MedshareClient(config.client), adminToken, gatewayUrl: config.client.gatewayUrl, ca: config.client.ca };
}

async function run(command: string, rest: string[], values: Values, io: Io): Promise<Result> {
  if (command === 'keygen') return keygen(values, io);
  if (command === 'admin') return admin(rest, values, io);
  const known = ['register', 'upload', 'grant', 'revoke', 'view', 'records', 'grants', 'audit', 'whois', 'events'];
  if (!known.includes(command)) throw new UsageError(`unknown command ${command}`);
  const { client: c } = client(values, io);
  try {
    if (command === 'whois') {
      const keyId = rest[0];
      if (!keyId) throw new UsageError('whois needs a KEYID');
      const user = await c.directory(keyId);
      return { data: user, text: `${user.keyId}\n  role ${user.role}, ${user.status}, org ${user.org}` };
    }
    const user = await loadUserKey(need(values, 'key'), io);
    switch (command) {
      case 'register': {
        const role = need(values, 'role');
        if (!['patient', 'doctor', 'institution'].includes(role)) throw new UsageError('--role must be patient, doctor or institution');
        const r = await c.register(user, role as Role, values.pseudonym ?? defaultPseudonym(user.publicKey));
        return {
          data: r,
          text: `registered ${r.role} ${r.keyId}\n  status ${r.status}${r.status === 'pending' ? ' (an org admin must approve it)' : ''}\n  pseudonymous id ${r.pseudonym}`,
        };
      }
      case 'upload': {
        const content = values.file ? new Uint8Array(readFileSync(values.file)) : values.data ? utf8(checkedJson(values.data)) : undefined;
        if (!content) throw new UsageError('upload needs --file PATH or --data JSON');
        const r = await c.upload(user, {
          content,
          kind: values.kind ?? (values.file ? 'document' : 'clinical-note'),
          ...(values.pseudonym ? { patientId: values.pseudonym } : {}),
        });
        return { data: r, text: `uploaded record ${r.recordId}\n  content hash (SM3 of the ciphertext) ${r.contentHash}` };
      }
      case 'grant': {
        const r = await c.grant(user, need(values, 'record'), need(values, 'to'));
        return { data: r, text: `granted ${r.granteeKeyId} access to record ${r.recordId}` };
      }
      case 'revoke': {
        const r = await c.revoke(user, need(values, 'record'), need(values, 'from'));
        return { data: r, text: `revoked ${r.granteeKeyId} from record ${r.recordId}` };
      }
      case 'view': {
        const r = await c.view(user, need(values, 'record'));
        if (values.out) {
          writeFileSync(values.out, r.content, { mode: 0o600 });
          return {
            data: { recordId: r.recordId, accessId: r.accessId, metadata: r.metadata, out: values.out },
            text: `record ${r.recordId} (${r.metadata.kind}) written to ${values.out}\n  access ${r.accessId}`,
          };
        }
        const text = Buffer.from(r.content).toString('utf8');
        return {
          data: { recordId: r.recordId, accessId: r.accessId, metadata: r.metadata, content: text },
          text: `record ${r.recordId} (${r.metadata.kind})\n  access ${r.accessId}\n${text}`,
        };
      }
      case 'records':
      case 'grants': {
        const page = { pageSize: int(values['page-size'], 'page-size', 50), bookmark: values.bookmark ?? '' };
        const r = command === 'records' ? await c.listRecords(user, page) : await c.listGrants(user, page);
        const lines = r.items.map((i) => `  ${(i as { recordId: string }).recordId}  ${JSON.stringify({ ...i, recordId: undefined })}`);
        return {
          data: r,
          text: `${r.items.length} ${command}${r.items.length ? `\n${lines.join('\n')}` : ''}${r.bookmark ? `\n  more: --bookmark ${r.bookmark}` : ''}`,
        };
      }
      case 'audit': {
        const r = await c.audit(user, need(values, 'record'), { pageSize: int(values['page-size'], 'page-size', 100), bookmark: values.bookmark ?? '' });
        const lines = r.items.map(
          (e) =>
            `  ${new Date(e.at).toISOString()}  ${e.action.padEnd(6)} by ${e.actorKeyId.slice(0, 16)}…${e.subjectKeyId ? ` for ${e.subjectKeyId.slice(0, 16)}…` : ''}  via ${e.appId} (${e.org})  tx ${e.txId.slice(0, 12)}…`,
        );
        return { data: r, text: `${r.items.length} audit entries\n${lines.join('\n')}` };
      }
      case 'events':
        return await events(c, user, values, io);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    c.close();
  }
}

/** One line per event as it arrives (JSON lines with --json); with --follow, until interrupted. */
async function events(c: MedshareClient, user: UserKey, values: Values, io: Io): Promise<Result> {
  if (values.after !== undefined && !/^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,5})$/.test(values.after))
    throw new UsageError('--after must be an event id like 12-0');
  let count = 0;
  for await (const e of c.events(user, { follow: values.follow === true, ...(values.after === undefined ? {} : { after: values.after }) })) {
    count += 1;
    io.out(
      values.json
        ? `${JSON.stringify(e)}\n`
        : `${e.id}  ${new Date(e.at).toISOString()}  ${e.action.padEnd(6)} record ${e.recordId.slice(0, 16)}… by ${e.actorKeyId.slice(0, 16)}…${e.subjectKeyId ? ` for ${e.subjectKeyId.slice(0, 16)}…` : ''} (${e.org})  tx ${e.txId.slice(0, 12)}…\n`,
    );
  }
  if (count === 0 && !values.json) io.out('no events\n');
  return { text: '', data: undefined, streamed: true };
}

function checkedJson(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError('--data must be valid JSON');
  }
  return text;
}

async function keygen(values: Values, io: Io): Promise<Result> {
  const out = need(values, 'out');
  if (existsSync(out)) throw fail('INVALID_INPUT', `${out} exists; refusing to overwrite a key file`);
  const passphrase = await readPassphrase(io.env, `passphrase for ${out}: `, true);
  const keys = generateKeyPair();
  const file = await encryptKeyFile(keys.privateKey, passphrase);
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(out, 0o600);
  let qr = '';
  if (values.qr) {
    // qrcode-terminal is CommonJS: under Node's ESM interop its functions sit on `default`.
    const imported = (await import('qrcode-terminal')) as typeof import('qrcode-terminal') & { default?: typeof import('qrcode-terminal') };
    const qrcode = imported.default ?? imported;
    qrcode.generate(keys.publicKey, { small: true }, (s) => {
      qr = `\n${s}`;
    });
  }
  return {
    data: { keyId: keyIdOf(keys.publicKey), publicKey: keys.publicKey, file: out },
    text: `key file ${out}\n  key id     ${keyIdOf(keys.publicKey)}\n  public key ${keys.publicKey}${qr}`,
  };
}

async function admin(rest: string[], values: Values, io: Io): Promise<Result> {
  const [verb, arg] = rest;
  const { adminToken, gatewayUrl, ca, client: c } = client(values, io);
  c.close();
  if (!adminToken)
    throw fail(
      'NOT_ORG_ADMIN',
      'no admin token: the app config has no readable adminTokenFile (admin commands are for the embedded runtime; on Fabric use scripts/admin/)',
    );
  const transport = httpsTransport({ baseUrl: gatewayUrl, ...(ca ? { ca } : {}), headers: { authorization: `Bearer ${adminToken}` } });
  const call = (method: 'post' | 'get', path: string, body?: unknown): Promise<unknown> =>
    method === 'post' ? transport.post(path, body ?? {}) : transport.get(path);
  try {
    return await adminVerb(verb, arg, values, call);
  } finally {
    transport.close();
  }
}

async function adminVerb(
  verb: string | undefined,
  arg: string | undefined,
  values: Values,
  call: (method: 'post' | 'get', path: string, body?: unknown) => Promise<unknown>,
): Promise<Result> {
  switch (verb) {
    case 'approve': {
      if (!arg) throw new UsageError('admin approve needs a KEYID');
      const r = (await call('post', `/v1/admin/users/${arg}/approve`)) as { keyId: string; role: string };
      return { data: r, text: `approved ${r.role} ${r.keyId}` };
    }
    case 'register-k3': {
      const r = await call('post', '/v1/admin/access-keys', {
        publicKey: need(values, 'public-key'),
        notBefore: int(values['not-before'], 'not-before'),
        notAfter: int(values['not-after'], 'not-after'),
      });
      return { data: r, text: `registered K3 ${(r as { keyId: string }).keyId}` };
    }
    case 'retire-k3': {
      if (!arg) throw new UsageError('admin retire-k3 needs a KEYID');
      const r = await call('post', `/v1/admin/access-keys/${arg}/retire`, values.at ? { retireAt: int(values.at, 'at') } : {});
      return { data: r, text: `retired K3 ${arg}` };
    }
    case 'audit': {
      const r = (await call('get', `/v1/admin/records/${need(values, 'record')}/audit`)) as {
        items: Array<{ action: string; actorKeyId: string; at: number }>;
      };
      return {
        data: r,
        text: `${r.items.length} audit entries\n${r.items.map((e) => `  ${new Date(e.at).toISOString()} ${e.action} by ${e.actorKeyId}`).join('\n')}`,
      };
    }
    default:
      throw new UsageError('admin needs approve, register-k3, retire-k3 or audit');
  }
}
