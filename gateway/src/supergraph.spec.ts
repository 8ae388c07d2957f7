import { readFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { composeSupergraph, SUPERGRAPH } = require('../../scripts/compose.js') as {
  composeSupergraph: () => string;
  SUPERGRAPH: string;
};

describe('supergraph', () => {
  it('composes from the four subgraph schemas and matches the committed file (run npm run compose)', () => {
    expect(readFileSync(SUPERGRAPH, 'utf8')).toBe(composeSupergraph());
  });
});
