/**
 * Which sockets hold a slot while they have not authenticated (docs/operations.md, "Sockets
 * that have not authenticated"). A socket that has not sent `auth` yet costs a slot and proves
 * nothing, so such sockets have a budget of their own, in all and per client address. When a
 * budget (or the connection limit) is full, a waiting socket gives way to the newcomer instead
 * of the newcomer being refused: refusing would let a handful of idle sockets lock every real
 * client out until their auth timeout, while giving way means a client that sends `auth` right
 * after opening gets in unless idle sockets arrive faster than its one round trip.
 *
 * The one that gives way is the oldest waiting socket of the newcomer's address when that
 * address is at its cap; otherwise the oldest of the address holding the most waiting sockets,
 * so a single flooding address only ever pushes out its own sockets.
 */
import { isIPv6 } from 'node:net';

export interface AdmissionLimits {
  /** Waiting (unauthenticated) sockets in all. */
  maxWaiting: number;
  /** Waiting sockets per address key (`addressKey`). */
  maxWaitingPerAddress: number;
}

export type Admission<T> = { refused: false; evict: T[] } | { refused: true };

/** The sockets still waiting to authenticate, oldest first, by address. */
export class WaitingSockets<T> {
  /** Every waiting socket, oldest first, with its address and arrival number. */
  private readonly order = new Map<T, { address: string; seq: number }>();
  private readonly byAddress = new Map<string, Set<T>>();
  private arrivals = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  get size(): number {
    return this.order.size;
  }

  /** How many sockets of `address` are waiting. */
  countOf(address: string): number {
    return this.byAddress.get(address)?.size ?? 0;
  }

  /**
   * Decides on a newcomer from `address` while `open` sockets (authenticated or not) hold
   * `maxConnections` slots at most: the waiting sockets that must give way for it, or a refusal
   * when every slot is held by sockets that did authenticate. Changes nothing itself.
   */
  admit(address: string, open: number, maxConnections: number): Admission<T> {
    const evict: T[] = [];
    const mine = this.byAddress.get(address);
    if (mine && mine.size >= this.limits.maxWaitingPerAddress) evict.push(first(mine));
    else if (this.order.size >= this.limits.maxWaiting) evict.push(this.heaviestOldest());
    if (open - evict.length >= maxConnections) {
      if (evict.length === 0 && this.order.size > 0) evict.push(this.heaviestOldest());
      else return { refused: true };
    }
    return { refused: false, evict };
  }

  add(item: T, address: string): void {
    this.order.set(item, { address, seq: this.arrivals++ });
    let set = this.byAddress.get(address);
    if (!set) this.byAddress.set(address, (set = new Set()));
    set.add(item);
  }

  /** The socket authenticated (sent `auth`), was evicted or closed. Unknown items are ignored. */
  remove(item: T): void {
    const address = this.order.get(item)?.address;
    if (address === undefined) return;
    this.order.delete(item);
    const set = this.byAddress.get(address)!;
    set.delete(item);
    if (set.size === 0) this.byAddress.delete(address);
  }

  /** The oldest waiting socket of the address with the most waiting sockets (ties: the older one). */
  private heaviestOldest(): T {
    let chosen: T | undefined;
    let size = 0;
    for (const set of this.byAddress.values()) {
      const oldest = first(set);
      if (set.size > size || (set.size === size && this.order.get(oldest)!.seq < this.order.get(chosen!)!.seq)) {
        chosen = oldest;
        size = set.size;
      }
    }
    return chosen!;
  }
}

function first<T>(items: Iterable<T>): T {
  for (const item of items) return item;
  throw new Error('first of an empty collection');
}

/**
 * The key a client address is counted under: IPv4 addresses as they are (IPv4-mapped IPv6
 * included), IPv6 addresses by their /64 prefix, since one subscriber usually holds a whole
 * /64 and could otherwise take a fresh address per socket.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail] = address.split('%')[0].toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
