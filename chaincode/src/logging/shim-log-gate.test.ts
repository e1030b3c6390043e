// SPDX-License-Identifier: Apache-2.0
import { PassThrough } from 'node:stream';
import { Shim } from 'fabric-shim';
import { transports } from 'winston';
import { Harness } from '../testing/harness';
import { gateLogger, SHIM_LOGGERS } from './shim-log-gate';

type ShimLogger = ReturnType<typeof Shim.newLogger>;

/** The lines `logger` prints (through a stream transport in place of the console) and how often its format ran. */
function observe(logger: ShimLogger): { lines: string[]; formats: () => number; restore: () => void } {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  const previous = logger.transports.slice();
  logger.clear();
  // winston types its transports as constructor interfaces, not as subclasses of TransportStream.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  logger.add(new transports.Stream({ stream: out }));
  const { format } = logger;
  const transform = format.transform;
  const silent = logger.silent;
  logger.silent = false; // fabric-sim's host silences the router's logger
  let runs = 0;
  format.transform = (info, options) => {
    runs += 1;
    return transform.call(format, info, options);
  };
  return {
    lines,
    formats: () => runs,
    restore: () => {
      format.transform = transform;
      logger.silent = silent;
      logger.clear();
      for (const t of previous) logger.add(t);
    },
  };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("the gate in front of fabric-shim's loggers", () => {
  it('a message below the level never reaches the format; what is printed is unchanged, at any level', async () => {
    const logger = Shim.newLogger('medshare-test/gate');
    logger.level = 'info';
    const o = observe(logger);
    try {
      logger.debug('hidden before the gate');
      expect(o.formats()).toBe(1); // without the gate, a debug line is formatted, then dropped
      gateLogger(logger);
      gateLogger(logger); // idempotent
      logger.debug('hidden after the gate');
      logger.info('shown %s', 'with its argument');
      logger.log('warn', 'shown through log()');
      expect(o.formats()).toBe(3);
      // The level is read on each message: lowered later, debug lines print again.
      logger.level = 'debug';
      logger.debug('shown at debug level');
      await flush();
      expect(o.lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
        expect.stringMatching(/info.* shown %s "with its argument"/),
        expect.stringMatching(/warn.* shown through log\(\)/),
        expect.stringMatching(/debug.* shown at debug level/),
      ]);
      expect(o.lines.join('')).not.toContain('hidden');
    } finally {
      o.restore();
    }
  });

  it("the chaincode's module gates every per-module logger of fabric-shim when it loads", () => {
    // The harness imported the chaincode's module (chaincode/src/index.ts), which installs the gate.
    expect(typeof Harness).toBe('function');
    for (const name of SHIM_LOGGERS) {
      const logger = Shim.newLogger(name);
      const o = observe(logger);
      try {
        logger.debug('a debug line at level warn');
        expect([name, o.formats()]).toEqual([name, 0]);
        logger.error('an error line');
        expect([name, o.formats()]).toEqual([name, 1]);
      } finally {
        o.restore();
      }
    }
  });
});
