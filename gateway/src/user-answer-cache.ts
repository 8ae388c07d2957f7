import { ANONYMOUS, HttpError, internalOperation, signPrincipal, type Logger } from '@concierge/kit';

export interface UserAnswerCacheOptions<T> {
  /** Asks the owning service for one user's answer. */
  fetch: (userId: string, variant: string) => Promise<T>;
  /** How long an answer is used before it is asked again, unless an event evicts it first. */
  ttlMs: number;
  /** How long an old answer still serves while the service cannot be asked. */
  staleMs: number;
  /** When an answer stops being true by itself (epoch ms), if sooner than the ttl. */
  validUntil?: (answer: T) => number | null;
  /** Whether an answer may be kept at all (default: every answer is). */
  keep?: (answer: T) => boolean;
  /** What the answer is, for the 503 message and the log. */
  what: string;
  logger: Logger;
}

interface Entry<T> {
  answer: T;
  at: number;
  until: number;
}

/** Answers remembered at most; beyond, the least recently asked are dropped. */
const MAX_ENTRIES = 100_000;

/**
 * Per-user answers the gateway needs on every request (whether a sign-in stands, which admin
 * grants a user holds), asked of the service that owns them, cached for a short time, and dropped
 * at once when an event about the user arrives. Concurrent askers of one key share one fetch; an
 * answer fetched across an eviction is used once but not kept (it may predate the change).
 */
export class UserAnswerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<T>>();
  private evictions = 0;

  constructor(private readonly options: UserAnswerCacheOptions<T>) {}

  /** Forgets every answer about a user. */
  evict(userId: string): void {
    this.evictions += 1;
    const prefix = `${userId}\0`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** The answer for a user (and a variant of it, e.g. one sign-in); 503 when it cannot be had. */
  async get(userId: string, variant = ''): Promise<T> {
    const key = `${userId}\0${variant}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && now < cached.until) return cached.answer;
    const epoch = this.evictions;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.options.fetch(userId, variant).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    try {
      const answer = await pending;
      if (epoch !== this.evictions || this.options.keep?.(answer) === false) return answer;
      const ends = this.options.validUntil?.(answer) ?? null;
      const until = Math.min(now + this.options.ttlMs, ends ?? Infinity);
      this.entries.delete(key);
      this.entries.set(key, { answer, at: now, until });
      if (this.entries.size > MAX_ENTRIES) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      return answer;
    } catch (err) {
      if (cached && now - cached.at < this.options.staleMs && now < this.staleLimit(cached))
        return cached.answer;
      this.options.logger.warn({ err, userId }, `${this.options.what} unavailable`);
      throw new HttpError(
        503,
        `${capitalised(this.options.what)} is unavailable; try again shortly`,
        'SERVICE_UNAVAILABLE',
      );
    }
  }

  /** A stale answer never outlives a change it knew was coming. */
  private staleLimit(entry: Entry<T>): number {
    return this.options.validUntil?.(entry.answer) ?? Infinity;
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** GETs a subgraph's internal route, signed for that subgraph as the gateway; the JSON body. */
export async function internalGet(
  target: { graphqlUrl: string; subgraph: string; key: Buffer },
  path: string,
  params: URLSearchParams,
): Promise<unknown> {
  const url = new URL(path, target.graphqlUrl);
  url.search = params.toString();
  const headers = signPrincipal(ANONYMOUS, target.key, internalOperation(target.subgraph, path, params));
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(3_000) });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return res.json();
}
