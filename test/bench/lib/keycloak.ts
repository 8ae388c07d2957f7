/**
 * Keycloak 26.7.3 beside Concierge, for the directory benchmark: fetched from Maven Central into
 * the git-ignored cache, run in dev mode (embedded H2, kept in the cache between runs) with the
 * Temurin 25 JDK, users loaded through the admin API's partialImport.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../testkit';

const VERSION = '26.7.3';
const CACHE = join(ROOT, '.cache', 'keycloak');
const HOME = join(CACHE, `keycloak-${VERSION}`);

function javaHome(): string {
  const jvms = existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm') : [];
  const temurin = jvms
    .filter((d) => /temurin-(2[1-9]|[3-9][0-9])/.test(d))
    .sort()
    .at(-1);
  if (process.env.KEYCLOAK_JAVA_HOME) return process.env.KEYCLOAK_JAVA_HOME;
  if (!temurin) throw new Error('Keycloak 26 needs Java 21 or later: set KEYCLOAK_JAVA_HOME');
  return join('/usr/lib/jvm', temurin);
}

/** Downloads and unpacks Keycloak once. */
export function installKeycloak(): string {
  if (existsSync(join(HOME, 'bin', 'kc.sh'))) return HOME;
  mkdirSync(CACHE, { recursive: true });
  const artifact = `org.keycloak:keycloak-quarkus-dist:${VERSION}:tar.gz`;
  const got = spawnSync(
    'mvn',
    ['-q', '-B', 'dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false'],
    {
      stdio: 'inherit',
      timeout: 900_000,
    },
  );
  if (got.status !== 0) throw new Error(`mvn dependency:get ${artifact} failed`);
  const tarball = join(
    homedir(),
    '.m2/repository/org/keycloak/keycloak-quarkus-dist',
    VERSION,
    `keycloak-quarkus-dist-${VERSION}.tar.gz`,
  );
  const unpacked = spawnSync('tar', ['-xzf', tarball, '-C', CACHE], { stdio: 'inherit' });
  if (unpacked.status !== 0) throw new Error(`could not unpack ${tarball}`);
  return HOME;
}

export interface RunningKeycloak {
  url: string;
  /** An admin access token (password grant on master, renewed before its 60 s run out). */
  token: () => Promise<string>;
  stop: () => Promise<void>;
}

export async function startKeycloak(port: number, logFile: string): Promise<RunningKeycloak> {
  const home = installKeycloak();
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    join(home, 'bin', 'kc.sh'),
    ['start-dev', `--http-port=${port}`, `--http-management-port=${port + 1}`],
    {
      env: {
        PATH: process.env.PATH,
        JAVA_HOME: javaHome(),
        KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
        KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin',
        // No phone-home and no update checks exist in Keycloak; keep the log short.
        KC_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Keycloak exited with ${child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`${url}/realms/master`)).ok) break;
    } catch {
      // starting
    }
    if (i > 1_200) throw new Error(`Keycloak did not start in 5 minutes; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  let cached: { token: string; until: number } | undefined;
  const token = async () => {
    if (cached && cached.until > Date.now()) return cached.token;
    const res = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&client_id=admin-cli&username=admin&password=admin',
    });
    const body = (await res.json()) as { access_token: string; expires_in: number };
    cached = { token: body.access_token, until: Date.now() + (body.expires_in - 15) * 1000 };
    return cached.token;
  };
  return {
    url,
    token,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-(child.pid as number), 'SIGTERM');
      await exited;
    },
  };
}

/** Calls the admin API; throws on an unexpected status. */
export async function admin(
  kc: RunningKeycloak,
  path: string,
  init: { method?: string; body?: unknown; ok?: number[] } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${kc.url}/admin/realms${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${await kc.token()}`, 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  if (!(init.ok ?? [200, 201, 204]).includes(res.status)) {
    throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 300)}`);
  }
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

export interface KeycloakUser {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
}

/**
 * Makes realm `realm` hold `users` (by count: a realm left by an earlier run with as many is kept,
 * as loading takes minutes). Returns the users per second of the load, or null when kept.
 */
export async function loadRealm(
  kc: RunningKeycloak,
  realm: string,
  count: number,
  user: (i: number) => KeycloakUser,
): Promise<number | null> {
  const exists = await admin(kc, `/${realm}`, { ok: [200, 404] });
  if (exists.status === 404) {
    await admin(kc, '', { method: 'POST', body: { realm, enabled: true } });
  } else {
    const held = (await admin(kc, `/${realm}/users/count`)).body as number;
    if (held === count) return null;
    await admin(kc, `/${realm}`, { method: 'DELETE' });
    await admin(kc, '', { method: 'POST', body: { realm, enabled: true } });
  }
  const started = performance.now();
  for (let from = 1; from <= count; from += 1_000) {
    const users = [];
    for (let i = from; i < Math.min(from + 1_000, count + 1); i++)
      users.push({ ...user(i), enabled: true, emailVerified: true });
    await admin(kc, `/${realm}/partialImport`, { method: 'POST', body: { ifResourceExists: 'SKIP', users } });
  }
  return count / ((performance.now() - started) / 1000);
}
