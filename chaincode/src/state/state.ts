import { fail } from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import { fromBytes, marshal } from './codec';
import { KEY } from './keys';
import { parseAccessKey, parseGrant, parseRecord, parseUser, type AccessKeyState, type GrantState, type RecordState, type UserState } from './model';

type KeyType = (typeof KEY)[keyof typeof KEY];

/** Typed access to one transaction's view of the ledger. */
export class LedgerState {
  constructor(private readonly ctx: Context) {}

  key(type: KeyType, ...attributes: string[]): string {
    return this.ctx.stub.createCompositeKey(type, attributes);
  }

  async read<T>(type: KeyType, attributes: string[], parse: (value: unknown) => T): Promise<T | undefined> {
    return fromBytes(await this.ctx.stub.getState(this.key(type, ...attributes)), parse, type);
  }

  async exists(type: KeyType, ...attributes: string[]): Promise<boolean> {
    return (await this.ctx.stub.getState(this.key(type, ...attributes))).length > 0;
  }

  async write(type: KeyType, attributes: string[], value: unknown): Promise<void> {
    await this.ctx.stub.putState(this.key(type, ...attributes), marshal(value));
  }

  async remove(type: KeyType, ...attributes: string[]): Promise<void> {
    await this.ctx.stub.deleteState(this.key(type, ...attributes));
  }

  user(keyId: string): Promise<UserState | undefined> {
    return this.read(KEY.user, [keyId], parseUser);
  }

  accessKey(mspId: string, keyId: string): Promise<AccessKeyState | undefined> {
    return this.read(KEY.accessKey, [mspId, keyId], parseAccessKey);
  }

  record(recordId: string): Promise<RecordState | undefined> {
    return this.read(KEY.record, [recordId], parseRecord);
  }

  async requireRecord(recordId: string): Promise<RecordState> {
    const record = await this.record(recordId);
    if (!record) throw fail('RECORD_NOT_FOUND', `no record ${recordId}`);
    return record;
  }

  grant(recordId: string, granteeKeyId: string): Promise<GrantState | undefined> {
    return this.read(KEY.grant, [recordId, granteeKeyId], parseGrant);
  }

  /** One page of a partial composite key (evaluation only, as Fabric requires). */
  async page<T>(
    type: KeyType,
    attributes: string[],
    pageSize: number,
    bookmark: string,
    parse: (value: unknown, key: string) => T,
  ): Promise<{ items: T[]; bookmark: string }> {
    // Fabric's bookmark is the raw next key (with U+0000 separators): carried as base64url.
    const start = Buffer.from(bookmark, 'base64url').toString('utf8');
    const response = await this.ctx.stub.getStateByPartialCompositeKeyWithPagination(type, attributes, pageSize, start);
    const { iterator } = response;
    // fabric-shim's type says metadata is always there, but an empty range comes back without it
    // (the peer's QueryResponseMetadata is empty bytes), so it is read as optional.
    const { metadata } = response as { metadata?: { bookmark: string } };
    const items: T[] = [];
    try {
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
        const item = fromBytes(step.value.value, (v) => parse(v, step.value.key), type);
        if (item !== undefined) items.push(item);
      }
    } finally {
      await iterator.close();
    }
    return { items, bookmark: Buffer.from(metadata?.bookmark ?? '', 'utf8').toString('base64url') };
  }

  async all<T>(type: KeyType, attributes: string[], parse: (value: unknown) => T): Promise<T[]> {
    const iterator = await this.ctx.stub.getStateByPartialCompositeKey(type, attributes);
    const items: T[] = [];
    try {
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
        const item = fromBytes(step.value.value, parse, type);
        if (item !== undefined) items.push(item);
      }
    } finally {
      await iterator.close();
    }
    return items;
  }
}
