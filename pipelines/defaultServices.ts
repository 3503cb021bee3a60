import { casbServices } from './casb';
import { podServices } from './pod';
import type { ServiceFactory } from './runner';

/** The services of every enabled input of a config: the PoD services, then the CASB ones. */
export const defaultServices: ServiceFactory = (config, sender, logger) => [
  ...podServices(config, sender, logger),
  ...casbServices(config, sender, logger),
];
