// SPDX-License-Identifier: Apache-2.0
// The upload-self flood's client (bench:flood): the app's own SDK in a worker thread of the
// benchmark, with its own session, so the client-side work of its 512 KiB uploads (SM4, SM2
// sig1/sig2 over the canonical request, base64) runs on its own event loop and not on the honest
// client's: the honest app's latency then measures the gateway, as it would for another host or
// process of the app. Each message {i} is one upload; the answer {i, outcome} its status.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { medshareDist } from './medshare-dist.mjs';

const require = createRequire(import.meta.url);
const { root, appConfigFile, patient } = workerData;
const p = medshareDist(root);
const { MedshareClient, loadAppConfig } = require(join(root, 'app/dist/index.js'));

const client = new MedshareClient(loadAppConfig(appConfigFile).client);
// The largest record the protocol takes: its sealed box (nonce, tag) is MAX_RECORD_BYTES.
const bigContent = new Uint8Array(randomBytes(p.MAX_RECORD_BYTES - 64));

parentPort.on('message', (m) => {
  client.upload(patient, { content: bigContent, kind: 'clinical-note' }).then(
    () => parentPort.postMessage({ i: m.i, outcome: '200' }),
    (e) => parentPort.postMessage({ i: m.i, outcome: e.code ?? 'error' }),
  );
});
