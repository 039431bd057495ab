// The head-unit agent's phase of fb-bench (bench/README.md, "B. The agent"), each measure beside
// a baseline from the same run:
//  - enqueue: bursts of ~1 KiB reports submitted to an Agent (each answered once its commit is
//    durable; a burst shares commits: group commit) vs a raw sqlite3 single-row INSERT of the
//    same bytes (WAL, synchronous=FULL) on the same disk, interleaved in rounds; beside them,
//    CarStore::enqueue_report one report at a time (a lone report: one commit each);
//  - disk_bytes_per_report: /proc/self/io write_bytes per report of those loops, WAL,
//    checkpoints and the final checkpoint at close included; beside them, the raw table's rows
//    50 a transaction, in WAL and in rollback-journal mode (the floor of an SQLite queue);
//  - ack_apply: the car's store work per backend acknowledgement (CarStore::apply_acks, 16 a
//    commit) vs a raw sqlite3 DELETE of as many rows, as many a commit (synchronous=NORMAL);
//  - ack_disk_bytes: write_bytes per ack of that loop and its checkpoint, vs the raw DELETEs';
//  - notification: a later status notification applied to each of those cases, one a commit
//    (rate and write_bytes) vs a raw sqlite3 INSERT of its bytes, one a commit;
//  - drain: a pre-filled outbox sent to a real broker and backend until every ack is applied,
//    vs raw Paho C++ publish -> PUBACK of the same payloads with the agent's in-flight window,
//    with no backend running and with the backend taking them (the drain's load);
//  - agent_rss_mb: peak RSS of an `fb-car stream --rate 10` process vs a connected mosquitto_sub;
//  - agent_idle_cpu: CPU seconds of a connected, idle `fb-car listen` vs an idle mosquitto_sub
//    with the same keepalive, over the same window.
// Runs its own PKI, Mosquitto and in-process backend in `work_dir`. No GoogleTest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fb/common/error.hpp"

namespace fb::bench {

struct AgentBenchOptions {
  std::filesystem::path work_dir;  // on the disk being measured (the benchmark's temp dir)
  std::string rules_dir;
  double enqueue_seconds = 4;  // per side, interleaved
  int drain_reports = 2000;
  double rss_seconds = 10;         // fb-car stream at 10 reports/s, each with a diagnostic snapshot
  double rss_drive_before_s = 60;  // driving before the first report: the ring's pre-tap history fills
  double rss_post_s = 30;          // each snapshot's post-tap window (the report waits that long)
  double idle_seconds = 10;        // measured after the link is up
  /// Non-empty: how to start fb-car for the process measures (memory, idle CPU) instead of the
  /// build's own, e.g. {"qemu-aarch64", "-L", "/", "build/aarch64/head-unit/fb-car"}; the
  /// in-process measures (enqueue, disk bytes, drain) are then skipped: they would measure this
  /// host's build, not that binary.
  std::vector<std::string> car_command;
  /// Only the drain and its raw Paho baselines (the rest of AgentResults stays 0).
  bool drain_only = false;
};

struct AgentResults {
  std::size_t report_bytes = 0;                  // the encoded report enqueued
  double enqueue_rate = 0, raw_insert_rate = 0;  // per second
  std::size_t enqueued = 0, raw_inserted = 0;
  double enqueue_p99_ms = 0, raw_insert_p99_ms = 0;  // submit -> durable, per report
  double disk_bytes_per_report = 0, raw_disk_bytes_per_row = 0;
  std::uint64_t enqueue_commits = 0;  // the agent's commits for its `enqueued` reports
  /// write_bytes per row of the raw table given the same reports 50 a transaction (the agent's
  /// bursts), WAL and synchronous=FULL; the same in rollback-journal mode (TRUNCATE).
  double raw_batch_disk_bytes_per_row = 0, raw_journal_batch_disk_bytes_per_row = 0;
  /// CarStore::enqueue_report, one report per call and commit.
  double lone_enqueue_rate = 0, lone_enqueue_p99_ms = 0, lone_disk_bytes_per_report = 0;
  std::size_t lone_enqueued = 0;
  /// CarStore::apply_acks of `ack_batch` acks a commit (each carrying its first notification,
  /// the reports' views read), acks/s; baseline: raw sqlite3 DELETE of as many rows, as many a
  /// commit.
  double ack_apply_rate = 0, raw_ack_delete_rate = 0;
  /// /proc/self/io write_bytes per ack of that loop, its checkpoint at the store's close
  /// included, and the raw DELETEs' per row.
  double ack_disk_bytes = 0, raw_ack_disk_bytes = 0;
  /// CarStore::apply_notification of a later status change to each of those cases, one a commit,
  /// per second and write_bytes per notification (its checkpoint at close included); baseline: a
  /// raw sqlite3 INSERT of the notification's bytes, one a commit (synchronous=FULL).
  double notification_rate = 0, raw_notification_rate = 0;
  double notification_disk_bytes = 0, raw_notification_disk_bytes = 0;
  // The same, kNotificationBatch a commit (CarStore::apply_notifications), against raw INSERTs as many a commit.
  double grouped_notification_rate = 0, raw_grouped_notification_rate = 0;
  double grouped_notification_disk_bytes = 0, raw_grouped_notification_disk_bytes = 0;
  std::size_t notification_batch = 0;
  std::size_t ack_batch = 0;
  double drain_rate = 0, raw_puback_rate = 0;  // reports/s after the link is up
  double drain_published_rate = 0;             // the same drain until the broker's last PUBACK
  /// raw_puback_rate with the backend running, taking and answering those reports as it does
  /// the drain's (the broker and the backend share the cores with the client, as in the drain).
  double raw_puback_rate_with_backend = 0;
  std::size_t drain_window = 0;
  double drain_connect_s = 0;
  /// CPU seconds (user + system) per report of everything taking part, this process and the
  /// broker: the drain from the agent's start to its last ack applied (car, backend, their Paho
  /// threads, the broker); the raw run's publishes to their last PUBACK (client and broker).
  double drain_cpu_s_per_report = 0, raw_puback_cpu_s_per_report = 0;
  double drain_broker_cpu_s_per_report = 0;  // the broker's part of drain_cpu_s_per_report
  /// drain_cpu_s_per_report by thread name, most first: this process's threads ("car" and its
  /// "paho-calls", "backend-io", Paho C's shared MQTTAsync_send and MQTTAsync_rcv; measured to the
  /// nanosecond) and "mosquitto" (the broker process, to the clock tick).
  std::vector<std::pair<std::string, double>> drain_cpu_by_thread;
  /// The cores the two share (std::thread::hardware_concurrency).
  unsigned cores = 0;
  /// The drain's rate if every core did nothing else and nothing waited: cores / its CPU per report.
  double drain_cpu_ceiling() const { return cores / drain_cpu_s_per_report; }
  double rss_mb = 0, baseline_rss_mb = 0;
  std::size_t rss_reports = 0;  // acknowledged during the RSS window
  double idle_cpu_s = 0, baseline_idle_cpu_s = 0;
  double idle_window_s = 0;
};

/// Errors: whatever part fails first (StorageErrc, MqttErrc), with what it was doing.
Result<AgentResults> measure_agent(const AgentBenchOptions& options);

}  // namespace fb::bench
