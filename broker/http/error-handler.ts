/**
 * Every way a request can fail ends here, as `{"error":{"code","message"}}`:
 *
 *   route / hook throws ApiError ───────────────┐
 *   fastify: body parse, body limit, media type ├─► toApiError ──► status + headers + body
 *   JSON-schema failure (schemaErrorFormatter) ─┤
 *   bad URL, over-long path param (framework) ──┘
 *   no route ──► 404 not_found;   known path, other method ──► 405 (method-not-allowed.ts)
 *
 * Bad input never becomes a 5xx: fastify's own 4xx errors keep their status under our code,
 * and only errors that are neither ours nor fastify's 4xx (a bug) are a 500, logged.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { Logger } from 'pino';
import { errorCodeOf } from './audit.js';
import { ApiError, invalidRequest, type ErrorCode } from './errors.js';

/** Fastify's error codes for bad input, and what each means in our API. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: ErrorCode; message?: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'expected Content-Type: application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is empty; expected JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: 'the URL is not valid (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, code: 'invalid_request', message: 'a path parameter is too long' },
};

/** Turns anything thrown while serving a request into the answer to send. */
export function toApiError(error: unknown, bodyLimitHint?: number): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as Partial<FastifyError> | null;
  const code = typeof fastifyError?.code === 'string' ? fastifyError.code : undefined;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ApiError(413, 'payload_too_large', `the request body is over ${bodyLimitHint ?? 'the limit of'} bytes`);
  }
  const known = code === undefined ? undefined : FASTIFY_CODES[code];
  if (known !== undefined) return new ApiError(known.status, known.code, known.message ?? fastifyError?.message ?? known.code);
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const errorCode: ErrorCode = status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_request';
    return new ApiError(status, errorCode, fastifyError?.message ?? 'bad request');
  }
  return new ApiError(500, 'internal_error', 'internal error', undefined, { cause: error });
}

/** Formats a JSON-schema failure (query strings, schemas.ts) as invalid_request naming the field. */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  const params = first?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
  const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const field = params?.missingProperty ?? params?.additionalProperty ?? path;
  return invalidRequest(field === '' ? dataVar : field, first?.message ?? 'is not valid');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  errorCodeOf.set(request, error.code);
  reply.code(error.statusCode);
  if (error.headers !== undefined) reply.headers(error.headers);
  return reply.send(error.toBody());
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error, request.routeOptions.bodyLimit);
    if (apiError.statusCode >= 500 && apiError.code === 'internal_error') {
      logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    } else if (apiError.code === 'unavailable') {
      logger.warn({ err: apiError.cause, method: request.method, url: request.url }, 'broker unavailable');
    }
    return sendError(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
