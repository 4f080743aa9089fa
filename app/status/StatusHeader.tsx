/**
 * The status page's top bar: the product name, the pages, and on the right whatever the page
 * wants to say about itself (freshness, the key in use).
 */
import Link from 'next/link';
import type { ReactNode } from 'react';

const PAGES = [
  { href: '/', label: 'Operations' },
  { href: '/d', label: 'Dashboards' },
  { href: '/websocket-test', label: 'WebSocket test' },
  { href: '/status', label: 'Status' },
];

export function StatusHeader({ children }: { children?: ReactNode }) {
  return (
    <header className="pb-header">
      <div className="pb-header__title">
        <svg className="pb-status-logo" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <path d="M2 12h4l3-7 4 14 3-7h6" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        Pulseboard
      </div>
      <nav className="pb-header__nav" aria-label="Pages">
        {PAGES.map((page) => (
          <Link key={page.href} href={page.href} aria-current={page.href === '/status' ? 'page' : undefined}>
            {page.label}
          </Link>
        ))}
      </nav>
      <div className="pb-header__meta">{children}</div>
    </header>
  );
}
