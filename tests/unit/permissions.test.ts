import { ALLOW_ALL, compilePatterns, DENY_ALL } from '@/lib/hub/permissions';

describe('ALLOW_ALL and DENY_ALL', () => {
  it('allow or refuse every channel', () => {
    for (const channel of ['kpi', 'fleet:eu', 'a']) {
      expect(ALLOW_ALL(channel)).toBe(true);
      expect(DENY_ALL(channel)).toBe(false);
    }
  });
});

describe('compilePatterns', () => {
  it('grants nothing for an empty list', () => {
    const allowed = compilePatterns([]);
    expect(allowed('kpi')).toBe(false);
    expect(allowed('')).toBe(false);
  });

  it('matches patterns without * exactly', () => {
    const allowed = compilePatterns(['kpi', 'fleet:eu']);
    expect(allowed('kpi')).toBe(true);
    expect(allowed('fleet:eu')).toBe(true);
    expect(allowed('kpi2')).toBe(false);
    expect(allowed('xkpi')).toBe(false);
    expect(allowed('KPI')).toBe(false);
    expect(allowed('fleet')).toBe(false);
  });

  it('lets * match any run of characters, the empty run included', () => {
    const allowed = compilePatterns(['fleet:*']);
    expect(allowed('fleet:eu')).toBe(true);
    expect(allowed('fleet:eu:west')).toBe(true);
    expect(allowed('fleet:')).toBe(true);
    expect(allowed('fleet')).toBe(false);
    expect(allowed('xfleet:eu')).toBe(false);
  });

  it('handles * at the start, in the middle and several times', () => {
    expect(compilePatterns(['*:eu'])('fleet:eu')).toBe(true);
    expect(compilePatterns(['*:eu'])('fleet:eu2')).toBe(false);
    expect(compilePatterns(['a*z'])('az')).toBe(true);
    expect(compilePatterns(['a*z'])('abcz')).toBe(true);
    expect(compilePatterns(['a*z'])('abcza')).toBe(false);
    expect(compilePatterns(['a*b*c'])('a-b-c')).toBe(true);
    expect(compilePatterns(['a*b*c'])('abc')).toBe(true);
    expect(compilePatterns(['a*b*c'])('acb')).toBe(false);
    expect(compilePatterns(['a*b*c'])('ab-b-c')).toBe(true);
    expect(compilePatterns(['*b*'])('b')).toBe(true);
    expect(compilePatterns(['*b*'])('abc')).toBe(true);
    expect(compilePatterns(['*b*'])('ac')).toBe(false);
    expect(compilePatterns(['a**b'])('ab')).toBe(true);
  });

  it('does not let a prefix and a suffix share characters', () => {
    expect(compilePatterns(['ab*ba'])('aba')).toBe(false);
    expect(compilePatterns(['ab*ba'])('abba')).toBe(true);
    expect(compilePatterns(['a*a'])('a')).toBe(false);
    expect(compilePatterns(['a*b*b'])('ab')).toBe(false);
    expect(compilePatterns(['a*bc*c'])('abc')).toBe(false);
    expect(compilePatterns(['a*bc*c'])('abcc')).toBe(true);
  });

  it('allows everything for a pattern made only of stars', () => {
    expect(compilePatterns(['*'])('anything:at.all')).toBe(true);
    expect(compilePatterns(['kpi', '**'])('other')).toBe(true);
  });

  it('treats regular-expression characters literally', () => {
    const dotted = compilePatterns(['fleet.eu']);
    expect(dotted('fleet.eu')).toBe(true);
    expect(dotted('fleetXeu')).toBe(false);
    expect(compilePatterns(['a.*'])('a.b')).toBe(true);
    expect(compilePatterns(['a.*'])('ab')).toBe(false);
    expect(compilePatterns(['(a|b)'])('a')).toBe(false);
    expect(compilePatterns(['(a|b)'])('(a|b)')).toBe(true);
    expect(compilePatterns(['a+'])('aa')).toBe(false);
    expect(compilePatterns(['^kpi$'])('kpi')).toBe(false);
    expect(compilePatterns(['[ab]*'])('a')).toBe(false);
    expect(compilePatterns(['[ab]*'])('[ab]x')).toBe(true);
    expect(compilePatterns(['a?'])('ab')).toBe(false);
  });

  it('allows a channel when any pattern matches', () => {
    const allowed = compilePatterns(['kpi', 'fleet:*', '*:debug']);
    expect(allowed('kpi')).toBe(true);
    expect(allowed('fleet:us')).toBe(true);
    expect(allowed('orders:debug')).toBe(true);
    expect(allowed('orders')).toBe(false);
  });

  it('stays fast on patterns that make backtracking regexes explode', () => {
    const allowed = compilePatterns(['*a*a*a*a*a*a*a*a*a*a*a*a*b']);
    const started = Date.now();
    expect(allowed('a'.repeat(128))).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
    expect(allowed('a'.repeat(12) + 'b')).toBe(true);
  });
});
