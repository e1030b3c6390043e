// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
/**
 * A second chaincode server per organization (CHAINCODE_SERVERS_PER_ORG=2, scripts/network/lib.sh):
 * an upload through a gateway that prefers peer1.org1 is endorsed there, and peer1.org1 runs the
 * chaincode on org1's second server (b), not on the first (a) that peer0.org1 dials, with the one
 * package both peers installed. Evidence, none of it timed: the address each peer's ccaas builder
 * filled into that package's connection.json; peer1.org1's medshare proposal and shim-request
 * counters (its operations endpoint) rising over the uploads; its only chaincode connection going
 * to the port the b server's process listens on.
 *
 * Opt-in (the network must run with two servers per org, which CI's does not): it runs only with
 * CHAINCODE_SERVERS_PER_ORG=2 in the environment, which the e2e project's global setup then
 * passes to network-up.sh (switching a running network over, ~20 s):
 *   CHAINCODE_SERVERS_PER_ORG=2 npm run jest -- test/e2e/chaincode-servers.test.ts --selectProjects e2e
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NETWORK_HOME,
  assertNetworkReady,
  pidFile,
  startHospital,
  stopHospital,
  type Hospital,
} from './support/hospital';

const TWO = process.env.CHAINCODE_SERVERS_PER_ORG === '2';
/** The network's ports (.network/ports.env, written by scripts/network/up.sh). */
function ports(): Record<string, number> {
  const entries = readFileSync(join(NETWORK_HOME, 'ports.env'), 'utf8')
    .split('\n')
    .map((l) => /^([A-Z0-9_]+)=([0-9]+)$/.exec(l.trim()))
    .filter((m) => m !== null)
    .map((m) => [m[1], Number(m[2])]);
  return Object.fromEntries(entries) as Record<string, number>;
}
const pid = (name: string): number => Number(readFileSync(pidFile(name), 'utf8').trim());

/** The address a peer's ccaas builder filled into the org1 package's connection.json. */
function builtAddress(peer: string): string {
  const id = readFileSync(join(NETWORK_HOME, 'chaincode', 'medshare.org1.id'), 'utf8').trim();
  const file = join(NETWORK_HOME, 'data', peer, 'externalbuilder/builds', id.replace(/[^a-zA-Z0-9_.-]/g, '-'));
  return (
    JSON.parse(readFileSync(join(file, 'release/chaincode/server/connection.json'), 'utf8')) as { address: string }
  ).address;
}

/** peer1.org1's medshare counters: proposals it processed, requests the chaincode sent it. */
async function peer1Counters(): Promise<{ proposals: number; shim: number }> {
  const text = await (await fetch(`http://127.0.0.1:${String(ports().PEER1_ORG1_OPS_PORT)}/metrics`)).text();
  const sum = (prefix: string, label: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix) && l.includes(label))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    proposals: sum('endorser_proposal_duration_count{', 'chaincode="medshare"'),
    shim: sum('chaincode_shim_requests_received{', 'chaincode="medshare_'),
  };
}

/** The ports process `p` holds established TCP connections to, and the ports it listens on (ss -tnp). */
function sockets(p: number): { dials: number[]; listens: number[] } {
  const rows = (args: string[]): string[] =>
    execFileSync('ss', args, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(`pid=${String(p)},`));
  const col = (l: string, k: number): number => Number(/:(\d+)$/.exec(l.trim().split(/\s+/)[k] ?? '')?.[1]);
  return {
    dials: rows(['-Htnp', 'state', 'established']).map((l) => col(l, 3)),
    listens: rows(['-Hltnp']).map((l) => col(l, 3)),
  };
}

(TWO ? describe : describe.skip)('a second chaincode server per organization (CHAINCODE_SERVERS_PER_ORG=2)', () => {
  let h: Hospital | undefined;
  beforeAll(async () => {
    assertNetworkReady();
    h = await startHospital('org1', { preferredPeer: 1 });
  }, 120_000);
  afterAll(async () => {
    await stopHospital(h);
  }, 60_000);

  it("fills each peer's own server into the org's one package", () => {
    const { CCAAS_PORT, CCAAS_ORG1_B_PORT } = ports();
    expect(builtAddress('peer0.org1.example.com')).toBe(`127.0.0.1:${String(CCAAS_PORT)}`);
    expect(builtAddress('peer1.org1.example.com')).toBe(`127.0.0.1:${String(CCAAS_ORG1_B_PORT)}`);
  });

  it("endorses an upload through peer1.org1 on org1's second server", async () => {
    const hospital = h!;
    expect(hospital.layout.peers[0]).toBe('peer1.org1.example.com');
    const patient = generateKeyPair();
    await hospital.client.register(patient, 'patient');
    const before = await peer1Counters();
    // The gateway's peer endorses first for its org unless another peer of the org is a block ahead
    // (Fabric's gateway, registry.go): a few uploads, so one of them is endorsed on peer1.
    let after = before;
    for (let i = 0; i < 5 && after.proposals === before.proposals; i++) {
      const { recordId } = await hospital.client.upload(patient, {
        content: utf8(`note ${String(i)}`),
        kind: 'clinical-note',
      });
      expect(recordId).toBeTruthy();
      after = await peer1Counters();
    }
    expect(after.proposals).toBeGreaterThan(before.proposals);
    expect(after.shim).toBeGreaterThan(before.shim);

    const { CCAAS_PORT, CCAAS_ORG1_B_PORT } = ports();
    const peer1 = sockets(pid('peer1.org1.example.com'));
    expect(peer1.dials).toContain(CCAAS_ORG1_B_PORT);
    expect(peer1.dials).not.toContain(CCAAS_PORT);
    expect(sockets(pid('chaincode-medshare-org1-b')).listens).toEqual([CCAAS_ORG1_B_PORT]);
    expect(sockets(pid('peer0.org1.example.com')).dials).not.toContain(CCAAS_ORG1_B_PORT);
  }, 120_000);
});
