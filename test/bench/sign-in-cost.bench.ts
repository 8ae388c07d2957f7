/**
 * Benchmark: whether the time of a refused sign-in tells which logins exist. The users subgraph
 * (started in process on the real database and broker, called directly, signed as the gateway
 * would, so the gateway's per-address throttle stays out of it) answers, in interleaved rounds:
 * an unknown login (twice, the second series being the noise floor), a known login with a wrong
 * password (by e-mail and by username), a known login with the right password (for reference) and
 * a known login from an address locked out of it; and, to show what remains, a new address on a
 * hammered account (fifty wrong passwords from fifty addresses: its record is at its largest and it
 * is closed to strangers). Wrong passwords come from a new address each time, spread over
 * BENCH_SIGN_IN_USERS users (default 300, two failures each: accounts probed, not under attack),
 * so no lock or account guard is reached. Prints p50 and p99 per case and their ratios to the
 * unknown login; asserts only that the work was done.
 *
 *   TEST_MONGO_URL=mongodb://127.0.0.1:27027 KAFKA_BROKERS=127.0.0.1:9192 \
 *     npx jest -c jest.bench.config.js --runInBand test/bench/sign-in-cost.bench.ts
 *
 * BENCH_SIGN_IN_ROUNDS (default 300) rounds of one sign-in per case.
 */
import { randomUUID } from 'node:crypto';
import { signPrincipal, subgraphKey, type Principal } from '@concierge/kit';
import { createCredentialStores } from '../../services/users/src/credentials/credential.repository';
import { hashPassword } from '../../services/users/src/credentials/password-hash';
import { ADMIN, createOrg, graphql, SECRET, type GraphQLResponse } from '../testkit';
import { usersService } from '../testkit/users-service';

const ROUNDS = Number(process.env.BENCH_SIGN_IN_ROUNDS ?? 300);
const USERS = Number(process.env.BENCH_SIGN_IN_USERS ?? 300);
const WARM_UP = 10;

const ANONYMOUS: Principal = { kind: 'anonymous', roles: [] };
const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id status } }`;
const LOGIN = `mutation($login: String!, $password: String!) { login(login: $login, password: $password) { accessToken } }`;
const PASSWORD = 'Bench passphrase for sign-in 2026';
const WRONG = 'Not the bench passphrase 2026';

type Answer = GraphQLResponse<{ login: { accessToken: string } | null }>;

function percentiles(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(2);
  return { p50: at(0.5), p99: at(0.99) };
}

describe('sign-in cost benchmark', () => {
  const fixture = usersService();
  const run = randomUUID().slice(0, 8);
  const emailOf = (i: number) => `signin-${run}-${i}@bench.example.org`;
  const usernameOf = (i: number) => `signin-${run}-${i}`;
  // The wrong-password users, then the right-password ones, the locked-out one, the hammered one.
  const RIGHT = [USERS, USERS + 1, USERS + 2, USERS + 3];
  const LOCKED = USERS + 4;
  const HAMMERED = USERS + 5;
  const LOCKED_ADDRESS = '192.0.2.1';

  /** One login call at the subgraph as the gateway would sign it for `clientAddress`. */
  async function login(name: string, password: string, clientAddress: string): Promise<Answer> {
    const variables = { login: name, password };
    const headers = signPrincipal(
      ANONYMOUS,
      subgraphKey(SECRET, 'users'),
      { subgraph: 'users', query: LOGIN, variables },
      { clientAddress },
    );
    return graphql(fixture.url(), LOGIN, variables, headers);
  }

  beforeAll(async () => {
    const org = await createOrg(fixture.url());
    const stores = createCredentialStores(fixture.service().runtime.db);
    const passwordHash = await hashPassword(PASSWORD);
    for (let i = 0; i <= HAMMERED; i++) {
      const res = await graphql<{ createUser: { id: string; status: string } }>(
        fixture.url(),
        CREATE,
        {
          input: {
            organizationId: org,
            email: emailOf(i),
            username: usernameOf(i),
            displayName: `Sign-in ${i}`,
          },
        },
        ADMIN,
      );
      if (res.data?.createUser.status !== 'ACTIVE') throw new Error(JSON.stringify(res.errors));
      // The hash set-password would store (same function), written straight to the credential.
      const id = res.data.createUser.id;
      await stores.credentials.ensure(id);
      await stores.credentials.update(id, { passwordHash, passwordChangedAt: new Date() });
    }
    // Five wrong passwords lock this address out of the account for the default fifteen minutes.
    for (let k = 0; k < 5; k++) await login(emailOf(LOCKED), WRONG, LOCKED_ADDRESS);
    // Fifty from fifty addresses fill its address locks and close it to other addresses.
    for (let k = 0; k < 50; k++) await login(emailOf(HAMMERED), WRONG, `198.51.100.${k}`);
  });

  it(`prints p50/p99 of ${ROUNDS} sign-ins per case, interleaved, and their ratios to an unknown login`, async () => {
    const cases: Record<string, (r: number) => Promise<Answer>> = {
      unknownLogin: (r) => login(`nobody-${run}-${r}@bench.example.org`, WRONG, `10.1.${r >> 8}.${r & 255}`),
      unknownLoginAgain: (r) =>
        login(`none-${run}-${r}@bench.example.org`, WRONG, `10.2.${r >> 8}.${r & 255}`),
      wrongPassword: (r) => login(emailOf(r % USERS), WRONG, `10.3.${r >> 8}.${r & 255}`),
      wrongPasswordByUsername: (r) => login(usernameOf(r % USERS), WRONG, `10.4.${r >> 8}.${r & 255}`),
      rightPassword: (r) => {
        const i = RIGHT[r % RIGHT.length] as number;
        return login(emailOf(i), PASSWORD, `10.5.0.${i % 256}`);
      },
      lockedOut: () => login(emailOf(LOCKED), WRONG, LOCKED_ADDRESS),
      hammeredAccount: (r) => login(emailOf(HAMMERED), WRONG, `10.6.${r >> 8}.${r & 255}`),
    };
    const names = Object.keys(cases);
    const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const refused: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
    let sessions = 0;

    for (let r = 0; r < WARM_UP + ROUNDS; r++) {
      // Each round starts with another case, so no case always follows the same one.
      const order = names.map((_, k) => names[(k + r) % names.length] as string);
      for (const name of order) {
        const started = performance.now();
        const answer = await (cases[name] as (r: number) => Promise<Answer>)(r);
        const elapsed = performance.now() - started;
        if (r < WARM_UP) continue;
        ms[name]!.push(elapsed);
        if (answer.data?.login?.accessToken) sessions++;
        else if (answer.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') refused[name]!++;
      }
    }

    const figures = Object.fromEntries(names.map((n) => [n, percentiles(ms[n] as number[])]));
    const base = figures.unknownLogin as { p50: number; p99: number };
    const ratios = Object.fromEntries(
      names
        .filter((n) => n !== 'unknownLogin')
        .map((n) => [
          n,
          {
            p50: +((figures[n]?.p50 ?? NaN) / base.p50).toFixed(3),
            p99: +((figures[n]?.p99 ?? NaN) / base.p99).toFixed(3),
          },
        ]),
    );
    console.log(
      JSON.stringify(
        { rounds: ROUNDS, users: USERS, p50p99ms: figures, ratioToUnknownLogin: ratios },
        null,
        2,
      ),
    );

    for (const name of names.filter((n) => n !== 'rightPassword')) expect(refused[name]).toBe(ROUNDS);
    expect(sessions).toBe(ROUNDS);
  });
});
