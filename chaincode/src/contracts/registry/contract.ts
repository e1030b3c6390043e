// SPDX-License-Identifier: Apache-2.0
import { canonicalize, expectString, fail, HEX64, keyIdOf } from '@medshare/protocol';
import { Info, Returns, Transaction } from 'fabric-contract-api';
import { assertOrgAdmin } from '../../identity/org-admin';
import { assertSig1, authenticate } from '../../signature-chain/authenticate';
import { respond } from '../../signature-chain/respond';
import type { UserState } from '../../state/model';
import { MedshareBaseContract, type MedshareContractOptions } from '../base-contract';
import { changeEvent } from '../change-event';
// A value import: the decorators read the context's class from the parameter types.
import { MedshareContext } from '../context';
import { expectPublicKey } from '../public-key';
import { pseudonyms, users } from './tables';

@Info({
  title: 'registry',
  description: 'medshare users: patients, doctors and institutions bound to their K1, approved by org admins',
})
export class RegistryContract extends MedshareBaseContract {
  constructor(options: MedshareContractOptions = {}) {
    super('registry', options);
  }

  /** A patient, doctor or institution registers its K1 (proof of possession: sig1 by the new key). */
  @Transaction()
  @Returns('string')
  async Register(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'register', { consumeNonce: true });
    const { body } = auth.request;
    expectPublicKey(body.publicKey, 'request.body.publicKey');
    const keyId = keyIdOf(body.publicKey);
    if (keyId !== auth.request.keyId)
      throw fail('INVALID_INPUT', 'request.keyId must be the key id of request.body.publicKey');
    assertSig1(body.publicKey, auth.envelope, 'the key being registered');
    if (await users.exists(state, { keyId })) throw fail('ALREADY_REGISTERED', `key ${keyId} is already registered`);
    if (await pseudonyms.exists(state, { role: body.role, pseudonym: body.pseudonym }))
      throw fail('ALREADY_REGISTERED', `a ${body.role} with that pseudonym is already registered`);
    const user: UserState = {
      keyId,
      publicKey: body.publicKey,
      role: body.role,
      pseudonym: body.pseudonym,
      org: auth.org,
      status: body.role === 'patient' ? 'active' : 'pending',
      registeredAt: auth.now,
    };
    await users.put(state, { keyId }, user);
    changeEvent(ctx, 'UserRegistered', { keyId, role: user.role, status: user.status });
    return respond(ctx, this.contractKey, auth, { keyId, role: user.role, status: user.status, org: user.org });
  }

  /** An org admin approves a doctor or institution registered through its org's access layer. */
  @Transaction()
  @Returns('string')
  async ApproveUser(ctx: MedshareContext, keyId: string): Promise<string> {
    expectString(keyId, 'keyId', { pattern: HEX64 });
    const user = await users.get(ctx.state, { keyId });
    if (!user) throw fail('USER_NOT_FOUND', `no user ${keyId}`);
    const admin = assertOrgAdmin(ctx.clientIdentity, user.org);
    if (user.role === 'patient') throw fail('INVALID_INPUT', 'patients need no approval');
    if (user.status !== 'active') {
      await users.replace(ctx.state, { keyId }, user, {
        ...user,
        status: 'active',
        approvedBy: ctx.clientIdentity.getID(),
      });
      changeEvent(ctx, 'UserApproved', { keyId, org: admin });
    }
    return canonicalize({ keyId, role: user.role, status: 'active', org: user.org });
  }

  /** The public directory entry of a key: what an app needs to wrap a record key for a grantee. */
  @Transaction(false)
  @Returns('string')
  async GetUser(ctx: MedshareContext, keyId: string): Promise<string> {
    expectString(keyId, 'keyId', { pattern: HEX64 });
    const user = await users.get(ctx.state, { keyId });
    if (!user) throw fail('USER_NOT_FOUND', `no user ${keyId}`);
    return canonicalize({
      keyId: user.keyId,
      publicKey: user.publicKey,
      role: user.role,
      status: user.status,
      org: user.org,
    });
  }
}
