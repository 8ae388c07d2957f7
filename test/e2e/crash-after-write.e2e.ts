import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { RunningService } from '@concierge/kit';
import { startServer as startUsers } from '@concierge/users';
import { dropDatabases, eventually, readTopic, usersConfig } from '../testkit';

describe('a process that dies right after the write', () => {
  const config = usersConfig();
  let users: RunningService | null = null;

  afterAll(async () => {
    const name = users?.runtime.db.name;
    await users?.stop();
    if (name) await dropDatabases([name]);
  });

  it('when the process is killed before publishing, then the event is published after the service restarts', async () => {
    const child = spawnSync(
      process.execPath,
      [join(__dirname, '..', 'testkit', 'crash-after-write.js'), config.mongoUri, 'crash@example.org'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.signal).toBe('SIGKILL'); // it really died, right after writing
    const id = child.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const reader = await readTopic('concierge.user.v1');
    try {
      users = await startUsers(config); // the restart: its relay finds the pending event
      const message = await eventually(
        async () => reader.messages.find((m) => m.key?.toString() === id),
        30_000,
      );
      expect(JSON.parse(message.value!.toString())).toMatchObject({
        type: 'user.created',
        subject: id,
        data: { email: 'crash@example.org' },
      });
    } finally {
      await reader.stop();
    }
  });
});
