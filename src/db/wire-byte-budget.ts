/**
 * One statement's allowance of result bytes (the environment's max_result_bytes), shared by the dialects.
 *
 * A dialect counts what the database sends for the statement as it arrives — on the wire, from the protocol's own
 * length fields, before the driver assembles and decodes it — so that an oversized result is stopped while only
 * about `limitBytes` of it is in memory, whatever one value or the whole result would have grown to. What counts
 * as "the statement's bytes" is the dialect's to say (its protocol frames); this only adds up and decides.
 */
import { ResultTooLargeError } from '../errors.js';

export class WireByteBudget {
  private used = 0;
  private exceeded = false;

  constructor(readonly limitBytes: number) {
    if (!(limitBytes > 0)) throw new RangeError(`limitBytes must be positive, got ${limitBytes}`);
  }

  /** Bytes counted so far (including the ones that passed the limit). */
  get usedBytes(): number {
    return this.used;
  }

  get isExceeded(): boolean {
    return this.exceeded;
  }

  /**
   * Counts `bytes` more. False when the total now passes the limit, and from then on: the caller stops the
   * statement before handing those bytes on.
   */
  take(bytes: number): boolean {
    if (this.exceeded) return false;
    this.used += bytes;
    if (this.used > this.limitBytes) this.exceeded = true;
    return !this.exceeded;
  }

  /** The error the statement fails with once the budget is exceeded. */
  error(): ResultTooLargeError {
    return new ResultTooLargeError(this.limitBytes, { detail: `stopped after ${this.used} bytes of result on the wire` });
  }
}
