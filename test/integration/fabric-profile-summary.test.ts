// SPDX-License-Identifier: Apache-2.0
/**
 * The pure parts of bench:fabric-profile (scripts/bench/fabric-profile.mjs), on canned input:
 * the Prometheus text parser and its deltas, the `go tool pprof -traces` / `-top` parsers, the
 * phase and kind bucketing of stacks (Fabric 2.5.16's function names), the per-transaction
 * arithmetic, the block decoder (a block built here with @hyperledger/fabric-protos), and the
 * FABRIC_PROFILE switch of scripts/network/lib.sh (off: nothing of it in the nodes' environment).
 * No timings are asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { common, ledger, peer } from '@hyperledger/fabric-protos';

const ROOT = join(__dirname, '..', '..');
const loadSummary = () => import('../../scripts/bench/pprof-summary.mjs');
const loadBlocks = () => import('../../scripts/bench/fabric-blocks.mjs');
let s: Awaited<ReturnType<typeof loadSummary>>;
let b: Awaited<ReturnType<typeof loadBlocks>>;
beforeAll(async () => {
  s = await loadSummary();
  b = await loadBlocks();
});

const F = 'github.com/hyperledger/fabric/';

describe('Prometheus text', () => {
  const before = `# HELP chaincode_shim_requests_completed The number of chaincode shim requests completed.
# TYPE chaincode_shim_requests_completed counter
chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="medshare",success="true",type="GET_STATE"} 10
chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="medshare",success="true",type="PUT_STATE"} 4
chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="medshare",success="false",type="PUT_STATE"} 1
chaincode_shim_requests_completed{chaincode="_lifecycle.syscc",channel="medshare",success="true",type="GET_STATE"} 7
endorser_proposals_received 20
ledger_blockchain_height{channel="medshare"} 12
odd_label{path="a \\"quoted\\" one"} 1.5e3
`;
  const after = `chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="medshare",success="true",type="GET_STATE"} 40
chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="medshare",success="true",type="PUT_STATE"} 4
chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="medshare",success="false",type="PUT_STATE"} 3
chaincode_shim_requests_completed{chaincode="_lifecycle.syscc",channel="medshare",success="true",type="GET_STATE"} 7
chaincode_shim_requests_completed{chaincode="medshare_1.0:ab",channel="other",success="true",type="GET_STATE"} 5
endorser_proposals_received 26
ledger_blockchain_height{channel="medshare"} 15
`;

  it('parses samples, labels (escaped quotes included) and values, skipping comments', () => {
    const samples = s.parsePrometheus(before);
    expect(samples).toHaveLength(7);
    expect(samples[0]).toEqual({
      name: 'chaincode_shim_requests_completed',
      labels: { chaincode: 'medshare_1.0:ab', channel: 'medshare', success: 'true', type: 'GET_STATE' },
      value: 10,
    });
    expect(samples[4]).toEqual({ name: 'endorser_proposals_received', labels: {}, value: 20 });
    expect(samples[6]).toEqual({ name: 'odd_label', labels: { path: 'a "quoted" one' }, value: 1500 });
  });

  it('refuses a line that is not a sample, naming it', () => {
    expect(() => s.parsePrometheus('metric{a="1"}\n')).toThrow(/not a Prometheus sample line: metric\{a="1"\}/);
  });

  it('sums by labels, filtered, and takes window deltas (zero differences dropped)', () => {
    const a = s.parsePrometheus(after);
    const bf = s.parsePrometheus(before);
    expect(s.sumBy(bf, 'chaincode_shim_requests_completed', ['type'], { channel: 'medshare' })).toEqual({
      GET_STATE: 17,
      PUT_STATE: 5,
    });
    expect(
      s.deltaBy(bf, a, 'chaincode_shim_requests_completed', ['type', 'chaincode'], { channel: 'medshare' }),
    ).toEqual({ 'PUT_STATE/medshare_1.0:ab': 2, 'GET_STATE/medshare_1.0:ab': 30 });
    expect(s.deltaBy(bf, a, 'endorser_proposals_received')).toEqual({ '': 6 });
    expect(s.sumBy(a, 'ledger_blockchain_height', [], { channel: 'medshare' })).toEqual({ '': 15 });
    expect(s.sumBy(a, 'absent_metric')).toEqual({});
  });
});

describe('go tool pprof output', () => {
  const traces = `File: peer
Build ID: 2a1366e9327713e94dfd16dd2ad7e3c08b86c782
Type: cpu
Duration: 4s, Total samples = 380ms ( 9.50%)
-----------+-------------------------------------------------------
      10ms   runtime.memclrNoHeapPointers
             runtime.(*mspan).initHeapBits
             runtime.mallocgc
-----------+-------------------------------------------------------
    pprof_label:  a value
      1.5s   p256MulInternal
             crypto/internal/fips140/nistec.p256PointDoubleAsm
             crypto/ecdsa.VerifyASN1 (inline)
             ${F}bccsp/sw.verifyECDSA
-----------+-------------------------------------------------------
     300us   runtime.futex
-----------+-------------------------------------------------------
`;
  it('reads every sample of -traces, leaf first, without " (inline)" and label lines', () => {
    const samples = s.parseTraces(traces);
    expect(samples).toEqual([
      { ms: 10, frames: ['runtime.memclrNoHeapPointers', 'runtime.(*mspan).initHeapBits', 'runtime.mallocgc'] },
      {
        ms: 1500,
        frames: [
          'p256MulInternal',
          'crypto/internal/fips140/nistec.p256PointDoubleAsm',
          'crypto/ecdsa.VerifyASN1',
          `${F}bccsp/sw.verifyECDSA`,
        ],
      },
      { ms: 0.3, frames: ['runtime.futex'] },
    ]);
  });

  it('converts pprof time values and refuses others', () => {
    expect(s.pprofMs('250ms')).toBe(250);
    expect(s.pprofMs('2s')).toBe(2000);
    expect(s.pprofMs('40us')).toBeCloseTo(0.04);
    expect(s.pprofMs('1min')).toBe(60000);
    expect(() => s.pprofMs('12parsecs')).toThrow(/not a pprof time value: 12parsecs/);
  });

  it('reads the rows of -top, zero flat values included', () => {
    const top = `Showing nodes accounting for 590ms, 43.70% of 1350ms total
      flat  flat%   sum%        cum   cum%
      90ms  6.67%  6.67%       90ms  6.67%  internal/runtime/syscall/linux.Syscall6
      20ms  1.48% 34.81%      100ms  7.41%  crypto/internal/fips140/nistec.p256PointDoubleAsm
         0     0% 43.70%      1.2s 88.89%  runtime.getMCache (inline)
`;
    expect(s.parseTop(top)).toEqual([
      { flatMs: 90, flatPct: 6.67, cumMs: 90, cumPct: 6.67, name: 'internal/runtime/syscall/linux.Syscall6' },
      {
        flatMs: 20,
        flatPct: 1.48,
        cumMs: 100,
        cumPct: 7.41,
        name: 'crypto/internal/fips140/nistec.p256PointDoubleAsm',
      },
      { flatMs: 0, flatPct: 0, cumMs: 1200, cumPct: 88.89, name: 'runtime.getMCache (inline)' },
    ]);
  });
});

describe('phase and kind of a stack', () => {
  const cases: [string, string[], string, string][] = [
    [
      "a creator's signature checked in validation",
      [
        'p256MulInternal',
        'crypto/internal/fips140/nistec.p256PointDoubleAsm',
        'crypto/ecdsa.VerifyASN1',
        `${F}bccsp/sw.verifyECDSA`,
        `${F}core/common/validation.checkSignatureFromCreator`,
        `${F}core/committer/txvalidator/v20.(*TxValidator).validateTx`,
        `${F}gossip/state.(*GossipStateProviderImpl).commitBlock`,
      ],
      'validation (VSCC: creator and endorsement signatures, policy)',
      'ECDSA verify',
    ],
    [
      'a shim message unmarshalled by the peer',
      [
        'runtime.memmove',
        'google.golang.org/protobuf/proto.UnmarshalOptions.unmarshal',
        'github.com/golang/protobuf/proto.Unmarshal',
        `${F}core/chaincode.(*Handler).HandleTransaction`,
      ],
      'chaincode: shim messages (peer side)',
      'protobuf',
    ],
    [
      "a GetState's read of LevelDB",
      [
        'github.com/syndtr/goleveldb/leveldb.(*DB).Get',
        `${F}core/ledger/kvledger/txmgmt/statedb/stateleveldb.(*versionedDB).GetState`,
        `${F}core/ledger/kvledger/txmgmt/txmgr.(*queryExecutor).GetState`,
        `${F}core/chaincode.(*Handler).HandleGetState`,
      ],
      'chaincode: simulation (state reads, rwset)',
      'LevelDB',
    ],
    [
      "the block store's fsync at commit",
      [
        'internal/runtime/syscall/linux.Syscall6',
        'syscall.Syscall',
        'syscall.Fdatasync',
        `${F}common/ledger/blkstorage.(*blockfileWriter).sync`,
        `${F}core/ledger/kvledger.(*kvLedger).commit`,
        `${F}gossip/privdata.(*coordinator).StoreBlock`,
        `${F}gossip/state.(*GossipStateProviderImpl).commitBlock`,
      ],
      'commit (MVCC, block store, state and history DB)',
      'syscalls',
    ],
    [
      "a gRPC client's reader goroutine",
      [
        'internal/runtime/syscall/linux.Syscall6',
        'syscall.read',
        'internal/poll.(*FD).Read',
        'crypto/tls.(*Conn).readRecord',
        'google.golang.org/grpc/internal/transport.(*http2Client).reader',
      ],
      'gRPC transport goroutines',
      'syscalls',
    ],
    [
      'TLS decryption in the server transport',
      [
        'crypto/internal/fips140/aes/gcm.open',
        'crypto/tls.(*halfConn).decrypt',
        'golang.org/x/net/http2.(*Framer).ReadFrame',
        'google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams',
      ],
      'gRPC transport goroutines',
      'TLS',
    ],
    [
      'background marking',
      ['runtime.scanobject', 'runtime.gcDrain', 'runtime.gcBgMarkWorker'],
      'GC (background)',
      'GC',
    ],
    [
      'the endorsement signature',
      [
        'crypto/ecdsa.SignASN1',
        `${F}bccsp/sw.signECDSA`,
        `${F}core/handlers/endorsement/builtin.(*DefaultEndorsement).Endorse`,
        `${F}core/endorser.(*Endorser).ProcessProposalSuccessfullyOrError`,
        `${F}internal/pkg/gateway.(*Server).planFromFirstEndorser.func1`,
      ],
      'endorser (proposal checks, ACL, endorsement signing)',
      'ECDSA sign',
    ],
    [
      "the gateway's call to the other org's endorser",
      [
        'google.golang.org/grpc.(*ClientConn).Invoke',
        'github.com/hyperledger/fabric-protos-go/peer.(*endorserClient).ProcessProposal',
        `${F}internal/pkg/gateway.(*Server).processProposal.func1`,
      ],
      'gateway service (Endorse, Submit, CommitStatus)',
      'gRPC / HTTP2',
    ],
    [
      "the orderer reading a block for a peer's deliver stream",
      [
        `${F}common/ledger/blkstorage.deserializeBlock`,
        `${F}common/ledger/blockledger/fileledger.(*fileLedgerIterator).Next`,
        `${F}common/deliver.(*Handler).deliverBlocks.func2`,
      ],
      'blocks: deliver service (orderer to peers, peer to clients)',
      'other',
    ],
    [
      "a wake-up from gossip's send",
      ['runtime.futex', 'runtime.futexwakeup', 'runtime.notewakeup', `${F}gossip/comm.(*connection).send`],
      'blocks: gossip, deliver client, block signature checks',
      'scheduler, locks',
    ],
    ['code of no known package', ['main.something', 'main.main'], 'other', 'other'],
  ];
  it.each(cases)('%s', (_label, frames, phase, kind) => {
    expect(s.classify(frames)).toEqual({ phase, kind });
  });

  it('names every phase and kind once, "other" last', () => {
    for (const names of [s.phaseNames(), s.kindNames()]) {
      expect(new Set(names).size).toBe(names.length);
      expect(names[names.length - 1]).toBe(s.OTHER);
    }
  });
});

describe('bucketing and per-transaction arithmetic', () => {
  const samples = [
    { ms: 30, frames: ['crypto/ecdsa.VerifyASN1', `${F}core/committer/txvalidator/v20.(*TxValidator).validateTx`] },
    { ms: 10, frames: ['runtime.memmove', `${F}core/committer/txvalidator/v20.(*TxValidator).validateTx`] },
    { ms: 20, frames: ['runtime.scanobject', 'runtime.gcBgMarkWorker'] },
  ];
  const V = 'validation (VSCC: creator and endorsement signatures, policy)';

  it('adds the samples by phase, by kind and by both; totals agree', () => {
    const r = s.bucketize(samples);
    expect(r.totalMs).toBe(60);
    expect(r.byPhase).toEqual({ [V]: 40, 'GC (background)': 20 });
    expect(r.byKind).toEqual({ 'ECDSA verify': 30, other: 10, GC: 20 });
    expect(r.cross).toEqual({ [V]: { 'ECDSA verify': 30, other: 10 }, 'GC (background)': { GC: 20 } });
    expect(s.bucketize([])).toEqual({ totalMs: 0, byPhase: {}, byKind: {}, cross: {} });
  });

  it('divides per transaction and subtracts a per-second background scaled to the window', () => {
    const perTx = s.perUnit(s.bucketize(samples), 10);
    expect(perTx.totalMs).toBe(6);
    expect(perTx.byPhase[V]).toBe(4);
    expect(perTx.cross[V]?.['ECDSA verify']).toBe(3);
    // 2 ms/s of background GC over a 5 s window of 10 transactions: 1 ms per transaction.
    const idle = s.perUnit(s.bucketize([{ ms: 8, frames: ['runtime.gcBgMarkWorker'] }]), 4);
    const net = s.minusScaled(perTx, idle, 5 / 10);
    expect(net.totalMs).toBe(5);
    expect(net.byPhase).toEqual({ [V]: 4, 'GC (background)': 1 });
    expect(net.byKind.GC).toBe(1);
    expect(net.cross['GC (background)']).toEqual({ GC: 1 });
    // the inputs are not changed
    expect(perTx.byPhase['GC (background)']).toBe(2);
  });
});

describe('transactions of a block', () => {
  const kv = ledger.rwset.kvrwset;
  function nsRwset(namespace: string, reads: string[], writes: [string, string][]): ledger.rwset.NsReadWriteSet {
    const set = new kv.KVRWSet();
    set.setReadsList(
      reads.map((k) => {
        const r = new kv.KVRead();
        r.setKey(k);
        return r;
      }),
    );
    set.setWritesList(
      writes.map(([k, v]) => {
        const w = new kv.KVWrite();
        w.setKey(k);
        w.setValue(Buffer.from(v));
        return w;
      }),
    );
    const ns = new ledger.rwset.NsReadWriteSet();
    ns.setNamespace(namespace);
    ns.setRwset(set.serializeBinary());
    return ns;
  }
  function envelope(type: number, data: Uint8Array): Uint8Array {
    const ch = new common.ChannelHeader();
    ch.setType(type);
    const header = new common.Header();
    header.setChannelHeader(ch.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(data);
    const env = new common.Envelope();
    env.setPayload(payload.serializeBinary());
    env.setSignature(Buffer.alloc(71));
    return env.serializeBinary();
  }
  function endorserTx(chaincode: string, rwsets: ledger.rwset.NsReadWriteSet[]): Uint8Array {
    const txrw = new ledger.rwset.TxReadWriteSet();
    txrw.setNsRwsetList(rwsets);
    const action = new peer.ChaincodeAction();
    action.setResults(txrw.serializeBinary());
    action.setEvents(Buffer.alloc(12));
    const response = new peer.Response();
    response.setStatus(200);
    response.setPayload(Buffer.alloc(30));
    action.setResponse(response);
    const id = new peer.ChaincodeID();
    id.setName(chaincode);
    action.setChaincodeId(id);
    const prp = new peer.ProposalResponsePayload();
    prp.setExtension$(action.serializeBinary());
    const endorsed = new peer.ChaincodeEndorsedAction();
    endorsed.setProposalResponsePayload(prp.serializeBinary());
    endorsed.setEndorsementsList(
      [100, 120].map((n) => {
        const e = new peer.Endorsement();
        e.setEndorser(Buffer.alloc(n));
        e.setSignature(Buffer.alloc(70));
        return e;
      }),
    );
    const cap = new peer.ChaincodeActionPayload();
    cap.setChaincodeProposalPayload(Buffer.alloc(500));
    cap.setAction(endorsed);
    const ta = new peer.TransactionAction();
    ta.setPayload(cap.serializeBinary());
    const tx = new peer.Transaction();
    tx.setActionsList([ta]);
    return envelope(common.HeaderType.ENDORSER_TRANSACTION, tx.serializeBinary());
  }
  const mine = endorserTx('medshare', [
    nsRwset('_lifecycle', ['namespaces/fields/medshare/Sequence'], []),
    nsRwset(
      'medshare',
      ['a', 'b'],
      [
        ['a', 'xxxx'],
        ['c', 'yy'],
        ['d', ''],
      ],
    ),
  ]);
  const theirs = endorserTx('medshare-baseline', [nsRwset('medshare-baseline', ['k'], [['k', 'v']])]);
  const config = envelope(common.HeaderType.CONFIG, Buffer.alloc(40));
  const block = new common.Block();
  const data = new common.BlockData();
  data.setDataList([mine, config, theirs]);
  block.setData(data);
  const metadata = new common.BlockMetadata();
  const filter = Uint8Array.from([peer.TxValidationCode.MVCC_READ_CONFLICT, peer.TxValidationCode.VALID, 0]);
  metadata.setMetadataList([new Uint8Array(), new Uint8Array(), filter, new Uint8Array(), new Uint8Array()]);
  block.setMetadata(metadata);

  it('decodes each endorser transaction: sizes, keys, endorsements, validation code; config skipped', () => {
    const txs = b.blockTransactions(block);
    expect(txs).toHaveLength(2);
    expect(txs[0]).toMatchObject({
      chaincode: 'medshare',
      validation: 'MVCC_READ_CONFLICT',
      envelopeBytes: mine.length,
      proposalInputBytes: 500,
      eventBytes: 12,
      responseBytes: 30,
      endorsements: 2,
      endorsementBytes: 100 + 70 + 120 + 70,
      namespaces: ['_lifecycle', 'medshare'],
      reads: 3,
      writes: 3,
      rangeQueries: 0,
      writtenValueBytes: 6,
    });
    expect(txs[1]).toMatchObject({ chaincode: 'medshare-baseline', validation: 'VALID', reads: 1, writes: 1 });
  });

  it("averages one chaincode's transactions and charges it its share of the block's bytes", () => {
    const sum = b.summarizeBlocks([block, block], 'medshare');
    expect(sum.blocks).toBe(2);
    expect(sum.txs).toBe(2);
    expect(sum.txsPerBlock).toBe(3);
    expect(sum.validation).toEqual({ MVCC_READ_CONFLICT: 2 });
    expect(sum.namespaces).toEqual(['_lifecycle', 'medshare']);
    expect(sum.mean.writes).toBe(3);
    expect(sum.mean.envelopeBytes).toBe(mine.length);
    expect(sum.blockBytesPerTx).toBeCloseTo(block.serializeBinary().length / 2);
    expect(b.summarizeBlocks([], 'medshare')).toMatchObject({ blocks: 0, txs: 0, txsPerBlock: 0, blockBytesPerTx: 0 });
  });
});

describe('FABRIC_PROFILE in scripts/network/lib.sh', () => {
  const home = mkdtempSync(join(os.tmpdir(), 'medshare-profile-env-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  writeFileSync(join(home, 'ports.env'), 'PEER0_ORG2_PROFILE_PORT=16062\n');
  const nodeEnv = (profile: string | undefined): string => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NETWORK_HOME: home, HOME: os.tmpdir() };
    if (profile !== undefined) env.FABRIC_PROFILE = profile;
    const r = spawnSync(
      'bash',
      [
        '-c',
        'set -euo pipefail; source scripts/network/lib.sh; load_ports; orderer_node_env; org_vars org2 0; peer_node_env',
      ],
      { cwd: ROOT, env, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };

  it('off (unset or 0): the nodes get no profiling setting at all', () => {
    for (const value of [undefined, '0']) {
      const out = nodeEnv(value);
      expect(out).toContain('CORE_PEER_ID=peer0.org2.example.com');
      expect(out).not.toMatch(/PROFILE/);
    }
  });

  it('on: pprof of the orderer and the peer on loopback, on their ports (ports.env, else the defaults)', () => {
    const lines = nodeEnv('1').split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'ORDERER_GENERAL_PROFILE_ENABLED=true',
        'ORDERER_GENERAL_PROFILE_ADDRESS=127.0.0.1:6060',
        'CORE_PEER_PROFILE_ENABLED=true',
        'CORE_PEER_PROFILE_LISTENADDRESS=127.0.0.1:16062',
      ]),
    );
  });

  it('up.sh refuses a value other than 0 or 1, naming it, before it touches anything', () => {
    const r = spawnSync('bash', ['scripts/network/up.sh'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NETWORK_HOME: join(home, 'net'), FABRIC_PROFILE: 'yes', NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("FABRIC_PROFILE must be 0 or 1, got 'yes'");
    expect(spawnSync('test', ['-e', join(home, 'net')]).status).toBe(1);
  });
});
