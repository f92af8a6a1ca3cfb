/**
 * `PeerEntry`: what a node advertises about itself. Immutable; every mutator returns
 * a new entry and bumps the version only when something changed, so peers
 * re-gossip an entry only when it says something new.
 */
import {
  blake3,
  compareBytes,
  type Digest,
  encodeCanonical,
  type NetworkId,
  type PeerId,
  type UniqueId,
} from '@mosaik/id';
import {
  bestExpiration,
  type Expiration,
  type Ticket,
  type TicketValidator,
  validateAll,
} from '@mosaik/tickets';
import { checkLocation, checkRegion, type GeoLocation } from '../coordinates/geo.js';
import { checkCoordinate, type NetworkCoordinate } from '../coordinates/vivaldi.js';
import { encodeCoordinate, encodeLocation, roundCoordinate } from '../coordinates/wire.js';
import { PeerIdChangedError } from '../errors.js';
import { compareVersions, incrementVersion, initialVersion, type PeerEntryVersion } from './version.js';

/** Protocol version written into every entry (informational; receivers never check it). */
export const PROTOCOL_VERSION = '0.1.0';

/** Where a peer can be reached. */
export interface PeerAddress {
  readonly peerId: PeerId;
  /** Direct addresses, `ip:port` (`[v6]:port`). Kept sorted and deduplicated in entries. */
  readonly directAddresses: readonly string[];
  /** Home relay URL, if any. */
  readonly relayUrl?: string | undefined;
}

/** Fields of an entry; used by {@link PeerEntry.create} and the codec. */
export interface PeerEntryFields {
  readonly protocol: string;
  readonly network: NetworkId;
  readonly version: PeerEntryVersion;
  readonly address: PeerAddress;
  readonly tags: Iterable<Digest>;
  readonly streams: Iterable<Digest>;
  readonly groups: Iterable<Digest>;
  readonly tickets: Iterable<Ticket>;
  /** The peer's network coordinate (absent until it has measured any RTT, and on older peers). */
  readonly coordinate?: NetworkCoordinate | undefined;
  /** A region label the operator gave the peer. */
  readonly region?: string | undefined;
  /** Where the operator says the peer is. */
  readonly location?: GeoLocation | undefined;
}

/** Options of {@link PeerEntry.create}. */
export interface NewEntryOptions {
  readonly network: NetworkId;
  readonly address: PeerAddress;
  readonly tags?: Iterable<Digest>;
  /** Region label (1 to 64 characters). */
  readonly region?: string | undefined;
  /** Location on the globe. */
  readonly location?: GeoLocation | undefined;
  /** Network coordinate. */
  readonly coordinate?: NetworkCoordinate | undefined;
  /** Clock, ms since the epoch (default `Date.now()`). */
  readonly nowMs?: number;
}

/**
 * A set of digests as a sorted, deduplicated array. Byte order makes equal sets encode to equal
 * bytes, so an entry's canonical encoding (and its signature) does not depend on insertion order.
 */
export function digestSet(items: Iterable<Digest>): Digest[] {
  const sorted = [...items].sort((a, b) => compareBytes(a.bytes, b.bytes));
  return sorted.filter((d, i) => i === 0 || compareBytes((sorted[i - 1] as Digest).bytes, d.bytes) !== 0);
}

function addressSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

interface KeyedTicket {
  readonly id: UniqueId;
  readonly ticket: Ticket;
}

/** An entry of the catalog: a peer's network, version, address, tags, streams, groups and tickets. */
export class PeerEntry {
  readonly protocol: string;
  readonly network: NetworkId;
  readonly version: PeerEntryVersion;
  readonly address: PeerAddress;
  /** Capability tags, sorted by bytes. */
  readonly tags: readonly Digest[];
  /** Streams this peer produces, sorted by bytes. */
  readonly streams: readonly Digest[];
  /** Groups this peer is a member of, sorted by bytes. */
  readonly groups: readonly Digest[];
  /**
   * The peer's Vivaldi network coordinate, as it travels (float32 precision); estimate an RTT
   * with `estimateRtt(a, b)`.
   */
  readonly coordinate: NetworkCoordinate | undefined;
  /** Region label, if the peer declared one. */
  readonly region: string | undefined;
  /** Location on the globe, if the peer declared one (10⁻⁵ degree precision). */
  readonly location: GeoLocation | undefined;
  readonly #tickets: readonly KeyedTicket[];
  #bytes: Uint8Array | undefined;

  private constructor(fields: PeerEntryFields, keyed?: readonly KeyedTicket[]) {
    this.protocol = fields.protocol;
    this.network = fields.network;
    this.version = Object.freeze({ startMs: fields.version.startMs, updateMs: fields.version.updateMs });
    this.address = Object.freeze({
      peerId: fields.address.peerId,
      directAddresses: Object.freeze(addressSet(fields.address.directAddresses)),
      ...(fields.address.relayUrl === undefined ? {} : { relayUrl: fields.address.relayUrl }),
    });
    this.tags = Object.freeze(digestSet(fields.tags));
    this.streams = Object.freeze(digestSet(fields.streams));
    this.groups = Object.freeze(digestSet(fields.groups));
    this.#tickets = keyed ?? keyTickets(fields.tickets);
    this.coordinate =
      fields.coordinate === undefined ? undefined : roundCoordinate(checkCoordinate(fields.coordinate));
    this.region = fields.region === undefined ? undefined : checkRegion(fields.region);
    this.location = fields.location === undefined ? undefined : checkLocation(fields.location);
  }

  /**
   * A fresh local entry: version `(now, now)`, bumped once more when tags are given (adding
   * tags changes the set, as in the reference).
   */
  static create(options: NewEntryOptions): PeerEntry {
    const now = options.nowMs ?? Date.now();
    const entry = new PeerEntry({
      protocol: PROTOCOL_VERSION,
      network: options.network,
      version: initialVersion(now),
      address: options.address,
      tags: [],
      streams: [],
      groups: [],
      tickets: [],
      region: options.region,
      location: options.location,
      coordinate: options.coordinate,
    });
    return options.tags === undefined ? entry : entry.addTags(options.tags, now);
  }

  /** Builds an entry from decoded fields (the codec's path; no version change). */
  static fromFields(fields: PeerEntryFields): PeerEntry {
    return new PeerEntry(fields);
  }

  /** The peer this entry describes. */
  get peerId(): PeerId {
    return this.address.peerId;
  }

  /** Last change, ms since the epoch; staleness and drift checks use it. */
  get updatedAt(): number {
    return this.version.updateMs;
  }

  /** Start of the peer's current run, ms since the epoch. */
  get startedAt(): number {
    return this.version.startMs;
  }

  /** How long the peer has been running, ms. */
  uptime(nowMs = Date.now()): number {
    return Math.max(0, nowMs - this.version.startMs);
  }

  /** Tickets sorted by `ticket.id()` bytes. */
  get tickets(): readonly Ticket[] {
    return this.#tickets.map((k) => k.ticket);
  }

  /** Tickets of one class. */
  ticketsOf(klass: UniqueId): Ticket[] {
    return this.tickets.filter((t) => t.class.equals(klass));
  }

  /** Ticket payloads of `klass` that `isValid` accepts. */
  validTickets(klass: UniqueId, isValid: (data: Uint8Array) => boolean): Ticket[] {
    return this.ticketsOf(klass).filter((t) => isValid(t.data));
  }

  /** Whether any ticket of `klass` passes `isValid`. */
  hasValidTicket(klass: UniqueId, isValid: (data: Uint8Array) => boolean): boolean {
    return this.ticketsOf(klass).some((t) => isValid(t.data));
  }

  /** Latest expiration among this entry's tickets that `validator` accepts (throws `InvalidTicketError`). */
  validateTicket(validator: TicketValidator, nowMs?: number): Expiration {
    return bestExpiration(this.tickets, validator, this.peerId, nowMs === undefined ? {} : { now: nowMs });
  }

  /**
   * All validators must pass; returns the earliest of their best expirations, or `undefined`
   * when no validator is configured (no auth). Throws `InvalidTicketError` otherwise.
   */
  validateTickets(validators: readonly TicketValidator[], nowMs?: number): Expiration | undefined {
    if (validators.length === 0) return undefined;
    return validateAll(this.tickets, validators, this.peerId, nowMs === undefined ? {} : { now: nowMs });
  }

  hasTag(tag: Digest): boolean {
    return this.tags.some((t) => t.equals(tag));
  }

  hasStream(stream: Digest): boolean {
    return this.streams.some((s) => s.equals(stream));
  }

  hasGroup(group: Digest): boolean {
    return this.groups.some((g) => g.equals(group));
  }

  /** `true` when this entry's version is strictly greater. */
  isNewerThan(other: PeerEntry): boolean {
    return compareVersions(this.version, other.version) > 0;
  }

  /** Canonical CBOR bytes of the entry (what gets signed). */
  encode(): Uint8Array {
    this.#bytes ??= encodeCanonical(this.toWire());
    return this.#bytes;
  }

  /** blake3 of the canonical bytes. */
  digest(): Uint8Array {
    return blake3(this.encode());
  }

  /** Same bytes. */
  equals(other: PeerEntry): boolean {
    return compareBytes(this.encode(), other.encode()) === 0;
  }

  /**
   * The array form that is CBOR-encoded (field order is the signature contract). Fields added
   * after the first release go into an optional ninth item, a map that is left out when empty,
   * so an entry without them encodes exactly as before.
   */
  toWire(): unknown[] {
    const base = [
      this.protocol,
      this.network.bytes,
      [this.version.startMs, this.version.updateMs],
      [this.address.peerId.bytes, [...this.address.directAddresses], this.address.relayUrl ?? null],
      this.tags.map((d) => d.bytes),
      this.streams.map((d) => d.bytes),
      this.groups.map((d) => d.bytes),
      this.#tickets.map((k) => [k.ticket.class.bytes, k.ticket.data]),
    ];
    const extra: Record<string, unknown> = {};
    if (this.coordinate !== undefined) extra.c = encodeCoordinate(this.coordinate);
    if (this.region !== undefined) extra.r = this.region;
    if (this.location !== undefined) extra.l = encodeLocation(this.location);
    return Object.keys(extra).length === 0 ? base : [...base, extra];
  }

  // ---- mutators: return a new entry; bump only on change ----

  /** Bumps the version unconditionally: `update = max(update, now) + 1`. */
  incrementVersion(nowMs = Date.now()): PeerEntry {
    return this.#with({ version: incrementVersion(this.version, nowMs) });
  }

  /** Replaces the address (always bumps). @throws {PeerIdChangedError} for another peer's address. */
  updateAddress(address: PeerAddress, nowMs = Date.now()): PeerEntry {
    if (!address.peerId.equals(this.peerId)) {
      throw new PeerIdChangedError(
        `address of ${address.peerId.short()} given to the entry of ${this.peerId.short()}`,
      );
    }
    return this.#with({ address, version: incrementVersion(this.version, nowMs) });
  }

  /**
   * Replaces the network coordinate (`undefined` removes it); bumps only when the coordinate as
   * it travels (float32) changed.
   */
  setCoordinate(coordinate: NetworkCoordinate | undefined, nowMs = Date.now()): PeerEntry {
    const next = coordinate === undefined ? undefined : roundCoordinate(checkCoordinate(coordinate));
    if (sameCoordinate(next, this.coordinate)) return this;
    return this.#with({ coordinate: next, version: incrementVersion(this.version, nowMs) });
  }

  /** Replaces the region label (`undefined` removes it); bumps only on change. */
  setRegion(region: string | undefined, nowMs = Date.now()): PeerEntry {
    const next = region === undefined ? undefined : checkRegion(region);
    if (next === this.region) return this;
    return this.#with({ region: next, version: incrementVersion(this.version, nowMs) });
  }

  /** Replaces the location (`undefined` removes it); bumps only on change. */
  setLocation(location: GeoLocation | undefined, nowMs = Date.now()): PeerEntry {
    const next = location === undefined ? undefined : checkLocation(location);
    const same =
      next === undefined
        ? this.location === undefined
        : this.location !== undefined && next.lat === this.location.lat && next.lon === this.location.lon;
    if (same) return this;
    return this.#with({ location: next, version: incrementVersion(this.version, nowMs) });
  }

  addTags(tags: Iterable<Digest>, nowMs = Date.now()): PeerEntry {
    return this.#withSet('tags', [...this.tags, ...tags], nowMs);
  }

  removeTags(tags: Iterable<Digest>, nowMs = Date.now()): PeerEntry {
    return this.#withSet('tags', without(this.tags, tags), nowMs);
  }

  addStreams(streams: Iterable<Digest>, nowMs = Date.now()): PeerEntry {
    return this.#withSet('streams', [...this.streams, ...streams], nowMs);
  }

  removeStreams(streams: Iterable<Digest>, nowMs = Date.now()): PeerEntry {
    return this.#withSet('streams', without(this.streams, streams), nowMs);
  }

  addGroups(groups: Iterable<Digest>, nowMs = Date.now()): PeerEntry {
    return this.#withSet('groups', [...this.groups, ...groups], nowMs);
  }

  removeGroups(groups: Iterable<Digest>, nowMs = Date.now()): PeerEntry {
    return this.#withSet('groups', without(this.groups, groups), nowMs);
  }

  /** Adds a ticket keyed by its id; no change (and no bump) if that id is present. */
  addTicket(ticket: Ticket, nowMs = Date.now()): PeerEntry {
    const id = ticket.id();
    if (this.#tickets.some((k) => k.id.equals(id))) return this;
    return this.#withTickets([...this.#tickets, { id, ticket }], nowMs);
  }

  removeTicket(id: UniqueId, nowMs = Date.now()): PeerEntry {
    const left = this.#tickets.filter((k) => !k.id.equals(id));
    return left.length === this.#tickets.length ? this : this.#withTickets(left, nowMs);
  }

  removeTicketsOf(klass: UniqueId, nowMs = Date.now()): PeerEntry {
    const left = this.#tickets.filter((k) => !k.ticket.class.equals(klass));
    return left.length === this.#tickets.length ? this : this.#withTickets(left, nowMs);
  }

  /** Removes every ticket of the same class, then adds this one. */
  replaceTicket(ticket: Ticket, nowMs = Date.now()): PeerEntry {
    const id = ticket.id();
    const left = this.#tickets.filter((k) => !k.ticket.class.equals(ticket.class));
    const next = [...left, { id, ticket }];
    const same = next.length === this.#tickets.length && this.#tickets.every((k) => k.id.equals(id));
    return same ? this : this.#withTickets(next, nowMs);
  }

  #fields(): PeerEntryFields {
    return {
      protocol: this.protocol,
      network: this.network,
      version: this.version,
      address: this.address,
      tags: this.tags,
      streams: this.streams,
      groups: this.groups,
      tickets: [],
      coordinate: this.coordinate,
      region: this.region,
      location: this.location,
    };
  }

  #with(change: Partial<PeerEntryFields>): PeerEntry {
    return new PeerEntry({ ...this.#fields(), ...change }, this.#tickets);
  }

  #withSet(field: 'tags' | 'streams' | 'groups', items: Digest[], nowMs: number): PeerEntry {
    const next = digestSet(items);
    const current = this[field];
    if (next.length === current.length && next.every((d, i) => d.equals(current[i] as Digest))) return this;
    return this.#with({ [field]: next, version: incrementVersion(this.version, nowMs) });
  }

  #withTickets(keyed: KeyedTicket[], nowMs: number): PeerEntry {
    const sorted = keyed.sort((a, b) => compareBytes(a.id.bytes, b.id.bytes));
    return new PeerEntry({ ...this.#fields(), version: incrementVersion(this.version, nowMs) }, sorted);
  }
}

function keyTickets(tickets: Iterable<Ticket>): KeyedTicket[] {
  const byId = new Map<string, KeyedTicket>();
  for (const ticket of tickets) {
    const id = ticket.id();
    byId.set(id.toString(), { id, ticket });
  }
  return [...byId.values()].sort((a, b) => compareBytes(a.id.bytes, b.id.bytes));
}

function sameCoordinate(a: NetworkCoordinate | undefined, b: NetworkCoordinate | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.height === b.height && a.error === b.error && a.vector.every((x, i) => x === b.vector[i]);
}

function without(items: readonly Digest[], remove: Iterable<Digest>): Digest[] {
  const gone = [...remove];
  return items.filter((d) => !gone.some((r) => r.equals(d)));
}
