/**
 * An nginx access log that says which upstream server answered each request, for tests of several sqlgate
 * instances behind one nginx: a `log_format` line to put in the `http` block, and a reader for what it writes.
 * A request that nginx passed on after a failed try names every server it tried: `$upstream_addr` is
 * "A, B" and `$upstream_status` "502, 200".
 */
import fs from 'node:fs';

/** `log_format` and `access_log` lines for nginx's `http` block, logging to `file`. */
export function upstreamLogDirectives(file: string): string {
  return [
    `    log_format sqlgate_upstreams '$msec|$request_method|$uri|$status|$upstream_addr|$upstream_status|$http_x_probe';`,
    `    access_log ${file} sqlgate_upstreams;`,
  ].join('\n');
}

export interface UpstreamLogLine {
  /** When nginx finished the request, in ms since the epoch. */
  readonly endedAtMs: number;
  readonly method: string;
  readonly uri: string;
  /** The status nginx sent the client. */
  readonly status: number;
  /** Every upstream server tried, in order (host:port). */
  readonly upstreams: readonly string[];
  /** Each try's status, in the same order. */
  readonly upstreamStatuses: readonly string[];
  /** The request's `x-probe` header, which a test sets to find its own requests; '' without one. */
  readonly probe: string;
}

export function readUpstreamLog(file: string): UpstreamLogLine[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [msec, method, uri, status, addresses, statuses, probe] = line.split('|');
    return {
      endedAtMs: Number(msec) * 1_000,
      method: method!,
      uri: uri!,
      status: Number(status),
      // Tries within one upstream group are separated by ", ", internal redirects to another group by " : ".
      upstreams: addresses!.split(/, | : /),
      upstreamStatuses: statuses!.split(/, | : /),
      probe: probe === '-' ? '' : probe!,
    };
  });
}
