import { LocalNode } from './src/index.js';
const a = await LocalNode.bind('conncost', { preset: 'local' });
const b = await LocalNode.bind('conncost', { preset: 'local' });
const ALPN = 'mosaik/bench/conn/1';
b.handle(ALPN, async (link) => { await link.recvRaw(); await link.sendRaw(new Uint8Array(8)); await link.closed(); });
const N = Number(process.env.N ?? 300);
// warm
for (let i = 0; i < 20; i++) { const l = await a.connect(b.addr(), ALPN); await l.sendRaw(new Uint8Array(8)); await l.recvRaw(); await l.close(0); }
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < N; i++) { const l = await a.connect(b.addr(), ALPN); await l.sendRaw(new Uint8Array(8)); await l.recvRaw(); await l.close(0); }
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(JSON.stringify({ N, msPerConn: t / N, cpuMsPerConn: (c.user + c.system) / 1000 / N }));
await a.close(); await b.close();
