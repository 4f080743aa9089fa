/**
 * Channel permission patterns (docs/protocol.md §2). The matcher is pure protocol logic, shared
 * with the browser (the tester page), so it lives in `lib/protocol/patterns.ts`.
 */
export { ALLOW_ALL, compilePatterns, DENY_ALL, type ChannelPredicate } from '../protocol/patterns';
