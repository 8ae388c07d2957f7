// Prints the sample requests of scripts/sample-requests.json as curl commands for the gateway URL.
// Usage: node scripts/print-samples.js URL
const { steps } = require('./sample-requests.json');

const url = process.argv[2];
for (const { say, query } of steps) {
  const body = JSON.stringify({ query }).replaceAll("'", "'\\''");
  process.stdout.write(
    `${say}\n  curl -s ${url} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\\n    -d '${body}'\n\n`,
  );
}
