import { parseClientFrame } from '@/lib/protocol/parse';
const cases = [
  '{"type":"subscribe","channel":"kpi","filter":{"where":{"__proto__":{"in":[1]}}}}',
  '{"type":"publish","channel":"kpi","upsert":[{"id":"a","__proto__":{"x":1}}]}',
  '{"type":"subscribe","channel":"kpi","filter":{"where":{"a":{"gt":true}}}}',
  '{"type":"subscribe","channel":"kpi","filter":{"where":{"a":[1]}}}',
  '{"type":"subscribe","channel":"kpi","filter":{"bounds":{"north":91,"south":0,"east":0,"west":0}}}',
  '{"type":"subscribe","channel":"kpi","filter":{"bounds":{"north":1,"south":0,"east":0}}}',
  '{"type":"publish","channel":"kpi","upsert":[1]}',
  '{"type":"publish","channel":"kpi","upsert":{"id":"a"}}',
  '{"type":"publish","channel":"kpi","events":[{"type":"a","priority":"urgent"}]}',
];
test('probe', () => { for (const c of cases) { const r = parseClientFrame(c); console.log(c.slice(0,100), '\n   →', JSON.stringify(r), r.ok && r.message.type==='subscribe' ? Object.getOwnPropertyNames(r.message.filter?.where ?? {}) + ' proto=' + JSON.stringify(Object.getPrototypeOf(r.message.filter?.where ?? {})) : '', r.ok && r.message.type==='publish' ? Object.getOwnPropertyNames(r.message.upsert![0]) + ' proto=' + JSON.stringify(Object.getPrototypeOf(r.message.upsert![0])) : '' ); } });
