/** Metrics of the collections on one node (label `store`: the short store id). */
import type { CounterHandle, GaugeHandle, Metrics } from '@mosaik/metrics';
import type { CollectionKind } from './machines/common.js';

const SIZE_NAMES: Record<CollectionKind, string> = {
  map: 'mosaik_collections_map_size',
  vec: 'mosaik_collections_vec_size',
  set: 'mosaik_collections_set_size',
  cell: 'mosaik_collections_cell_size',
  once: 'mosaik_collections_once_size',
  pq: 'mosaik_collections_priority_queue_size',
};

/** The metric handles of one kind of collection. */
export class CollectionMetrics {
  /** Entries (Cell, Once: 1 when set). Updated after every apply batch and snapshot install. */
  readonly size: GaugeHandle;
  /** Commands dropped at apply because a key, value or priority failed the schema. */
  readonly invalid: CounterHandle;
  /** Snapshots this replica produced for Raft (compaction, and the followers it sends them to). */
  readonly snapshotsTaken: CounterHandle;
  /** Snapshots installed by this replica (it was late or lagging). */
  readonly snapshotsInstalled: CounterHandle;
  /** Times a watcher fell behind its buffer and started over from a snapshot. */
  readonly watchLagged: CounterHandle;

  constructor(m: Metrics, kind: CollectionKind) {
    const s = ['store'];
    this.size = m.gauge(SIZE_NAMES[kind], `Entries of each ${kind} collection`, s);
    this.invalid = m.counter(
      'mosaik_collections_invalid_values_total',
      'Commands dropped because a key, value or priority failed the schema',
      s,
    );
    this.snapshotsTaken = m.counter(
      'mosaik_collections_snapshots_taken_total',
      'Replica snapshots produced',
      s,
    );
    this.snapshotsInstalled = m.counter(
      'mosaik_collections_snapshots_installed_total',
      'Replica snapshots installed (catch-up)',
      s,
    );
    this.watchLagged = m.counter(
      'mosaik_collections_watch_lagged_total',
      'Watchers that fell behind their buffer and restarted from a snapshot',
      s,
    );
  }
}
