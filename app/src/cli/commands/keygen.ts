// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { encryptKeyFile, fail, keyIdOf } from '@medshare/protocol';
import { defineCommand } from '../command';
import { nothing } from '../needs';
import { need } from '../options';
import { readPassphrase } from '../passphrase';

export const keygen = defineCommand({
  name: 'keygen',
  usage: [{ synopsis: '--out FILE [--qr]', summary: 'new SM2 key in a passphrase-protected file' }],
  needs: nothing,
  parse: ({ values }) => ({ out: need(values, 'out'), qr: values.qr === true }),
  async run({ out, qr }, _none, io) {
    if (existsSync(out)) throw fail('INVALID_INPUT', `${out} exists; refusing to overwrite a key file`);
    const passphrase = await readPassphrase(io.env, `passphrase for ${out}: `, true);
    const keys = generateKeyPair();
    const file = await encryptKeyFile(keys.privateKey, passphrase);
    writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(out, 0o600);
    return { out, publicKey: keys.publicKey, qr: qr ? await qrCode(keys.publicKey) : '' };
  },
  print: ({ out, publicKey, qr }) => ({
    data: { keyId: keyIdOf(publicKey), publicKey, file: out },
    text: `key file ${out}\n  key id     ${keyIdOf(publicKey)}\n  public key ${publicKey}${qr}`,
  }),
});

async function qrCode(text: string): Promise<string> {
  // qrcode-terminal is CommonJS: under Node's ESM interop its functions sit on `default`.
  const imported = (await import('qrcode-terminal')) as typeof import('qrcode-terminal') & {
    default?: typeof import('qrcode-terminal');
  };
  const qrcode = imported.default ?? imported;
  let qr = '';
  qrcode.generate(text, { small: true }, (s) => {
    qr = `\n${s}`;
  });
  return qr;
}
