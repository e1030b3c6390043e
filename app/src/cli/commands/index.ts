// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command';
import { admin } from './admin';
import { audit } from './audit';
import { contribute, withdraw } from './contribute';
import { dataset } from './dataset';
import { events } from './events';
import { file } from './file';
import { grant } from './grant';
import { indicators } from './indicators';
import { keygen } from './keygen';
import { profile } from './profile';
import { login } from './login';
import { grants, records } from './lists';
import { register } from './register';
import { revoke } from './revoke';
import { study } from './study';
import { upload } from './upload';
import { view } from './view';
import { unwarrant, warrant } from './warrant';
import { whois } from './whois';

/** Every command, in the order of the usage text. */
export const COMMANDS: readonly Command[] = [
  keygen,
  register,
  login,
  upload,
  grant,
  revoke,
  view,
  records,
  grants,
  audit,
  events,
  file,
  profile,
  study,
  warrant,
  unwarrant,
  contribute,
  withdraw,
  dataset,
  indicators,
  whois,
  admin,
];
