/**
 * The pages run under a Content-Security-Policy without 'unsafe-eval' (next.config.js). zod
 * compiles object schemas with `new Function` where it may, and probes for that on first use:
 * the probe fails and zod falls back, but the browser still reports a policy violation. The
 * tester validates filters with zod as you type, so it tells zod up front. Imported for its
 * effect, before anything parses.
 */
import { z } from 'zod';

if (typeof window !== 'undefined') z.config({ jitless: true });
