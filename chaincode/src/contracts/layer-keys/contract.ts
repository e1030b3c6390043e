// SPDX-License-Identifier: Apache-2.0
import { canonicalize, expectInteger, expectString, fail, HEX64, keyIdOf } from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { assertOrgAdmin } from '../../identity/org-admin';
import { txTimeMs } from '../../signature-chain/authenticate';
import type { AccessKeyState } from '../../state/model';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
import { changeEvent } from '../change-event';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { expectPublicKey } from '../public-key';
import { accessKeys } from './tables';

const DIGITS = /^[0-9]{1,16}$/;

function parseTime(value: unknown, name: string): number {
  return expectInteger(Number(expectString(value, name, { pattern: DIGITS })), name);
}

@Info({ title: 'layer-keys', description: 'medshare access-layer keys (K3) per organization, managed by org admins' })
export class LayerKeysContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('layer-keys', options);
  }

  @Transaction()
  @Returns('string')
  async RegisterAccessKey(
    ctx: MedshareContext,
    publicKey: string,
    notBefore: string,
    notAfter: string,
  ): Promise<string> {
    const org = assertOrgAdmin(ctx.clientIdentity);
    expectPublicKey(publicKey, 'publicKey');
    const from = parseTime(notBefore, 'notBefore');
    const until = parseTime(notAfter, 'notAfter');
    if (until <= from) throw fail('INVALID_INPUT', 'notAfter must be after notBefore');
    const keyId = keyIdOf(publicKey);
    const entry: AccessKeyState = { keyId, publicKey, org, notBefore: from, notAfter: until };
    const existing = await accessKeys.get(ctx.state, { mspId: org, keyId });
    if (existing) {
      if (existing.notBefore === from && existing.notAfter === until && existing.retiredAt === undefined)
        return canonicalize(existing);
      throw fail('ALREADY_REGISTERED', `K3 ${keyId} is already registered for ${org} with another window or retired`);
    }
    await accessKeys.put(ctx.state, { mspId: org, keyId }, entry);
    changeEvent(ctx, 'AccessKeyRegistered', { keyId, org });
    return canonicalize(entry);
  }

  /** Retires a K3 at `retireAt` (Unix ms; default: now). Requests signed by it fail from then on. */
  @Transaction()
  @Returns('string')
  async RetireAccessKey(ctx: MedshareContext, keyId: string, retireAt: string): Promise<string> {
    const org = assertOrgAdmin(ctx.clientIdentity);
    expectString(keyId, 'keyId', { pattern: HEX64 });
    const when = retireAt ? parseTime(retireAt, 'retireAt') : txTimeMs(ctx);
    const existing = await accessKeys.get(ctx.state, { mspId: org, keyId });
    if (!existing) throw fail('KEY_NOT_FOUND', `no K3 ${keyId} for ${org}`);
    if (existing.retiredAt !== undefined) return canonicalize(existing);
    const retired = { ...existing, retiredAt: when };
    await accessKeys.put(ctx.state, { mspId: org, keyId }, retired);
    changeEvent(ctx, 'AccessKeyRetired', { keyId, org });
    return canonicalize(retired);
  }

  @Transaction(false)
  @Returns('string')
  async ListAccessKeys(ctx: MedshareContext, mspId: string): Promise<string> {
    expectString(mspId, 'mspId', { pattern: /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/ });
    return canonicalize(await accessKeys.all(ctx.state, { mspId }));
  }
}
