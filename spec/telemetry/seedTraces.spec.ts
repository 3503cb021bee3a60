import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { createLogger } from '../../lib/log/logger';
import { startSeedTraces } from '../../lib/telemetry/seedTraces';
import { SenderTelemetry } from '../../lib/telemetry/senderTelemetry';

describe("the seeds' sender and memory traces (virtual time)", () => {
  it("logs the sender traces every sender_stats_period, and the memory trace every 5 minutes, in the seeds' shape", () => {
    const ts = new TestScheduler(() => undefined);
    const lines: string[] = [];
    ts.run(() => {
      const now = () => Date.UTC(2024, 0, 1) + ts.now();
      const sender = new SenderTelemetry(now);
      sender.queuedLines = () => 7;
      let rss = 40 * 1048576;
      const traces = startSeedTraces({
        logger: createLogger({ write: (l) => lines.push(l), now }),
        outputs: [{ name: 'devo_1', kind: 'devo', sender }],
        senderPeriodMs: 600_000,
        scheduler: ts,
        now,
        memory: () => ({ rss: (rss += 1048576), vms: 900 * 1048576, globalPercent: 33 }),
      });
      ts.schedule(() => {
        sender.opened();
        sender.written(3, 100, 44);
      }, 1000);
      ts.schedule(() => traces.unsubscribe(), 600_001);
    });
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).to.deep.equal([
      'INFO OutputProcess::MainThread -> [GC] global: 33.0% -> 33.0%, process: RSS(41.00MiB -> 42.00MiB), VMS(900.00MiB -> 900.00MiB)',
      'INFO OutputProcess::DevoSenderManagerMonitor(standard_senders,devo_1) -> Number of available senders: 1, sender manager internal queue size: 7',
      'INFO OutputProcess::DevoSenderManagerMonitor(standard_senders,devo_1) -> Sender: DevoSender(standard_senders,devo_sender_0), status: {"internal_queue_size": 7, "is_connection_open": True}',
      'INFO OutputProcess::DevoSenderManagerMonitor(standard_senders,devo_1) -> Standard - Total number of messages sent: 44, messages sent since "2024-01-01 00:00:00.000000+00:00": 44 (elapsed 600.000 seconds)',
      'INFO OutputProcess::MainThread -> [GC] global: 33.0% -> 33.0%, process: RSS(42.00MiB -> 43.00MiB), VMS(900.00MiB -> 900.00MiB)',
    ]);
  });

  it('names each output as Devo does: DevoSenderManagerMonitor for a TLS output, SyslogSenderManagerMonitor for a syslog one', () => {
    const ts = new TestScheduler(() => undefined);
    const lines: string[] = [];
    ts.run(() => {
      const now = () => Date.UTC(2024, 0, 1) + ts.now();
      const devo = new SenderTelemetry(now);
      const relay = new SenderTelemetry(now);
      relay.queuedLines = () => 3;
      const traces = startSeedTraces({
        logger: createLogger({ write: (l) => lines.push(l), now }),
        outputs: [
          { name: 'devo_1', kind: 'devo', sender: devo },
          { name: 'relay_1', kind: 'syslog', sender: relay },
        ],
        senderPeriodMs: 600_000,
        memoryPeriodMs: 3_600_000,
        scheduler: ts,
        now,
        memory: () => ({ rss: 1048576, vms: undefined, globalPercent: 33 }),
      });
      ts.schedule(() => {
        devo.opened();
        devo.written(3, 100, 44);
        relay.opened();
        relay.written(3, 100, 40);
      }, 1000);
      ts.schedule(() => traces.unsubscribe(), 600_001);
    });
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).to.deep.equal([
      'INFO OutputProcess::DevoSenderManagerMonitor(standard_senders,devo_1) -> Number of available senders: 1, sender manager internal queue size: 0',
      'INFO OutputProcess::DevoSenderManagerMonitor(standard_senders,devo_1) -> Sender: DevoSender(standard_senders,devo_sender_0), status: {"internal_queue_size": 0, "is_connection_open": True}',
      'INFO OutputProcess::DevoSenderManagerMonitor(standard_senders,devo_1) -> Standard - Total number of messages sent: 44, messages sent since "2024-01-01 00:00:00.000000+00:00": 44 (elapsed 600.000 seconds)',
      'INFO OutputProcess::SyslogSenderManagerMonitor(standard_senders,relay_1) -> Number of available senders: 1, sender manager internal queue size: 3',
      'INFO OutputProcess::SyslogSenderManagerMonitor(standard_senders,relay_1) -> Sender: SyslogSender(standard_senders,syslog_sender_0), status: {"internal_queue_size": 3, "is_connection_open": True}',
      'INFO OutputProcess::SyslogSenderManagerMonitor(standard_senders,relay_1) -> Standard - Total number of messages sent: 40, messages sent since "2024-01-01 00:00:00.000000+00:00": 40 (elapsed 600.000 seconds)',
    ]);
  });
});
