import { auditServer, type AuditResult } from 'graphql-http';
import { ANONYMOUS, operationOf, signPrincipal, subgraphKey } from '@concierge/kit';
import { SECRET } from '../testkit';
import { startStack } from '../testkit/stack';

// The GraphQL over HTTP conformance audit (https://graphql.github.io/graphql-over-http/) of the
// graphql-http package, against the gateway and one subgraph. A `warn` is a SHOULD the server
// misses, an `error` a MUST; `notice`s are MAYs (kept: GET without a CSRF-safe header is refused,
// by Apollo's CSRF prevention, on purpose).

interface Shortfall {
  line: string;
  /** The answer refused the query only because it asks for __type and introspection is off. */
  introspectionRefused: boolean;
}

/** The audits that warn or fail, each as one readable line. */
async function shortfalls(results: AuditResult[]): Promise<Shortfall[]> {
  return Promise.all(
    results.flatMap((r) =>
      r.status === 'warn' || r.status === 'error'
        ? [
            (async () => {
              const text = await r.response.text().catch(() => '');
              let messages: string[] = [];
              try {
                const body = JSON.parse(text) as { errors?: { message?: string }[] };
                messages = (body.errors ?? []).map((e) => e.message ?? '');
              } catch {
                // not JSON: not an introspection refusal
              }
              return {
                line: `${r.status} ${r.id} ${r.name}: ${r.reason} (${r.response.status} ${text.slice(0, 200)})`,
                introspectionRefused:
                  messages.length > 0 && messages.every((m) => m.includes('introspection is not allowed')),
              };
            })(),
          ]
        : [],
    ),
  );
}

/**
 * A fetch that signs every request as the gateway signs its calls to `subgraph` (an anonymous
 * caller), over the operation the subgraph will read from that request, so the audit reaches a
 * subgraph that refuses unsigned calls.
 */
function signingFetch(subgraph: string) {
  const key = subgraphKey(SECRET, subgraph);
  return async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const text = typeof init.body === 'string' ? init.body : '';
    let body: unknown;
    if ((init.method ?? 'GET') === 'POST' && text) {
      try {
        body = JSON.parse(text);
      } catch {
        // The subgraph answers 400 to a body that is not JSON before it looks for a signature.
        return fetch(input, init);
      }
    }
    const headers = new Headers(init.headers);
    const op = { subgraph, ...operationOf(body, url.searchParams) };
    for (const [name, value] of Object.entries(signPrincipal(ANONYMOUS, key, op))) headers.set(name, value);
    return fetch(input, { ...init, headers });
  };
}

describe('GraphQL over HTTP conformance, as development runs the gateway (introspection on)', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack({ gateway: { introspection: true } });
  });
  afterAll(() => stack.stop());

  it('when the audit runs against the gateway, then no audit warns or fails', async () => {
    const found = await shortfalls(await auditServer({ url: stack.gateway.url }));
    expect(found.map((s) => s.line)).toEqual([]);
  });
});

describe('GraphQL over HTTP conformance, as production runs it (introspection off)', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  // The audit's variables checks query `__type`, which is introspection; with it off those answers
  // carry an error by design. Everything else must pass, as it does above.
  it('when the audit runs against the gateway, then only audits whose query asks for __type fall short, and only because introspection is refused', async () => {
    const found = await shortfalls(await auditServer({ url: stack.gateway.url }));
    expect(found.filter((s) => !s.introspectionRefused).map((s) => s.line)).toEqual([]);
  });

  it('when the audit runs against the users subgraph with each request signed as the gateway signs it, then only the same introspection refusals fall short', async () => {
    const found = await shortfalls(
      await auditServer({ url: stack.users.url, fetchFn: signingFetch('users') }),
    );
    expect(found.filter((s) => !s.introspectionRefused).map((s) => s.line)).toEqual([]);
  });
});
