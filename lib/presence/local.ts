/** Presence of one process alone: its view is the whole picture, so nothing is shared. */
import type { PresenceReplication } from './types';

export const localReplication: PresenceReplication = {
  attach() {},
  publish() {},
  load: async () => {},
  forget() {},
};
