'use client';
/**
 * What `/d` and `/d/<slug>` show a viewer they may show nothing to: the sign-in shell. Once
 * signed in, the server renders the page again, now for this viewer (its tenant's dashboards).
 */
import { useRouter } from 'next/navigation';
import { SignInPanel } from '../dashboard/SignInPanel';
import type { SignInReason } from '../dashboard/session';

export function DashboardsSignIn({ reason, detail }: { reason: SignInReason; detail?: string }) {
  const router = useRouter();
  return <SignInPanel reason={reason} detail={detail} current="/d" onSignedIn={() => router.refresh()} />;
}
