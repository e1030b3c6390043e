// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { assertPublicKey, encrypt } from '@medshare/crypto/sm2';
import {
  MedshareError,
  claimedActor,
  keyIdOf,
  parseSubscribeEnvelope,
  subscribeRequestHash,
  type StreamGrant,
  isOperation,
  isSubmitted,
  parseResult,
  assertFresh,
  canonicalize,
  checkClockSkew,
  environmentError,
  isEnvironmentOperation,
  chainPayload,
  fail,
  openCiphertext,
  parseAppEnvelope,
  parseContractOutput,
  parseJsonText,
  parseSessionRequest,
  requestHash,
  sessionAad,
  signFor,
  verifyFor,
  MAX_CLOCK_SKEW_MS,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type AnyRequest,
  type ContractEnvelope,
  type KeyRequest,
  type RingAuthor,
  type JsonValue,
  type GatewayOutput,
  type Operation,
  type SealedMessage,
  type SignedSessionAnswer,
} from '@medshare/protocol';
import type { GatewayEnvironment } from '../access/environment';
import { SourceAllowlist } from '../access/source-allowlist';
import { WorkBudget } from '../access/work-budget';
import type { KeyRing } from '../keys/key-ring';
import type { LedgerBackend } from '../ledger/backend';
import { ReplayCache } from '../session/replay-cache';
import { SessionStore, type Session } from '../session/session-store';
import { StreamTokens } from '../session/stream-tokens';
import { HEAVY_CIPHERTEXT_CHARS, HeavyTurns, giveWay } from './heavy-turns';

export interface AccessLayerOptions {
  readonly sessionTtlMs: number;
  readonly sessionsPerApp: number;
  readonly replayCacheSize: number;
  /** CPU ms per second for SM2 work before authentication (session opens, directory signatures). */
  readonly unauthenticatedCpuMsPerSecond?: number;
  /** The budget itself (tests inject one with a fake cost measure). */
  readonly unauthenticatedBudget?: WorkBudget;
  /** Heavy requests (pipeline/heavy-turns.ts) of one session that may wait for their turn; default HEAVY_WAITING_PER_SESSION. */
  readonly heavyWaitingPerSession?: number;
  readonly clock?: () => number;
}

/**
 * How long a directory answer's signature is reused for the same user bytes and K3. A signature
 * over the same bytes is as good as a new one (the answer carries no time), so this only bounds
 * memory; repeated lookups of a key cost no SM2 signing.
 */
const DIRECTORY_SIGNATURE_TTL_MS = 60_000;
const DIRECTORY_CACHE_SIZE = 10_000;

/** Default of config.limits.unauthenticatedCpuMsPerSecond: a quarter of the gateway's one JS thread. */
const DEFAULT_UNAUTHENTICATED_CPU_MS_PER_SECOND = 250;

/**
 * The request a hook sees: already authenticated by the access layer (session, sig2, freshness,
 * replay). Hooks serve key requests only: the ring operations (anonymous contributions) have none.
 */
export interface HookContext {
  readonly appId: string;
  readonly request: KeyRequest;
}

/**
 * Per-operation work of the access layer beside the ledger (large files: the staged object, the
 * proxies, the download token), kept out of the pipeline itself. `before` runs once the request
 * is authenticated and may refuse it (nothing reaches the ledger); `refused` hears any refusal
 * after that (its own errors are swallowed); `after` runs once the contract's answer verified
 * (committed, for a submitted operation) and may return an attachment, sealed beside the signed
 * output (docs/protocol.md §17), never inside it.
 */
export interface OperationHook {
  before?(context: HookContext): Promise<void>;
  refused?(context: HookContext, error: unknown): Promise<void>;
  after?(context: HookContext, result: unknown): Promise<JsonValue | undefined>;
}

export type OperationHooks = Partial<Record<Operation, OperationHook>>;

/** A request the access layer answers itself, authenticated: its session and the author's registry entry. */
export interface LocalRequest<R> {
  readonly session: Session;
  readonly request: R;
  readonly user: {
    readonly keyId: string;
    readonly publicKey: string;
    readonly role: unknown;
    readonly status: unknown;
  };
}

export interface Outcome {
  readonly appId: string;
  readonly op: Operation;
  readonly body: SealedMessage;
}

/** What #openEnvelope opens: an app envelope (sig1 by a key or a ring, sig2 by the app's K2). */
type OpenableEnvelope = {
  request: { op: string; appId: string; nonce: string; issuedAt: number; expiresAt: number; body: unknown } & (
    { keyId: string } | { ring: RingAuthor }
  );
  sig1: string;
  sig2: string;
  k2Id: string;
};

/**
 * The access layer (docs/protocol.md §7.1–§7.3), independent of HTTP: session setup, then per
 * request: source check → decrypt and authenticate → sig2 → freshness and replay → sig3 →
 * ledger → sig4 → sig5 → encrypt. Each failed check throws a coded error and nothing reaches
 * the ledger.
 */
export class AccessLayer {
  readonly sessions: SessionStore;
  readonly streamTokens: StreamTokens;
  readonly #replay: ReplayCache;
  readonly #clock: () => number;
  readonly #startedAt: number;
  #keys: KeyRing;
  #allowlists = new Map<string, SourceAllowlist>();
  readonly #budget: WorkBudget;
  readonly #heavy: HeavyTurns;
  readonly #directorySignatures = new Map<string, { sig3: string; until: number }>();
  #hooks: OperationHooks = {};
  #environment: GatewayEnvironment | undefined;

  constructor(
    keys: KeyRing,
    private readonly ledger: LedgerBackend,
    options: AccessLayerOptions,
  ) {
    this.#keys = keys;
    this.#rebuildAllowlists();
    this.sessions = new SessionStore(options.sessionTtlMs, options.sessionsPerApp);
    this.streamTokens = new StreamTokens();
    this.#replay = new ReplayCache(options.replayCacheSize);
    this.#clock = options.clock ?? Date.now;
    this.#startedAt = this.#clock();
    this.#heavy = new HeavyTurns(options.heavyWaitingPerSession);
    this.#budget =
      options.unauthenticatedBudget ??
      new WorkBudget({
        msPerSecond: options.unauthenticatedCpuMsPerSecond ?? DEFAULT_UNAUTHENTICATED_CPU_MS_PER_SECOND,
      });
  }

  /** Installs the per-operation hooks (the files service's); replaces any earlier ones. */
  useHooks(hooks: OperationHooks): void {
    this.#hooks = { ...hooks };
  }

  /**
   * Installs the environment check of shares and downloads (access/environment.ts,
   * docs/protocol.md §7.6); without one only the pipeline's checks run here (the contract runs
   * them all again).
   */
  useEnvironment(environment: GatewayEnvironment): void {
    this.#environment = environment;
  }

  get environment(): GatewayEnvironment | undefined {
    return this.#environment;
  }

  get keys(): KeyRing {
    return this.#keys;
  }

  /** Swaps in reloaded keys; requests in flight finish with the ring they started with. */
  replaceKeys(keys: KeyRing): void {
    // Until the next reconciliation, the new ring keeps what the ledger said of the keys it
    // shares with the old one: a retired K3 still in the file must not sign meanwhile.
    keys.applyLedgerStatus(
      new Map(
        keys.k3.flatMap((k) => {
          const status = this.#keys.ledgerStatus(k.keyId);
          return status ? [[k.keyId, status] as const] : [];
        }),
      ),
    );
    this.#keys = keys;
    this.#rebuildAllowlists();
  }

  /** Claim 9: refuse a source address not allowed for the app, before any cryptography. */
  assertSource(appId: string, address: string): void {
    const allowlist = this.#allowlists.get(appId);
    if (!allowlist)
      throw environmentError('source-network', 'UNKNOWN_APP', `app ${appId} is not registered with this access layer`);
    if (!allowlist.allows(address))
      throw environmentError('source-network', 'SOURCE_NOT_ALLOWED', `source address is not allowed for app ${appId}`);
  }

  /** Step 1: a session key for the app's ephemeral key, signed with K3. */
  openSession(body: unknown, sourceAddress: string): SignedSessionAnswer {
    const request = parseSessionRequest(body);
    this.assertSource(request.appId, sourceAddress);
    try {
      assertPublicKey(request.ephemeralPublicKey);
    } catch {
      throw fail('INVALID_INPUT', 'session.ephemeralPublicKey is not a point on the SM2 curve');
    }
    const now = this.#clock();
    const k2 = this.#keys.appKey(request.appId, request.k2Id, now);
    // Cheap refusals before any SM2: the clock, then the budget the SM2 below is charged to.
    checkClockSkew(request.issuedAt, now, 'both');
    return this.#budget.run('session open', () => {
      const { sig2, ...signed } = request;
      if (!verifyFor('session-request', k2.publicKey, signed, sig2))
        throw fail('SIG2_INVALID', `session request sig2 does not verify against K2 ${request.k2Id}`);
      this.#replay.claim(request.appId, 'session-handshake', request.nonce, request.issuedAt + MAX_CLOCK_SKEW_MS, now);
      const session = this.sessions.open(request.appId, now);
      const k3 = this.#keys.signingK3(now);
      const answer = {
        v: PROTOCOL_VERSION,
        sessionId: session.sessionId,
        appId: request.appId,
        ephemeralPublicKey: request.ephemeralPublicKey,
        encryptedKey: toHex(encrypt(request.ephemeralPublicKey, session.key)),
        expiresAt: session.expiresAt,
        k3Id: k3.keyId,
      };
      return { ...answer, sig3: signFor('session', k3, answer) };
    });
  }

  /** The app id a sealed request claims, for the source check and rate limiting (no crypto). */
  appIdOf(sessionId: string): string {
    return this.sessions.get(sessionId, this.#clock()).appId;
  }

  /**
   * The app of a live session, if the request comes from an address that app allows: the check
   * made on the session header before a sealed request's body is read (no parsing, no crypto).
   * Throws SESSION_UNKNOWN, UNKNOWN_APP or SOURCE_NOT_ALLOWED.
   */
  sessionAppFrom(sessionId: string, sourceAddress: string): string {
    const appId = this.appIdOf(sessionId);
    this.assertSource(appId, sourceAddress);
    return appId;
  }

  /** Steps 3 and 5 for one sealed request. */
  async handle(body: SealedMessage, sourceAddress: string): Promise<Outcome> {
    const now = this.#clock();
    const { session, envelope } = await this.#openEnvelope(body, sourceAddress, now, parseAppEnvelope);
    const { request, sig1 } = envelope;

    const hook = 'ring' in request ? undefined : this.#hooks[request.op];
    const context = { appId: session.appId, request } as HookContext;
    let reply: GatewayOutput;
    try {
      if (this.#environment && isEnvironmentOperation(request.op)) {
        // keys-valid: a K3 to sign with, before any registry read; then the rest of the list.
        this.#keys.signingK3(now);
        await this.#environment.check(request, now);
      }
      await hook?.before?.(context);
      reply = await this.#toLedger(request, sig1, isHeavy(body));
    } catch (error) {
      await hook?.refused?.(context, error).catch(() => undefined);
      throw error;
    }
    const attachment = await hook?.after?.(context, reply.response.result);
    const answer = attachment === undefined ? reply : { ...reply, gateway: attachment };
    const text = canonicalize(answer);
    if (text.length > HEAVY_CIPHERTEXT_CHARS) await giveWay();
    const sealed = seal(session.key, utf8(text), sessionAad('response', session.sessionId));
    return {
      appId: session.appId,
      op: request.op,
      body: { sessionId: session.sessionId, ciphertext: toBase64(sealed) },
    };
  }

  /**
   * sig3 → ledger → sig4 checks → sig5. A heavy request, or a heavy answer (a large record read),
   * gives way to other clients between these steps (pipeline/heavy-turns.ts).
   */
  async #toLedger(request: AnyRequest, sig1: string, heavy: boolean): Promise<GatewayOutput> {
    if (heavy) await giveWay();
    const k3 = this.#keys.signingK3(this.#clock());
    const toContract: ContractEnvelope = {
      request,
      sig1,
      sig3: signFor('sig3', k3, chainPayload(request, sig1)),
      k3Id: k3.keyId,
    };
    const raw = await this.ledger.run(toContract);
    const pause = heavy || raw.length > HEAVY_CIPHERTEXT_CHARS ? giveWay : undefined;

    const output = parseContractOutput(raw);
    const { response, sig4 } = output;
    if (response.requestHash !== requestHash(request) || response.op !== request.op)
      throw fail('SIG4_INVALID', 'the contract response does not answer this request');
    const k4 = this.#keys.contractKey(response.k4Id, response.at);
    await pause?.();
    if (!verifyFor('sig4', k4.publicKey, response, sig4))
      throw fail('SIG4_INVALID', `sig4 does not verify against K4 ${response.k4Id}`);
    // A signed result this gateway cannot read (a chaincode of another version) is not passed on.
    parseResult(request.op, response.result, 'output.response.result');
    await pause?.();

    const signer = this.#keys.signingK3(this.#clock());
    return { response, sig4, sig5: signFor('sig5', signer, { response, sig4 }), k3Id: signer.keyId };
  }

  /**
   * A sealed, signed request the access layer answers itself (no transaction): the checks of any
   * request up to replay, then sig1 against the author's registered key (NOT_REGISTERED,
   * SIG1_INVALID). What subscriptions and file-upload-begin start with.
   */
  async openLocalRequest<
    E extends {
      request: {
        op: string;
        appId: string;
        keyId: string;
        nonce: string;
        issuedAt: number;
        expiresAt: number;
        body: unknown;
      };
      sig1: string;
      sig2: string;
      k2Id: string;
    },
  >(body: SealedMessage, sourceAddress: string, parse: (value: unknown) => E): Promise<LocalRequest<E['request']>> {
    const { session, envelope } = await this.#openEnvelope(body, sourceAddress, this.#clock(), parse);
    const { request, sig1 } = envelope;
    let user: { keyId?: unknown; publicKey?: unknown; role?: unknown; status?: unknown };
    try {
      user = JSON.parse(await this.ledger.getUser(request.keyId)) as typeof user;
    } catch (error) {
      if (error instanceof MedshareError && error.code === 'USER_NOT_FOUND')
        throw fail('NOT_REGISTERED', `key ${request.keyId} is not registered`);
      throw error;
    }
    if (typeof user.publicKey !== 'string' || keyIdOf(user.publicKey) !== request.keyId)
      throw fail('INTERNAL', 'the registry answered for another key');
    if (!verifyFor('sig1', user.publicKey, request, sig1))
      throw fail('SIG1_INVALID', 'sig1 does not verify against the registered key of request.keyId');
    return {
      session,
      request,
      user: { keyId: request.keyId, publicKey: user.publicKey, role: user.role, status: user.status },
    };
  }

  /** A value sealed as an answer in `session` (AAD "medshare/v1/response\n" ‖ sessionId). */
  sealAnswer(session: Session, value: unknown): SealedMessage {
    const sealed = seal(session.key, utf8(canonicalize(value)), sessionAad('response', session.sessionId));
    return { sessionId: session.sessionId, ciphertext: toBase64(sealed) };
  }

  /** The current signing K3 (a server-to-server request to a peer gateway's proxy). */
  signingK3(): ReturnType<KeyRing['signingK3']> {
    return this.#keys.signingK3(this.#clock());
  }

  /**
   * Step 3 for a sealed, signed subscribe request (docs/protocol.md §14): the same checks as any
   * request up to replay, then sig1 against the author's registered key (the access layer reads
   * the registry itself: no transaction), and a stream token bound to that key, the app and the
   * session, sealed back under the session key.
   */
  async subscribe(body: SealedMessage, sourceAddress: string): Promise<SealedMessage> {
    const now = this.#clock();
    const { session, request } = await this.openLocalRequest(body, sourceAddress, parseSubscribeEnvelope);
    const token = this.streamTokens.issue(
      { keyId: request.keyId, appId: session.appId, sessionId: session.sessionId, expiresAt: session.expiresAt },
      now,
    );
    const grant: StreamGrant = {
      v: PROTOCOL_VERSION,
      requestHash: subscribeRequestHash(request),
      token,
      keyId: request.keyId,
      expiresAt: session.expiresAt,
    };
    return this.sealAnswer(session, grant);
  }

  /**
   * The stream a token opens: its session must still be open and the source allowed for its app.
   * Returns the session (its key seals the events) and the subscriber's key id.
   */
  streamFor(token: string | undefined, sourceAddress: string): { session: Session; keyId: string } {
    const now = this.#clock();
    const grant = this.streamTokens.resolve(token, now);
    this.assertSource(grant.appId, sourceAddress);
    let session: Session;
    try {
      session = this.sessions.get(grant.sessionId, now);
    } catch {
      throw fail('STREAM_TOKEN_INVALID', "the stream token's session has expired");
    }
    return { session, keyId: grant.keyId };
  }

  /**
   * A sealed message of a live session from an address its app allows, opened (AAD
   * "medshare/v1/request\n" ‖ sessionId) and parsed as JSON: what every sealed request starts with.
   */
  openSealed(body: SealedMessage, sourceAddress: string): { session: Session; value: unknown } {
    const session = this.sessions.get(body.sessionId, this.#clock());
    this.assertSource(session.appId, sourceAddress);
    const plaintext = openCiphertext('request ciphertext failed authentication', () =>
      open(session.key, fromBase64(body.ciphertext, 'body.ciphertext'), sessionAad('request', session.sessionId)),
    );
    return { session, value: parseJsonText(Buffer.from(plaintext).toString('utf8'), 'envelope', MAX_MESSAGE_BYTES) };
  }

  /**
   * Session → source check → decrypt and authenticate → parse → app id → clock skew → sig2 →
   * freshness → replay. A heavy request (pipeline/heavy-turns.ts) does this in its session's turn,
   * giving way to other clients after decrypting; SESSION_BUSY when too many of its session's wait.
   */
  async #openEnvelope<E extends OpenableEnvelope>(
    body: SealedMessage,
    sourceAddress: string,
    now: number,
    parse: (value: unknown) => E,
  ): Promise<{ session: Session; envelope: E }> {
    if (!isHeavy(body)) return this.#openEnvelopeSteps(body, sourceAddress, now, parse);
    // The session and its source first: a request of no live session takes no turn.
    this.assertSource(this.appIdOf(body.sessionId), sourceAddress);
    return this.#heavy.run(body.sessionId, () => this.#openEnvelopeSteps(body, sourceAddress, now, parse, giveWay));
  }

  async #openEnvelopeSteps<E extends OpenableEnvelope>(
    body: SealedMessage,
    sourceAddress: string,
    now: number,
    parse: (value: unknown) => E,
    pause?: () => Promise<void>,
  ): Promise<{ session: Session; envelope: E }> {
    const opened = this.openSealed(body, sourceAddress);
    await pause?.();
    const { session } = opened;
    const envelope = parse(opened.value);
    const { request, sig1 } = envelope;
    if (request.appId !== session.appId) throw fail('INVALID_INPUT', "request.appId is not the session's app");
    // The clock-skew check (docs/protocol.md §7.6), both ways, before any signature is verified.
    checkClockSkew(request.issuedAt, now, 'both');

    const k2 = this.#keys.appKey(session.appId, envelope.k2Id, now);
    if (!verifyFor('sig2', k2.publicKey, { request, sig1 }, envelope.sig2))
      throw fail('SIG2_INVALID', `sig2 does not verify against K2 ${envelope.k2Id}`);
    assertFresh(request, now);
    // Evaluated operations (and subscriptions) leave no nonce on the ledger; their replay
    // protection is this process's cache, which a restart empties. A request issued before this
    // process started may have been answered by the previous one, so it is refused: sign a new one.
    if (!(isOperation(request.op) && isSubmitted(request.op)) && request.issuedAt < this.#startedAt) {
      throw fail(
        'REQUEST_EXPIRED',
        `request.issuedAt ${request.issuedAt} is before this gateway started (${this.#startedAt}): evaluated requests from before a restart are refused`,
      );
    }
    // Keyed by the author the request names: its key, or for a ring request its link tag in the
    // study's scope (the ring's structure was checked by the parser, before any cryptography; its
    // signature is the contract's to verify, docs/protocol.md §7.5).
    this.#replay.claimFor(session.appId, claimedActor(request), request.nonce, request.expiresAt, now);
    return { session, envelope };
  }

  /** Directory lookup (public keys for grants), signed with K3 so the app can trust the key it wraps for. */
  async directory(keyId: string): Promise<{ user: Record<string, unknown>; k3Id: string; sig3: string }> {
    const text = await this.ledger.getUser(keyId);
    const user = JSON.parse(text) as Record<string, unknown>;
    const now = this.#clock();
    const k3 = this.#keys.signingK3(now);
    // Keyed by the exact user bytes the ledger returned and the signing K3: a changed user state
    // (approved, another org) or a new K3 is a new key, and gets a new signature.
    const cacheKey = `${k3.keyId}\n${text}`;
    const cached = this.#directorySignatures.get(cacheKey);
    if (cached && cached.until > now) return { user, k3Id: k3.keyId, sig3: cached.sig3 };
    const sig3 = this.#budget.run('directory signature', () => signFor('directory', k3, user));
    this.#directorySignatures.delete(cacheKey);
    this.#directorySignatures.set(cacheKey, { sig3, until: now + DIRECTORY_SIGNATURE_TTL_MS });
    if (this.#directorySignatures.size > DIRECTORY_CACHE_SIZE) {
      for (const [key, entry] of this.#directorySignatures) {
        if (this.#directorySignatures.size <= DIRECTORY_CACHE_SIZE && entry.until > now) break;
        this.#directorySignatures.delete(key);
      }
    }
    return { user, k3Id: k3.keyId, sig3 };
  }

  #rebuildAllowlists(): void {
    this.#allowlists = new Map([...this.#keys.apps.values()].map((app) => [app.appId, new SourceAllowlist(app.allow)]));
  }
}

/** A sealed request that costs the access layer enough to take turns (pipeline/heavy-turns.ts). */
function isHeavy(body: SealedMessage): boolean {
  return body.ciphertext.length > HEAVY_CIPHERTEXT_CHARS;
}
