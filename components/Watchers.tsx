'use client';
/**
 * Who else is looking at the board: "3 watching" and up to five initials, each with the
 * person's name (or id) and how many tabs they have open in a tooltip.
 */
import type { PresenceUser } from '@/lib/protocol/messages';
import { usePresence } from '@/hooks/usePresence';

const SHOWN = 5;

function displayName(user: PresenceUser): string {
  const info = user.info as { name?: unknown } | undefined;
  return typeof info?.name === 'string' && info.name ? info.name : user.user;
}

function initials(name: string): string {
  const words = name.replace(/^anon-/, '').split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

/** A stable hue per user, so a person keeps their colour across reloads. */
function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}

export function Watchers({ channel }: { channel: string }) {
  const presence = usePresence(channel);
  if (!presence) return null;
  const { count, users } = presence;
  const shown = users.slice(0, SHOWN);
  return (
    <span className="pb-watchers" data-testid="watchers" title={`${count} ${count === 1 ? 'person is' : 'people are'} watching this board`}>
      <span className="pb-watchers__faces" aria-hidden="true">
        {shown.map((user) => (
          <span
            key={user.user}
            className="pb-watchers__face"
            style={{ background: `hsl(${hue(user.user)} 45% 32%)`, borderColor: `hsl(${hue(user.user)} 60% 55%)` }}
            title={`${displayName(user)}${user.connections > 1 ? ` · ${user.connections} tabs` : ''}`}
          >
            {initials(displayName(user))}
          </span>
        ))}
        {count > shown.length && <span className="pb-watchers__face pb-watchers__more">+{count - shown.length}</span>}
      </span>
      <span className="pb-watchers__count">
        <b className="pb-num">{count}</b> watching
      </span>
    </span>
  );
}
