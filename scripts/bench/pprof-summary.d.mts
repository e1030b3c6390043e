// SPDX-License-Identifier: Apache-2.0
// Types of pprof-summary.mjs, for the tests that import it (test/integration/fabric-profile-summary.test.ts).
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface TraceSample {
  ms: number;
  frames: string[];
}
export interface TopRow {
  flatMs: number;
  flatPct: number;
  cumMs: number;
  cumPct: number;
  name: string;
}
export interface Buckets {
  totalMs: number;
  byPhase: Record<string, number>;
  byKind: Record<string, number>;
  cross: Record<string, Record<string, number>>;
}
export interface Category {
  name: string;
  test: (frames: string[]) => boolean;
}
export declare function parsePrometheus(text: string): PromSample[];
export declare function sumBy(
  samples: PromSample[],
  name: string,
  by?: string[],
  where?: Record<string, string>,
): Record<string, number>;
export declare function deltaBy(
  before: PromSample[],
  after: PromSample[],
  name: string,
  by?: string[],
  where?: Record<string, string>,
): Record<string, number>;
export declare function pprofMs(value: string): number;
export declare function parseTraces(text: string): TraceSample[];
export declare function parseTop(text: string): TopRow[];
export declare const PHASES: Category[];
export declare const KINDS: Category[];
export declare const OTHER: string;
export declare function classify(frames: string[]): { phase: string; kind: string };
export declare function bucketize(samples: TraceSample[]): Buckets;
export declare function perUnit(b: Buckets, n: number): Buckets;
export declare function minusScaled(a: Buckets, b: Buckets, factor: number): Buckets;
export declare function phaseNames(): string[];
export declare function kindNames(): string[];
