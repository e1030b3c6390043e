#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Waits, bounded, until the native network can take a transaction endorsed by both
// organizations: through every peer's gateway (peer0 and peer1 of each org), a proposal of the chaincode's cheapest
// evaluation (layer-keys:ListAccessKeys) is endorsed under the chaincode's endorsement policy
// (AND(Org1, Org2)), and never submitted, so nothing is written. That is exactly the step that
// fails ("no combination of peers can be derived which satisfy the endorsement policy") while
// gossip membership is still forming after a start. Prints each peer's time to ready.
//
//   node scripts/network/wait-ready.mjs [TIMEOUT_SECONDS]     (default: READY_TIMEOUT or 90)
//
// Environment: NETWORK_HOME (default <repo>/.network), CC_NAME (default medshare),
// CHANNEL_NAME (default medshare). Exit 0 ready, 1 not ready in time (last error printed).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectOrg } from './org-gateway.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NETWORK_HOME = process.env.NETWORK_HOME ?? join(ROOT, '.network');
const CC_NAME = process.env.CC_NAME ?? 'medshare';
const CHANNEL = process.env.CHANNEL_NAME ?? 'medshare';
const timeoutS = Number(process.argv[2] ?? process.env.READY_TIMEOUT ?? 90);
if (!Number.isInteger(timeoutS) || timeoutS <= 0) {
  process.stderr.write('usage: node scripts/network/wait-ready.mjs [TIMEOUT_SECONDS]\n');
  process.exit(2);
}

function peerConnection(org, peer) {
  const c = connectOrg({ networkHome: NETWORK_HOME, org, user: 'User1', deadlines: { endorse: 5000 }, peer });
  return {
    mspId: c.mspId,
    name: c.peerName,
    contract: c.gateway.getNetwork(CHANNEL).getContract(CC_NAME),
    close: c.close,
  };
}

function describe(error) {
  const details = (error.details ?? []).map((d) => d.message).filter(Boolean);
  return `${error.message}${details.length ? ` (${details.join('; ')})` : ''}`;
}

const started = Date.now();
const deadline = started + timeoutS * 1000;
const PEERS = [
  ['org1', 0],
  ['org2', 0],
  ['org1', 1],
  ['org2', 1],
];
const results = await Promise.all(
  PEERS.map(async ([org, peer]) => {
    const c = peerConnection(org, peer);
    let last = 'no attempt';
    try {
      while (Date.now() < deadline) {
        try {
          await c.contract.newProposal('layer-keys:ListAccessKeys', { arguments: [c.mspId] }).endorse();
          return { name: c.name, ok: true, ms: Date.now() - started };
        } catch (error) {
          last = describe(error);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      return { name: c.name, ok: false, last };
    } finally {
      c.close();
    }
  }),
);
for (const r of results) {
  if (r.ok)
    process.stdout.write(`  ok ${r.name}: a proposal endorsed by both orgs after ${(r.ms / 1000).toFixed(1)}s\n`);
  else
    process.stderr.write(`ERROR ${r.name}: no endorsement by both orgs within ${timeoutS}s; last error: ${r.last}\n`);
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
