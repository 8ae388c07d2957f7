import { runMain } from '@concierge/kit';
import { loadConfig } from './config';
import { startServer } from './server';

export { loadConfig } from './config';
export { startServer } from './server';

if (require.main === module) runMain('delegation', () => startServer(loadConfig()));
