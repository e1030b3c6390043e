#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// One chaincode call as an organization's admin, through the org peer's gateway
// (@hyperledger/fabric-gateway), for scripts/admin/lib.sh's cc_invoke and cc_query. The results
// come from the gateway's protobuf answers, never from a CLI's log lines, so they do not depend
// on the Fabric release or on FABRIC_LOGGING_SPEC.
//
//   node scripts/admin/cc.mjs invoke ORG CONTRACT:FCN [ARG...]
//   node scripts/admin/cc.mjs query ORG CONTRACT:FCN [ARG...]
//
//   ORG     org1|org2: acts as Admin@<org>.example.com (.network/crypto) against that org's
//           peer0 (port from .network/ports.env)
//   invoke  endorsed by the peers the gateway picks for the chaincode's endorsement policy
//           (AND(Org1, Org2): both hospitals' peers), submitted to the orderer, and waited for
//           until committed; a transaction committed invalid (e.g. MVCC_READ_CONFLICT) fails
//   query   evaluated on ORG's own peer; nothing is written
//
// stdout: the transaction's payload only (UTF-8, one newline added when not empty).
// stderr: on a refusal by the chaincode (its errors start with a code of
// protocol/src/errors/codes.ts, carried in EndorseError.details[].message), `refused CODE:
// message`; on any other failure `ERROR <what> failed: <why>`.
// Exit codes: 0 done, 1 refused or failed, 2 usage.
//
// Deadlines: evaluate 10 s, endorse 20 s, submit 10 s, commit status PEER_TIMEOUT (default 30s;
// e.g. 30s, 1m, 500ms). Environment: NETWORK_HOME (default <repo>/.network), CHANNEL_NAME and
// CC_NAME (default medshare), NO_COLOR. Needs `npm run build` (protocol/dist, for the codes).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectOrg } from '../network/org-gateway.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { CommitError, GatewayError, StatusCode } = require('@hyperledger/fabric-gateway');

const red = process.stderr.isTTY && !process.env.NO_COLOR ? (s) => `\x1b[31m${s}\x1b[0m` : (s) => s;
const usage = () => {
  process.stderr.write(
    'usage: node scripts/admin/cc.mjs invoke|query org1|org2 CONTRACT:FCN [ARG...] (e.g. layer-keys:ListAccessKeys)\n',
  );
  process.exit(2);
};
const failed = (what, why) => {
  process.stderr.write(`${red('ERROR')} ${what} failed: ${why}\n`);
  process.exit(1);
};

/** "30s", "1m", "500ms" or a number of seconds, in ms. */
function durationMs(text) {
  const m = /^([0-9]+)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new RangeError(`PEER_TIMEOUT must be a duration like 30s, 1m or 500ms, got '${text}'`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'];
}

const [mode, org, fcn, ...args] = process.argv.slice(2);
if (!['invoke', 'query'].includes(mode) || !/^org[12]$/.test(org ?? '') || !fcn) usage();
const what = `${fcn} (${mode} as ${org} admin)`;

const protocolDist = join(ROOT, 'protocol', 'dist', 'index.js');
if (!existsSync(protocolDist)) failed(what, `${protocolDist} missing: run npm run build`);
// The one error-code list (protocol/src/errors/codes.ts, docs/protocol.md §11): a code is only a code if protocol knows it.
const { parseCodedMessage } = require(protocolDist);

let commitMs;
try {
  commitMs = durationMs(process.env.PEER_TIMEOUT ?? '30s');
} catch (error) {
  failed(what, error.message);
}
const networkHome = process.env.NETWORK_HOME ?? join(ROOT, '.network');
const channel = process.env.CHANNEL_NAME ?? 'medshare';
const chaincode = process.env.CC_NAME ?? 'medshare';

/** The chaincode's own refusal, if the error carries one: the peers' details first. */
function refusalOf(error) {
  const texts = [...(error.details ?? []).map((d) => d.message ?? ''), error.message ?? ''];
  for (const text of texts) {
    const coded = parseCodedMessage(text);
    if (coded) return coded;
  }
  return undefined;
}

/** A one-line account of a failure that is not a refusal, with each peer's detail. */
function describe(error) {
  if (error instanceof CommitError) {
    const name = Object.keys(StatusCode).find((k) => StatusCode[k] === error.code) ?? 'UNKNOWN';
    return `transaction ${error.transactionId} committed invalid: ${name} (${error.code})`;
  }
  if (error instanceof GatewayError) {
    // error.message is gRPC's "<code> <STATUS>: <text>"; the step is the error class.
    const step =
      { EndorseError: 'endorse', SubmitError: 'submit', CommitStatusError: 'commit status' }[error.name] ?? 'evaluate';
    const details = (error.details ?? []).map((d) => `${d.mspId}@${d.address}: ${d.message}`);
    const txId = error.transactionId ? ` (transaction ${error.transactionId})` : '';
    return `${step}: ${error.message}${txId}${details.length ? `; peers: ${details.join('; ')}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

let connection;
try {
  connection = connectOrg({
    networkHome,
    org,
    user: 'Admin',
    deadlines: { evaluate: 10_000, endorse: 20_000, submit: 10_000, commitStatus: commitMs },
  });
} catch (error) {
  failed(what, `cannot connect (${describe(error)}); is the network up (scripts/network/up.sh)?`);
}

try {
  const contract = connection.gateway.getNetwork(channel).getContract(chaincode);
  let payload;
  if (mode === 'query') {
    payload = await contract.evaluate(fcn, { arguments: args, endorsingOrganizations: [connection.mspId] });
  } else {
    const submitted = await contract.submitAsync(fcn, { arguments: args });
    const status = await submitted.getStatus();
    if (!status.successful)
      throw new CommitError({ message: 'invalid', code: status.code, transactionId: status.transactionId });
    payload = submitted.getResult();
  }
  const text = Buffer.from(payload).toString('utf8');
  if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
} catch (error) {
  const coded = refusalOf(error);
  if (coded) {
    process.stderr.write(`${red('refused')} ${coded.code}: ${coded.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${red('ERROR')} ${what} failed: ${describe(error)}\n`);
    process.exitCode = 1;
  }
} finally {
  connection.close();
}
