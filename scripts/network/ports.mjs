// SPDX-License-Identifier: Apache-2.0
// The ports a native network was created with: NETWORK_HOME/ports.env, written by
// scripts/network/up.sh (see scripts/network/lib.sh for the variables).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The ports the network was created with (.network/ports.env, written by scripts/network/up.sh). */
export function networkPorts(networkHome) {
  const ports = {};
  for (const line of readFileSync(join(networkHome, 'ports.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=([0-9]+)$/.exec(line.trim());
    if (m) ports[m[1]] = Number(m[2]);
  }
  return ports;
}
