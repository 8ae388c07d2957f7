import { runMain } from '@concierge/kit';
import { loadConfig } from './config';
import { startServer } from './server';

export { loadConfig } from './config';
export { startServer } from './server';
export { SigningKeys, issueAccessToken, TOKEN_AUDIENCE } from './credentials/signing-keys';
export { SigningKeyRepository } from './credentials/signing-key.repository';

if (require.main === module) runMain('users', () => startServer(loadConfig()));
