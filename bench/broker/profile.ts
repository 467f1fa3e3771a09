/**
 * Profiles the broker's main thread while it serves one B1-style load, and prints where the
 * time went (self time grouped by module, then the heaviest functions). The load client runs
 * in a child process, so the profile holds only the broker; only the measured phase is
 * profiled (startup, setup and shutdown are not).
 *
 *   node --conditions=source --import tsx bench/broker/profile.ts [messages] [subscribers] [out.cpuprofile]
 *   node --conditions=source --import tsx bench/broker/profile.ts saved.cpuprofile   (report only)
 *
 * Besides the profile it prints the CPU per published message of each broker thread (from
 * /proc: the inspector's own sampling thread shows there too, as v8:ProfEvntProc, and is not
 * part of the broker's cost) and of the load client process: when the client's share is near
 * a core, the client, not the broker, bounds the run.
 *
 * 0 subscribers profiles the publish path alone. PROFILE_BATCH=100 publishes in batches of 100
 * (8 in flight instead of 64 single publishes), which profiles the delivery path instead;
 * PROFILE_PROTOCOL=webhook makes the subscribers webhook endpoints (in the load client) instead
 * of pull loops.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { withBroker } from './fixture.js';
import type { FanoutResult } from './jobs.js';

/** Self time by module, and the top functions, as shares of the profiled main thread. */
function report(profile: Profiler.Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples!.forEach((id, i) => {
    const d = profile.timeDeltas![i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + d);
    total += d;
  });
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, d] of self) {
    const { url, functionName, lineNumber } = byId.get(id)!.callFrame;
    const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + d);
    add(modules, moduleOf(url, functionName));
    add(functions, `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules\/)?/, '')}:${lineNumber + 1}`);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  console.log(`\nmain thread, ${(total / 1000).toFixed(0)} ms sampled; by stage (innermost matching frame):\n${top(stages(profile), 20)}`);
  console.log(`\nself time by module:\n${top(modules, 25)}`);
  console.log(`\nheaviest functions (self):\n${top(functions, 25)}`);
}

/**
 * Each sample charged to the stage of the innermost frame that names one (walking from the
 * leaf to the root), so JSON.parse under fastify's body parser counts as fastify and a codec
 * copy under a GenServer call as the actor call.
 */
const STAGES: [string, RegExp][] = [
  ['lmdb: waiting to start a write txn (env.startWriting, native)', /^startWriting .*lmdb\/write\.js/],
  ['store: the publish transaction (kv-store, lmdb puts)', /^executeTxnCallbacks |broker\/store\/(kv-store|deliveries|counters|schema|lmdb-engine)/],
  ['actor call: GenServer.call/reply, scheduler, codec copies', /\/(runtime|actors)\/|broker\/store\/store-server|broker\/server\/actor-service|broker\/pull\//],
  ['broker/http: handlers, auth, audit, validation', /broker\/http\//],
  ['fastify: routing, hooks, body parsing, serialisation', /node_modules\/(fastify|@fastify|find-my-way|secure-json-parse|avvio|light-my-request|fast-json-stringify|ajv)/],
  ['node http: parsing requests, writing answers', /node:(_http|net|stream|internal\/streams|internal\/stream_base|internal\/http)|^(writev|writeUtf8String|writeBuffer) /],
  ['pino logging', /node_modules\/(pino|sonic-boom)/],
];

function stages(profile: Profiler.Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    const frame = `${functionName} ${url}`;
    const hit = STAGES.find(([, re]) => re.test(frame));
    const up = parent.get(id);
    const special = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)';
    const stage = hit ? hit[0] : special ? functionName : up === undefined ? 'other' : classify(up);
    stageOf.set(id, stage);
    return stage;
  };
  const out = new Map<string, number>();
  profile.samples!.forEach((id, i) => {
    const k = classify(id);
    out.set(k, (out.get(k) ?? 0) + (profile.timeDeltas![i] ?? 0));
  });
  return out;
}

function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `native ${fn}`;
  const pkg = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  if (pkg) return `npm ${pkg[1]}`;
  const src = url.match(/\/((?:broker|runtime|actors|bench)\/[^/]+)/);
  if (src) return src[1]!;
  return url.startsWith('node:') ? `node ${url.slice(5).split('/')[0]}` : url;
}


/** CPU ms of each thread of this process, by tid, with its name (Linux /proc; empty elsewhere). */
function threadTimes(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      out.set(tid, { name: stat.slice(stat.indexOf('(') + 1, close), ms: (Number(fields[11]) + Number(fields[12])) * tick });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** The CPU each thread spent between two readings, per message, busiest first (threads under 1 µs left out). */
function perThread(before: Map<string, { name: string; ms: number }>, after: Map<string, { name: string; ms: number }>, messages: number): string {
  return [...after]
    .map(([tid, t]) => ({ label: `${t.name}#${tid}`, us: ((t.ms - (before.get(tid)?.ms ?? 0)) * 1000) / messages }))
    .filter((t) => t.us >= 1)
    .sort((a, b) => b.us - a.us)
    .map((t) => `${t.label} ${t.us.toFixed(0)}`)
    .join(', ');
}

const BATCH = process.env.PROFILE_BATCH ? Number(process.env.PROFILE_BATCH) : undefined;
/** PROFILE_PROTOCOL=webhook: the subscribers are webhook endpoints in the load client. */
const PROTOCOL = process.env.PROFILE_PROTOCOL === 'webhook' ? 'webhook' : 'pull';
const PUBLISH = BATCH === undefined ? { concurrency: 64 } : { concurrency: 8, batchSize: BATCH };

async function profileLoad(messages: number, subscribers: number, out: string | undefined): Promise<void> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))));
  await withBroker(async (_broker, client) => {
  // A warm-up run (JIT, connections, lmdb map growth), then the profiled one.
  await client.run({ kind: 'fanout', protocol: PROTOCOL, topic: 'warm', subscribers, messages: Math.min(messages, 5_000), ...PUBLISH, capMs: 60_000 });
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  const cpu0 = process.cpuUsage();
  const threads0 = threadTimes();
  const r = await client.run<FanoutResult & { clientCpuMs?: number }>({ kind: 'fanout', protocol: PROTOCOL, topic: 'profiled', subscribers, messages, ...PUBLISH, capMs: 60_000 });
  const cpu = process.cpuUsage(cpu0);
  const threads = threadTimes();
  const { profile } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
  if (out) writeFileSync(out, JSON.stringify(profile));
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`${r.published} published in ${r.publishMs.toFixed(0)} ms (${Math.round((r.published * 1000) / r.publishMs)}/s); ${r.delivered} delivered in ${r.deliverMs.toFixed(0)} ms`);
  console.log(`broker process CPU (all its threads) ${cpuMs.toFixed(0)} ms = ${((cpuMs * 1000) / r.published).toFixed(0)} µs per published message`);
  console.log(`by thread (µs per published message): ${perThread(threads0, threads, r.published)}`);
  if (r.clientCpuMs !== undefined) console.log(`load client process CPU ${r.clientCpuMs.toFixed(0)} ms = ${((r.clientCpuMs * 1000) / r.published).toFixed(0)} µs per published message`);
  report(profile);
});
}

// Last, so every constant above is initialised before the top-level await runs.
if (process.argv[2]?.endsWith('.cpuprofile')) report(JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profiler.Profile);
else await profileLoad(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 0), process.argv[4]);
