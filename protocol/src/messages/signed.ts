// SPDX-License-Identifier: Apache-2.0
import { concatBytes, fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { sign, signDeterministic, verify } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { canonicalBytes, type JsonValue } from '../encoding/canonical';
import { fail } from '../errors/medshare-error';
import { signatureLabel, type Purpose } from '../labels';
import { expectObject, expectOneOf, expectString, HEX64, HEX_SIGNATURE, parseJsonText } from '../validation/assert';
import { PROTOCOL_VERSION } from '../version';
import { OPERATIONS, type Operation } from '../operations';
import { MAX_MESSAGE_BYTES, parseRequest, type AnyRequest, type Request } from './request';
import { expectSig1 } from './ring';

export type { Purpose };

/**
 * The bytes a signature covers: `"medshare/v1/<purpose>\n" ‖ JCS(value)`. The label keeps a
 * signature made for one link from being replayed as another.
 */
export function signedBytes(purpose: Purpose, value: unknown): Uint8Array {
  return concatBytes(utf8(signatureLabel(purpose)), canonicalBytes(value));
}

export interface SigningKey {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function signFor(purpose: Purpose, key: SigningKey, value: unknown): string {
  return toHex(sign(key.privateKey, key.publicKey, signedBytes(purpose, value)));
}

export function signDeterministicFor(purpose: Purpose, key: SigningKey, value: unknown): string {
  return toHex(signDeterministic(key.privateKey, key.publicKey, signedBytes(purpose, value)));
}

export function verifyFor(purpose: Purpose, publicKeyHex: string, value: unknown, signatureHex: string): boolean {
  if (!HEX_SIGNATURE.test(signatureHex)) return false;
  return verify(publicKeyHex, signedBytes(purpose, value), fromHex(signatureHex));
}

/** SM3 of the canonical request: binds a response to the request it answers. */
export function requestHash(request: Request): string {
  return toHex(sm3(canonicalBytes(request)));
}

/** What the app sends the access layer, inside the session ciphertext. */
export interface AppEnvelope {
  readonly request: AnyRequest;
  readonly sig1: string;
  readonly sig2: string;
  /** Key id of the K2 that made sig2 (several may be valid during a rotation). */
  readonly k2Id: string;
}

/** What the access layer sends the contract. */
export interface ContractEnvelope {
  readonly request: AnyRequest;
  readonly sig1: string;
  readonly sig3: string;
  /** Key id of the K3 that made sig3. */
  readonly k3Id: string;
}

/** sig2 and sig3 both cover the request and sig1, under different labels. */
export function chainPayload(request: AnyRequest, sig1: string): { request: AnyRequest; sig1: string } {
  return { request, sig1 };
}

export function parseAppEnvelope(value: unknown): AppEnvelope {
  const o = expectObject(value, 'envelope', ['request', 'sig1', 'sig2', 'k2Id']);
  const request = parseRequest(o.request, 'envelope.request');
  return {
    request,
    sig1: expectSig1(o.sig1, request, 'envelope.sig1'),
    sig2: expectString(o.sig2, 'envelope.sig2', { pattern: HEX_SIGNATURE }),
    k2Id: expectString(o.k2Id, 'envelope.k2Id', { pattern: HEX64 }),
  };
}

export function parseContractEnvelope(text: unknown): ContractEnvelope {
  const o = expectObject(parseJsonText(text, 'envelope', MAX_MESSAGE_BYTES), 'envelope', [
    'request',
    'sig1',
    'sig3',
    'k3Id',
  ]);
  const request = parseRequest(o.request, 'envelope.request');
  return {
    request,
    sig1: expectSig1(o.sig1, request, 'envelope.sig1'),
    sig3: expectString(o.sig3, 'envelope.sig3', { pattern: HEX_SIGNATURE }),
    k3Id: expectString(o.k3Id, 'envelope.k3Id', { pattern: HEX64 }),
  };
}

/** The contract's answer; sig4 covers exactly these fields. */
export interface ContractResponse {
  readonly v: typeof PROTOCOL_VERSION;
  readonly op: Operation;
  readonly requestHash: string;
  readonly txId: string;
  /** The transaction timestamp, Unix ms: the only clock the contract reads. */
  readonly at: number;
  readonly k4Id: string;
  readonly result: JsonValue;
}

export interface ContractOutput {
  readonly response: ContractResponse;
  readonly sig4: string;
}

export function parseContractOutput(text: unknown): ContractOutput {
  const o = expectObject(parseJsonText(text, 'contract output', 4 * MAX_MESSAGE_BYTES), 'output', ['response', 'sig4']);
  const r = expectObject(o.response, 'output.response', ['v', 'op', 'requestHash', 'txId', 'at', 'k4Id', 'result']);
  if (r.v !== PROTOCOL_VERSION) throw fail('UNSUPPORTED_VERSION', `output.response.v must be ${PROTOCOL_VERSION}`);
  if (typeof r.at !== 'number' || !Number.isSafeInteger(r.at))
    throw fail('INVALID_INPUT', 'output.response.at must be an integer');
  if (r.result === undefined) throw fail('INVALID_INPUT', 'output.response.result is missing');
  return {
    response: {
      v: PROTOCOL_VERSION,
      op: expectOneOf(r.op, 'output.response.op', OPERATIONS),
      requestHash: expectString(r.requestHash, 'output.response.requestHash', { pattern: HEX64 }),
      txId: expectString(r.txId, 'output.response.txId', { maxLength: 128 }),
      at: r.at,
      k4Id: expectString(r.k4Id, 'output.response.k4Id', { pattern: HEX64 }),
      result: r.result as JsonValue,
    },
    sig4: expectString(o.sig4, 'output.sig4', { pattern: HEX_SIGNATURE }),
  };
}

/** What the access layer returns the app, inside the session ciphertext; sig5 covers {response, sig4}. */
export function parseGatewayOutput(value: unknown): GatewayOutput {
  const o = expectObject(value, 'output', ['response', 'sig4', 'sig5', 'k3Id']);
  const inner = parseContractOutput(JSON.stringify({ response: o.response, sig4: o.sig4 }));
  return {
    ...inner,
    sig5: expectString(o.sig5, 'output.sig5', { pattern: HEX_SIGNATURE }),
    k3Id: expectString(o.k3Id, 'output.k3Id', { pattern: HEX64 }),
  };
}

export interface GatewayOutput extends ContractOutput {
  readonly sig5: string;
  /** Key id of the K3 that made sig5. */
  readonly k3Id: string;
}
