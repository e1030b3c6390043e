// SPDX-License-Identifier: Apache-2.0
import { marshal } from './codec';
import type { KEY } from './keys';
import type { LedgerState } from './state';

export type ObjectType = (typeof KEY)[keyof typeof KEY];

/** A row's key: its attributes by name. */
export type RowKey<A extends string> = { readonly [P in A]: string };

/**
 * A secondary row kept with each row of a table: its key and value are derived from the row's,
 * so writing a row writes its index rows and deleting it deletes them, in the same transaction.
 */
export interface Index<T, A extends string> {
  readonly table: Table<unknown, string>;
  readonly entry: (key: RowKey<A>, row: T) => { readonly key: RowKey<string>; readonly row: unknown };
}

export interface TableSpec<T, A extends string> {
  /** The composite key's object type (keys.ts). */
  readonly type: ObjectType;
  /** The key's attribute names, in composite-key order. */
  readonly key: readonly A[];
  /** Validates a stored value (state/model.ts). */
  readonly parse: (value: unknown) => T;
  readonly indexes?: ReadonlyArray<Index<T, A>>;
}

/**
 * One kind of ledger row: object type, named key attributes, parser and indexes, declared once.
 * Keys are Fabric composite keys `type ‖ attr…` in the declared order, so they are byte for byte
 * the keys written before tables existed (docs/protocol.md "Ledger state").
 */
export class Table<T, A extends string> {
  constructor(readonly spec: TableSpec<T, A>) {}

  #attributes(key: RowKey<A>): string[] {
    return this.spec.key.map((name) => key[name]);
  }

  /** The leading attributes a partial key names (a range over the rest). */
  #prefix(partial: Partial<RowKey<A>>): string[] {
    const attributes: string[] = [];
    for (const name of this.spec.key) {
      const value = partial[name];
      if (value === undefined) break;
      attributes.push(value);
    }
    return attributes;
  }

  get(state: LedgerState, key: RowKey<A>): Promise<T | undefined> {
    return state.read(this.spec.type, this.#attributes(key), this.spec.parse);
  }

  exists(state: LedgerState, key: RowKey<A>): Promise<boolean> {
    return state.exists(this.spec.type, this.#attributes(key));
  }

  /** Writes the row and its index rows. */
  async put(state: LedgerState, key: RowKey<A>, row: T): Promise<void> {
    await state.write(this.spec.type, this.#attributes(key), row);
    for (const index of this.spec.indexes ?? []) {
      const entry = index.entry(key, row);
      await index.table.put(state, entry.key, entry.row);
    }
  }

  /**
   * Rewrites a stored row (`previous`) as `row`, touching only the index rows that change: an
   * index of fields the update keeps (a user's pseudonym on approval) is not rewritten.
   */
  async replace(state: LedgerState, key: RowKey<A>, previous: T, row: T): Promise<void> {
    await state.write(this.spec.type, this.#attributes(key), row);
    for (const index of this.spec.indexes ?? []) {
      const before = index.entry(key, previous);
      const after = index.entry(key, row);
      if (sameBytes(marshal(before), marshal(after))) continue;
      await index.table.delete(state, before.key, before.row);
      await index.table.put(state, after.key, after.row);
    }
  }

  /** Deletes the row and its index rows (`row` is the stored one: index keys may depend on it). */
  async delete(state: LedgerState, key: RowKey<A>, row: T): Promise<void> {
    await state.remove(this.spec.type, this.#attributes(key));
    for (const index of this.spec.indexes ?? []) {
      const entry = index.entry(key, row);
      await index.table.delete(state, entry.key, entry.row);
    }
  }

  /** One page of the rows under a partial key (evaluation only, as Fabric requires). */
  page(
    state: LedgerState,
    partial: Partial<RowKey<A>>,
    pageSize: number,
    bookmark: string,
  ): Promise<{ items: T[]; bookmark: string }> {
    return state.page(this.spec.type, this.#prefix(partial), pageSize, bookmark, this.spec.parse);
  }

  /** One page of the rows under a partial key, in a transaction that writes (LedgerState.scanPage). */
  scanPage(
    state: LedgerState,
    partial: Partial<RowKey<A>>,
    pageSize: number,
    bookmark: string,
  ): Promise<{ items: T[]; bookmark: string }> {
    return state.scanPage(this.spec.type, this.#prefix(partial), pageSize, bookmark, this.spec.parse);
  }

  all(state: LedgerState, partial: Partial<RowKey<A>>): Promise<T[]> {
    return state.all(this.spec.type, this.#prefix(partial), this.spec.parse);
  }
}

/** Declares an index of `table`'s rows in `indexTable`. */
export function index<T, A extends string, V, B extends string>(
  indexTable: Table<V, B>,
  entry: (key: RowKey<A>, row: T) => { readonly key: RowKey<B>; readonly row: V },
): Index<T, A> {
  return { table: indexTable as unknown as Table<unknown, string>, entry };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * A table under simple keys `type/attr/…` (LedgerState.simpleKey) instead of composite ones, with
 * no indexes: what it gains is {@link SimpleKeyTable.scanPage}, a page that starts at its
 * bookmark in a transaction that writes (Fabric's plain range query may run there; its paginated
 * composite-key query may not). For a list read page by page by a submitted transaction.
 */
export class SimpleKeyTable<T, A extends string> {
  constructor(readonly spec: Omit<TableSpec<T, A>, 'indexes'>) {}

  #key(state: LedgerState, key: Partial<RowKey<A>>): string {
    const attributes: string[] = [];
    for (const name of this.spec.key) {
      const value = key[name];
      if (value === undefined) break;
      attributes.push(value);
    }
    return state.simpleKey(this.spec.type, attributes);
  }

  get(state: LedgerState, key: RowKey<A>): Promise<T | undefined> {
    return state.readKey(this.#key(state, key), this.spec.parse, this.spec.type);
  }

  exists(state: LedgerState, key: RowKey<A>): Promise<boolean> {
    return state.existsKey(this.#key(state, key));
  }

  put(state: LedgerState, key: RowKey<A>, row: T): Promise<void> {
    return state.writeKey(this.#key(state, key), row);
  }

  replace(state: LedgerState, key: RowKey<A>, _previous: T, row: T): Promise<void> {
    return state.writeKey(this.#key(state, key), row);
  }

  delete(state: LedgerState, key: RowKey<A>, _row?: T): Promise<void> {
    return state.removeKey(this.#key(state, key));
  }

  /** One page of the rows under a partial key, from its bookmark, in any transaction. */
  scanPage(
    state: LedgerState,
    partial: Partial<RowKey<A>>,
    pageSize: number,
    bookmark: string,
  ): Promise<{ items: T[]; bookmark: string }> {
    return state.rangePage(this.#key(state, partial), pageSize, bookmark, this.spec.parse, this.spec.type);
  }
}
