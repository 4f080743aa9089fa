'use client';
/**
 * Small building blocks shared by the tester's panels.
 */
import type { KeyboardEvent, ReactNode } from 'react';
import type { ActionResult } from './tester-model';

export function Panel({
  title,
  actions,
  children,
  className,
  id,
  flush = false,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
  flush?: boolean;
}) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section className={['pb-panel', className].filter(Boolean).join(' ')} id={id} aria-labelledby={headingId}>
      <header className="pb-panel__head">
        <h2 className="pb-panel__title" id={headingId}>
          {title}
        </h2>
        {actions && <div className="pb-panel__actions">{actions}</div>}
      </header>
      <div className={flush ? 'pb-panel__body pb-panel__body--flush' : 'pb-panel__body'}>{children}</div>
    </section>
  );
}

/** The outcome of the last request a panel made, with `data-testid` for the browser test. */
export function ResultLine({ result, testId }: { result: ActionResult | null; testId: string }) {
  if (!result) return null;
  return (
    <p className={`pb-tester-result pb-tester-result--${result.ok ? 'ok' : 'error'}`} role="status" data-testid={testId}>
      {result.ok ? (
        <>
          <span className="pb-tester-result__badge">OK</span>
          <span>{result.text}</span>
        </>
      ) : (
        <>
          <span className="pb-tester-result__badge">{result.code}</span>
          <span>{result.message}</span>
        </>
      )}
    </p>
  );
}

/** Ctrl+Enter (⌘+Enter) in a textarea submits its form. */
export function submitOnCtrlEnter(event: KeyboardEvent<HTMLTextAreaElement>): void {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    event.currentTarget.form?.requestSubmit();
  }
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="pb-tester-kbd">{children}</kbd>;
}
