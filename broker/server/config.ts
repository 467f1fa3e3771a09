/**
 * The server's configuration (SPEC §3 "The server"): command-line flags, each with an
 * environment variable; a flag beats its variable, the variable beats the default.
 * Parsing is pure (argv and env in, a config or a list of problems out) so every rule is
 * tested without starting anything.
 */
import { parseArgs } from 'node:util';

export type StoreBackend = 'lmdb' | 'memory' | 'redis';

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly store: StoreBackend;
  readonly redisUrl: string | null;
  /** Scheduler threads besides the main thread; null: the broker's default. */
  readonly schedulers: number | null;
  readonly adminKey: string | null;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  readonly defaultRatePerSec: number | null;
  readonly maxPayloadBytes: number;
}

interface Setting {
  readonly flag: string;
  readonly env: string;
}

const SETTINGS = {
  port: { flag: 'port', env: 'POSTBOX_PORT' },
  host: { flag: 'host', env: 'POSTBOX_HOST' },
  dataDir: { flag: 'data', env: 'POSTBOX_DATA_DIR' },
  store: { flag: 'store', env: 'POSTBOX_STORE' },
  redisUrl: { flag: 'redis-url', env: 'POSTBOX_REDIS_URL' },
  schedulers: { flag: 'schedulers', env: 'POSTBOX_SCHEDULERS' },
  adminKey: { flag: 'admin-key', env: 'POSTBOX_ADMIN_KEY' },
  tlsCert: { flag: 'tls-cert', env: 'POSTBOX_TLS_CERT' },
  tlsKey: { flag: 'tls-key', env: 'POSTBOX_TLS_KEY' },
  defaultRatePerSec: { flag: 'default-rate', env: 'POSTBOX_DEFAULT_RATE' },
  maxPayloadBytes: { flag: 'max-payload-bytes', env: 'POSTBOX_MAX_PAYLOAD_BYTES' },
} satisfies Record<keyof ServerConfig, Setting>;

export const USAGE = `usage: npm start -- [options]
  --port N               listen port (POSTBOX_PORT, default 8080)
  --host ADDR            listen address (POSTBOX_HOST, default 127.0.0.1)
  --data DIR             data directory (POSTBOX_DATA_DIR, default ./data)
  --store lmdb|memory    store backend (POSTBOX_STORE, default lmdb; memory keeps nothing)
  --schedulers N         scheduler threads besides the main thread (POSTBOX_SCHEDULERS)
  --admin-key KEY        admin key (POSTBOX_ADMIN_KEY; default: generated once, kept in DIR/admin.key)
  --default-rate N       requests per second per key without its own rate (POSTBOX_DEFAULT_RATE)
  --max-payload-bytes N  payload limit (POSTBOX_MAX_PAYLOAD_BYTES, default 1048576)
  --help                 this text`;

export type ConfigResult = { ok: true; config: ServerConfig } | { ok: false; errors: string[]; help?: boolean };

export function parseServerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ConfigResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));
    values = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, allowPositionals: false, strict: true }).values;
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] };
  }
  if (values.help) return { ok: false, errors: [], help: true };

  const errors: string[] = [];
  const raw = (key: keyof typeof SETTINGS): { value: string; from: string } | null => {
    const s: Setting = SETTINGS[key];
    const flag = values[s.flag];
    if (typeof flag === 'string') return { value: flag, from: `--${s.flag}` };
    const fromEnv = env[s.env];
    return fromEnv !== undefined && fromEnv !== '' ? { value: fromEnv, from: s.env } : null;
  };
  const integer = (key: keyof typeof SETTINGS, min: number, max: number): number | null => {
    const r = raw(key);
    if (!r) return null;
    const n = Number(r.value);
    if (!/^\d+$/.test(r.value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      errors.push(`${r.from}: expected an integer from ${min} to ${max}, got: ${JSON.stringify(r.value)}`);
      return null;
    }
    return n;
  };
  const text = (key: keyof typeof SETTINGS): string | null => raw(key)?.value ?? null;

  const storeRaw = raw('store');
  let store: StoreBackend = 'lmdb';
  if (storeRaw) {
    if (storeRaw.value === 'lmdb' || storeRaw.value === 'memory' || storeRaw.value === 'redis') store = storeRaw.value;
    else errors.push(`${storeRaw.from}: expected lmdb, memory or redis, got: ${JSON.stringify(storeRaw.value)}`);
  }
  const config: ServerConfig = {
    port: integer('port', 0, 65_535) ?? 8080,
    host: text('host') ?? '127.0.0.1',
    dataDir: text('dataDir') ?? './data',
    store,
    redisUrl: text('redisUrl'),
    schedulers: integer('schedulers', 0, 256),
    adminKey: text('adminKey'),
    tlsCert: text('tlsCert'),
    tlsKey: text('tlsKey'),
    defaultRatePerSec: integer('defaultRatePerSec', 1, 1_000_000_000),
    maxPayloadBytes: integer('maxPayloadBytes', 1, 64 * 1024 * 1024) ?? 1024 * 1024,
  };
  if (config.adminKey !== null && config.adminKey.length < 16) errors.push('the admin key must be at least 16 characters long');
  // Seams for later issues: say so plainly rather than start something that is not there.
  if (config.store === 'redis') errors.push('--store redis: the Redis store is not available in this version (use lmdb or memory)');
  if (config.tlsCert !== null || config.tlsKey !== null) errors.push('--tls-cert/--tls-key: TLS is not available in this version (terminate TLS in front of the broker)');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
