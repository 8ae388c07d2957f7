/** How a failing message handler is retried before its message goes to the dead-letter topic. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Each delay is multiplied by this factor. */
  factor: number;
  /** 0..1: share of each delay that is randomised, so replicas do not retry in lock-step. */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  factor: 2,
  jitter: 0.2,
};

/** Delay before attempt `attempt + 1` (attempt counts from 1), or null when no attempt is left. */
export function nextDelay(policy: RetryPolicy, attempt: number, random = Math.random): number | null {
  if (attempt >= policy.attempts) return null;
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  const spread = base * policy.jitter;
  return Math.round(base - spread + random() * 2 * spread);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
