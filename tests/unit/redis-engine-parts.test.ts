import { KeyLayout } from '@/lib/redis/keys';
import { classifyArrival } from '@/lib/redis/sequence';

describe('KeyLayout', () => {
  const keys = new KeyLayout('pulse:');

  it('puts every key of a channel in one hash slot, under the prefix', () => {
    const channel = keys.channel('acme', 'fleet:eu');
    for (const key of Object.values(channel)) expect(key.startsWith('pulse:{acme/fleet:eu}:')).toBe(true);
    expect(new Set(Object.values(channel)).size).toBe(Object.keys(channel).length);
  });

  it('keeps tenants and prefixes apart', () => {
    expect(keys.channel('a', 'x').records).not.toBe(keys.channel('b', 'x').records);
    expect(new KeyLayout('other:').channel('a', 'x').records).not.toBe(keys.channel('a', 'x').records);
    expect(keys.epoch).toBe('pulse:epoch');
    expect(keys.instance('i_1')).toBe('pulse:instance:i_1');
  });
});

describe('classifyArrival', () => {
  const at = (seq: number, epoch = 'e1') => ({ epoch, seq });

  it('delivers the first commit and the next one', () => {
    expect(classifyArrival(undefined, at(7))).toBe('next');
    expect(classifyArrival(at(7), at(8))).toBe('next');
  });

  it('drops what was delivered already', () => {
    expect(classifyArrival(at(8), at(8))).toBe('duplicate');
    expect(classifyArrival(at(8), at(3))).toBe('duplicate');
  });

  it('names a skipped seq a jump, to be repaired from the history', () => {
    expect(classifyArrival(at(8), at(10))).toBe('jump');
  });

  it('names a new epoch a new lineage, whatever its seq', () => {
    expect(classifyArrival(at(8), at(1, 'e2'))).toBe('lineage');
    expect(classifyArrival(at(8), at(9, 'e2'))).toBe('lineage');
  });
});
