// A Fabric Gateway connection to one organization's peer of the native network, as that
// org's User1 client identity from NETWORK_HOME/crypto (the identity the medshare gateways
// use). Shared by wait-ready.mjs and scripts/bench/fabric.mjs.
import { createPrivateKey } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(ROOT, 'gateway', 'package.json'));
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');

/**
 * org: 'org1' | 'org2'; port: the org's peer port. options: channel, chaincode, and the
 * deadline of each call type in ms (evaluate, endorse, submit, commitStatus).
 * Returns { mspId, contract, close }.
 */
export function orgConnection(networkHome, org, port, { channel = 'medshare', chaincode = 'medshare', deadlinesMs = {} } = {}) {
  const domain = `${org}.example.com`;
  const orgDir = join(networkHome, 'crypto', 'peerOrganizations', domain);
  const msp = join(orgDir, 'users', `User1@${domain}`, 'msp');
  const keystore = join(msp, 'keystore');
  const signcerts = join(msp, 'signcerts');
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(readFileSync(join(orgDir, 'peers', `peer0.${domain}`, 'tls', 'ca.crt'))), {
    'grpc.ssl_target_name_override': `peer0.${domain}`,
  });
  const mspId = `${org[0].toUpperCase()}${org.slice(1)}MSP`;
  const { evaluate = 5000, endorse = 15000, submit = 5000, commitStatus = 60000 } = deadlinesMs;
  const gateway = connect({
    client,
    identity: { mspId, credentials: readFileSync(join(signcerts, readdirSync(signcerts)[0])) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(keystore, readdirSync(keystore)[0])))),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + evaluate }),
    endorseOptions: () => ({ deadline: Date.now() + endorse }),
    submitOptions: () => ({ deadline: Date.now() + submit }),
    commitStatusOptions: () => ({ deadline: Date.now() + commitStatus }),
  });
  const contract = gateway.getNetwork(channel).getContract(chaincode);
  return { mspId, contract, close: () => (gateway.close(), client.close()) };
}
