import type { SenderTelemetry } from '../telemetry/senderTelemetry';
import type { DeliveryConfirmation } from './deliveryConfirmation';
import type { DevoSenderStats } from './devoSenderOptions';
import type { WriteQueue } from './writeQueue';

/** A sender's counters since creation, from its telemetry, its write queue and its unconfirmed writes. */
export function senderStats(t: SenderTelemetry, queue: WriteQueue, confirmation: DeliveryConfirmation): DevoSenderStats {
  return {
    connections: t.connections,
    connectionsLost: t.connectionsLost,
    bytesWritten: t.bytesWritten,
    bytesUncompressed: t.bytesUncompressed,
    bytesResent: t.bytesResent,
    bytesQueued: queue.queuedBytes,
    bytesInFlight: queue.inflightBytes,
    bytesDelivered: confirmation.delivered,
    bytesUnconfirmed: confirmation.bytes,
  };
}
