// Composes schema/supergraph.graphql from the four subgraph SDLs with @apollo/composition.
//   npm run compose            write the supergraph
//   npm run compose -- --check exit 1 when the committed supergraph is stale
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('graphql');
const { composeServices } = require('@apollo/composition');

const root = join(__dirname, '..');
const SUPERGRAPH = join(root, 'schema', 'supergraph.graphql');

/** Subgraph names, their SDL files and the default URLs the gateway overrides from its config. */
const SUBGRAPHS = [
  { name: 'users', dir: 'services/users', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'access-requests', dir: 'services/access-requests', url: 'http://127.0.0.1:4002/graphql' },
  { name: 'delegation', dir: 'services/delegation', url: 'http://127.0.0.1:4003/graphql' },
  { name: 'notifications', dir: 'services/notifications', url: 'http://127.0.0.1:4004/graphql' },
];

/**
 * A subgraph's SDL: its schema.graphql, or (split per component) every src/<c>/<c>.graphql in name
 * order, as the service itself reads them.
 */
function readSdl(dir) {
  const whole = join(root, dir, 'schema.graphql');
  if (existsSync(whole)) return readFileSync(whole, 'utf8');
  const src = join(root, dir, 'src');
  return readdirSync(src, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(src, e.name, `${e.name}.graphql`))
    .filter((file) => existsSync(file))
    .sort()
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
}

/** Returns the supergraph SDL, or throws with every composition error. */
function composeSupergraph() {
  const result = composeServices(
    SUBGRAPHS.map((s) => ({
      name: s.name,
      url: s.url,
      typeDefs: parse(readSdl(s.dir)),
    })),
  );
  if (result.errors && result.errors.length > 0) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trim()}\n`;
}

module.exports = { composeSupergraph, SUPERGRAPH, SUBGRAPHS };

if (require.main === module) {
  try {
    const sdl = composeSupergraph();
    if (process.argv.includes('--check')) {
      if (readFileSync(SUPERGRAPH, 'utf8') !== sdl) {
        console.error('schema/supergraph.graphql is stale: run npm run compose');
        process.exit(1);
      }
    } else {
      writeFileSync(SUPERGRAPH, sdl);
      console.log(`wrote ${SUPERGRAPH}`);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
