/**
 * The sign-in lockout: failed sign-ins counted per user name and per address in windows of `auth.lockout`
 * seconds. The counts live in the limits store (limits.store), so that with several instances behind a load
 * balancer a guesser gets max_failed_logins tries in all, not that many per instance. When the store does not
 * answer, limits.on_store_error.sign_in decides; closed (the default) refuses every sign-in, because an uncounted
 * password form is an open door to guessing.
 */
import type { AuthConfig } from '../config/schema.js';
import type { GuardedCounter, GuardedCounterFactory } from '../limits/guarded-counter.js';

/** An attempt may go on to the password check, or the name or address must wait out its window first. */
export type SignInVerdict = { readonly isLocked: false } | { readonly isLocked: true; readonly waitSeconds: number };

export class SignInThrottle {
  private readonly byUser: GuardedCounter;
  private readonly byAddress: GuardedCounter;
  private readonly userPoints: number;
  private readonly addressPoints: number;

  /** `counter` gives counters that fail as limits.on_store_error.sign_in says (limits/open-limits.ts). */
  constructor(counter: GuardedCounterFactory, auth: Pick<AuthConfig, 'maxFailedLogins' | 'lockout'>) {
    this.byUser = counter('sign-in-user', auth.lockout);
    this.byAddress = counter('sign-in-address', auth.lockout);
    this.userPoints = auth.maxFailedLogins;
    // An address may try a few user names (a shared office NAT), not a dictionary of them.
    this.addressPoints = auth.maxFailedLogins * 4;
  }

  /**
   * Counts an attempt before the slow password check, so that parallel guesses cannot all slip in before the
   * first failure is recorded; `succeeded` gives the point back. Throws LimitsUnavailableError when the store
   * does not answer and sign-in fails closed.
   */
  async attempt(userKey: string, addressKey: string): Promise<SignInVerdict> {
    const [user, address] = await Promise.all([this.byUser.add(userKey), this.byAddress.add(addressKey)]);
    const waits = [
      user && user.count > this.userPoints ? user.msBeforeReset : 0,
      address && address.count > this.addressPoints ? address.msBeforeReset : 0,
    ];
    const waitMs = Math.max(...waits);
    return waitMs > 0 ? { isLocked: true, waitSeconds: Math.ceil(waitMs / 1000) } : { isLocked: false };
  }

  /**
   * A right password clears the name's failures and gives the address its point back. Never throws: the password
   * was right, and a store that failed meanwhile has been reported by the guard.
   */
  async succeeded(userKey: string, addressKey: string): Promise<void> {
    await Promise.all([this.byUser.clear(userKey), this.byAddress.add(addressKey, -1)]).catch(() => undefined);
  }
}
