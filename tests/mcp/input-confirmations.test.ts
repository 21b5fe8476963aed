/**
 * Confirmations on 2026-07-28 requests (mcp/input-confirmations.ts): the state the client echoes is sealed, bound to
 * the caller and short-lived, and answers one statement once. The SDK runs `verify` on every echoed state before
 * the tool; these tests call it as the SDK does.
 */
import { describe, expect, it } from 'vitest';
import type { ServerContext } from '@modelcontextprotocol/server';
import { ConfirmationRequestedError, InputConfirmations } from '../../src/mcp/input-confirmations.js';

const KEY = 'a-test-key-of-at-least-thirty-two-bytes-0123456789';
const SQL = 'DELETE FROM orders';

/** The parts of the SDK's context the confirmations read: the caller, the verified state, the answers. */
function contextOf(user: string, round: { state?: unknown; answer?: unknown } = {}): ServerContext {
  return {
    mcpReq: { requestState: () => round.state, inputResponses: round.answer === undefined ? undefined : { confirm: round.answer } },
    http: { authInfo: { token: 't', clientId: 'client-1', scopes: [], extra: { identity: { user } } } },
  } as unknown as ServerContext;
}

/** The first round: the question is asked; resolves with the wire state and the request the client gets. */
async function firstRound(confirmations: InputConfirmations, user = 'ada', sql = SQL) {
  const round = confirmations.forCall(contextOf(user), 'shop', 'execute_sql');
  await expect(round.confirm(`Run this statement? ${sql}`, sql)).rejects.toBeInstanceOf(ConfirmationRequestedError);
  const result = (await round.pending())!;
  return { state: result.requestState!, request: result.inputRequests!.confirm as { method: string; params: { message: string } } };
}

describe('the first round', () => {
  it('asks the client to put the question to the user, with a sealed state', async () => {
    const { state, request } = await firstRound(new InputConfirmations(KEY));
    expect(request.method).toBe('elicitation/create');
    expect(request.params.message).toBe(`Run this statement? ${SQL}`);
    expect(state).toMatch(/^v1\./);
  });

  it('has nothing to answer with when no confirmation was asked for', async () => {
    expect(await new InputConfirmations(KEY).forCall(contextOf('ada'), 'shop', 'execute_sql').pending()).toBeNull();
  });
});

describe('the echoed state', () => {
  it('is refused when changed, when another caller sends it, and once it has expired', async () => {
    const confirmations = new InputConfirmations(KEY, 1);
    const { state } = await firstRound(confirmations);
    await expect(confirmations.verify(state, contextOf('ada'))).resolves.toMatchObject({ environment: 'shop', tool: 'execute_sql' });
    const [version, body, mac] = state.split('.');
    const changedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), exp: 9_999_999_999 })).toString('base64url');
    await expect(confirmations.verify([version, changedBody, mac].join('.'), contextOf('ada'))).rejects.toThrow();
    await expect(confirmations.verify(state, contextOf('mallory'))).rejects.toThrow();
    await expect(new InputConfirmations(`${KEY}-another-instance-key`).verify(state, contextOf('ada'))).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(confirmations.verify(state, contextOf('ada'))).rejects.toThrow();
  });
});

describe('the second round', () => {
  async function secondRound(confirmations: InputConfirmations, payload: unknown, answer: unknown, sql = SQL) {
    return confirmations.forCall(contextOf('ada', { state: payload, answer }), 'shop', 'execute_sql').confirm(`Run this statement? ${sql}`, sql);
  }

  it('runs on an accepted yes, once: the same state again is asked anew', async () => {
    const confirmations = new InputConfirmations(KEY);
    const { state } = await firstRound(confirmations);
    const payload = await confirmations.verify(state, contextOf('ada'));
    const yes = { action: 'accept', content: { confirm: true } };
    await expect(secondRound(confirmations, payload, yes)).resolves.toBe(true);
    await expect(secondRound(confirmations, payload, yes)).rejects.toBeInstanceOf(ConfirmationRequestedError);
  });

  it('does not run on a decline, a cancel or an unticked box', async () => {
    const confirmations = new InputConfirmations(KEY);
    for (const answer of [{ action: 'decline' }, { action: 'cancel' }, { action: 'accept', content: { confirm: false } }]) {
      const { state } = await firstRound(confirmations);
      await expect(secondRound(confirmations, await confirmations.verify(state, contextOf('ada')), answer)).resolves.toBe(false);
    }
  });

  it('asks anew when the state was given for another statement or the answer is missing', async () => {
    const confirmations = new InputConfirmations(KEY);
    const { state } = await firstRound(confirmations, 'ada', 'DELETE FROM customers');
    const payload = await confirmations.verify(state, contextOf('ada'));
    await expect(secondRound(confirmations, payload, { action: 'accept', content: { confirm: true } })).rejects.toBeInstanceOf(ConfirmationRequestedError);
    const other = await firstRound(confirmations);
    await expect(secondRound(confirmations, await confirmations.verify(other.state, contextOf('ada')), undefined)).rejects.toBeInstanceOf(ConfirmationRequestedError);
  });
});
