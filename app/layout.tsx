import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Pulseboard', template: '%s · Pulseboard' },
  description: 'Live operations dashboard',
};

export const viewport: Viewport = { themeColor: '#0b0f17', colorScheme: 'dark' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
