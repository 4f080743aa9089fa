/** Channel names (docs/protocol.md §4): letters, digits and `_ . : -`, 1–128 characters. */
export const CHANNEL_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Tenant ids follow channel-name rules, so a tenant can never smuggle a separator. */
export const TENANT_ID = CHANNEL_NAME;

export function isChannelName(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_NAME.test(value);
}

/**
 * The key of a tenant's channel, wherever channels of all tenants share one map or one Redis
 * key space. Tenant ids cannot contain '/', so the key is unambiguous.
 */
export function channelKey(tenant: string, channel: string): string {
  return `${tenant}/${channel}`;
}
