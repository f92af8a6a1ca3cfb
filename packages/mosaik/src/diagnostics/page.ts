/**
 * The diagnostics page: one self-contained HTML document (inline CSS and script, no external
 * asset), so it works offline and behind any proxy. It follows `api/events` (server-sent
 * snapshots) and renders every panel from the latest snapshot.
 */

const STYLE = `
:root { --bg:#f6f7f9; --card:#fff; --ink:#1c2330; --mute:#6a7385; --line:#e3e6eb; --accent:#2f6fde;
  --ok:#1f9d55; --warn:#d48b07; --bad:#d64545; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { background:#18202e; color:#eef1f6; padding:14px 24px; display:flex; gap:24px; align-items:center; flex-wrap:wrap; }
header h1 { font-size:18px; margin:0; letter-spacing:.02em; }
header .meta { display:flex; gap:18px; flex-wrap:wrap; font-size:13px; color:#b8c0cf; }
header .meta b { color:#fff; font-weight:600; }
#live { margin-left:auto; font-size:12px; padding:3px 10px; border-radius:12px; background:#3a4252; }
#live.on { background:var(--ok); color:#fff; } #live.off { background:var(--bad); color:#fff; }
main { padding:18px 24px; display:grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap:18px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; min-width:0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size:14px; text-transform:uppercase; letter-spacing:.06em; color:var(--mute); margin:0 0 10px; display:flex; gap:8px; align-items:baseline; }
h2 .count { background:var(--bg); color:var(--ink); border-radius:10px; padding:0 8px; font-size:12px; letter-spacing:0; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th { text-align:left; color:var(--mute); font-weight:600; border-bottom:1px solid var(--line); padding:5px 8px; white-space:nowrap; }
td { border-bottom:1px solid var(--line); padding:5px 8px; vertical-align:top; }
tr:last-child td { border-bottom:none; }
.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
.id { font-family:var(--mono); font-size:12px; }
.tag { display:inline-block; background:#eef2fb; color:#2a4a8a; border-radius:4px; padding:0 6px; margin:1px 2px 1px 0; font-size:12px; }
.badge { display:inline-block; border-radius:4px; padding:1px 8px; font-size:12px; font-weight:600; color:#fff; background:var(--mute); }
.badge.leader { background:var(--accent); } .badge.follower { background:#7a8397; } .badge.candidate, .badge.pre-candidate { background:var(--warn); }
.badge.connected, .badge.active { background:var(--ok); } .badge.connecting, .badge.passive { background:var(--warn); } .badge.terminated { background:var(--bad); }
.dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:6px; background:var(--ok); }
.dot.bad { background:var(--bad); }
.empty { color:var(--mute); font-style:italic; padding:6px 0; }
.kv { display:grid; grid-template-columns: max-content 1fr; gap:4px 14px; margin-bottom:10px; }
.kv dt { color:var(--mute); } .kv dd { margin:0; }
.group { border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin-bottom:12px; }
.group h3 { margin:0 0 8px; font-size:14px; display:flex; gap:10px; align-items:center; }
.sub { color:var(--mute); font-size:12px; }
#log { max-height:340px; overflow:auto; }
.kind { font-size:11px; font-weight:700; text-transform:uppercase; letter-spacing:.04em; }
.kind.join { color:var(--ok); } .kind.departure { color:var(--bad); } .kind.election { color:var(--accent); } .kind.reset { color:var(--warn); } .kind.link-closed { color:#8a5a00; }
svg text { font: 11px var(--mono); fill: var(--ink); }
.legend { display:flex; gap:14px; font-size:12px; color:var(--mute); margin-top:6px; }
.legend i { display:inline-block; width:18px; height:0; border-top:2px solid var(--accent); vertical-align:middle; margin-right:4px; }
.legend i.p { border-top:2px dashed var(--warn); }
code.copy { font-family:var(--mono); font-size:12px; background:#2a3345; color:#e7ecf5; padding:2px 6px; border-radius:4px; word-break:break-all; }
`;

const SCRIPT = `
const token = new URLSearchParams(location.search).get('token');
const q = token ? '?token=' + encodeURIComponent(token) : '';
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const short = (id) => id ? '<span class="id" title="' + esc(id) + '">' + esc(id.slice(0, 10)) + '</span>' : '<span class="sub">none</span>';
const ms = (v) => v == null ? '–' : v < 10 ? v.toFixed(2) + ' ms' : Math.round(v) + ' ms';
const age = (v) => { if (v == null) return '–'; const s = Math.floor(v / 1000); if (s < 60) return s + 's'; const m = Math.floor(s / 60); if (m < 60) return m + 'm ' + (s % 60) + 's'; const h = Math.floor(m / 60); return h + 'h ' + (m % 60) + 'm'; };
const rate = (v) => (v >= 100 ? Math.round(v) : v.toFixed(1)) + '/s';
const table = (head, rows, empty) => rows.length === 0 ? '<div class="empty">' + empty + '</div>' :
  '<table><thead><tr>' + head.map((h) => '<th' + (h.startsWith('#') ? ' class="num"' : '') + '>' + esc(h.replace(/^#/, '')) + '</th>').join('') + '</tr></thead><tbody>' + rows.join('') + '</tbody></table>';
const td = (html, num) => '<td' + (num ? ' class="num"' : '') + '>' + html + '</td>';

function renderNode(s) {
  const n = s.node;
  $('node').innerHTML = '<span>peer <b class="id" title="' + esc(n.peer) + '">' + esc(n.peer.slice(0, 16)) + '…</b></span>' +
    '<span>network <b class="id" title="' + esc(n.network) + '">' + esc(n.network.slice(0, 10)) + '</b></span>' +
    '<span>uptime <b>' + age(n.uptimeMs) + '</b></span>' +
    '<span>peers <b>' + s.peers.length + '</b></span>';
  $('identity').innerHTML = '<dl class="kv"><dt>peer id</dt><dd class="id">' + esc(n.peer) + '</dd>' +
    '<dt>network</dt><dd class="id">' + esc(n.network) + '</dd>' +
    '<dt>addresses</dt><dd class="id">' + (n.addresses.map(esc).join('<br>') || '<span class="sub">none</span>') + '</dd>' +
    '<dt>relay</dt><dd class="id">' + (n.relay ? esc(n.relay) : '<span class="sub">disabled</span>') + '</dd>' +
    '<dt>tags</dt><dd>' + (n.tags.map((t) => '<span class="tag">' + esc(t) + '</span>').join('') || '<span class="sub">none</span>') + '</dd>' +
    '<dt>bootstrap</dt><dd><code class="copy">' + esc(n.bootstrap) + '</code></dd></dl>';
}

function renderPeers(s) {
  $('peer-count').textContent = s.peers.length;
  $('peers').innerHTML = table(['peer', 'tags', 'addresses', '#rtt', '#last seen', '#uptime', 'gossip'],
    s.peers.map((p) => '<tr data-peer="' + esc(p.peer) + '">' + td(short(p.peer)) +
      td(p.tags.map((t) => '<span class="tag">' + esc(t) + '</span>').join('')) +
      td('<span class="id">' + p.addresses.map(esc).join('<br>') + '</span>') +
      td(ms(p.rttMs), 1) + td(age(p.lastSeenMs), 1) + td(age(p.uptimeMs), 1) +
      td(p.view === 'none' ? '<span class="sub">–</span>' : '<span class="badge ' + p.view + '">' + p.view + '</span>') + '</tr>'),
    'no peers known yet');
}

function renderOverlay(s) {
  const W = 520, H = 300, cx = W / 2, cy = H / 2, R = 115;
  const peers = s.peers;
  let svg = '<svg viewBox="0 0 ' + W + ' ' + H + '" width="100%" role="img" aria-label="gossip overlay">';
  const pos = new Map();
  peers.forEach((p, i) => { const a = (2 * Math.PI * i) / Math.max(1, peers.length) - Math.PI / 2; pos.set(p.peer, [cx + R * Math.cos(a), cy + R * Math.sin(a)]); });
  for (const p of peers) {
    if (p.view === 'none') continue;
    const [x, y] = pos.get(p.peer);
    svg += '<line x1="' + cx + '" y1="' + cy + '" x2="' + x.toFixed(1) + '" y2="' + y.toFixed(1) + '" stroke="' + (p.view === 'active' ? '#2f6fde' : '#d48b07') + '" stroke-width="2"' + (p.view === 'passive' ? ' stroke-dasharray="5 4"' : '') + '/>';
  }
  for (const p of peers) {
    const [x, y] = pos.get(p.peer);
    const fill = p.view === 'active' ? '#2f6fde' : p.view === 'passive' ? '#d48b07' : '#b9c0cc';
    svg += '<g><title>' + esc(p.peer) + '</title><circle cx="' + x.toFixed(1) + '" cy="' + y.toFixed(1) + '" r="9" fill="' + fill + '"/>' +
      '<text x="' + x.toFixed(1) + '" y="' + (y + (y < cy ? -14 : 22)).toFixed(1) + '" text-anchor="middle">' + esc(p.peer.slice(0, 6)) + '</text></g>';
  }
  svg += '<circle cx="' + cx + '" cy="' + cy + '" r="13" fill="#18202e"/><text x="' + cx + '" y="' + (cy + 30) + '" text-anchor="middle" font-weight="bold">this node</text></svg>';
  $('overlay').innerHTML = svg + '<div class="legend"><span><i></i>active view (' + s.overlay.active.length + ')</span><span><i class="p"></i>passive view (' + s.overlay.passive.length + ')</span><span>grey: known, not in a view</span></div>';
}

function renderStreams(s) {
  const rows = [];
  for (const p of s.streams.produced) {
    rows.push('<tr class="stream-row">' + td(short(p.stream)) + td('<span class="badge leader">producer</span>') + td('<span class="sub">all</span>') +
      td('<span class="badge ' + (p.online ? 'connected' : 'terminated') + '">' + (p.online ? 'online' : 'offline') + '</span>') +
      td('<span class="rate">' + rate(p.rate) + '</span>', 1) + td(p.datums, 1) + td('–', 1) + td(p.dropped, 1) + '</tr>');
    for (const c of p.subscribers) rows.push('<tr>' + td('') + td('<span class="sub">→ subscriber</span>') + td(short(c.peer)) +
      td('<span class="badge ' + esc(c.state) + '">' + esc(c.state) + '</span>') + td('<span class="rate">' + rate(c.rate) + '</span>', 1) +
      td(c.datums, 1) + td(c.queued + ' / ' + c.capacity, 1) + td(c.dropped, 1) + '</tr>');
  }
  for (const c of s.streams.consumed) {
    rows.push('<tr class="stream-row">' + td(short(c.stream)) + td('<span class="badge follower">consumer</span>') + td('<span class="sub">all</span>') +
      td('<span class="badge ' + (c.online ? 'connected' : 'terminated') + '">' + (c.online ? 'online' : 'offline') + '</span>') +
      td('<span class="rate">' + rate(c.rate) + '</span>', 1) + td(c.datums, 1) + td(c.queued, 1) + td('–', 1) + '</tr>');
    for (const p of c.producers) rows.push('<tr>' + td('') + td('<span class="sub">← producer</span>') + td(short(p.peer)) +
      td('<span class="badge ' + esc(p.state) + '">' + esc(p.state) + '</span>') + td('<span class="rate">' + rate(p.rate) + '</span>', 1) +
      td(p.datums, 1) + td('–', 1) + td('–', 1) + '</tr>');
  }
  $('stream-count').textContent = s.streams.produced.length + s.streams.consumed.length;
  $('streams').innerHTML = table(['stream', 'role', 'peer', 'state', '#rate', '#datums', '#queue', '#drops'], rows, 'this node produces and consumes no stream');
}

function renderGroups(s) {
  $('group-count').textContent = s.groups.length;
  if (s.groups.length === 0) { $('groups').innerHTML = '<div class="empty">this node is in no group</div>'; return; }
  $('groups').innerHTML = s.groups.map((g) => {
    const members = (list) => list.length ? list.map((m) => short(m) + (m === g.leader ? ' <span class="sub">(leader)</span>' : '')).join(', ') : '<span class="sub">none</span>';
    const bonds = table(['bond', '#rtt', '#silent for', '#their term', '#their commit'], g.bonds.map((b) => '<tr>' +
      td('<span class="dot' + (b.healthy ? '' : ' bad') + '"></span>' + short(b.peer)) + td(ms(b.rttMs), 1) + td(age(b.silenceMs), 1) +
      td(b.term ?? '–', 1) + td(b.commit ?? '–', 1) + '</tr>'), 'no bonds');
    const elections = g.elections.length ? '<table><tbody>' + g.elections.map((e) => '<tr>' + td('<span class="sub">' + new Date(e.at).toLocaleTimeString() + '</span>') + td('<span class="kind ' + e.kind + '">' + e.kind + '</span>') + td(esc(e.text)) + '</tr>').join('') + '</tbody></table>' : '<div class="empty">none seen</div>';
    return '<div class="group" data-group="' + esc(g.group) + '"><h3>' + short(g.group) + ' <span class="badge ' + esc(g.role) + '">' + esc(g.role) + '</span></h3>' +
      '<dl class="kv"><dt>leader</dt><dd class="group-leader" data-leader="' + esc(g.leader ?? '') + '">' + short(g.leader) + '</dd>' +
      '<dt>term</dt><dd class="group-term">' + g.term + '</dd>' +
      '<dt>commit / applied / last</dt><dd class="num" style="text-align:left">' + g.commit + ' / ' + g.applied + ' / ' + g.lastIndex + '</dd>' +
      '<dt>voters</dt><dd>' + members(g.voters) + '</dd><dt>learners</dt><dd>' + members(g.learners) + '</dd><dt>observers</dt><dd>' + members(g.observers) + '</dd>' +
      '<dt>cluster</dt><dd class="id">' + esc(g.cluster || 'none') + '</dd></dl>' +
      bonds + '<div class="sub" style="margin-top:8px">recent elections and resets</div>' + elections + '</div>';
  }).join('');
}

function renderCollections(s) {
  $('collections-section').style.display = s.collections.length ? '' : 'none';
  $('collections').innerHTML = table(['group', 'kind', '#size', '#version'], s.collections.map((c) => '<tr>' + td(short(c.group)) + td(esc(c.kind)) + td(c.size ?? '–', 1) + td(c.version ?? '–', 1) + '</tr>'), 'no collections');
}

function renderLog(s) {
  $('log-count').textContent = s.events.length;
  $('log').innerHTML = table(['time', 'event', 'peer', 'group', 'details'], s.events.slice().reverse().map((e) => '<tr>' +
    td('<span class="sub">' + new Date(e.at).toLocaleTimeString() + '</span>') + td('<span class="kind ' + e.kind + '">' + e.kind + '</span>') +
    td(e.peer ? short(e.peer) : '') + td(e.group ? short(e.group) : '') + td(esc(e.text)) + '</tr>'), 'nothing happened yet');
}

function render(s) {
  renderNode(s); renderPeers(s); renderOverlay(s); renderStreams(s); renderGroups(s); renderCollections(s); renderLog(s);
  $('updated').textContent = 'updated ' + new Date(s.at).toLocaleTimeString();
}

function connect() {
  const es = new EventSource('api/events' + q);
  es.addEventListener('snapshot', (ev) => { $('live').className = 'on'; $('live').textContent = 'live'; render(JSON.parse(ev.data)); });
  es.onerror = () => { $('live').className = 'off'; $('live').textContent = 'disconnected, retrying'; };
}
connect();
`;

/** The page's HTML. */
export function diagnosticsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mosaik diagnostics</title><style>${STYLE}</style></head>
<body>
<header><h1>mosaik diagnostics</h1><div class="meta" id="node"></div><span class="sub" id="updated" style="color:#b8c0cf"></span><span id="live">connecting…</span></header>
<main>
<section><h2>This node</h2><div id="identity"></div></section>
<section><h2>Gossip overlay</h2><div id="overlay"></div></section>
<section class="wide"><h2>Peers <span class="count" id="peer-count">0</span></h2><div id="peers"></div></section>
<section class="wide"><h2>Streams <span class="count" id="stream-count">0</span></h2><div id="streams"></div></section>
<section class="wide"><h2>Groups <span class="count" id="group-count">0</span></h2><div id="groups"></div></section>
<section class="wide" id="collections-section" style="display:none"><h2>Collections</h2><div id="collections"></div></section>
<section class="wide"><h2>Event log <span class="count" id="log-count">0</span></h2><div id="log"></div></section>
</main>
<script>${SCRIPT}</script>
</body></html>`;
}
