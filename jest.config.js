// SPDX-License-Identifier: Apache-2.0
/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }];
const common = {
  transform: { '^.+\\.ts$': tsJest },
  // Subpath exports (@medshare/crypto/sm2, …) map to the source module of the same name.
  moduleNameMapper: {
    '^@medshare/crypto/(.*)$': '<rootDir>/crypto/src/$1',
    '^@medshare/(protocol|fabric-sim|chaincode|gateway|app)$': '<rootDir>/$1/src',
  },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/jest-setup.js'],
  // Only the source folders are crawled: .network/ (the orderer's Raft snapshots are *.snap
  // files, which jest would report as obsolete snapshots), .fabric/ and .data/ never are.
  roots: [
    '<rootDir>/crypto/src',
    '<rootDir>/protocol/src',
    '<rootDir>/fabric-sim/src',
    '<rootDir>/chaincode/src',
    '<rootDir>/gateway/src',
    '<rootDir>/app/src',
    '<rootDir>/test',
  ],
  modulePathIgnorePatterns: ['<rootDir>/\\.network/', '<rootDir>/\\.fabric/', '<rootDir>/\\.data/', '/dist/'],
};
module.exports = {
  // Tests assert results, never durations; CI runs on a shared 2-core machine where a store call
  // or a few registrations can take seconds under load, so jest's 5 s default cut real work.
  // A global option: jest ignores testTimeout inside a project's configuration.
  testTimeout: 30_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{crypto,protocol,fabric-sim,chaincode,gateway,app}/src/**/*.test.ts',
        '<rootDir>/test/integration/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      // The real two-org network: brought up (or found up and ready) before the e2e suites,
      // stopped after them if this run started it (test/e2e/network-setup.js).
      globalSetup: '<rootDir>/test/e2e/network-setup.js',
      globalTeardown: '<rootDir>/test/e2e/network-teardown.js',
    },
  ],
};
