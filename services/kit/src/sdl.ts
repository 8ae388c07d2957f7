import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A subgraph's SDL from its component folders: each `<component>/<component>.graphql` under
 * `srcDir`, in name order (the order scripts/compose.js reads them in too). A folder without one
 * contributes nothing. Services pass their `src/` folder, from src/ (tests) or dist/ alike: the
 * SDL files stay in src/.
 */
export function componentSdl(srcDir: string): string {
  return readdirSync(srcDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(srcDir, entry.name, `${entry.name}.graphql`))
    .sort()
    .flatMap((file) => {
      try {
        return [readFileSync(file, 'utf8')];
      } catch {
        return [];
      }
    })
    .join('\n');
}
