// SPDX-License-Identifier: Apache-2.0
// The embedded runtime's ledger thread (a worker_threads entry): opens the embedded backend
// (the durable ledger and the chaincode over it) and answers the gateway thread's calls
// (ledger/embedded-worker.ts), so the contract's work never runs on the thread that serves HTTP.
import '../logging/quiet-fabric-logs';
import { parentPort, workerData } from 'node:worker_threads';
import { MedshareError } from '@medshare/protocol';
import type { EventStream, OrgAdminLedger } from './backend';
import { EmbeddedBackend } from './embedded';
import type { FromLedgerThread, LedgerThreadData, ToLedgerThread, WireError } from './embedded-worker';

if (!parentPort) throw new Error('embedded-thread.ts is a worker_threads entry, not a module to import');
const port = parentPort;
const post = (message: FromLedgerThread): void => port.postMessage(message);

function wireError(error: unknown): WireError {
  if (error instanceof MedshareError) return { code: error.code, message: error.detail, context: { ...error.context } };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), context: {} };
}

/** The backend's methods the gateway thread may call, by name (nothing else is reachable). */
function callable(
  backend: EmbeddedBackend,
  admin: OrgAdminLedger,
): Record<string, (...args: never[]) => Promise<string>> {
  return {
    ping: () => Promise.resolve(''),
    run: (envelope: Parameters<EmbeddedBackend['run']>[0]) => backend.run(envelope),
    getUser: (keyId: string) => backend.getUser(keyId),
    listAccessKeys: (mspId: string) => backend.listAccessKeys(mspId),
    listProxies: () => backend.listProxies(),
    getShareForProxy: (fileId: string, receiver: string, proxyId: string) =>
      backend.getShareForProxy(fileId, receiver, proxyId),
    getAppPolicy: (mspId: string) => backend.getAppPolicy(mspId),
    'admin.approveUser': (keyId: string) => admin.approveUser(keyId),
    'admin.registerAccessKey': (key: Parameters<OrgAdminLedger['registerAccessKey']>[0]) =>
      admin.registerAccessKey(key),
    'admin.retireAccessKey': (keyId: string, at?: number) => admin.retireAccessKey(keyId, at),
    'admin.adminAuditTrail': (recordId: string, pageSize: number, bookmark: string) =>
      admin.adminAuditTrail(recordId, pageSize, bookmark),
    'admin.registerProxy': (publicKey: string) => admin.registerProxy(publicKey),
    'admin.listProxies': () => admin.listProxies(),
    'admin.setAppPolicy': (minVersion: string, denied: string) => admin.setAppPolicy(minVersion, denied),
  };
}

/** Forwards one event stream's events until the gateway thread closes it (or the ledger does). */
async function forward(id: number, stream: EventStream): Promise<void> {
  try {
    for await (const e of stream) post({ type: 'event', id, event: { ...e, payload: new Uint8Array(e.payload) } });
    post({ type: 'end', id });
  } catch (error) {
    post({ type: 'end', id, error: wireError(error) });
  }
}

async function main(data: LedgerThreadData): Promise<void> {
  let backend: EmbeddedBackend;
  try {
    backend = await EmbeddedBackend.open({ type: 'embedded', dir: data.dir, k4KeyFile: data.k4KeyFile }, data.org);
  } catch (error) {
    post({ type: 'open-failed', error: wireError(error) });
    return;
  }
  const calls = callable(backend, backend.orgAdmin());
  const streams = new Map<number, EventStream>();
  port.on('message', (m: ToLedgerThread) => {
    switch (m.type) {
      case 'call': {
        const f = calls[m.method];
        const answer = f
          ? (f as (...a: unknown[]) => Promise<string>)(...m.args)
          : Promise.reject(new Error(`no ledger method ${m.method}`));
        answer.then(
          (result) => post({ type: 'result', id: m.id, result }),
          (error: unknown) => post({ type: 'result', id: m.id, error: wireError(error) }),
        );
        break;
      }
      case 'events':
        backend
          .chaincodeEvents({
            checkpoint: { getBlockNumber: () => m.checkpointBlock, getTransactionId: () => m.checkpointTx },
            startBlock: m.startBlock,
          })
          .then(
            (stream) => {
              streams.set(m.id, stream);
              post({ type: 'result', id: m.id, result: '' });
              void forward(m.id, stream).finally(() => streams.delete(m.id));
            },
            (error: unknown) => post({ type: 'result', id: m.id, error: wireError(error) }),
          );
        break;
      case 'close-events':
        streams.get(m.id)?.close();
        break;
      case 'close':
        for (const s of streams.values()) s.close();
        backend.close().then(
          () => post({ type: 'result', id: m.id, result: '' }),
          (error: unknown) => post({ type: 'result', id: m.id, error: wireError(error) }),
        );
        break;
    }
  });
  post({ type: 'ready' });
}

void main(workerData as LedgerThreadData);
