/**
 * The pino logger. Always writes to stderr: stdout belongs to the MCP stdio transport.
 * Redacts anything that looks like a credential, whatever object it is nested in.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'databaseUrl', '*.databaseUrl',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'headers.cookie', 'req.headers.cookie',
  'token', '*.token', 'access_token', 'refresh_token', 'client_secret', '*.client_secret',
];

export function createLogger(level: string, destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: { service: 'sqlgate' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
