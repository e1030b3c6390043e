// SPDX-License-Identifier: Apache-2.0
import type { ProfileContent } from '@medshare/protocol';
import { defineCommand, type Printed } from '../command';
import { researchUser } from '../needs';
import { jsonArgument, UsageError } from '../options';

type Verb = { verb: 'set'; profile: ProfileContent } | { verb: 'show' };

/** The patient's profile, sealed for the patient alone: `set` from a JSON object of its fields, `show` opens it. */
export const profile = defineCommand({
  name: 'profile',
  usage: [
    {
      synopsis: 'set --key FILE (--data JSON | --file PATH)',
      summary: 'sealed for you alone: name, sex, birthDate, …',
    },
    { synopsis: 'show --key FILE' },
  ],
  needs: researchUser,
  parse({ positionals: [verb], values }): Verb {
    if (verb === 'show') return { verb };
    if (verb !== 'set') throw new UsageError('profile needs set or show');
    const fields = jsonArgument(values, 'profile set');
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
      throw new UsageError('profile set takes a JSON object of profile fields');
    // The fields are checked (parseProfileContent) before anything is sealed.
    return { verb, profile: { v: 1, ...(fields as Record<string, unknown>) } as unknown as ProfileContent };
  },
  async run(args, { research, user }): Promise<Printed> {
    if (args.verb === 'set') {
      const r = await research.setProfile(user, args.profile);
      return { data: r, text: `profile sealed and stored at ${new Date(r.updatedAt).toISOString()}` };
    }
    const r = await research.profile(user);
    const { v: _v, ...fields } = r.profile;
    const lines = Object.entries(fields).map(([k, v]) => `\n  ${k}: ${String(v)}`);
    return { data: r, text: `profile (updated ${new Date(r.updatedAt).toISOString()})${lines.join('')}` };
  },
  print: (printed) => printed,
});
