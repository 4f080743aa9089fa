/** The node map example's simulated devices: where they are and what they publish. */
import { createNodes, SITES, stepNode } from '@/examples/mqtt-node-map/devices';
import { seededRandom } from '@/lib/demo/random';

describe('simulated devices', () => {
  it('spreads nodes over the sites, each near its own, with unique ids', () => {
    const nodes = createNodes(48, seededRandom(1), 0);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(48);
    for (const [i, node] of nodes.entries()) {
      const site = SITES[i % SITES.length];
      expect(node.state.site).toBe(site.name);
      expect(Math.abs(node.state.lat - site.lat)).toBeLessThanOrEqual(site.radiusKm / 111 + 1e-6);
      expect(Math.abs(node.state.lon) <= 180).toBe(true);
      expect(node.state.status).toBe('online');
      expect(node.state.battery).toBeGreaterThanOrEqual(25);
    }
    // two sites sit either side of 180°
    expect(SITES.filter((s) => Math.abs(s.lon) > 178)).toHaveLength(2);
  });

  it('repeats a run from the same seed', () => {
    expect(createNodes(5, seededRandom(9), 0)).toEqual(createNodes(5, seededRandom(9), 0));
  });

  it('raises an alarm when a node runs low or drops out, and only then', () => {
    const [node] = createNodes(1, seededRandom(3), 0);
    node.state.battery = 20.05;
    const always = () => 0.999;
    expect(stepNode(node, always, 1)).toEqual({ reason: expect.stringMatching(/^battery at \d+%$/) });
    expect(node.state.status).toBe('low-battery');
    expect(node.state.lastSeen).toBe(1);
    expect(stepNode(node, always, 2)).toBeNull();
    node.state.battery = 2;
    expect(stepNode(node, always, 3)).toEqual({ reason: 'battery empty' });
    expect(node.state.status).toBe('offline');
  });
});
