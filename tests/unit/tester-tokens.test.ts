/**
 * The tester page's reading of a token's channel patterns: the hub's own matcher, so the page
 * says what the hub will decide, and a hostile pattern cannot hang the tab.
 */
import { runInNewContext } from 'node:vm';
import { matchesPattern } from '@/app/websocket-test/tokens';
import { compilePatterns } from '@/lib/hub/permissions';

/**
 * Runs `match` with a watchdog: a backtracking matcher on the pathological pattern takes
 * minutes, and a synchronous hang cannot be interrupted any other way. The budget is far
 * beyond what a linear matcher needs; it only turns a hang into a failure.
 */
function guarded<T>(match: () => T): T {
  return runInNewContext('match()', { match }, { timeout: 5000 }) as T;
}

describe('matchesPattern', () => {
  it('answers the pathological pattern at once instead of backtracking', () => {
    const pattern = '*a*a*a*a*a*a*a*a*a*a*b';
    expect(guarded(() => matchesPattern([pattern], 'a'.repeat(120)))).toBe(false);
    expect(guarded(() => matchesPattern([pattern], `${'a'.repeat(120)}b`))).toBe(true);
  });

  it('decides as the hub does', () => {
    const cases: Array<[string[] | undefined, string]> = [
      [undefined, 'kpi'],
      [[], 'kpi'],
      [['kpi'], 'kpi'],
      [['kpi'], 'kpi:eu'],
      [['fleet:*'], 'fleet:eu'],
      [['fleet:*'], 'fleet'],
      [['*:eu'], 'fleet:eu'],
      [['a*b*c'], 'axxbyyc'],
      [['a*b*c'], 'acb'],
      [['*'], 'anything'],
      [['**'], 'x'],
      [['k.i'], 'kpi'],
      [['(kpi)'], '(kpi)'],
      [['ab*ba'], 'aba'],
      [['ab*ba'], 'abba'],
    ];
    for (const [patterns, channel] of cases) {
      expect([patterns, channel, matchesPattern(patterns, channel)]).toEqual([patterns, channel, compilePatterns(patterns ?? [])(channel)]);
    }
    expect(matchesPattern(['fleet:*'], 'fleet:eu')).toBe(true);
    expect(matchesPattern(['k.i'], 'kpi')).toBe(false);
    expect(matchesPattern(['ab*ba'], 'aba')).toBe(false);
    expect(matchesPattern(undefined, 'kpi')).toBe(false);
  });
});
