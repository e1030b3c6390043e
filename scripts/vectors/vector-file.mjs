// SPDX-License-Identifier: Apache-2.0
// The vector generators' output step: write the file, or with --check confirm the committed one
// is byte for byte what the generator computes (exit 1 otherwise).
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck(path, vectors, argv = process.argv) {
  const text = `${JSON.stringify(vectors, null, 2)}\n`;
  if (argv.includes('--check')) {
    if (readFileSync(path, 'utf8') !== text) {
      console.error(`${path} differs from what its generator computes`);
      process.exit(1);
    }
    console.log(`${path} is up to date`);
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
