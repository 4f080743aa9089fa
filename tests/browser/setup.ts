// Browser tests start a whole server and a Chromium: give them room.
jest.setTimeout(120_000);
