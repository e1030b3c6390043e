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
import { ownPage } from '../own-page';
import { activeAuthor, patientAuthor } from './rules';
import { patientRecords, profiles, pseudonyms, users } from './tables';

@Info({
  title: 'registry',
  description:
    "medshare users: patients, doctors and institutions bound to their K1, approved by org admins; patients' sealed profiles and append-only record lists",
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

  /** A patient stores (or replaces) their profile, sealed for themselves; nobody else may read or write it. */
  @Transaction()
  @Returns('string')
  async UpdateProfile(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'profile-update', { consumeNonce: true });
    const patient = await patientAuthor(state, auth);
    const { sealedProfile, profileKeyWrap } = auth.request.body;
    await profiles.put(
      state,
      { keyId: patient.keyId },
      { keyId: patient.keyId, sealedProfile, profileKeyWrap, updatedAt: auth.now },
    );
    return respond(ctx, this.contractKey, auth, { keyId: patient.keyId, updatedAt: auth.now });
  }

  /** The patient's own sealed profile (the request names the patient; no other key can ask for it). */
  @Transaction(false)
  @Returns('string')
  async GetProfile(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'profile-get', { consumeNonce: false });
    const patient = await patientAuthor(state, auth);
    const profile = await profiles.get(state, { keyId: patient.keyId });
    if (!profile) throw fail('PROFILE_NOT_FOUND', 'the patient has stored no profile');
    const { sealedProfile, profileKeyWrap, updatedAt } = profile;
    return respond(ctx, this.contractKey, auth, { sealedProfile, profileKeyWrap, updatedAt });
  }

  /** The patient's append-only list of uploaded records, oldest first. */
  @Transaction(false)
  @Returns('string')
  ListPatientRecords(ctx: MedshareContext, envelope: string): Promise<string> {
    return ownPage(ctx, this.contractKey, envelope, 'patient-records', async (state, keyId, size, bookmark) => {
      const page = await patientRecords.page(state, { patientKeyId: keyId }, size, bookmark);
      return { records: page.items, bookmark: page.bookmark };
    });
  }

  /** Registered patients' keys, for an app to choose a ring from: any active registered user may list them. */
  @Transaction(false)
  @Returns('string')
  async ListPatients(ctx: MedshareContext, envelope: string): Promise<string> {
    const { state } = ctx;
    const auth = await authenticate(ctx, state, envelope, 'list-patients', { consumeNonce: false });
    await activeAuthor(state, auth);
    const { pageSize, bookmark } = auth.request.body;
    // The pseudonym index holds every user under its role: the patients are one range of it.
    const page = await pseudonyms.page(state, { role: 'patient' }, pageSize, bookmark);
    const patients: Array<{ keyId: string; publicKey: string }> = [];
    for (const { keyId } of page.items) {
      const user = await users.get(state, { keyId });
      if (user?.role === 'patient' && user.status === 'active') patients.push({ keyId, publicKey: user.publicKey });
    }
    return respond(ctx, this.contractKey, auth, { patients, bookmark: page.bookmark });
  }
}
