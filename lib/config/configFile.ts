import * as t from 'io-ts';
import { strictStruct } from './strictStruct';
import {
  Bool,
  DevoTag,
  Identifier,
  IsoTime,
  NonEmptyString,
  OneOf,
  Port,
  PositiveInt,
  PositiveNumber,
  Secret,
  UrlBase,
} from './scalarCodecs';

const Persistence = strictStruct(
  'a mapping with type and config',
  { type: OneOf('filesystem'), config: strictStruct('a mapping with directory_name', { directory_name: NonEmptyString }, {}) },
  {},
);

const Globals = strictStruct(
  'a mapping with id and name',
  { id: Identifier(1, 5), name: Identifier(1, 10) },
  { debug: Bool, multiprocessing: Bool, persistence: Persistence },
);

const DevoPlatformConfig = strictStruct(
  'a mapping with address, port, type, chain, cert and key',
  {
    address: NonEmptyString,
    port: Port,
    type: OneOf('SSL'),
    chain: NonEmptyString,
    cert: NonEmptyString,
    key: NonEmptyString,
  },
  {
    key_passphrase: Secret,
    hostname: NonEmptyString,
    batch_max_events: PositiveInt,
    batch_max_bytes: PositiveInt,
    batch_max_delay_ms: PositiveInt,
    idle_timeout_in_seconds: PositiveInt,
    recycle_period_in_seconds: PositiveInt,
    insecure_skip_server_verification: Bool,
  },
);

const Output = strictStruct('a mapping with type and config', { type: OneOf('devo_platform'), config: DevoPlatformConfig }, {});

const PodService = strictStruct(
  'a mapping (may be empty: {})',
  {},
  {
    period_in_seconds: PositiveInt,
    override_tag_base: DevoTag,
    override_url_base: UrlBase('wss:', 'ws:'),
    start_time: IsoTime,
    dedup_max_keys: PositiveInt,
    dedup_max_size_in_mb: PositiveInt,
  },
);

const PodInput = strictStruct(
  'a mapping with id, credentials and services',
  {
    id: Identifier(1, 5),
    credentials: strictStruct('a mapping with cluster_id and api_token', { cluster_id: NonEmptyString, api_token: Secret }, {}),
    services: strictStruct('a mapping of services (message, maillog, audit)', {}, {
      message: PodService,
      maillog: PodService,
      audit: PodService,
    }),
  },
  { enabled: Bool, override_url_base: UrlBase('wss:', 'ws:') },
);

const CasbService = strictStruct(
  'a mapping (may be empty: {})',
  {},
  { request_period_in_seconds: PositiveInt, initial_start_time_in_utc: IsoTime, override_tag_base: DevoTag, dedup_max_size_in_mb: PositiveInt },
);

const CasbInput = strictStruct(
  'a mapping with id, credentials and services',
  {
    id: Identifier(1, 5),
    credentials: strictStruct(
      'a mapping with api_key, client_id and client_secret',
      { api_key: Secret, client_id: NonEmptyString, client_secret: Secret },
      {},
    ),
    services: strictStruct('a mapping of services (alerts, events)', {}, { alerts: CasbService, events: CasbService }),
  },
  { enabled: Bool, override_url_base: UrlBase('https:', 'http:'), requests_per_second: PositiveNumber },
);

/**
 * The Devo-style `config.yaml` as written by users (docs/ARCHITECTURE.md, "Contracts"). Every
 * mapping rejects unknown keys; defaults are applied after decoding, by `resolveConfig`.
 */
export const ConfigFile = strictStruct(
  'a mapping with globals, outputs and inputs',
  {
    globals: Globals,
    outputs: t.record(t.string, Output, 'a mapping with one output (e.g. devo_1)'),
    inputs: strictStruct('a mapping of inputs', {}, { proofpoint_on_demand: PodInput, proofpoint_casb: CasbInput }),
  },
  {},
);
export type ConfigFile = t.TypeOf<typeof ConfigFile>;
