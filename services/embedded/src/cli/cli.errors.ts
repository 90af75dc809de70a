/** Wrong arguments: the usage text follows, exit code 2. */
export class UsageError extends Error {}

/** A refusal or failure the operator must act on (exit code 1); the message says what to do. */
export class CommandError extends Error {}
