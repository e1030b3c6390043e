/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }];
const common = {
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^@medshare/(protocol|chaincode|gateway|app)$': '<rootDir>/$1/src' },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/jest-setup.js'],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{protocol,chaincode,gateway,app}/src/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
  ],
};
