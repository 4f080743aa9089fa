/**
 * Headless Debian Chromium through playwright-core (no browser downloads). Each launch gets a
 * fresh temporary profile from Playwright itself (it refuses a `--user-data-dir` argument).
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}
