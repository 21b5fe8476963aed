/**
 * oidc-provider (a Koa app) reads a request's body from the Node request itself. Once sqlgate has read the body
 * first (the JSON depth check reads it through Hono's Request, which drains the Node stream), the provider is given
 * this copy instead: the same method, URL, headers and socket, and a body that replays the bytes sqlgate checked.
 */
import { IncomingMessage } from 'node:http';

export function nodeRequestWithBody(incoming: IncomingMessage, body: Uint8Array): IncomingMessage {
  const copy = new IncomingMessage(incoming.socket);
  copy.method = incoming.method;
  copy.url = incoming.url;
  copy.headers = incoming.headers;
  copy.rawHeaders = incoming.rawHeaders;
  copy.httpVersion = incoming.httpVersion;
  copy.httpVersionMajor = incoming.httpVersionMajor;
  copy.httpVersionMinor = incoming.httpVersionMinor;
  if (body.byteLength > 0) copy.push(body);
  copy.push(null);
  // Whole and ended: destroying the copy later must not be taken for an aborted request (which destroys the socket).
  copy.complete = true;
  return copy;
}
