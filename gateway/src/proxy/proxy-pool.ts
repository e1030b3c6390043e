// SPDX-License-Identifier: Apache-2.0
/**
 * The re-encryption proxies as the gateway uses them (docs/protocol.md §17): the keys it hosts,
 * and peer gateways' proxies it asks over HTTPS with a K3-signed request. For a receiver's share
 * it gathers one capsule fragment per proxy (hosted: here; peers: their gateway) and reports the
 * proxies that failed; the receiver needs only the threshold.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import {
  MAX_CLOCK_SKEW_MS,
  MedshareError,
  PROTOCOL_VERSION,
  expectObject,
  fail,
  parseJsonText,
  parseProxyReEncryptRequest,
  parseServedCapsuleFragment,
  signFor,
  verifyFor,
  isErrorCode,
  type FileFragmentsAttachment,
  type FileFragmentsResult,
  type ProxyFailure,
  type ProxyReEncryptRequest,
  type ServedCapsuleFragment,
  type SigningKey,
} from '@medshare/protocol';
import type { LedgerBackend } from '../ledger/backend';
import { ReplayCache } from '../session/replay-cache';
import type { PeerProxyConfig } from './proxy-config';
import { ProxyKey, parseProxyShare, reEncryptFor } from './proxy';

/** A peer gateway must answer within this (one SM2 decryption and one re-encryption). */
const PEER_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 16 * 1024;
/** Peer requests remembered per asking org (their signatures, until their freshness ends). */
const REPLAY_ENTRIES_PER_ORG = 10_000;

export interface ProxyPoolOptions {
  readonly hosted: readonly ProxyKey[];
  readonly peers: readonly PeerProxyConfig[];
  readonly ledger: LedgerBackend;
  /** This gateway's org: named in its requests to peers, whose K3 they check on the ledger. */
  readonly org: string;
  /** The current signing K3. */
  readonly signer: () => SigningKey & { readonly keyId: string };
  readonly clock?: () => number;
}

function readCa(peer: PeerProxyConfig): Buffer {
  try {
    return readFileSync(peer.caFile as string);
  } catch (cause) {
    throw fail('INVALID_INPUT', `cannot read the TLS CA file of peer proxy ${peer.proxyId}: ${peer.caFile}`, cause);
  }
}

function failure(proxyId: string, error: unknown): ProxyFailure {
  const coded = error instanceof MedshareError ? error : fail('INTERNAL', 'the proxy failed', error);
  return { proxyId, code: coded.code, message: coded.detail };
}

export class ProxyPool {
  readonly #hosted: Map<string, ProxyKey>;
  readonly #peers: Map<string, PeerProxyConfig & { ca?: Buffer }>;
  readonly #options: ProxyPoolOptions;
  readonly #clock: () => number;
  readonly #replays = new ReplayCache(REPLAY_ENTRIES_PER_ORG);

  constructor(options: ProxyPoolOptions) {
    this.#options = options;
    this.#hosted = new Map(options.hosted.map((k) => [k.proxyId, k]));
    this.#peers = new Map(options.peers.map((p) => [p.proxyId, { ...p, ...(p.caFile ? { ca: readCa(p) } : {}) }]));
    this.#clock = options.clock ?? Date.now;
  }

  get hosted(): readonly ProxyKey[] {
    return [...this.#hosted.values()];
  }

  /** One capsule fragment per proxy of the share (hosted ones here, peers through their gateway), and the failures. */
  async serveShare(share: FileFragmentsResult): Promise<FileFragmentsAttachment> {
    const results = await Promise.all(
      share.proxies.map(async (p): Promise<ServedCapsuleFragment | ProxyFailure> => {
        try {
          const hosted = this.#hosted.get(p.proxyId);
          if (hosted) {
            const { proxies: _all, ...fields } = share;
            return reEncryptFor(
              parseProxyShare({
                ...fields,
                proxyId: p.proxyId,
                proxyPublicKey: p.publicKey,
                fragmentId: p.fragmentId,
                sealedFragment: p.sealedFragment,
              }),
              hosted,
            );
          }
          const peer = this.#peers.get(p.proxyId);
          if (!peer)
            throw fail('PROXY_NOT_FOUND', `this gateway neither hosts proxy ${p.proxyId} nor knows its gateway`);
          return await this.#askPeer(peer, share.fileId, share.receiverKeyId);
        } catch (error) {
          return failure(p.proxyId, error);
        }
      }),
    );
    return {
      capsuleFragments: results.filter((r): r is ServedCapsuleFragment => 'capsuleFragment' in r),
      failures: results.filter((r): r is ProxyFailure => 'code' in r),
    };
  }

  /**
   * `POST /v1/proxy/reencrypt` from a peer gateway: its K3 must be registered on the ledger for
   * the org it names and valid now (UNKNOWN_ACCESS_KEY, ACCESS_KEY_NOT_VALID), the request fresh
   * (±60 s, REQUEST_EXPIRED), signed by that K3 (SIG3_INVALID: the same key, another label) and
   * not seen before (NONCE_REPLAYED: the same signed request again within its freshness; the
   * signature, randomized, is its nonce). The share is read from the ledger here
   * (GetShareForProxy: SHARE_NOT_FOUND after a revoke), never taken from the caller.
   */
  async serveRequest(body: unknown): Promise<ServedCapsuleFragment> {
    const request = parseProxyReEncryptRequest(body);
    const key = this.#hosted.get(request.proxyId);
    if (!key) throw fail('PROXY_NOT_FOUND', `this gateway does not host proxy ${request.proxyId}`);
    const now = this.#clock();
    if (Math.abs(now - request.issuedAt) > MAX_CLOCK_SKEW_MS)
      throw fail('REQUEST_EXPIRED', 'the proxy request is not fresh (more than 60 s from this gateway clock)');
    const publicKey = await this.#ledgerK3(request.org, request.k3Id, now);
    const { sig, ...signed } = request;
    if (!verifyFor('proxy-request', publicKey, signed, sig))
      throw fail('SIG3_INVALID', `the proxy request does not verify against K3 ${request.k3Id}`);
    this.#replays.claim(request.org, request.k3Id, sig, request.issuedAt + MAX_CLOCK_SKEW_MS, now);
    const share = parseProxyShare(
      parseJsonText(
        await this.#options.ledger.getShareForProxy(request.fileId, request.receiverKeyId, request.proxyId),
        'share',
        64 * 1024,
      ),
    );
    return reEncryptFor(share, key);
  }

  async #ledgerK3(org: string, k3Id: string, now: number): Promise<string> {
    const entries = parseJsonText(await this.#options.ledger.listAccessKeys(org), 'ListAccessKeys', 1 << 20);
    const list = Array.isArray(entries) ? (entries as unknown[]) : [];
    const entry = list
      .map((e) =>
        expectObject(e, 'ListAccessKeys[]', ['keyId', 'publicKey', 'org', 'notBefore', 'notAfter', 'retiredAt']),
      )
      .find((e) => e.keyId === k3Id);
    if (!entry || typeof entry.publicKey !== 'string')
      throw fail('UNKNOWN_ACCESS_KEY', `K3 ${k3Id} is not registered for ${org}`);
    const retired = typeof entry.retiredAt === 'number' && entry.retiredAt <= now;
    if (retired || (entry.notBefore as number) > now || (entry.notAfter as number) < now)
      throw fail('ACCESS_KEY_NOT_VALID', `K3 ${k3Id} is retired or outside its validity window`);
    return entry.publicKey;
  }

  #askPeer(
    peer: PeerProxyConfig & { ca?: Buffer },
    fileId: string,
    receiverKeyId: string,
  ): Promise<ServedCapsuleFragment> {
    const k3 = this.#options.signer();
    const signed: Omit<ProxyReEncryptRequest, 'sig'> = {
      v: PROTOCOL_VERSION,
      fileId,
      receiverKeyId,
      proxyId: peer.proxyId,
      org: this.#options.org,
      issuedAt: this.#clock(),
      k3Id: k3.keyId,
    };
    const payload = Buffer.from(JSON.stringify({ ...signed, sig: signFor('proxy-request', k3, signed) }));
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        new URL('/v1/proxy/reencrypt', peer.url),
        {
          method: 'POST',
          timeout: PEER_TIMEOUT_MS,
          ...(peer.ca ? { ca: peer.ca } : {}),
          headers: { 'content-type': 'application/json', 'content-length': payload.length, accept: 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(fail('INTERNAL', 'the peer proxy answered too much'));
            else chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            try {
              const value = parseJsonText(Buffer.concat(chunks).toString('utf8'), 'peer answer', MAX_ANSWER_BYTES);
              if ((res.statusCode ?? 500) >= 400) {
                const e = value as { code?: unknown; message?: unknown };
                throw fail(
                  isErrorCode(e.code) ? e.code : 'INTERNAL',
                  `peer proxy ${peer.proxyId}: ${typeof e.message === 'string' ? e.message : `HTTP ${res.statusCode}`}`,
                );
              }
              const served = parseServedCapsuleFragment(value, 'peer answer');
              if (served.proxyId !== peer.proxyId) throw fail('INTERNAL', 'the peer answered for another proxy');
              resolve(served);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(fail('LEDGER_UNAVAILABLE', `peer proxy ${peer.proxyId} did not answer`)));
      req.on('error', (error) =>
        reject(
          error instanceof MedshareError
            ? error
            : fail('LEDGER_UNAVAILABLE', `cannot reach peer proxy ${peer.proxyId}`, error),
        ),
      );
      req.end(payload);
    });
  }
}
