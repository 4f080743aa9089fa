/** Channel names (PROTOCOL.md §4): letters, digits and `_ . : -`, 1–128 characters. */
export const CHANNEL_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Tenant ids follow channel-name rules, so a tenant can never smuggle a separator. */
export const TENANT_ID = CHANNEL_NAME;

export function isChannelName(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_NAME.test(value);
}
