/** How often a session is pinged, and how long without a pong ends it (ms). */
export const POD_PING_INTERVAL_MS = 30_000;
export const POD_PONG_TIMEOUT_MS = 60_000;
