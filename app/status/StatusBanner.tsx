/**
 * Says why the figures stopped refreshing (server unreachable, shutting down, failing), and
 * that what is shown is from the last good refresh (whose age the header's badge shows).
 */
import { formatClock } from '@/components/format';
import type { AdminApiError } from './admin-api';

function describe(error: AdminApiError): { title: string; detail: string } {
  if (error.unreachable) return { title: 'Server unreachable', detail: 'The status requests get no answer. Retrying every few seconds.' };
  if (error.status === 503) return { title: 'Server unavailable', detail: `${error.message} (503). Retrying every few seconds.` };
  return { title: 'Status request failed', detail: `${error.message} (${error.status}). Retrying every few seconds.` };
}

export function StatusBanner({ error, refreshedAt }: { error: AdminApiError; refreshedAt: number | null }) {
  const { title, detail } = describe(error);
  return (
    <div className="pb-status-banner" role="alert" data-testid="status-error">
      <span className="pb-status-banner__icon" aria-hidden="true">
        !
      </span>
      <div className="pb-status-banner__text">
        <strong>{title}</strong>
        <span>{detail}</span>
      </div>
      {refreshedAt !== null && (
        <span className="pb-status-banner__since">
          Showing the last figures received, at{' '}
          <time className="pb-num" dateTime={new Date(refreshedAt).toISOString()}>
            {formatClock(refreshedAt)} UTC
          </time>
        </span>
      )}
    </div>
  );
}
