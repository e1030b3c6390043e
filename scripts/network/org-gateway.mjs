// SPDX-License-Identifier: Apache-2.0
// A fabric-gateway connection to one peer of an organization of the native network (peer0 by
// default), as one of that org's cryptogen identities (.network/crypto), on the port the network
// was created with (.network/ports.env). Shared by scripts/network/wait-ready.mjs and
// scripts/admin/cc.mjs.
import { createPrivateKey } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { networkPorts } from './ports.mjs';

// The root node_modules (npm workspaces hoist @grpc/grpc-js and @hyperledger/fabric-gateway).
const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');

/** The network's organizations: what scripts/network/lib.sh's org_vars knows. */
export const ORGS = Object.freeze({
  org1: Object.freeze({
    mspId: 'Org1MSP',
    domain: 'org1.example.com',
    portVars: Object.freeze(['PEER0_ORG1_PORT', 'PEER1_ORG1_PORT']),
  }),
  org2: Object.freeze({
    mspId: 'Org2MSP',
    domain: 'org2.example.com',
    portVars: Object.freeze(['PEER0_ORG2_PORT', 'PEER1_ORG2_PORT']),
  }),
});

function onlyFile(dir) {
  const files = readdirSync(dir);
  if (files.length !== 1) throw new Error(`expected one file in ${dir}, found ${files.length}`);
  return join(dir, files[0]);
}

/**
 * Connects to peer<PEER> (default 0) of ORG as USER (`Admin` or `User1`). `deadlines` (ms) bound each Fabric call
 * type (docs/decisions.md, Fabric); a missing one leaves that call type unbounded. One gRPC client, closed
 * with the gateway by `close()`.
 */
export function connectOrg({ networkHome, org, user, deadlines = {}, peer = 0 }) {
  const o = ORGS[org];
  if (!o) throw new Error(`unknown organization '${org}' (org1 or org2)`);
  const portVar = o.portVars[peer];
  if (!portVar) throw new Error(`unknown peer ${peer} of ${org} (0 or 1)`);
  const port = networkPorts(networkHome)[portVar];
  if (!port) throw new Error(`${portVar} missing in ${join(networkHome, 'ports.env')}`);
  const orgDir = join(networkHome, 'crypto', 'peerOrganizations', o.domain);
  const peerName = `peer${peer}.${o.domain}`;
  const msp = join(orgDir, 'users', `${user}@${o.domain}`, 'msp');
  const credentials = readFileSync(onlyFile(join(msp, 'signcerts')));
  const privateKey = createPrivateKey(readFileSync(onlyFile(join(msp, 'keystore'))));
  const address = `127.0.0.1:${port}`;
  const client = new grpc.Client(
    address,
    grpc.credentials.createSsl(readFileSync(join(orgDir, 'peers', peerName, 'tls', 'ca.crt'))),
    {
      'grpc.ssl_target_name_override': peerName,
    },
  );
  const within = (ms) => (ms === undefined ? undefined : () => ({ deadline: Date.now() + ms }));
  const gateway = connect({
    client,
    identity: { mspId: o.mspId, credentials },
    signer: signers.newPrivateKeySigner(privateKey),
    hash: hash.sha256,
    evaluateOptions: within(deadlines.evaluate),
    endorseOptions: within(deadlines.endorse),
    submitOptions: within(deadlines.submit),
    commitStatusOptions: within(deadlines.commitStatus),
  });
  return {
    mspId: o.mspId,
    peerName,
    address,
    gateway,
    close() {
      gateway.close();
      client.close();
    },
  };
}
