/**
 * Refuses a request body nested too deeply before anything parses it. JSON.parse copes with any depth, but much of
 * what runs on its result recurses once per level (oidc-provider's client metadata checks, zod schemas,
 * JSON.stringify in logs), so 10 KB of `[` (5,000 levels, far below every size limit) overflowed the stack: a 500
 * from /register, "Maximum call stack size exceeded" echoed by the MCP SDK (issue 9). The check is one pass over
 * the bytes of the body (read from the Node request when its length is declared, else from a clone), at most
 * maxBytes of them, and stops at the first level too many.
 */
import type { IncomingMessage } from 'node:http';
import { JsonDepthScanner } from '../util/json-depth-scanner.js';
import type { Context, MiddlewareHandler } from 'hono';

/** Far deeper than any JSON-RPC message or client registration needs, far shallower than what overflows. */
export const MAX_JSON_DEPTH = 64;

/** Why a body may not be parsed; `description` is safe to send to the client. */
export interface JsonBodyProblem {
  readonly status: 400 | 413;
  readonly description: string;
}

export interface JsonDepthLimitOptions {
  /** Answers a refused request in the shape of the endpoint's own errors. */
  refuse: (c: Context, problem: JsonBodyProblem) => Response;
  /** The most bytes the check reads: a longer body is refused with 413 (the endpoint would refuse it too). */
  maxBytes: number;
  /** Scan only bodies declared as JSON, for endpoints that read other types (forms) without JSON.parse. Default: every body. */
  isJsonTypeOnly?: boolean;
  maxDepth?: number;
}

/**
 * Middleware for an endpoint that parses its body as JSON: passes a body nested at most `maxDepth` levels and
 * leaves it whole for the handler (checkedBodyText, or the body read again), refuses any other with `refuse`.
 */
export function jsonDepthLimit(options: JsonDepthLimitOptions): MiddlewareHandler {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  return async (c, next) => {
    const request = c.req.raw;
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const direct = incoming && isReadableDirectly(incoming) ? incoming : undefined;
    const hasBody = direct ? Number(direct.headers['content-length']) > 0 : request.body !== null;
    if (hasBody && (!options.isJsonTypeOnly || isJsonMediaType(request.headers.get('content-type')))) {
      const problem = direct ? await incomingBodyProblem(direct, request, maxDepth, options.maxBytes) : await bodyProblem(request, maxDepth, options.maxBytes);
      if (problem) {
        // The rest of the body is left unread: close the connection rather than read it to its end.
        c.header('Connection', 'close');
        return options.refuse(c, problem);
      }
    }
    await next();
  };
}

/**
 * The text of a body the check read whole and found within bounds, for the handler after it: parsing that instead
 * of reading a second clone of the body saves a stream tee and a read per request. Undefined when the check did not
 * read the body.
 */
export function checkedBodyText(request: Request): string | undefined {
  return checkedBodies.get(request);
}

const checkedBodies = new WeakMap<Request, string>();
const utf8 = new TextDecoder();

async function bodyProblem(request: Request, maxDepth: number, maxBytes: number): Promise<JsonBodyProblem | undefined> {
  const tooLarge: JsonBodyProblem = { status: 413, description: `the request body is larger than ${maxBytes} bytes` };
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) return tooLarge;
  const reader = request.clone().body!.getReader();
  const scanner = new JsonDepthScanner(maxDepth);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        checkedBodies.set(request, utf8.decode(Buffer.concat(chunks, bytes))); // as Request#json() decodes: a BOM dropped
        return undefined;
      }
      chunks.push(value);
      bytes += value.byteLength;
      if (bytes > maxBytes) return tooLarge;
      if (scanner.isTooDeepAfter(value)) return { status: 400, description: `the JSON body is nested too deeply (more than ${maxDepth} levels)` };
    }
  } catch {
    return { status: 400, description: 'the request body could not be read' };
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/**
 * A body of declared length that nothing has started to read: read straight from the Node request, without the
 * web-stream Request, its clone and its tee that bodyProblem reads through (a large part of a small call's cost,
 * issue 12). The bytes are left on the Node request as `rawBody`, where @hono/node-server's Request reads its body
 * from, so whoever reads the body after the check still gets it whole.
 */
function isReadableDirectly(incoming: IncomingMessage): boolean {
  const { headers } = incoming;
  return !incoming.readableDidRead && !('rawBody' in incoming) && headers['content-length'] !== undefined && headers['transfer-encoding'] === undefined;
}

function incomingBodyProblem(incoming: IncomingMessage, request: Request, maxDepth: number, maxBytes: number): Promise<JsonBodyProblem | undefined> {
  const tooLarge: JsonBodyProblem = { status: 413, description: `the request body is larger than ${maxBytes} bytes` };
  if (Number(incoming.headers['content-length']) > maxBytes) return Promise.resolve(tooLarge);
  const scanner = new JsonDepthScanner(maxDepth);
  const chunks: Buffer[] = [];
  let bytes = 0;
  return new Promise((resolve) => {
    const finish = (problem: JsonBodyProblem | undefined) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onFailure).off('aborted', onFailure).off('close', onClose);
      if (problem) incoming.pause(); // the rest stays unread: the refusal closes the connection
      resolve(problem);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.byteLength;
      if (bytes > maxBytes) finish(tooLarge);
      else if (scanner.isTooDeepAfter(chunk)) finish({ status: 400, description: `the JSON body is nested too deeply (more than ${maxDepth} levels)` });
    };
    const onEnd = () => {
      const body = Buffer.concat(chunks, bytes);
      (incoming as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      checkedBodies.set(request, utf8.decode(body)); // as Request#json() decodes: a BOM dropped
      finish(undefined);
    };
    const onFailure = () => finish({ status: 400, description: 'the request body could not be read' });
    const onClose = () => {
      if (!incoming.complete) onFailure();
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onFailure).on('aborted', onFailure).on('close', onClose);
  });
}

/** application/json or any +json type, as a Content-Type header declares it (parameters ignored). */
function isJsonMediaType(header: string | null): boolean {
  const essence = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence);
}
