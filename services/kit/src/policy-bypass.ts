/**
 * Benchmarks only: the one way to take authorization out of a process, so that
 * test/bench/authorization.bench.ts can measure what it costs. Deliberately not exported from the
 * kit's index (a service cannot reach it through `@concierge/kit`), read by no setting, and
 * one-way: once called, the process stays open to every signed-in caller until it ends.
 */
let allowEverything = false;

/**
 * BENCHMARKS ONLY. Makes this process's policy (policy.ts) grant every capability everywhere to
 * every signed-in user, as if they were a global administrator; anonymous callers stay refused.
 * Called only by test/bench/lib/subgraph-runner.js before it starts a service; a process that
 * called it must never serve anyone but a benchmark.
 */
export function allowEverythingForBenchmark(): void {
  allowEverything = true;
}

/** Whether allowEverythingForBenchmark was called in this process (policy.ts asks). */
export function benchmarkAllowsEverything(): boolean {
  return allowEverything;
}
