/**
 * Readers for JSON request bodies that name the bad field in a 400 `invalid_request`.
 *
 * Bodies are checked here by hand rather than with fastify's JSON schemas because a batch must
 * answer each bad entry in place while accepting the others (a schema fails the whole request),
 * and because the messages must name nested fields exactly (`messages[3].attributes.region`)
 * with our codes (`invalid_topic_name`, `payload_too_large`). Query strings, which are flat,
 * use fastify's schemas (schemas.ts).
 *
 * Each reader takes the field's path for its message and throws `ApiError`; none coerces
 * ("5" is not a number).
 */
import { invalidRequest, invalidTopicName, preview } from './errors.js';
import { TOPIC_NAME } from './limits.js';

export type JsonObject = { readonly [key: string]: unknown };

/** `parent.key`, or `key` at the top level. */
export function fieldPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** The body (or an entry of it) as an object; `field` is '' for the whole body. */
export function expectObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(field === '' ? 'body' : field, `expected a JSON object, got: ${preview(value)}`);
  }
  return value as JsonObject;
}

/** A body that may be absent (POST with no body): absent reads as `{}`. */
export function optionalBody(value: unknown): JsonObject {
  return value === undefined ? {} : expectObject(value, '');
}

/** Refuses fields the route does not know: a typo (`maxAttempt`) is an error, not a silent default. */
export function rejectUnknownFields(object: JsonObject, allowed: ReadonlySet<string>, parent: string): void {
  for (const key in object) {
    if (!allowed.has(key)) {
      throw invalidRequest(fieldPath(parent, key), `unknown field (expected one of: ${[...allowed].join(', ')})`);
    }
  }
}

/** An own field's value: `in` would also see `__proto__`/`constructor` from Object.prototype. */
export function own(object: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/** An integer in [min, max], or undefined when absent (null counts as absent). */
export function optionalInteger(object: JsonObject, key: string, parent: string, bounds: { min: number; max: number }): number | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw invalidRequest(fieldPath(parent, key), `expected an integer from ${bounds.min} to ${bounds.max}, got: ${preview(value)}`);
  }
  return value;
}

/** A string of 1..maxChars characters, or undefined when absent (null counts as absent). */
export function optionalString(object: JsonObject, key: string, parent: string, maxChars: number): string | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars) {
    throw invalidRequest(fieldPath(parent, key), `expected a string of 1 to ${maxChars} characters, got: ${preview(value)}`);
  }
  return value;
}

export function requiredString(object: JsonObject, key: string, parent: string, maxChars: number): string {
  const value = optionalString(object, key, parent, maxChars);
  if (value === undefined) throw invalidRequest(fieldPath(parent, key), 'is required');
  return value;
}

/** A topic name (path parameter or body field): 400 `invalid_topic_name` when it is not one. */
export function topicName(value: unknown): string {
  if (typeof value !== 'string' || !TOPIC_NAME.test(value)) throw invalidTopicName(value);
  return value;
}
