import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The source folder, from src/ (tests) or dist/ (the built service): the SDL stays in src/. */
const SRC = join(__dirname, '..', 'src');

/**
 * The subgraph's SDL: each component's `<component>/<component>.graphql`, in name order (the
 * order scripts/compose.js reads them in too). A folder without one contributes nothing.
 */
export function notificationsSdl(): string {
  return readdirSync(SRC, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(SRC, entry.name, `${entry.name}.graphql`))
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
