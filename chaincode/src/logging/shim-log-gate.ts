// SPDX-License-Identifier: Apache-2.0
import { Shim } from 'fabric-shim';

/**
 * fabric-shim 2.5's loggers (lib/logger.js) are winston loggers whose format (timestamp,
 * metadata, colours, padding, printf) runs on every message before the console transport drops
 * the ones below its level: the shim logs several debug lines per message to or from the peer
 * and about a dozen per transaction, so a chaincode server at the default level `info` spent
 * about a seventh of its CPU formatting lines nobody sees (issue 11, docs/benchmarks.md). The
 * gate checks the level first, with winston's own `isLevelEnabled` (the same test the transport
 * makes, the logger's current level included, so `CORE_CHAINCODE_LOGGING_LEVEL=debug` or
 * `ctx.logging.setLevel('DEBUG')` still shows every line): what is printed does not change.
 */
type ShimLogger = ReturnType<typeof Shim.newLogger>;

/** The modules of fabric-shim 2.5 that keep a logger of their own (`getLogger(<name>)`). */
export const SHIM_LOGGERS = [
  'lib/handler.js',
  'lib/stub.js',
  'lib/iterators.js',
  'lib/chaincode.js',
  'lib/server.js',
  'contracts-spi/chaincodefromcontract.js',
  'contracts-spi/datamarshall.js',
  'contracts-spi/bootstrap.js',
] as const;

// triple-beam's LEVEL: the key winston's level methods set on every message and route on.
const LEVEL = Symbol.for('level');
const gated = new WeakSet<ShimLogger>();

/** Gates `logger`'s messages below its level before their format runs (idempotent). */
export function gateLogger(logger: ShimLogger): void {
  if (gated.has(logger)) return;
  gated.add(logger);
  const write = logger.write.bind(logger) as (...args: unknown[]) => boolean;
  const gatedWrite = (info: unknown, ...rest: unknown[]): boolean => {
    if (typeof info === 'object' && info !== null) {
      const level = (info as Record<symbol, unknown>)[LEVEL] ?? (info as { level?: unknown }).level;
      // An unknown level passes, for winston to report it as it always has.
      if (typeof level === 'string' && level in logger.levels && !logger.isLevelEnabled(level)) return true;
    }
    return write(info, ...rest);
  };
  logger.write = gatedWrite as ShimLogger['write'];
}

/** Gates fabric-shim's per-module loggers (the ones it logs with on every transaction). */
export function gateShimLogs(): void {
  for (const name of SHIM_LOGGERS) gateLogger(Shim.newLogger(name));
}
