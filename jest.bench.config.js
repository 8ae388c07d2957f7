// Benchmarks (npm run bench): real broker and database, figures printed, not part of npm test.
const base = require('./jest.config.js');
const unit = base.projects[0];
module.exports = {
  transform: unit.transform,
  moduleNameMapper: unit.moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/bench/**/*.bench.ts'],
  testTimeout: 600_000,
};
