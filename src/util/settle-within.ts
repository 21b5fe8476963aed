/**
 * Waits for a promise for a bounded time and says how it ended: fulfilled (with its value), rejected (with its
 * reason) or still pending when the time ran out. Never rejects, so a caller that stops waiting leaves nothing
 * unhandled behind; the promise itself runs on (nothing here can stop it).
 */
export type Settlement<T> =
  | { readonly status: 'fulfilled'; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: unknown }
  | { readonly status: 'pending' };

export function settleWithin<T>(promise: Promise<T>, limitMs: number): Promise<Settlement<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'pending' }), Math.max(0, limitMs));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ status: 'fulfilled', value });
      },
      (reason: unknown) => {
        clearTimeout(timer);
        resolve({ status: 'rejected', reason });
      },
    );
  });
}
