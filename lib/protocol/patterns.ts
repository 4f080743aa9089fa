/**
 * Channel permission patterns from a token's `channels` claim (docs/protocol.md §2): `*`
 * matches any run of characters, the empty run included; every other character is literal.
 * Pure and free of Node, so the hub decides with it and the tester page shows the same answer.
 *
 * Patterns are matched by splitting on `*` rather than by building a regular expression: a
 * pattern such as `*a*a*a*a*b` would make a backtracking regex take exponential time, and the
 * split form runs in time linear in the channel name per literal part, whatever the pattern.
 */

/** Decides whether a channel name (inside the connection's tenant) is allowed. */
export type ChannelPredicate = (channel: string) => boolean;

/** Every channel is allowed (no `channels` claim: subscribe to the whole tenant). */
export const ALLOW_ALL: ChannelPredicate = () => true;

/** No channel is allowed (no `channels` claim: publish nowhere; or an empty list). */
export const DENY_ALL: ChannelPredicate = () => false;

/**
 * Compiles a list of patterns into one predicate that allows a channel when any pattern
 * matches. An empty list grants nothing. What a missing list means is the caller's decision
 * (see `ALLOW_ALL` and `DENY_ALL`).
 *
 * @example
 * const canPublish = compilePatterns(['kpi', 'fleet:*']);
 * canPublish('fleet:eu') // → true
 * canPublish('kpi:eu')   // → false
 */
export function compilePatterns(patterns: readonly string[]): ChannelPredicate {
  if (patterns.length === 0) return DENY_ALL;
  const exact = new Set<string>();
  const wildcards: string[][] = [];
  for (const pattern of patterns) {
    if (!pattern.includes('*')) {
      exact.add(pattern);
      continue;
    }
    const parts = pattern.split('*');
    // Only stars: matches every name.
    if (parts.every((part) => part === '')) return ALLOW_ALL;
    wildcards.push(parts);
  }
  if (wildcards.length === 0) return (channel) => exact.has(channel);
  return (channel) => {
    if (exact.has(channel)) return true;
    for (let i = 0; i < wildcards.length; i++) if (matchesParts(channel, wildcards[i])) return true;
    return false;
  };
}

/**
 * `parts` is a pattern split on `*` (so at least two parts): the first must be a prefix, the
 * last a suffix, and the ones between must appear in order, without overlapping, in what lies
 * between. Taking the leftmost occurrence of each middle part is always right, because a star
 * can absorb whatever an earlier choice would have left.
 */
function matchesParts(channel: string, parts: readonly string[]): boolean {
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (channel.length < first.length + last.length) return false;
  if (!channel.startsWith(first) || !channel.endsWith(last)) return false;
  let position = first.length;
  const end = channel.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i];
    if (part === '') continue;
    const found = channel.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}
