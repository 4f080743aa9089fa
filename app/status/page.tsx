/**
 * /status: live server figures and the connection list for operators. Everything comes from
 * the admin API in the browser (the key, when one is needed, lives only there).
 */
import type { Metadata } from 'next';
import { StatusConsole } from './StatusConsole';

export const metadata: Metadata = {
  title: 'Status',
  description: 'Live server figures and connections',
};

export default function StatusPage() {
  return <StatusConsole />;
}
