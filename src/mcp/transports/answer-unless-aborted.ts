/**
 * Cancellation of a stateless call answered as JSON (stateless-json.ts, direct-tool-call.ts): the request aborted
 * (the client went away, `request.signal`) or cancelled (notifications/cancelled, `cancelledBy`) stops its work, and
 * no JSON-RPC response follows a cancelled request (MCP "Cancellation"), so the HTTP exchange ends with 204 and no
 * body. The signals are listened to one by one rather than through AbortSignal.any, which costs a signal and its
 * bookkeeping per call.
 */
export async function answerUnlessAborted(
  signals: readonly AbortSignal[],
  answer: () => Promise<Response>,
  /** Stops the work (closes the server, aborts the tool's signal), with the reason of the signal that aborted. */
  stop: (reason: unknown) => void,
): Promise<Response> {
  let onAbort = () => undefined as void;
  const aborted = new Promise<Response>((resolve) => {
    onAbort = () => {
      stop(signals.find((signal) => signal.aborted)?.reason);
      resolve(new Response(null, { status: 204 }));
    };
    if (signals.some((signal) => signal.aborted)) onAbort();
    else for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([answer(), aborted]);
  } finally {
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
  }
}
