/**
 * A statement read in batches from the unnamed portal, each batch one round trip. The first batch sends Parse, Bind,
 * Describe, Execute (at most `maxRows`) and Sync in one write (the connection coalesces them), after the statements
 * that open the session's transaction when they have not gone out yet (its prelude); every later one sends Execute
 * and Sync. In sqlgate's transaction the Sync ends no transaction and the portal lives on until the next
 * Bind or the transaction's end, so a statement that fits one batch costs one round trip: pg-cursor took three
 * (Parse/Bind/Describe and wait for the row description; Execute; Close and Sync), issue 12.
 *
 * These are pg "submittables": the client sends them when the connection is free and hands them the server's
 * messages until the ReadyForQuery that ends each exchange. PostgreSQL refuses more than one statement in a Parse,
 * so `SELECT 1; COMMIT; DROP TABLE x` fails in the server before anything runs.
 *
 * COPY: pg hands COPY messages to whatever query is active; without these handlers a `COPY … TO STDOUT` throws
 * inside the driver's socket handler and takes the whole process down. COPY data is neither read nor sent; the
 * statement is reported as unsupported instead (the caller reads `copy`).
 */
import pg from 'pg';
import type { Connection, FieldDef } from 'pg';

/** One batch: its rows, whether the portal has more (suspended), and the completion of the last batch. */
export interface PortalBatch {
  readonly rows: unknown[][];
  readonly fields: FieldDef[];
  readonly isSuspended: boolean;
  readonly command: string | null;
  readonly rowCount: number | null;
}

/** The protocol calls of pg's Connection that the exchanges use (its typings leave out a few). */
interface ProtocolConnection {
  parse(query: { text: string }, more: boolean): void;
  bind(config: { portal: string; values: unknown[]; valueMapper?: unknown }, more: boolean): void;
  describe(message: { type: 'P'; name: string }, more: boolean): void;
  execute(message: { portal: string; rows: number }, more: boolean): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/** What COPY attempted: the server asked for data (`in`) or sent some (`out`). */
export type CopyAttempt = 'in' | 'out' | null;

/** pg's Result, as the exchanges use it (its typings leave these out): field parsers, rows, the completion tag. */
interface RowParser {
  readonly fields: FieldDef[];
  readonly command: string | null;
  readonly rowCount: number | null;
  addFields(fields: FieldDef[]): void;
  parseRow(values: unknown[]): unknown;
  addCommandComplete(message: object): void;
}

const { Result, utils } = pg as unknown as {
  Result: new (rowMode: 'array') => RowParser;
  utils: { prepareValue(value: unknown): unknown };
};

/** One exchange: a submittable that resolves with its batch at the ReadyForQuery, or fails with the error. */
abstract class PortalExchange {
  copy: CopyAttempt = null;
  private readonly rows: unknown[][] = [];
  private isSuspended = false;
  private failure: Error | null = null;
  private settle!: { resolve: (batch: PortalBatch) => void; reject: (err: Error) => void };
  readonly done = new Promise<PortalBatch>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    protected readonly maxRows: number,
    /**
     * Parses rows with the statement's field types; shared by every batch of one statement. The name is pg's: the
     * client gives a submittable's `_result` its type parsers (sqlgate's, postgres-types.ts).
     */
    readonly _result: RowParser,
  ) {}

  abstract submit(connection: Connection): void;

  handleRowDescription(message: { fields: FieldDef[] }): void {
    this._result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    if (this.failure) return;
    try {
      this.rows.push(this._result.parseRow(message.fields) as unknown[]);
    } catch (err) {
      // A value's type parser threw: reported at the ReadyForQuery, as pg's own Query does.
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
  }

  handlePortalSuspended(): void {
    this.isSuspended = true;
  }

  /** Completions still to come from the prelude's statements (PortalStart): not the statement's own. */
  protected preludeCompletions = 0;

  handleCommandComplete(message: { text?: string; command?: string }): void {
    if (this.preludeCompletions > 0) {
      this.preludeCompletions--;
      return;
    }
    this._result.addCommandComplete(message);
  }

  handleEmptyQuery(): void {}

  handleCopyInResponse(connection: Connection): void {
    this.copy = 'in';
    // In copy-in mode the server ignored the Sync that came with the Execute: after the CopyFail it waits for one.
    const protocol = connection as unknown as ProtocolConnection;
    protocol.sendCopyFail('sqlgate sends no COPY data');
    protocol.sync();
  }

  handleCopyData(): void {
    this.copy = 'out';
  }

  /** The server's error, or the connection's end (pg fails every query then): the Sync already went out. */
  handleError(err: Error): void {
    this.settle.reject(err);
  }

  handleReadyForQuery(): void {
    if (this.failure) {
      this.settle.reject(this.failure);
      return;
    }
    const result = this._result;
    this.settle.resolve({ rows: this.rows, fields: result.fields, isSuspended: this.isSuspended, command: result.command, rowCount: result.rowCount });
  }
}

/**
 * The statement's first batch: the prelude, then Parse, Bind, Describe, Execute, Sync. The prelude is the session's
 * BEGIN and SET LOCAL (postgres-session.ts), each a Parse, Bind and Execute of its own: in the extended protocol an
 * explicit BEGIN before the Sync opens the transaction that the statement and its later batches run in, as if it
 * had been a round trip of its own. Statements that return no rows: a prelude completes and is not the result.
 */
export class PortalStart extends PortalExchange {
  constructor(
    private readonly text: string,
    private readonly values: readonly unknown[],
    maxRows: number,
    readonly prelude: readonly string[] = [],
  ) {
    super(maxRows, new Result('array'));
    this.preludeCompletions = prelude.length;
  }

  /** The same exchange, not sent yet: for another connection when this one turned out dead before it ran. */
  again(): PortalStart {
    return new PortalStart(this.text, this.values, this.maxRows, this.prelude);
  }

  submit(connection: Connection): void {
    const protocol = connection as unknown as ProtocolConnection;
    for (const text of this.prelude) {
      protocol.parse({ text }, true);
      protocol.bind({ portal: '', values: [] }, true);
      protocol.execute({ portal: '', rows: 0 }, true);
    }
    protocol.parse({ text: this.text }, true);
    protocol.bind({ portal: '', values: this.values.map((value) => utils.prepareValue(value)) }, true);
    protocol.describe({ type: 'P', name: '' }, true);
    protocol.execute({ portal: '', rows: this.maxRows }, true);
    protocol.sync();
  }
}

/** A later batch of the same portal: Execute, Sync. */
export class PortalContinue extends PortalExchange {
  submit(connection: Connection): void {
    const protocol = connection as unknown as ProtocolConnection;
    protocol.execute({ portal: '', rows: this.maxRows }, true);
    protocol.sync();
  }
}
