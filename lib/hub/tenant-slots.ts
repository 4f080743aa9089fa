/**
 * Tenant slots: how many authenticated connections each tenant holds here, and the admission
 * of one more under `PULSE_MAX_CONNECTIONS_PER_TENANT` (docs/operations.md, "Limits"). The
 * cluster has the last word, since the limit counts every instance's connections.
 */
import type { Cluster } from '../cluster/types';
import type { Connection } from './connection';

export class TenantSlots {
  private readonly held = new Map<string, number>();

  constructor(
    private readonly cluster: Pick<Cluster, 'admit' | 'released'>,
    private readonly limit: number,
  ) {}

  /**
   * Takes a slot of `tenant` for `connection`; false when the tenant is full. The connection
   * is counted under the tenant until `release`.
   */
  async admit(connection: Connection, tenant: string): Promise<boolean> {
    const local = this.held.get(tenant) ?? 0;
    // The slot is held while the cluster decides, so concurrent admissions here count it.
    this.held.set(tenant, local + 1);
    connection.tenant = tenant;
    if (await this.cluster.admit(tenant, local, this.limit)) return true;
    // The connection may have closed meanwhile, which gave the slot back already.
    if (connection.tenant === tenant) {
      connection.tenant = undefined;
      this.untrack(tenant);
    }
    return false;
  }

  /** Gives back the connection's slot, if it holds one (it closed). */
  release(connection: Connection): void {
    const { tenant } = connection;
    if (tenant === undefined) return;
    this.untrack(tenant);
    this.cluster.released(tenant);
    connection.tenant = undefined;
  }

  /** Authenticated connections per tenant, on this instance. */
  byTenant(): Record<string, number> {
    return Object.fromEntries(this.held);
  }

  private untrack(tenant: string): void {
    const count = (this.held.get(tenant) ?? 1) - 1;
    if (count > 0) this.held.set(tenant, count);
    else this.held.delete(tenant);
  }
}
