import * as t from 'io-ts';
import { Output } from './outputCodec';
import { strictStruct } from './strictStruct';
import {
  Bool,
  DevoTag,
  FiniteNumber,
  Identifier,
  IntegerBetween,
  IsoTime,
  ListenPort,
  NonEmptyString,
  OneOf,
  PeriodSeconds,
  PositiveInt,
  PositiveNumber,
  Secret,
  SingleLineId,
  UrlBase,
} from './scalarCodecs';

const Persistence = strictStruct(
  'a mapping with type and config',
  { type: OneOf('filesystem'), config: strictStruct('a mapping with directory_name', { directory_name: NonEmptyString }, {}) },
  {},
);

/** `globals.http_server`: where `/metrics`, `/health`, `/ready` and `/status` are served. */
const HttpServer = strictStruct(
  'a mapping with address and port',
  { port: ListenPort },
  { address: NonEmptyString, allowed_hosts: t.array(NonEmptyString, 'a list of host names') },
);

/**
 * `globals`: besides `id`, `name` and `persistence`, the local overrides that Devo's collector SDK
 * accepts, with its ranges (API-NOTES.md, "Devo collector config.yaml"), so that a Devo user's
 * file validates as it is. What each one does here is in docs/configuration.md.
 */
const Globals = strictStruct(
  'a mapping with id and name',
  { id: Identifier(1, 5), name: Identifier(1, 10) },
  {
    debug: Bool,
    multiprocessing: Bool,
    persistence: Persistence,
    http_server: HttpServer,
    queue_max_size_in_mb: IntegerBetween(1, 5120),
    queue_max_size_in_messages: IntegerBetween(1, 100_000),
    queue_max_elapsed_time_in_sec: IntegerBetween(1, 600),
    queue_wrap_max_size_in_messages: IntegerBetween(1, 500),
    queue_generate_metrics: Bool,
    sender_concurrent_connections: PositiveInt,
    sender_stats_period_in_sec: PositiveInt,
    sender_activate_final_queue: Bool,
    generate_collector_details: Bool,
    balanced_output: Bool,
    max_consumers_for_multiprocessing: PositiveInt,
    max_consumers_for_multithreading: PositiveInt,
    devo_sender_threshold_for_using_gzip_in_transport_layer: FiniteNumber,
    devo_sender_compression_level: IntegerBetween(0, 9),
    devo_sender_compression_buffer_in_bytes: PositiveInt,
  },
);

/** One entry of an input's `requests_limits`: at most `number_of_requests` per `period`. */
const RequestsLimit = strictStruct('a mapping with period and number_of_requests', { period: PeriodSeconds, number_of_requests: PositiveInt }, {});

/** An input's `requests_limits`, as Devo's collector SDK takes it. */
const RequestsLimits = t.array(RequestsLimit, 'a list of {period, number_of_requests}');

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
    max_event_size_in_mb: IntegerBetween(1, 128),
  },
);

const PodInput = strictStruct(
  'a mapping with id, credentials and services',
  {
    id: Identifier(1, 5),
    credentials: strictStruct('a mapping with cluster_id and api_token', { cluster_id: SingleLineId, api_token: Secret }, {}),
    services: strictStruct(
      'a mapping of services (message, maillog, audit)',
      {},
      {
        message: PodService,
        maillog: PodService,
        audit: PodService,
      },
    ),
  },
  {
    enabled: Bool,
    override_url_base: UrlBase('wss:', 'ws:'),
    requests_per_second: PositiveNumber,
    requests_limits: RequestsLimits,
  },
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
    credentials: strictStruct('a mapping with api_key, client_id and client_secret', { api_key: Secret, client_id: SingleLineId, client_secret: Secret }, {}),
    services: strictStruct('a mapping of services (alerts, events)', {}, { alerts: CasbService, events: CasbService }),
  },
  {
    enabled: Bool,
    override_url_base: UrlBase('https:', 'http:'),
    requests_per_second: PositiveNumber,
    requests_limits: RequestsLimits,
    max_response_size_in_mb: IntegerBetween(1, 1024),
  },
);

/**
 * The Devo-style `config.yaml` as written by users (docs/ARCHITECTURE.md, "Contracts"). Every
 * mapping rejects unknown keys; defaults are applied after decoding, by `resolveConfig`.
 */
export const ConfigFile = strictStruct(
  'a mapping with globals, outputs and inputs',
  {
    globals: Globals,
    outputs: t.record(t.string, Output, 'a mapping with one output (e.g. devo_1, relay_1)'),
    inputs: strictStruct('a mapping of inputs', {}, { proofpoint_on_demand: PodInput, proofpoint_casb: CasbInput }),
  },
  {},
);
export type ConfigFile = t.TypeOf<typeof ConfigFile>;
