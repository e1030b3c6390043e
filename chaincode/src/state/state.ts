// SPDX-License-Identifier: Apache-2.0
import { fail } from '@medshare/protocol';
import type { Context } from 'fabric-contract-api';
import { fromBytes, marshal } from './codec';
import type { ObjectType } from './table';

/**
 * One transaction's view of the ledger, in composite keys: the one place state is read
 * (fromBytes) and written (marshal). Tables (table.ts) name the keys; this does the I/O.
 *
 * A key's value is fetched from the peer once per transaction (issue 11: each getState is a
 * round trip that costs the chaincode server and the peer; a view read its author's registry
 * entry twice, once as the author and once as the holder). This changes nothing a transaction
 * sees: within one simulation Fabric's getState returns the committed value, the same each
 * time (the peer holds its commit lock for the whole simulation), and never the transaction's
 * own writes; so the cache keeps the bytes of the first read and is not touched by
 * write/remove, and a read after the transaction's own write returns what Fabric returns, the
 * committed value. The read set is unchanged too: a key read twice is in it once, at the
 * version read. Only point reads are kept; range queries always go to the peer. The cache
 * lives as long as the transaction's context and holds only the keys the transaction read.
 */
export class LedgerState {
  readonly #read = new Map<string, Uint8Array>();

  constructor(private readonly ctx: Context) {}

  /** The committed value of `key` (empty bytes if none), from the peer the first time. */
  async #get(key: string): Promise<Uint8Array> {
    const known = this.#read.get(key);
    if (known) return known;
    const bytes = await this.ctx.stub.getState(key);
    this.#read.set(key, bytes);
    return bytes;
  }

  key(type: ObjectType, attributes: readonly string[]): string {
    return this.ctx.stub.createCompositeKey(type, [...attributes]);
  }

  async read<T>(type: ObjectType, attributes: readonly string[], parse: (value: unknown) => T): Promise<T | undefined> {
    return fromBytes(await this.#get(this.key(type, attributes)), parse, type);
  }

  async exists(type: ObjectType, attributes: readonly string[]): Promise<boolean> {
    return (await this.#get(this.key(type, attributes))).length > 0;
  }

  async write(type: ObjectType, attributes: readonly string[], value: unknown): Promise<void> {
    await this.ctx.stub.putState(this.key(type, attributes), marshal(value));
  }

  async remove(type: ObjectType, attributes: readonly string[]): Promise<void> {
    await this.ctx.stub.deleteState(this.key(type, attributes));
  }

  /** One page of a partial composite key (evaluation only, as Fabric requires). */
  async page<T>(
    type: ObjectType,
    attributes: readonly string[],
    pageSize: number,
    bookmark: string,
    parse: (value: unknown) => T,
  ): Promise<{ items: T[]; bookmark: string }> {
    // Fabric's bookmark is the raw next key (with U+0000 separators): carried as base64url.
    const start = Buffer.from(bookmark, 'base64url').toString('utf8');
    const response = await this.ctx.stub.getStateByPartialCompositeKeyWithPagination(
      type,
      [...attributes],
      pageSize,
      start,
    );
    const { iterator } = response;
    // fabric-shim's type says metadata is always there, but an empty range comes back without it
    // (the peer's QueryResponseMetadata is empty bytes), so it is read as optional.
    const { metadata } = response as { metadata?: { bookmark: string } };
    const items: T[] = [];
    try {
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
        const item = fromBytes(step.value.value, parse, type);
        if (item !== undefined) items.push(item);
      }
    } finally {
      await iterator.close();
    }
    return { items, bookmark: Buffer.from(metadata?.bookmark ?? '', 'utf8').toString('base64url') };
  }

  /**
   * One page of a partial composite key in a transaction that writes: Fabric refuses paginated
   * queries there, so this reads the range with a plain query from its start, skips the keys
   * before `bookmark` (the same encoding as {@link page}'s) and stops after `pageSize` rows and
   * one more key (the next page's bookmark). A page deep in a range reads every key before it.
   */
  async scanPage<T>(
    type: ObjectType,
    attributes: readonly string[],
    pageSize: number,
    bookmark: string,
    parse: (value: unknown) => T,
  ): Promise<{ items: T[]; bookmark: string }> {
    const prefix = this.key(type, attributes);
    const mark = Buffer.from(bookmark, 'base64url').toString('utf8');
    // Keys compare as the ledger orders them: by their UTF-8 bytes.
    const start = Buffer.from(mark.startsWith(prefix) ? mark : prefix, 'utf8');
    const iterator = await this.ctx.stub.getStateByPartialCompositeKey(type, [...attributes]);
    const items: T[] = [];
    let next = '';
    try {
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
        if (Buffer.compare(Buffer.from(step.value.key, 'utf8'), start) < 0) continue;
        if (items.length === pageSize) {
          next = step.value.key;
          break;
        }
        const item = fromBytes(step.value.value, parse, type);
        if (item !== undefined) items.push(item);
      }
    } finally {
      await iterator.close();
    }
    return { items, bookmark: Buffer.from(next, 'utf8').toString('base64url') };
  }

  /**
   * A simple (not composite) key, `type/attr/…`: the kind of key Fabric's plain range query takes,
   * which a transaction that writes may run from any start. Attributes must not contain `/`.
   */
  simpleKey(type: ObjectType, attributes: readonly string[]): string {
    for (const attribute of attributes) {
      if (attribute.length === 0 || attribute.includes('/'))
        throw fail('INTERNAL', `a simple-key attribute of ${type} is empty or contains "/"`);
    }
    return [type, ...attributes].join('/');
  }

  async readKey<T>(key: string, parse: (value: unknown) => T, type: ObjectType): Promise<T | undefined> {
    return fromBytes(await this.#get(key), parse, type);
  }

  async existsKey(key: string): Promise<boolean> {
    return (await this.#get(key)).length > 0;
  }

  async writeKey(key: string, value: unknown): Promise<void> {
    await this.ctx.stub.putState(key, marshal(value));
  }

  async removeKey(key: string): Promise<void> {
    await this.ctx.stub.deleteState(key);
  }

  /**
   * One page of the simple keys under `prefix/` in any transaction, the ones that write included:
   * a plain range query from the bookmark (the next page's first key, base64url) to the prefix's
   * end, stopped after `pageSize` rows and one more key. A page costs its own rows, wherever it is.
   */
  async rangePage<T>(
    prefix: string,
    pageSize: number,
    bookmark: string,
    parse: (value: unknown) => T,
    type: ObjectType,
  ): Promise<{ items: T[]; bookmark: string }> {
    const from = `${prefix}/`;
    // '0' is the character after '/': every key under `prefix/` sorts before `prefix0`.
    const end = `${prefix}0`;
    const mark = Buffer.from(bookmark, 'base64url').toString('utf8');
    const start = mark.startsWith(from) ? mark : from;
    const iterator = await this.ctx.stub.getStateByRange(start, end);
    const items: T[] = [];
    let next = '';
    try {
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
        if (items.length === pageSize) {
          next = step.value.key;
          break;
        }
        const item = fromBytes(step.value.value, parse, type);
        if (item !== undefined) items.push(item);
      }
    } finally {
      await iterator.close();
    }
    return { items, bookmark: Buffer.from(next, 'utf8').toString('base64url') };
  }

  async all<T>(type: ObjectType, attributes: readonly string[], parse: (value: unknown) => T): Promise<T[]> {
    const iterator = await this.ctx.stub.getStateByPartialCompositeKey(type, [...attributes]);
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
