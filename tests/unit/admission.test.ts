/**
 * Admission of sockets that have not authenticated (lib/hub/admission.ts): their own budget in
 * all and per address, the oldest waiting socket giving way to a newcomer, and the address key.
 */
import { addressKey, WaitingSockets } from '@/lib/hub/admission';
import { headerForLog, LogThrottle, MAX_LOGGED_HEADER_CHARS } from '@/lib/hub/log-throttle';

const MAX_CONNECTIONS = 100;

function waiting(maxWaiting: number, maxWaitingPerAddress: number) {
  const sockets = new WaitingSockets<string>({ maxWaiting, maxWaitingPerAddress });
  let open = 0;
  /** Admits a newcomer like the hub does: evicts what must give way, then adds it. */
  const arrive = (name: string, address: string) => {
    const admission = sockets.admit(address, open, MAX_CONNECTIONS);
    if (admission.refused) return 'refused';
    for (const victim of admission.evict) {
      sockets.remove(victim);
      open--;
    }
    sockets.add(name, address);
    open++;
    return admission.evict;
  };
  return { sockets, arrive, authenticated: (name: string) => sockets.remove(name) };
}

describe('WaitingSockets', () => {
  it('admits within the budgets with nothing to evict', () => {
    const { sockets, arrive } = waiting(10, 3);
    expect(arrive('a1', 'A')).toEqual([]);
    expect(arrive('a2', 'A')).toEqual([]);
    expect(arrive('b1', 'B')).toEqual([]);
    expect(sockets.size).toBe(3);
    expect(sockets.countOf('A')).toBe(2);
  });

  it('at the per-address cap, evicts the oldest socket of that address only', () => {
    const { sockets, arrive } = waiting(10, 2);
    arrive('a1', 'A');
    arrive('b1', 'B');
    arrive('a2', 'A');
    expect(arrive('a3', 'A')).toEqual(['a1']);
    expect(arrive('a4', 'A')).toEqual(['a2']);
    expect(sockets.countOf('A')).toBe(2);
    expect(sockets.countOf('B')).toBe(1);
  });

  it('at the overall budget, evicts the oldest socket of the address holding the most', () => {
    const { arrive } = waiting(4, 4);
    arrive('b1', 'B'); // the oldest of all, but its address holds only one
    arrive('a1', 'A');
    arrive('a2', 'A');
    arrive('a3', 'A');
    expect(arrive('c1', 'C')).toEqual(['a1']);
    expect(arrive('c2', 'C')).toEqual(['a2']);
    expect(arrive('d1', 'D')).toEqual(['c1']);
    // Now A, B, C and D hold one each: a tie goes to the socket waiting longest.
    expect(arrive('e1', 'E')).toEqual(['b1']);
  });

  it('forgets sockets that authenticated or closed', () => {
    const { sockets, arrive, authenticated } = waiting(2, 2);
    arrive('a1', 'A');
    arrive('a2', 'A');
    authenticated('a1');
    authenticated('unknown');
    expect(arrive('a3', 'A')).toEqual([]);
    expect(sockets.size).toBe(2);
  });

  it('at the connection limit, evicts a waiting socket, and refuses only when every slot is authenticated', () => {
    const sockets = new WaitingSockets<string>({ maxWaiting: 10, maxWaitingPerAddress: 10 });
    expect(sockets.admit('A', 3, 3)).toEqual({ refused: true });
    sockets.add('a1', 'A');
    expect(sockets.admit('B', 3, 3)).toEqual({ refused: false, evict: ['a1'] });
    expect(sockets.admit('B', 2, 3)).toEqual({ refused: false, evict: [] });
  });

  it('counts one waiting socket once even when two budgets are full', () => {
    const sockets = new WaitingSockets<string>({ maxWaiting: 1, maxWaitingPerAddress: 1 });
    sockets.add('a1', 'A');
    expect(sockets.admit('A', 1, 1)).toEqual({ refused: false, evict: ['a1'] });
  });
});

describe('addressKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::ff', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['', ''],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('puts every address of one /64 under one key', () => {
    expect(addressKey('2001:db8:aa:bb:1::1')).toBe(addressKey('2001:db8:aa:bb:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:aa:bb::1')).not.toBe(addressKey('2001:db8:aa:bc::1'));
  });
});

describe('LogThrottle', () => {
  it('lets one line a second through and reports how many it held back', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.take(10_000)).toBe(0);
    expect(throttle.take(10_001)).toBeUndefined();
    expect(throttle.take(10_999)).toBeUndefined();
    expect(throttle.take(11_000)).toBe(2);
    expect(throttle.take(20_000)).toBe(0);
  });

  it('cuts long header values for log lines', () => {
    expect(headerForLog('https://a.example')).toBe('https://a.example');
    expect(headerForLog(undefined)).toBeUndefined();
    const long = `https://${'x'.repeat(10_000)}.example`;
    const logged = headerForLog(long)!;
    expect(logged.startsWith(long.slice(0, MAX_LOGGED_HEADER_CHARS))).toBe(true);
    expect(logged.length).toBeLessThan(MAX_LOGGED_HEADER_CHARS + 30);
    expect(logged).toContain(`${long.length} chars`);
  });
});
