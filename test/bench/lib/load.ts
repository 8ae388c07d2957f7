/**
 * A closed-loop load generator: `clients` loops, each sending its next request when the last one
 * answered, for `seconds`. Counts only answers its check accepts; prints nothing itself.
 */
export interface LoadResult {
  requests: number;
  failures: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The first failure's text, to tell a broken shape from a slow one. */
  firstFailure?: string;
}

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number).toFixed(1);
}

/**
 * Runs the load. `next(i)` builds the i-th request; `accept` checks an answer's status and body
 * (a GraphQL error answers 200, so the body must be looked at).
 */
export async function drive(options: {
  clients: number;
  seconds: number;
  next: (i: number) => LoadRequest | Promise<LoadRequest>;
  accept: (status: number, body: string) => boolean;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let issued = 0;
  const started = performance.now();
  const until = started + options.seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const request = await options.next(issued++);
      const sent = performance.now();
      try {
        const res = await fetch(request.url, {
          method: request.method ?? 'POST',
          headers: request.headers,
          body: request.body,
        });
        const body = await res.text();
        if (options.accept(res.status, body)) latencies.push(performance.now() - sent);
        else {
          failures++;
          firstFailure ??= `${res.status} ${body.slice(0, 300)}`;
        }
      } catch (err) {
        failures++;
        firstFailure ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, loop));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    perSecond: +(latencies.length / elapsed).toFixed(1),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One decimal, for printing. */
export const round1 = (n: number) => +n.toFixed(1);

/** a / b to three decimals, for printing. */
export const ratio = (a: number, b: number) => +(a / b).toFixed(3);
