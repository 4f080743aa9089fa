import { getHub } from '@/lib/server/hub-registry';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const snapshot = await getHub().snapshot('demo', 'kpi');
  return (
    <main>
      <h1>Pulseboard</h1>
      <p>
        kpi · epoch {snapshot.epoch} · seq {snapshot.seq}
      </p>
      <table>
        <tbody>
          {snapshot.records.map((r) => (
            <tr key={r.id}>
              <td>{r.id}</td>
              <td>{JSON.stringify(r)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
