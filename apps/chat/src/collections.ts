/**
 * The room's two replicated collections. Every participant opens both as a writer: presence is a
 * Map from peer id (hex) to nickname and colour, the history a Vec of messages. Malformed values
 * from the network are dropped by the collections (their schemas), never shown.
 */
import { type CollectionOptions, defineCollection } from 'mosaik';
import {
  type ChatMessage,
  guardSchema,
  HISTORY_STORE,
  isChatMessage,
  isPeerHex,
  isPresence,
  PRESENCE_STORE,
  type Presence,
} from './model.js';

/**
 * Consensus tuned for people typing: a room of one is up in about 2 s, a silent peer (killed, or
 * its machine gone) is noticed after 3 s. Every participant must use the same values (they are
 * part of the collections' group ids), so changing them splits old and new clients.
 */
export const CHAT_CONSENSUS: CollectionOptions['consensus'] = Object.freeze({
  tickInterval: 50,
  heartbeatInterval: 300,
  maxMissedHeartbeats: 10,
  electionTimeout: 1500,
  bootstrapDelay: 1500,
  forwardTimeout: 2000,
  deadMemberTimeout: 15_000,
});

const isPeerKey = (v: unknown): v is string => typeof v === 'string' && isPeerHex(v);

/** Presence: peer id (hex) → who is there. */
export const PresenceMap = defineCollection.map<string, Presence>(PRESENCE_STORE, {
  keySchema: guardSchema('peer id', isPeerKey),
  valueSchema: guardSchema('presence entry', isPresence),
  consensus: CHAT_CONSENSUS,
});

/** History: every message, in commit order. */
export const HistoryVec = defineCollection.vec<ChatMessage>(HISTORY_STORE, {
  schema: guardSchema('message', isChatMessage),
  consensus: CHAT_CONSENSUS,
});
