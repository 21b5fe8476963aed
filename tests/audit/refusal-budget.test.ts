import { describe, expect, it } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/audit-record.js';
import { refusalBudget } from '../../src/audit/refusal-budget.js';

function recorder() {
  const recorded: SecurityEventInput[] = [];
  return { recorded, record: async (input: SecurityEventInput) => void recorded.push(input) };
}

const refused = (action: string, client_id?: string): SecurityEventInput => ({ kind: 'auth', action, verdict: 'refused', client_id, reason: 'bad' });

describe('refusalBudget', () => {
  it('records refusals naming no user up to the budget per action and minute, then one summary of the rest', async () => {
    let clock = 1_000_000;
    const { recorded, record } = recorder();
    const budget = refusalBudget(record, { perMinute: 3, now: () => clock });
    for (let i = 0; i < 10; i++) await budget.record(refused('token_refused', `client-${i}`));
    await budget.record(refused('registration_refused'));
    expect(recorded.map((r) => r.action)).toEqual(['token_refused', 'token_refused', 'token_refused', 'registration_refused']);
    clock += 60_000;
    await budget.record(refused('token_refused', 'client-late'));
    expect(recorded.at(-2)).toMatchObject({
      action: 'refusals_suppressed', verdict: 'refused',
      details: { action: 'token_refused', count: 7, since: new Date(1_000_000).toISOString(), clients: ['client-3', 'client-4', 'client-5', 'client-6', 'client-7', 'client-8', 'client-9'] },
    });
    expect(recorded.at(-1)).toMatchObject({ action: 'token_refused', client_id: 'client-late' });
    await budget.stop();
  });

  it('always records allowed events and refusals of a known user, and flushes the count at stop', async () => {
    const { recorded, record } = recorder();
    const budget = refusalBudget(record, { perMinute: 1, now: () => 5 });
    for (let i = 0; i < 5; i++) {
      await budget.record({ kind: 'auth', action: 'sign_in_failed', verdict: 'refused', user: 'alice' });
      await budget.record({ kind: 'auth', action: 'token_issued', verdict: 'allowed' });
      await budget.record(refused('authorization_refused'));
    }
    expect(recorded.filter((r) => r.action === 'sign_in_failed')).toHaveLength(5);
    expect(recorded.filter((r) => r.action === 'token_issued')).toHaveLength(5);
    expect(recorded.filter((r) => r.action === 'authorization_refused')).toHaveLength(1);
    await budget.stop();
    expect(recorded.at(-1)).toMatchObject({ action: 'refusals_suppressed', details: { action: 'authorization_refused', count: 4 } });
  });
});
