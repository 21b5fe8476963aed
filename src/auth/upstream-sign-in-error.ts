/**
 * A single sign-on that did not succeed, with a message for the user. A file of its own so that the sign-in pages
 * (interactions.ts) can tell it apart without importing upstream-sign-in.ts, which loads openid-client (issue 12).
 */
export class UpstreamSignInError extends Error {}
