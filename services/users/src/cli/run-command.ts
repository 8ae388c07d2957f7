/**
 * Runs a command's main and exits with its code. A failure prints its message only: our messages
 * and config errors name no secret, and a stack trace helps no operator.
 */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
