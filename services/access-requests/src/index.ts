import { runMain } from '@concierge/kit';
import { loadConfig } from './config';
import { startServer } from './server';

export { loadConfig, type AccessRequestsConfig } from './config';
export { startServer } from './server';

if (require.main === module) runMain('access-requests', () => startServer(loadConfig()));
