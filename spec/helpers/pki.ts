import { createThrowawayPki, type ThrowawayPki } from '../../lib/simulators/throwawayPki';

let shared: Promise<ThrowawayPki> | undefined;

/** One CA with server (localhost, 127.0.0.1) and client certificates, made once per test run. */
export function sharedPki(): Promise<ThrowawayPki> {
  shared ??= createThrowawayPki();
  return shared;
}
