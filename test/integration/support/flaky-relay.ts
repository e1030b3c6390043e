// SPDX-License-Identifier: Apache-2.0
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './gateway-process';

/**
 * A TCP relay on 127.0.0.1 to the gateway's `port` that cuts the first connection over which the
 * client has sent more than `cutAfter` bytes (both sides destroyed: a dropped connection, as a
 * flaky network makes it). TLS passes through untouched. Later connections are relayed whole.
 */
export async function flakyRelay(
  port: number,
  cutAfter: number,
): Promise<{ readonly server: Server; readonly port: number; cuts(): number; close(): Promise<void> }> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (data: Buffer) => {
      sent += data.length;
      if (cuts === 0 && sent > cutAfter) {
        cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => client.write(data));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        b.destroy();
        sockets.delete(a);
      });
    }
  });
  const relay = await freePort();
  await new Promise<void>((resolve) => server.listen(relay, '127.0.0.1', resolve));
  return {
    server,
    port: relay,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
