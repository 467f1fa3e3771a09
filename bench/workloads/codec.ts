/**
 * C1 (SPEC.md §4): the cost of copy on send for a small message, `{type:'ping', n, from: pid}`,
 * as operations per second. Two rows: `copy` (the same-thread deep clone) and `msgpackr`
 * (encode then decode, what a cross-thread send pays besides the ring). Each row carries the
 * structuredClone and JSON (stringify + parse) round trips of the same message, measured in the
 * same run.
 */
import { copy, decode, encode } from '../../runtime/codec.js';
import { Pid } from '../../runtime/pid.js';
import { measure, perSecond, type Baseline, type ResultRow, type Workload } from '../harness.js';

/** Messages per timed run. */
const OPS = 200_000;

interface Ping {
  type: string;
  n: number;
  from: unknown;
}

/** Operations per second of `roundTrip` over OPS fresh ping messages. */
async function rate(name: string, roundTrip: (m: Ping) => Ping): Promise<ReturnType<typeof perSecond>> {
  const from = new Pid(0, 1, 17);
  let checksum = 0;
  const t = await measure(
    name,
    () => {
      for (let n = 0; n < OPS; n++) checksum += roundTrip({ type: 'ping', n, from }).n;
    },
    { warmup: 3 },
  );
  if (checksum === 0) throw new Error(`C1 ${name}: nothing was copied`);
  return perSecond(OPS, t);
}

const C1: Workload = {
  id: 'C1',
  title: "codec copy of {type:'ping', n, from: pid}",
  async run(): Promise<ResultRow[]> {
    const copied = await rate('C1 copy', (m) => copy(m));
    const msgpackr = await rate('C1 msgpackr', (m) => decode(encode(m)) as Ping);
    const cloned = await rate('C1 structuredClone', (m) => structuredClone(m));
    const json = await rate('C1 JSON', (m) => JSON.parse(JSON.stringify(m)) as Ping);
    const baselines: Baseline[] = [
      { name: 'structuredClone', value: cloned.value },
      { name: 'JSON', value: json.value },
    ];
    return [
      { id: 'C1', variant: 'copy', unit: 'ops/s', threads: 1, ...copied, baselines, note: 'same-thread deep copy' },
      { id: 'C1', variant: 'msgpackr', unit: 'ops/s', threads: 1, ...msgpackr, baselines, note: 'encode + decode' },
    ];
  },
};

export const codecWorkloads: Workload[] = [C1];
