// Three test tiers (see README, "Tests"): unit specs beside the code, integration tests of one
// service against the real broker and database, end-to-end tests through the gateway.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const moduleNameMapper = {
  '^@concierge/kit$': '<rootDir>/services/kit/src/index.ts',
  '^@concierge/(users|access-requests|delegation|notifications)$': '<rootDir>/services/$1/src/index.ts',
  '^@concierge/gateway$': '<rootDir>/gateway/src/index.ts',
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{services,gateway}/**/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{services,gateway}/**/src/**/*.integration.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
      // oidc-provider (the external identity provider of external-idp.e2e.ts) ships ES modules only.
      transform: { ...transform, '/node_modules/oidc-provider/.+\\.js$': transform['^.+\\.ts$'] },
      transformIgnorePatterns: ['^(?!.*/node_modules/oidc-provider/).*/node_modules/'],
    },
  ],
  // Integration and end-to-end tests stop and start the real broker; hooks share this limit.
  testTimeout: 120_000,
};
