#!/usr/bin/env node
// Waits, bounded, until the native network can take a transaction endorsed by both
// organizations: through each org's peer gateway, a proposal of the chaincode's cheapest
// evaluation (ListAccessKeys) is endorsed under the chaincode's endorsement policy
// (AND(Org1, Org2)), and never submitted, so nothing is written. That is exactly the step that
// fails ("no combination of peers can be derived which satisfy the endorsement policy") while
// gossip membership is still forming after a start. Prints each org's time to ready.
//
//   node scripts/network/wait-ready.mjs [TIMEOUT_SECONDS]     (default: READY_TIMEOUT or 90)
//
// Environment: NETWORK_HOME (default <repo>/.network), CC_NAME (default medshare),
// CHANNEL_NAME (default medshare). Exit 0 ready, 1 not ready in time (last error printed).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkPorts } from './ports.mjs';
import { orgConnection } from './org-connection.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NETWORK_HOME = process.env.NETWORK_HOME ?? join(ROOT, '.network');
const CC_NAME = process.env.CC_NAME ?? 'medshare';
const CHANNEL = process.env.CHANNEL_NAME ?? 'medshare';
const timeoutS = Number(process.argv[2] ?? process.env.READY_TIMEOUT ?? 90);
if (!Number.isInteger(timeoutS) || timeoutS <= 0) {
  process.stderr.write('usage: node scripts/network/wait-ready.mjs [TIMEOUT_SECONDS]\n');
  process.exit(2);
}

function describe(error) {
  const details = (error.details ?? []).map((d) => d.message).filter(Boolean);
  return `${error.message}${details.length ? ` (${details.join('; ')})` : ''}`;
}

const p = networkPorts(NETWORK_HOME);
const started = Date.now();
const deadline = started + timeoutS * 1000;
const results = await Promise.all(
  [
    ['org1', p.PEER0_ORG1_PORT],
    ['org2', p.PEER0_ORG2_PORT],
  ].map(async ([org, port]) => {
    const c = orgConnection(NETWORK_HOME, org, port, { channel: CHANNEL, chaincode: CC_NAME, deadlinesMs: { endorse: 5000 } });
    let last = 'no attempt';
    try {
      while (Date.now() < deadline) {
        try {
          await c.contract.newProposal('ListAccessKeys', { arguments: [c.mspId] }).endorse();
          return { org, ok: true, ms: Date.now() - started };
        } catch (error) {
          last = describe(error);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      return { org, ok: false, last };
    } finally {
      c.close();
    }
  }),
);
for (const r of results) {
  if (r.ok) process.stdout.write(`  ok peer0.${r.org}: a proposal endorsed by both orgs after ${(r.ms / 1000).toFixed(1)}s\n`);
  else process.stderr.write(`ERROR peer0.${r.org}: no endorsement by both orgs within ${timeoutS}s; last error: ${r.last}\n`);
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
