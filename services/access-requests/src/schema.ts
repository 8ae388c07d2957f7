import { join } from 'node:path';
import { componentSdl } from '@concierge/kit';

/** The subgraph's SDL: its components' `.graphql` files (the folder is src/ from dist/ too). */
export function accessRequestsSdl(): string {
  return componentSdl(join(__dirname, '..', 'src'));
}
