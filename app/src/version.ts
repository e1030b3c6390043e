// SPDX-License-Identifier: Apache-2.0
/**
 * The app's version (SemVer 2.0.0): what the SDK states in every request it signs
 * (`request.appVersion`, docs/protocol.md §6), checked against the org's app-version policy
 * before shares and downloads (§7.6). Kept equal to app/package.json's version (a test holds it).
 */
export const APP_VERSION = '0.1.0';
