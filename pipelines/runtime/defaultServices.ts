import { podServices } from '../pod/pod';
import type { ServiceFactory } from './runner';

/**
 * The services of every enabled input of a config: the PoD services, then the CASB ones. The
 * CASB pipeline (and its HTTP stack) is loaded only when a CASB input is enabled.
 */
// The CASB HTTP stack (axios, bottleneck) is loaded only when a CASB input is enabled.
export const defaultServices: ServiceFactory = (config, sender, logger, telemetry) => [
  ...podServices(config, sender, logger, telemetry),
  ...(config.casb?.enabled === true ? loadCasbServices().casbServices(config, sender, logger, { telemetry }) : []),
];

function loadCasbServices(): typeof import('../casb/casbServices') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose
  return require('../casb/casbServices') as typeof import('../casb/casbServices');
}
