// Reads a service's JSON log lines (pino) on stdin and prints one short line per warning or error,
// so the console of npm start stays readable; the full JSON stays in the service's log file.
// Usage: node scripts/console-lines.js NAME
const { createInterface } = require('node:readline');

const name = process.argv[2] ?? 'service';
const LEVELS = { 40: 'warn', 50: 'error', 60: 'fatal' };

createInterface({ input: process.stdin }).on('line', (line) => {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    if (line.trim()) process.stderr.write(`[${name}] ${line.slice(0, 300)}\n`);
    return;
  }
  const level = LEVELS[entry.level];
  if (!level) return;
  const cause = entry.err?.message ? `: ${String(entry.err.message).split('\n')[0].slice(0, 200)}` : '';
  process.stderr.write(`[${name}] ${level} ${entry.msg ?? ''}${cause}\n`);
});
