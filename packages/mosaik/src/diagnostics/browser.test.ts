/**
 * The diagnostics page in a real headless browser: Debian's chromium driven by playwright-core
 * (which never downloads a browser). `.ci/run` installs chromium.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONSENSUS } from '@mosaik/rsm';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster, startTicker } from '../../test/fixtures.js';
import { scaled } from '../index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

describe('diagnostics page in chromium', () => {
  let cluster: Cluster;
  let browser: Browser;
  let ticker: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    cluster = await startCluster(`diag-browser-${Math.random()}`, {
      node: (i) => (i <= 2 ? { diagnosticsAddr: '127.0.0.1:0' } : {}),
    });
    ticker = startTicker(cluster.producer);
  }, scaled(90_000));
  afterAll(async () => {
    clearInterval(ticker);
    await browser?.close();
    await cluster?.close();
  });

  it('shows peers, the group and a stream rate, and follows a leader change', async () => {
    const { nets, groups } = cluster;
    const leader = groups[0]!.leader()!;
    // A member that takes part in the stream (node 1 produces, node 2 consumes) and does not lead.
    const watched = [1, 2].find((i) => !nets[i]!.peerId.equals(leader))!;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    try {
      await page.goto(nets[watched]!.diagnostics!.url);
      await page.locator('#live.on').waitFor({ timeout: scaled(10_000) });
      await expect.poll(() => page.locator('#peers tbody tr').count(), { timeout: scaled(10_000) }).toBe(4);
      const group = page.locator(`[data-group="${groups[0]!.id.toString()}"]`);
      await expect
        .poll(() => group.locator('.group-leader').getAttribute('data-leader'), { timeout: scaled(10_000) })
        .toBe(leader.toString());
      expect(Number(await group.locator('.group-term').textContent())).toBeGreaterThan(0);
      await expect
        .poll(
          async () =>
            (await page.locator('#streams .rate').allTextContents()).some((t) => Number.parseFloat(t) > 0),
          {
            timeout: scaled(10_000),
          },
        )
        .toBe(true);

      const leaderNet = nets.find((n) => n.peerId.equals(leader))!;
      const closed = leaderNet.close();
      const deadline = scaled(DEFAULT_CONSENSUS.electionTimeout + 2_000);
      await expect
        .poll(
          async () => {
            const shown = await group.locator('.group-leader').getAttribute('data-leader');
            return shown !== '' && shown !== leader.toString() ? shown : undefined;
          },
          { timeout: deadline, interval: 100 },
        )
        .toBeDefined();
      await closed;
      const newLeader = await group.locator('.group-leader').getAttribute('data-leader');
      expect(groups.filter((g) => !g.isClosed).map((g) => g.leader()?.toString())).toContain(newLeader);
      await expect
        .poll(() => page.locator('#log .kind.election').count(), { timeout: scaled(5_000) })
        .toBeGreaterThan(1);

      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}diagnostics.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });
});
