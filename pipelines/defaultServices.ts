import type { ServiceFactory } from './runner';

/**
 * The services of every enabled input of a config. The POD and CASB pipelines register here as
 * they land.
 */
export const defaultServices: ServiceFactory = () => [];
