// SPDX-License-Identifier: Apache-2.0
import { WorkBudget } from './work-budget';

/** A budget on a fake clock whose work costs exactly `cost` ms each time it runs. */
function budget(msPerSecond: number, cost: number): { b: WorkBudget; advance(ms: number): void } {
  let now = 0;
  let measured = 0;
  const b = new WorkBudget({ msPerSecond, clock: () => now, measure: () => (measured += cost) });
  return { b, advance: (ms) => (now += ms) };
}

describe('WorkBudget', () => {
  it('charges each piece of work what it took and refuses, without running it, once the second is spent', () => {
    const { b } = budget(100, 40);
    const ran: number[] = [];
    for (let i = 0; i < 3; i++) b.run('test', () => ran.push(i));
    expect(b.remaining).toBe(-20);
    expect(() => b.run('test', () => ran.push(99))).toThrow(
      expect.objectContaining({ name: 'MedshareError', code: 'GATEWAY_BUSY' }),
    );
    expect(ran).toEqual([0, 1, 2]);
  });

  it('refills at its rate, up to one second of work', () => {
    const { b, advance } = budget(100, 100);
    b.run('test', () => 1);
    expect(() => b.run('test', () => 1)).toThrow(expect.objectContaining({ code: 'GATEWAY_BUSY' }));
    advance(500);
    expect(b.remaining).toBe(50);
    expect(b.run('test', () => 'ok')).toBe('ok');
    advance(60_000);
    expect(b.remaining).toBe(100);
  });

  it('charges work that throws as well', () => {
    const { b } = budget(100, 100);
    expect(() =>
      b.run('test', () => {
        throw new Error('bad signature');
      }),
    ).toThrow('bad signature');
    expect(() => b.run('test', () => 1)).toThrow(expect.objectContaining({ code: 'GATEWAY_BUSY' }));
  });

  it('names its argument', () => {
    expect(() => new WorkBudget({ msPerSecond: 0 })).toThrow(RangeError);
  });
});
