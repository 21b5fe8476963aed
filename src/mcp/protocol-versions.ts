/**
 * The protocol versions sqlgate serves, for /health. The SDK exports the 2025-era list but not its modern
 * (per-request envelope) revision; tests/e2e/mcp-transports.test.ts pins a client to this revision, so the
 * constant cannot drift from what the SDK really serves.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';

export const SERVED_PROTOCOL_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS];
