/** Reading a network's whole slot chain at once (used by the bootstrap loop and `mosaik dht`). */
import type { EndpointAddr } from '@mosaik/transport';
import type { DhtClient } from './client.js';
import { decodeSlotRecord } from './record.js';
import type { Slot } from './slots.js';

/** What one slot holds. `seq` is the record's pkarr timestamp in microseconds. */
export type SlotState =
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly reason: string; readonly seq: number }
  | { readonly kind: 'peer'; readonly addr: EndpointAddr; readonly seq: number }
  | { readonly kind: 'unreachable'; readonly error: unknown };

/** A slot and what it holds. */
export interface SlotView {
  readonly slot: Slot;
  readonly state: SlotState;
}

/**
 * Resolves every slot in parallel. Never rejects: a failed lookup gives `unreachable`, a packet
 * that does not decode gives `invalid` with the reason.
 */
export function scanChain(client: Pick<DhtClient, 'resolve'>, slots: readonly Slot[]): Promise<SlotView[]> {
  return Promise.all(
    slots.map(async (slot): Promise<SlotView> => {
      try {
        const item = await client.resolve(slot.publicKey);
        if (item === null) return { slot, state: { kind: 'empty' } };
        const record = decodeSlotRecord(item.value, slot.name);
        return {
          slot,
          state:
            record.kind === 'peer'
              ? { kind: 'peer', addr: record.addr, seq: item.seq }
              : { kind: 'invalid', reason: record.reason, seq: item.seq },
        };
      } catch (error) {
        return { slot, state: { kind: 'unreachable', error } };
      }
    }),
  );
}

/** Microseconds since the Unix epoch: the pkarr timestamp, also the BEP44 sequence number. */
export function nowMicros(): number {
  return Date.now() * 1000;
}
