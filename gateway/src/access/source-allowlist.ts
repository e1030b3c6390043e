// SPDX-License-Identifier: Apache-2.0
import { BlockList, isIP } from 'node:net';

/**
 * Claim 9: each app id may call only from its listed addresses. Built on node:net's BlockList
 * (exact CIDR arithmetic for IPv4 and IPv6); IPv4-mapped IPv6 peers (::ffff:a.b.c.d) are
 * checked as IPv4.
 */
export class SourceAllowlist {
  readonly #list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (!isIP(address)) throw new RangeError(`allowlist entry ${entry} is not an address or CIDR`);
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
  }

  allows(address: string): boolean {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}
