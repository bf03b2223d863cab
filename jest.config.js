// Two projects so `npm test` never needs an emulator and `npm run test:integration` only runs the
// tests that start one. @swc/jest transpiles without type-checking; `tsc --noEmit` type-checks.
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const setupFiles = ['<rootDir>/test/helpers/quiet-sdk.ts'];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      setupFiles,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      setupFiles,
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
    },
  ],
};
