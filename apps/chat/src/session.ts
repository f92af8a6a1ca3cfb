/**
 * One participant in a room: opens the presence Map and the history Vec as writers, shows what
 * they commit as it commits (driven by `watch()`), sends typed lines with their ids, keeps its
 * own presence entry alive (re-inserting it when a merge or a peer's cleanup removed it),
 * removes entries of peers that are gone, and leaves gracefully.
 */
import type { Logger } from '@mosaik/metrics';
import {
  CollectionError,
  type EndpointAddr,
  type MapWriter,
  type Network,
  type PeerId,
  parseBootstrapAddr,
  sleep,
  type VecWriter,
} from 'mosaik';
import { HistoryVec, PresenceMap } from './collections.js';
import { History } from './history.js';
import type { ChatMessage, Presence } from './model.js';
import { LeaveDebouncer } from './notices.js';
import { Outbox } from './outbox.js';
import {
  count,
  dim,
  formatMessage,
  formatNotice,
  formatWho,
  header,
  type Notice,
  nick,
  type Role,
  type Style,
} from './render.js';
import { Roster } from './roster.js';

/** Where the session prints. */
export interface SessionOutput {
  /** One line of the chat view. */
  print(line: string): void;
  /** The prompt changed (after `/nick`). */
  setPrompt(prompt: string): void;
}

/** Timing of the session (tests shorten nothing: these are the product's values). */
export interface SessionTiming {
  /** How long leaving waits for our presence entry to be removed. */
  readonly leaveTimeoutMs: number;
  /** A peer with no bond to us in the presence group for this long is removed from presence. */
  readonly goneAfterMs: number;
  /** `left` notices are held this long (a peer back within it shows nothing). */
  readonly leaveDebounceMs: number;
  /** A line not committed after this long gets a "waiting" notice. */
  readonly stallNoticeMs: number;
}

export const DEFAULT_TIMING: SessionTiming = Object.freeze({
  leaveTimeoutMs: 5000,
  goneAfterMs: 4000,
  leaveDebounceMs: 1500,
  stallNoticeMs: 3000,
});

/** The prompt for a nickname. */
export function promptFor(me: Presence, style: Style): string {
  return `${nick(me.nickname, me.color, style)}> `;
}

/** A chat participant on an open network. */
export class ChatSession {
  readonly #net: Network;
  readonly #out: SessionOutput;
  readonly #style: Style;
  readonly #log: Logger;
  readonly #timing: SessionTiming;
  readonly #self: string;
  #me: Presence;
  readonly #presence: MapWriter<string, Presence>;
  readonly #history: VecWriter<ChatMessage>;
  readonly #roster: Roster;
  readonly #messages = new History();
  readonly #outbox: Outbox;
  readonly #notices: LeaveDebouncer;
  readonly #stop = new AbortController();
  readonly #tasks = new Set<Promise<unknown>>();
  /** Messages waiting to be sent (the first one is in flight), in order. */
  readonly #queue: ChatMessage[] = [];
  #ready = false;
  #sending = false;
  #leaving: Promise<void> | undefined;
  #reinserting = false;
  #noticeTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Since when each presence entry's peer has had no bond with us (ms). */
  readonly #unbondedSince = new Map<string, number>();
  #onlineSince: number | undefined;
  readonly #waiters = new Set<() => void>();
  /** Lines typed before the room was ready, replayed in order once it is. */
  readonly #early: string[] = [];

  constructor(
    net: Network,
    me: Presence,
    out: SessionOutput,
    style: Style,
    log: Logger,
    timing: SessionTiming = DEFAULT_TIMING,
  ) {
    this.#net = net;
    this.#me = me;
    this.#out = out;
    this.#style = style;
    this.#log = log;
    this.#timing = timing;
    this.#self = net.peerId.toString();
    this.#roster = new Roster(this.#self);
    this.#outbox = new Outbox(
      this.#self,
      Math.floor(Math.random() * 36 ** 3)
        .toString(36)
        .padStart(3, '0'),
    );
    this.#notices = new LeaveDebouncer(timing.leaveDebounceMs);
    this.#presence = PresenceMap.writer(net);
    this.#history = HistoryVec.writer(net);
  }

  /** Aborted when the session leaves. */
  get stopped(): AbortSignal {
    return this.#stop.signal;
  }

  /**
   * Waits until both collections are online, enters our presence entry, prints the banner
   * (participants and history), then follows both collections until the session leaves.
   */
  async start(): Promise<void> {
    const signal = this.#stop.signal;
    const slow = setTimeout(
      () => this.#out.print(dim('waiting for the room to come online …', this.#style)),
      3000,
    );
    try {
      await Promise.all([this.#presence.when.online({ signal }), this.#history.when.online({ signal })]);
    } finally {
      clearTimeout(slow);
    }
    this.#onlineSince = Date.now();
    await this.#retrying(() => this.#presence.set(this.#self, this.#me));

    const presenceEvents = this.#presence.watch({ signal });
    const historyEvents = this.#history.watch({ signal });
    const p0 = await presenceEvents.next();
    const h0 = await historyEvents.next();
    if (!p0.done && p0.value.kind === 'snapshot') this.#roster.replace(p0.value.entries);
    const entries = [...this.#roster.entries()].sort(([, a], [, b]) => (a.nickname < b.nickname ? -1 : 1));
    this.#out.print(header(count(entries.length, 'participant'), this.#style));
    for (const [, p] of entries) this.#out.print(`  ${nick(p.nickname, p.color, this.#style)}`);
    if (!h0.done && h0.value.kind === 'snapshot') {
      const shown = this.#messages.replace(h0.value.values);
      if (shown.length > 0) {
        this.#out.print(header(`${count(shown.length, 'message')} in history`, this.#style));
        for (const m of shown) this.#out.print(formatMessage(m, this.#style));
      }
    }
    this.#out.print(header('start typing; /help for commands, Ctrl-D or /quit to leave', this.#style));
    this.#ready = true;

    this.#track(this.#followPresence(presenceEvents));
    this.#track(this.#followHistory(historyEvents));
    this.#track(this.#followResets());
    this.#track(this.#followDepartures());
    this.#sweepTimer = setInterval(() => this.#sweep(), 1000);
    for (const line of this.#early.splice(0)) this.input(line);
    void this.#pump();
    this.#notify();
  }

  /** A line typed by the user: a command (`/…`) or a message. */
  input(line: string): void {
    if (this.#leaving !== undefined) return;
    if (!this.#ready) {
      // Replayed in order once the room is ready (`/nick` then a line must use the new name).
      this.#early.push(line);
      return;
    }
    if (line.startsWith('/') && !line.startsWith('//')) {
      this.#command(line);
      return;
    }
    const text = line.startsWith('//') ? line.slice(1) : line;
    const message = this.#outbox.compose(text, this.#me);
    if (message === undefined) return;
    this.#queue.push(message);
    void this.#pump();
  }

  /**
   * End of input (a pipe closed, or Ctrl-D): waits until every line was committed and shown,
   * then leaves. Returns when the session is closed.
   */
  async endOfInput(): Promise<void> {
    await this.#until(
      () =>
        this.#ready &&
        this.#queue.length === 0 &&
        !this.#sending &&
        this.#outbox.committedIds().every((id) => this.#messages.shown(id)),
      this.#stop.signal,
    ).catch(() => {});
    await this.leave();
  }

  /**
   * Leaves the room: removes our presence entry (waiting at most `leaveTimeoutMs`), closes both
   * collections. Lines not sent yet are dropped and counted. Idempotent.
   */
  leave(): Promise<void> {
    this.#leaving ??= (async () => {
      const unsent = this.#queue.length;
      this.#stop.abort(new Error('left the room'));
      clearInterval(this.#sweepTimer);
      clearTimeout(this.#noticeTimer);
      if (unsent > 0) this.#out.print(dim(`(${count(unsent, 'unsent line')} dropped)`, this.#style));
      try {
        // Never entered (left while waiting for the room): nothing to remove.
        if (this.#onlineSince === undefined) throw new Error('not entered');
        await Promise.race([
          this.#presence.delete(this.#self),
          sleep(this.#timing.leaveTimeoutMs).then(() => {
            this.#log.warn('could not remove our presence entry in time; peers will remove it');
          }),
        ]);
      } catch (error) {
        if (this.#onlineSince !== undefined)
          this.#log.warn({ err: String(error) }, 'could not remove our presence entry; peers will remove it');
      }
      await Promise.allSettled([this.#presence.close(), this.#history.close()]);
      await Promise.allSettled([...this.#tasks]);
    })();
    return this.#leaving;
  }

  // --- commands -------------------------------------------------------------------------------

  #command(line: string): void {
    const [name = '', ...rest] = line.slice(1).split(/\s+/);
    const arg = rest.join(' ').trim();
    switch (name.toLowerCase()) {
      case 'who':
        for (const l of formatWho(this.#roster.entries(), this.#self, this.#style, this.#roles()))
          this.#out.print(l);
        return;
      case 'nick':
        this.#rename(arg);
        return;
      case 'quit':
      case 'exit':
        void this.leave();
        return;
      case 'connect':
        this.#connect(arg);
        return;
      case 'help':
        for (const l of [
          '/who              who is in the room',
          '/nick <name>      change your nickname',
          '/connect <addr>   join through a peer (its address as printed at start)',
          '/quit             leave (also Ctrl-C, Ctrl-D)',
          '//text            send a line that starts with /',
        ])
          this.#out.print(dim(l, this.#style));
        return;
      default:
        this.#out.print(dim(`unknown command /${name}; /help lists them`, this.#style));
    }
  }

  /**
   * Voters of both collections' groups are `voter`, other members `learner`: with a majority of
   * the voters gone the room cannot commit, so this tells who keeps it alive.
   */
  #roles(): Map<string, Role> {
    const presence = this.#presence.members();
    const history = this.#history.members();
    const hex = (peers: readonly PeerId[]) => peers.map((p) => p.toString());
    const presenceVoters = hex(presence.voters);
    const historyVoters = hex(history.voters);
    const roles = new Map<string, Role>();
    for (const peer of [
      ...presenceVoters,
      ...hex(presence.learners),
      ...historyVoters,
      ...hex(history.learners),
    ])
      roles.set(peer, presenceVoters.includes(peer) && historyVoters.includes(peer) ? 'voter' : 'learner');
    return roles;
  }

  #rename(name: string): void {
    const nickname = name.trim();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (nickname === '' || nickname.length > 32 || /[\u0000-\u001f\u007f-\u009f]/.test(nickname)) {
      this.#out.print(dim('usage: /nick <name> (1 to 32 characters)', this.#style));
      return;
    }
    this.#me = { ...this.#me, nickname };
    this.#out.setPrompt(promptFor(this.#me, this.#style));
    this.#out.print(dim('* you are now ', this.#style) + nick(nickname, this.#me.color, this.#style));
    this.#track(this.#retrying(() => this.#presence.set(this.#self, this.#me)).catch(() => {}));
  }

  #connect(text: string): void {
    let addr: EndpointAddr;
    try {
      addr = parseBootstrapAddr(text);
    } catch (error) {
      this.#out.print(dim(`usage: /connect <peer id>@<ip:port>: ${(error as Error).message}`, this.#style));
      return;
    }
    this.#track(
      this.#net.discovery.dial(addr).then(
        () => this.#out.print(dim(`* connected to ${addr.id.short()}`, this.#style)),
        (error: unknown) => this.#out.print(dim(`* could not connect: ${String(error)}`, this.#style)),
      ),
    );
  }

  // --- sending --------------------------------------------------------------------------------

  /** Sends queued lines one at a time, in order, each retried until it commits. */
  async #pump(): Promise<void> {
    if (this.#sending || !this.#ready) return;
    this.#sending = true;
    try {
      while (this.#queue.length > 0 && !this.#stop.signal.aborted) {
        const message = this.#queue[0]!;
        const stall = setTimeout(
          () =>
            this.#out.print(dim('(not delivered yet: waiting for the room; it will be sent)', this.#style)),
          this.#timing.stallNoticeMs,
        );
        try {
          await this.#retrying(() => this.#history.pushBack(message));
          this.#outbox.committed(message.id);
        } catch (error) {
          if (!this.#stop.signal.aborted) {
            this.#out.print(dim(`(could not send: ${(error as Error).message})`, this.#style));
            this.#log.warn({ err: String(error) }, 'message dropped');
          }
        } finally {
          clearTimeout(stall);
        }
        if (this.#queue[0] === message) this.#queue.shift();
      }
    } finally {
      this.#sending = false;
      this.#notify();
    }
  }

  /**
   * Runs a write until it commits: `offline` (no leader, a merge reset our side, a forwarded
   * write unacknowledged) waits for the collection to be online again and retries. A retried
   * write may commit twice; message ids make the view show it once.
   */
  async #retrying(write: () => Promise<number>): Promise<number> {
    let backoff = 100;
    for (;;) {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof CollectionError) || error.code !== 'offline' || this.#stop.signal.aborted)
          throw error;
        this.#log.debug({ err: error.message }, 'write offline; retrying');
        await sleep(backoff, this.#stop.signal);
        backoff = Math.min(backoff * 2, 2000);
        await Promise.all([
          this.#presence.when.online({ signal: this.#stop.signal }),
          this.#history.when.online({ signal: this.#stop.signal }),
        ]);
      }
    }
  }

  // --- following the collections --------------------------------------------------------------

  async #followPresence(events: AsyncGenerator<PresenceEvent>): Promise<void> {
    for await (const e of events) {
      let notices: Notice[] = [];
      switch (e.kind) {
        case 'snapshot':
          notices = this.#roster.replace(e.entries);
          break;
        case 'set':
          notices = this.#roster.set(e.key, e.value);
          break;
        case 'delete':
          notices = this.#roster.delete(e.key);
          break;
        case 'clear':
          notices = this.#roster.clear();
          break;
        case 'lagged':
          break;
      }
      this.#show(this.#notices.push(notices, Date.now()));
      this.#armNotices();
      if (!this.#roster.has(this.#self)) this.#reinsertSelf();
      this.#notify();
    }
  }

  async #followHistory(events: AsyncGenerator<HistoryEvent>): Promise<void> {
    for await (const e of events) {
      let fresh: ChatMessage[] = [];
      switch (e.kind) {
        case 'snapshot':
          fresh = this.#messages.replace(e.values);
          break;
        case 'insert':
          fresh = this.#messages.insert(e.index, e.value);
          break;
        case 'replace':
          fresh = this.#messages.set(e.index, e.value);
          break;
        case 'remove':
          this.#messages.remove(e.index);
          break;
        case 'truncate':
          this.#messages.truncate(e.length);
          break;
        case 'clear':
          this.#messages.clear();
          break;
        case 'lagged':
          break;
      }
      for (const m of fresh) this.#out.print(formatMessage(m, this.#style));
      this.#notify();
    }
  }

  /**
   * A merge of two separately started parts of the room discards the losing part's state: say
   * so in one line, enter our presence again, and send again our lines the merged history lacks.
   */
  async #followResets(): Promise<void> {
    const watchOne = async (
      collection: MapWriter<string, Presence> | VecWriter<ChatMessage>,
      onReset: () => Promise<void>,
    ) => {
      while (!this.#stop.signal.aborted) {
        try {
          await collection.when.reset({ signal: this.#stop.signal });
        } catch {
          return; // the session stopped or the collection closed
        }
        await onReset().catch((error: unknown) => {
          if (!this.#stop.signal.aborted) this.#log.warn({ err: String(error) }, 'after a merge');
        });
      }
    };
    await Promise.all([
      watchOne(this.#history, async () => {
        this.#out.print(header('this part of the room merged with another one; history merged', this.#style));
        await this.#history.when.online({ signal: this.#stop.signal });
        const present = new Set(this.#history.toArray().map((m) => m.id));
        const lost = this.#outbox.lost((id) => present.has(id) || this.#queue.some((q) => q.id === id));
        if (lost.length > 0) {
          this.#log.info({ lines: lost.length }, 're-sending lines the merge discarded');
          this.#queue.push(...lost);
          void this.#pump();
        }
      }),
      watchOne(this.#presence, async () => {
        await this.#presence.when.online({ signal: this.#stop.signal });
        this.#reinsertSelf();
      }),
    ]);
  }

  /** A graceful departure (or a purge) in discovery removes that peer's presence at once. */
  async #followDepartures(): Promise<void> {
    for await (const e of this.#net.discovery.events(this.#stop.signal)) {
      if (e.type !== 'peerDeparted') continue;
      const peer = e.peerId.toString();
      if (this.#roster.has(peer) && peer !== this.#self) this.#removePresence(peer, 'departed');
    }
  }

  /**
   * The survivors' cleanup rule for peers that vanished without leaving (killed, machine gone):
   * an entry whose peer has had no bond with us in the presence group for `goneAfterMs`, while
   * we have been online at least that long, is removed. If the peer is in fact alive it sees its
   * entry go and enters it again.
   */
  #sweep(): void {
    if (!this.#ready || this.#stop.signal.aborted || this.#onlineSince === undefined) return;
    const now = Date.now();
    const bonded = new Set(this.#presence.members().connected.map((p) => p.toString()));
    for (const [peer] of this.#roster.entries()) {
      if (peer === this.#self || bonded.has(peer)) {
        this.#unbondedSince.delete(peer);
        continue;
      }
      const since = this.#unbondedSince.get(peer) ?? now;
      this.#unbondedSince.set(peer, since);
      if (now - since >= this.#timing.goneAfterMs && now - this.#onlineSince >= this.#timing.goneAfterMs)
        this.#removePresence(peer, 'no bond');
    }
    for (const peer of this.#unbondedSince.keys())
      if (!this.#roster.has(peer)) this.#unbondedSince.delete(peer);
  }

  #removePresence(peer: string, why: string): void {
    this.#log.info({ peer: peer.slice(0, 10), why }, 'removing a departed peer from presence');
    this.#unbondedSince.delete(peer);
    this.#track(this.#presence.delete(peer).catch(() => {}));
  }

  #reinsertSelf(): void {
    if (this.#reinserting || !this.#ready || this.#leaving !== undefined) return;
    this.#reinserting = true;
    this.#log.info('our presence entry is missing: entering it again');
    this.#track(
      this.#retrying(() => this.#presence.set(this.#self, this.#me))
        .catch(() => {})
        .finally(() => {
          this.#reinserting = false;
        }),
    );
  }

  // --- plumbing -------------------------------------------------------------------------------

  #show(notices: readonly Notice[]): void {
    for (const n of notices) this.#out.print(formatNotice(n, this.#style));
  }

  #armNotices(): void {
    clearTimeout(this.#noticeTimer);
    const next = this.#notices.nextDue;
    if (next === undefined || this.#stop.signal.aborted) return;
    this.#noticeTimer = setTimeout(
      () => {
        this.#show(this.#notices.due(Date.now()));
        this.#armNotices();
      },
      Math.max(0, next - Date.now()),
    );
  }

  #track(task: Promise<unknown>): void {
    const t = task.catch((error: unknown) => {
      if (!this.#stop.signal.aborted) this.#log.warn({ err: String(error) }, 'background task failed');
    });
    this.#tasks.add(t);
    void t.finally(() => this.#tasks.delete(t));
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  #until(predicate: () => boolean, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) {
          done();
          resolve();
        }
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const done = () => {
        this.#waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
      };
      if (signal.aborted) return reject(signal.reason);
      this.#waiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }
}

type PresenceEvent =
  ReturnType<MapWriter<string, Presence>['watch']> extends AsyncGenerator<infer E> ? E : never;
type HistoryEvent = ReturnType<VecWriter<ChatMessage>['watch']> extends AsyncGenerator<infer E> ? E : never;
