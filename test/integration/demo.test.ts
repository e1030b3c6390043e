// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, gatewayForSuite, removeData } from './support/gateway-process';

const run = promisify(execFile);

/** The values the embedded ledger's log wrote, decoded (each line's write set is base64). */
function ledgerWrites(ledgerLog: string): string {
  return ledgerLog
    .split('\n')
    .filter(Boolean)
    .flatMap((line) =>
      (JSON.parse(line) as { w: Array<[string, string | null]> }).w.map(([, v]) =>
        v ? Buffer.from(v, 'base64').toString('utf8') : '',
      ),
    )
    .join('\n');
}

describe('npm start + the demo scenario through the medshare CLI (real processes, HTTPS)', () => {
  const gateway = gatewayForSuite();

  it('npm start printed where it listens and what to do next', () => {
    const gw = gateway();
    expect(gw.output()).toContain(`listening on https://127.0.0.1:${gw.port}`);
    expect(gw.output()).toContain('npm run demo');
  });

  it('runs the whole scenario: approve, register, upload, grant, view, revoke, refused view, audit', async () => {
    const gw = gateway();
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], {
      env: { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig },
      timeout: 120_000,
    });
    expect(stdout).toContain("the doctor's next view is refused");
    expect(stdout).toContain('NOT_AUTHORIZED');
    expect(stdout).toContain('demo complete');
    // the demo's record never reached the ledger file or the gateway's output in the clear
    const ledgerLog = readFileSync(join(gw.dataDir, 'ledger', 'ledger.log'), 'utf8');
    expect(ledgerLog.length).toBeGreaterThan(0);
    for (const text of [ledgerLog, Buffer.from(ledgerLog).toString('latin1'), gw.output()]) {
      expect(text).not.toContain('asthma');
      expect(text).not.toContain('J45.909');
      expect(text).not.toContain('corticosteroid');
    }
    const decoded = ledgerWrites(ledgerLog);
    expect(decoded).toMatch(/"ciphertext":"A[Q-Za-f]/); // the record is there, sealed (format byte 0x01)
    expect(decoded).not.toContain('asthma');
  }, 150_000);

  it('runs the files demo (npm run demo:files) on a small file: upload, approve, 2-of-3 share, download, tamper, revoke', async () => {
    const gw = gateway();
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'demo-files.mjs')], {
      env: { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig, DEMO_FILE_MB: '3' },
      timeout: 120_000,
    });
    expect(stdout).toContain('(matches)');
    expect(stdout).toContain('INTEGRITY_FAILED');
    expect(stdout).toContain("the object's SM3 is as before");
    expect(stdout).toContain('SHARE_NOT_FOUND');
    expect(stdout.trimEnd().split('\n').pop()).toBe('files demo complete');
  }, 150_000);

  it('runs the research demo (npm run demo:research): warrants, an anonymous contribution, LINK_TAG_REUSED, the k-anonymity reports', async () => {
    const gw = gateway();
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'demo-research.mjs')], {
      env: { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig },
      timeout: 180_000,
    });
    expect(stdout).toContain('STUDY_RELEASES_IDENTIFIER');
    expect(stdout).toContain('LINK_TAG_REUSED');
    expect(stdout).toContain('k 5: rows in 7, released 6, suppressed 1, rejected 0, groups 1, k reached 6');
    expect(stdout).toContain('k 5: rows in 6, released 5, suppressed 1, rejected 0, groups 1, k reached 5');
    expect(stdout).toContain('k 5: rows in 5, released 0, suppressed 5');
    expect(stdout).toContain('ACCESS_LIST_FORBIDDEN');
    expect(stdout.trimEnd().split('\n').pop()).toBe('research demo complete');
    // the patients' names and numbers never reached the ledger file or the gateway's output
    const ledgerLog = readFileSync(join(gw.dataDir, 'ledger', 'ledger.log'), 'utf8');
    for (const text of [ledgerLog, ledgerWrites(ledgerLog), gw.output()]) {
      for (const secret of ['Zhang Wei', 'BJ-2026-', '100081', 'headaches']) expect(text).not.toContain(secret);
    }
  }, 200_000);

  it('runs the indicators demo (npm run demo:indicators): keyword match, refusals by app and contract, aggregates, the k-suppressed CSV', async () => {
    const gw = gateway();
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'demo-indicators.mjs')], {
      env: { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig },
      timeout: 240_000,
    });
    expect(stdout).toContain('app:      KEYWORD_NOT_MATCHED');
    expect(stdout).toContain('contract: KEYWORD_NOT_MATCHED');
    expect(stdout).toContain('app:      INDICATOR_OUT_OF_RANGE');
    expect(stdout).toContain('contract: INDICATOR_OUT_OF_RANGE');
    expect(stdout).toMatch(/systolic: 5 participants, 14 readings, mean [0-9.]+ mmHg/);
    expect(stdout).toContain('k 5: participants 5, rows kept 5, rows suppressed 4, weeks kept [1], suppressed [0]');
    expect(stdout).toContain('pseudonym,period,days,systolic (mmHg),diastolic (mmHg),heartRate (bpm)');
    expect(stdout).toContain('INDICATOR_K_NOT_REACHED');
    expect(stdout.trimEnd().split('\n').pop()).toBe('indicators demo complete');
    // no record, keyword opening or blinding in the ledger file or the gateway's output
    const ledgerLog = readFileSync(join(gw.dataDir, 'ledger', 'ledger.log'), 'utf8');
    for (const text of [ledgerLog, ledgerWrites(ledgerLog), gw.output()]) {
      for (const secret of ['"diagnosis":"', 'blood-pressure monitoring', '"keyword"', '"blinding"'])
        expect(text).not.toContain(secret);
    }
  }, 300_000);

  it('the CLI exits 2 on usage errors and 1 with the code on refusals, never echoing the passphrase', async () => {
    const gw = gateway();
    const cli = join(ROOT, 'app', 'bin', 'medshare.js');
    const env = { ...process.env, MEDSHARE_APP_CONFIG: gw.appConfig, MEDSHARE_PASSPHRASE: 'right passphrase' };
    const usage = await run(process.execPath, [cli, 'upload', '--nope'], { env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(usage).toMatchObject({ code: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'medshare-cli-'));
    await run(process.execPath, [cli, 'keygen', '--out', join(dir, 'k.json')], { env });
    const ledgerLog = join(gw.dataDir, 'ledger', 'ledger.log');
    const ledgerBefore = readFileSync(ledgerLog, 'utf8');
    const wrong = await run(
      process.execPath,
      [cli, 'register', '--key', join(dir, 'k.json'), '--role', 'patient', '--json'],
      {
        env: { ...env, MEDSHARE_PASSPHRASE: 'xyzzy-Tr0ub4dor-plugh' },
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(wrong).toMatchObject({ code: 1 });
    expect(JSON.parse((wrong as { stderr: string }).stderr)).toMatchObject({ code: 'CIPHERTEXT_INVALID' });
    expect((wrong as { stderr: string }).stderr).not.toContain('xyzzy-Tr0ub4dor-plugh');
    writeFileSync(join(dir, 'bad.json'), '{');
    const bad = await run(process.execPath, [cli, 'records', '--key', join(dir, 'bad.json')], { env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain('INVALID_INPUT');
    // refusals before any request reached the gateway left the ledger as it was
    expect(readFileSync(ledgerLog, 'utf8')).toBe(ledgerBefore);
    removeData(dir);
  }, 60_000);
});
