/** Filtering and ordering of the connection list. Pure functions. */
import type { ConnectionInfo } from './types';

/** Columns the list sorts by; `age` and `idle` are durations (connected for, since last activity). */
export type SortKey = 'id' | 'user' | 'tenant' | 'subscriptions' | 'age' | 'idle' | 'bufferedBytes' | 'remoteAddress';

export interface SortOrder {
  key: SortKey;
  descending: boolean;
}

/** Newest connection first. */
export const DEFAULT_ORDER: SortOrder = { key: 'age', descending: false };

/**
 * Connections whose id, user, tenant, address or one of whose channels contains every word of
 * `query` (case-insensitive).
 */
export function filterConnections(list: readonly ConnectionInfo[], query: string): ConnectionInfo[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...list];
  return list.filter((c) => {
    const haystack = [c.id, c.user ?? '', c.tenant ?? '', c.remoteAddress, ...c.subscriptions].join(' ').toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

function value(c: ConnectionInfo, key: SortKey): string | number {
  switch (key) {
    case 'subscriptions':
      return c.subscriptions.length;
    case 'age':
      return -c.connectedAt;
    case 'idle':
      return -c.lastActivityAt;
    case 'user':
    case 'tenant':
      return c[key] ?? '';
    default:
      return c[key];
  }
}

/** A sorted copy; ties keep the newest connection first. */
export function sortConnections(list: readonly ConnectionInfo[], order: SortOrder): ConnectionInfo[] {
  const sign = order.descending ? -1 : 1;
  return [...list].sort((a, b) => {
    const x = value(a, order.key);
    const y = value(b, order.key);
    const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return cmp !== 0 ? sign * cmp : b.connectedAt - a.connectedAt || a.id.localeCompare(b.id);
  });
}

/**
 * Clicking a column sorts by it; clicking it again flips the direction. Each column starts
 * with what an operator looks for first: the newest connection, the longest idle, the biggest
 * buffer, the most subscriptions, names A to Z.
 */
export function nextSortOrder(current: SortOrder, key: SortKey): SortOrder {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key === 'idle' || key === 'bufferedBytes' || key === 'subscriptions' };
}
