import { BlockList } from 'node:net';
import type { Logger } from '../log/logger';
import type { CollectorConfig } from './collectorConfig';

/** Loopback addresses: 127.0.0.0/8 and ::1 (IPv4-mapped ones included). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Warns, at every start, about a syslog output over plain TCP (no `chain`), whose events cross the
 * network unencrypted, and about each PoD or CASB base URL that is cleartext (`ws://`, `http://`):
 * the PoD `api_token`, the CASB `api_key`, `client_secret` and auth token, and every event, would
 * cross the network unencrypted. Each warning names the setting to change. A loopback host
 * (127.0.0.0/8, ::1, `localhost`) is exempt: nothing leaves the machine. Disabled inputs are not
 * looked at. Only the scheme, host and port of a URL are printed (never credentials in it).
 *
 * @returns the warnings logged (one for the output, one per PoD service, one for the CASB input)
 *
 * @example
 * cleartextWarnings(config, logger); // called by startCollector
 */
export function cleartextWarnings(config: CollectorConfig, logger: Logger): readonly string[] {
  const warnings = findCleartextUrls(config);
  for (const warning of warnings) logger.warn(warning);
  return warnings;
}

/**
 * The warnings of {@link cleartextWarnings}, without logging them (`validate` prints them).
 *
 * @example
 * findCleartextUrls(config); // ['inputs.proofpoint_casb.override_url_base is http://casb.example.com, not https://: …']
 */
export function findCleartextUrls(config: CollectorConfig): string[] {
  const warnings: string[] = [];
  for (const out of config.outputs) {
    if (out.kind !== 'syslog' || out.chain !== undefined || isLoopback(out.address)) continue;
    warnings.push(
      `outputs.${out.name} (type ${out.type}) sends to ${out.address}:${out.port} over plain TCP: every event crosses the network in clear text, and anyone on the path can read and alter it. Set outputs.${out.name}.config.chain for TLS (the relay's CA chain; Devo's In-House Relay takes TLS through stunnel in front of it), or use type devo_platform (only loopback addresses are exempt from this warning).`,
    );
  }
  if (config.pod?.enabled === true) {
    for (const service of config.pod.services) {
      const origin = cleartextOrigin(service.urlBase, 'ws:');
      if (origin === undefined) continue;
      warnings.push(
        `inputs.proofpoint_on_demand.services.${service.name}.override_url_base (or inputs.proofpoint_on_demand.override_url_base) is ${origin}, not wss://: the PoD api_token and every event cross the network in clear text, and anyone on the path can read them. Use wss:// (only loopback addresses are exempt from this warning).`,
      );
    }
  }
  if (config.casb?.enabled === true) {
    const origin = cleartextOrigin(config.casb.urlBase, 'http:');
    if (origin !== undefined) {
      warnings.push(
        `inputs.proofpoint_casb.override_url_base is ${origin}, not https://: the CASB api_key, client_secret and auth token, and every record, cross the network in clear text, and anyone on the path can read them. Use https:// (only loopback addresses are exempt from this warning).`,
      );
    }
  }
  return warnings;
}

/** `scheme://host:port` of a URL with the cleartext `scheme` to a host that is not loopback, else undefined. */
function cleartextOrigin(urlBase: string, scheme: 'ws:' | 'http:'): string | undefined {
  let url: URL;
  try {
    url = new URL(urlBase);
  } catch {
    return undefined;
  }
  // ws also takes http:// URLs (and https:// as wss://).
  if (url.protocol !== scheme && url.protocol !== 'http:') return undefined;
  if (isLoopback(url.hostname)) return undefined;
  return `${url.protocol}//${url.host}`;
}

function isLoopback(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost') return true;
  try {
    return LOOPBACK.check(host, host.includes(':') ? 'ipv6' : 'ipv4');
  } catch {
    // Not an IP address: a host name, resolved elsewhere.
    return false;
  }
}
