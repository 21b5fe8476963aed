/**
 * Confirming a destructive statement on a 2026-07-28 request, where the server cannot ask the client in the middle
 * of a call (that revision removed server-initiated elicitation): the call answers `input_required` with the
 * question for the client to put to the user and a `requestState`; the client calls again with the user's answer
 * and the state echoed (multi-round-trip requests).
 *
 * The state is the SDK's HMAC-sealed codec (createRequestStateCodec): it expires after STATE_TTL_SECONDS and is bound
 * to the caller (user and client), so the SDK refuses a state that was changed, is too old or was issued to someone
 * else (-32602). Inside, it names the environment, the tool and the statement's SHA-256, and a nonce: a state for
 * another statement is not an answer to this one (the user is asked again), and a state answers once (its nonce is
 * spent when the statement is confirmed; a replay is asked again).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequestStateCodec, inputRequired, inputResponse, type InputRequiredResult, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { ForbiddenError } from '../errors.js';
import type { ConfirmWithUser } from '../tools/tool.js';

/** How long the user has to answer. */
export const STATE_TTL_SECONDS = 300;

interface ConfirmationState {
  readonly environment: string;
  readonly tool: string;
  readonly statement: string;
  readonly nonce: string;
}

/** The signal a confirmation throws to end the call's first round: answered as input_required, audited as refused. */
export class ConfirmationRequestedError extends ForbiddenError {
  constructor() {
    super('This statement needs the user\'s confirmation; the client was asked to put the question to the user and to call again with the answer.');
  }
}

export class InputConfirmations {
  private readonly codec: RequestStateCodec<ConfirmationState>;
  /** Nonces of confirmations already used, until their state would have expired anyway. */
  private readonly spent = new Map<string, number>();

  constructor(key: string, private readonly ttlSeconds = STATE_TTL_SECONDS) {
    this.codec = createRequestStateCodec<ConfirmationState>({
      key,
      ttlSeconds,
      bind: (context) => {
        const auth = context.http?.authInfo;
        const user = (auth?.extra?.identity as { user?: string } | undefined)?.user ?? '';
        return `${user}\0${auth?.clientId ?? ''}`;
      },
    });
  }

  /** For McpServer's requestState option: the SDK verifies every echoed state with it before the tool runs. */
  readonly verify = (state: string, context: ServerContext): Promise<ConfirmationState> => this.codec.verify(state, context);

  /**
   * The confirmation for one call of `tool` on `environment`: `confirm` answers from the echoed state and the
   * user's answer, or throws ConfirmationRequestedError after noting the question; `pending()` is then the
   * input_required result to answer with.
   */
  forCall(context: ServerContext, environment: string, tool: string): { confirm: ConfirmWithUser; pending(): Promise<InputRequiredResult | null> } {
    let question: { text: string; statement: string } | null = null;
    const confirm: ConfirmWithUser = async (text, subject) => {
      const statement = createHash('sha256').update(subject ?? text, 'utf8').digest('base64url');
      const state = context.mcpReq.requestState<ConfirmationState>();
      const answer = inputResponse(context.mcpReq.inputResponses, 'confirm');
      const answersThis = typeof state === 'object' && state !== null && state.environment === environment && state.tool === tool && state.statement === statement;
      if (answersThis && answer.kind === 'elicit' && this.spend(state.nonce)) {
        return answer.action === 'accept' && answer.content?.confirm === true;
      }
      question = { text, statement };
      throw new ConfirmationRequestedError();
    };
    const pending = async (): Promise<InputRequiredResult | null> => {
      if (!question) return null;
      const state: ConfirmationState = { environment, tool, statement: question.statement, nonce: randomBytes(16).toString('base64url') };
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: question.text,
            requestedSchema: {
              type: 'object',
              properties: { confirm: { type: 'boolean', title: 'Run it', description: 'Yes, run this statement' } },
              required: ['confirm'],
            },
          }),
        },
        requestState: await this.codec.mint(state, context),
      });
    };
    return { confirm, pending };
  }

  /** Spends a nonce: false when it was spent before (a replayed answer). */
  private spend(nonce: string): boolean {
    const now = Date.now();
    for (const [old, expires] of this.spent) if (expires < now) this.spent.delete(old);
    if (this.spent.has(nonce)) return false;
    this.spent.set(nonce, now + this.ttlSeconds * 1_000);
    return true;
  }
}
