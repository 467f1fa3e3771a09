/**
 * The published message: a JSON payload of exactly PAYLOAD_BYTES bytes as the broker stores it
 * (the UTF-8 of `JSON.stringify(payload)`), carrying its send time so a consumer in the same
 * process can measure publish-to-delivery latency (B2).
 */
export const PAYLOAD_BYTES = 256;

// {"t":"<T_DIGITS digits>","p":"<pad>"} — fixed-width fields keep every payload the same size.
const T_DIGITS = 15;
const FRAME = `{"t":"${'0'.repeat(T_DIGITS)}","p":""}`.length;
const PAD = 'x'.repeat(PAYLOAD_BYTES - FRAME);

/** The publish body for a message sent at `sentUs` (µs on this process's performance clock). */
export function publishBody(sentUs: number): string {
  const t = String(Math.round(sentUs)).padStart(T_DIGITS, '0');
  return `{"payload":{"t":"${t}","p":"${PAD}"}}`;
}

/** A batch body ({messages:[…]}) of `count` messages sent at `sentUs`. */
export function batchBody(sentUs: number, count: number): string {
  const one = publishBody(sentUs);
  return `{"messages":[${Array.from({ length: count }, () => one.slice(1, -1)).map((m) => `{${m}}`).join(',')}]}`;
}

/** The send time carried by a delivered payload (the parsed `payload` object). */
export function sentAtUs(payload: unknown): number {
  return Number((payload as { t: string }).t);
}

export const nowUs = (): number => performance.now() * 1000;
