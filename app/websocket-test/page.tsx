import type { Metadata } from 'next';
import { Tester } from './Tester';
import './tester.css';

export const metadata: Metadata = {
  title: 'WebSocket tester',
  description: 'Connect to the hub by hand: tokens, subscriptions, filters, publishes, frames, round trips and resume.',
};

export default function WebSocketTestPage() {
  return <Tester />;
}
