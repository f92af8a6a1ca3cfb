/** Metrics of the groups subsystem (the Rust implementation's series in Prometheus naming, plus histograms). */
import type { CounterHandle, GaugeHandle, HistogramHandle, Metrics } from '@mosaik/metrics';

/** The metric handles one node's groups share (label `group` = short group id). */
export class GroupsMetrics {
  readonly active: GaugeHandle;
  readonly bondsActive: GaugeHandle;
  readonly bytesSent: CounterHandle;
  readonly bytesReceived: CounterHandle;
  readonly messagesSent: CounterHandle;
  readonly messagesReceived: CounterHandle;
  /** Handshakes and bonds refused or closed for bad input, by `reason` (close code name). */
  readonly rejected: CounterHandle;
  readonly elections: CounterHandle;
  readonly leaderChanges: CounterHandle;
  readonly committed: GaugeHandle;
  readonly voters: GaugeHandle;
  readonly nonVoters: GaugeHandle;
  readonly committeeSize: GaugeHandle;
  readonly commitLatency: HistogramHandle;
  readonly electionDuration: HistogramHandle;
  readonly applyBatch: HistogramHandle;
  readonly resets: CounterHandle;
  readonly refusedCommands: CounterHandle;

  constructor(m: Metrics) {
    const g = ['group'];
    this.active = m.gauge('mosaik_groups_active', 'Groups joined on this node');
    this.bondsActive = m.gauge('mosaik_groups_bonds_active', 'Active bonds', g);
    this.bytesSent = m.counter('mosaik_groups_bonds_bytes_sent_total', 'Bytes sent on bonds', g);
    this.bytesReceived = m.counter('mosaik_groups_bonds_bytes_received_total', 'Bytes received on bonds', g);
    this.messagesSent = m.counter('mosaik_groups_bonds_messages_sent_total', 'Messages sent on bonds', g);
    this.messagesReceived = m.counter(
      'mosaik_groups_bonds_messages_received_total',
      'Messages received on bonds',
      g,
    );
    this.rejected = m.counter(
      'mosaik_groups_bonds_rejected_total',
      'Bond handshakes refused and bonds closed for bad input, by reason',
      ['reason'],
    );
    this.elections = m.counter('mosaik_groups_raft_elections_total', 'Elections started by this node', g);
    this.leaderChanges = m.counter('mosaik_groups_raft_leader_changes_total', 'Leader changes seen', g);
    this.resets = m.counter(
      'mosaik_groups_raft_resets_total',
      'Times this member discarded its state because its cluster lost a merge',
      g,
    );
    this.refusedCommands = m.counter(
      'mosaik_groups_forwarded_commands_refused_total',
      'Forwarded command batches the state machine refused (the sender was disconnected)',
      g,
    );
    this.committed = m.gauge('mosaik_groups_raft_committed', 'Committed (and applied) index', g);
    this.voters = m.gauge('mosaik_groups_raft_committee_voters', 'Voters in the configuration', g);
    this.nonVoters = m.gauge('mosaik_groups_raft_committee_non_voters', 'Learners in the configuration', g);
    this.committeeSize = m.gauge('mosaik_groups_raft_committee_size', 'Voters plus learners', g);
    this.commitLatency = m.histogram('mosaik_groups_command_commit_seconds', 'execute() to local apply', {
      labelNames: g,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.electionDuration = m.histogram('mosaik_groups_election_seconds', 'Leader lost to leader known', {
      labelNames: g,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
    });
    this.applyBatch = m.histogram('mosaik_groups_apply_batch_size', 'Commands per applyBatch call', {
      labelNames: g,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096],
    });
  }
}
