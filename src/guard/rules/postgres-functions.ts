/**
 * What the PostgreSQL gate knows about built-in functions. It is an allow-list: a name that is in none of these
 * lists is refused as "not known to be free of side effects" (postgres-function-check.ts), so forgetting a function
 * here costs a false rejection, never a hole.
 *
 * - `safe`: pg_catalog functions that only compute a value from their arguments, or read the catalog, statistics or
 *   settings the caller may read anyway. Volatile but harmless ones (random, now, gen_random_uuid) are here too.
 * - `writes`: functions that change data or state in a way a writable environment accepts. In a SELECT they make
 *   the statement a `write`, so a read-only environment refuses it and a writable one runs it.
 * - `refused` and `refusedPrefixes`: refused in every environment and whatever `allowed_functions` says, whatever
 *   the schema: server files, OS, network, other sessions, locks, session state, or SQL text run past the gate.
 *
 * Names are the parser's: lower-case, without schema.
 */

const words = (text: string): ReadonlySet<string> => new Set(text.trim().split(/\s+/));

/** Aggregates, ordered-set and hypothetical-set aggregates, window functions. */
const AGGREGATE_AND_WINDOW = `
  count sum avg min max any_value every bool_and bool_or bit_and bit_or bit_xor
  stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp
  regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy
  string_agg array_agg json_agg json_agg_strict jsonb_agg jsonb_agg_strict
  json_object_agg json_object_agg_strict json_object_agg_unique json_object_agg_unique_strict
  jsonb_object_agg jsonb_object_agg_strict jsonb_object_agg_unique jsonb_object_agg_unique_strict
  percentile_cont percentile_disc mode range_agg range_intersect_agg xmlagg
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
`;

const MATH = `
  abs cbrt ceil ceiling degrees div exp factorial floor gcd lcm ln log log10 min_scale mod pi power pow
  radians round scale sign sqrt trim_scale trunc width_bucket random random_normal erf erfc gamma lgamma
  acos acosd asin asind atan atand atan2 atan2d cos cosd cot cotd sin sind tan tand
  sinh cosh tanh asinh acosh atanh num_nulls num_nonnulls
`;

const STRING_AND_BINARY = `
  ascii bit_length btrim casefold char_length character_length chr concat concat_ws format initcap left length
  lower lpad ltrim md5 normalize is_normalized octet_length overlay parse_ident position quote_ident quote_literal
  quote_nullable regexp_count regexp_instr regexp_like regexp_match regexp_matches regexp_replace
  regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse right rpad rtrim split_part
  starts_with string_to_array string_to_table strpos substr substring to_ascii to_hex to_bin to_oct translate
  unistr upper encode decode convert convert_from convert_to sha224 sha256 sha384 sha512 crc32 crc32c
  get_bit get_byte set_bit set_byte bit_count like_escape similar_to_escape similar_escape hashtext hashtextextended
  to_char to_number to_date to_timestamp
`;

const DATE_AND_TIME = `
  age clock_timestamp current_date date_add date_subtract date_bin date_part date_trunc extract isfinite
  justify_days justify_hours justify_interval localtime localtimestamp make_date make_interval make_time
  make_timestamp make_timestamptz now statement_timestamp timeofday transaction_timestamp timezone overlaps
  generate_series generate_subscripts
`;

/** Type names that PostgreSQL also accepts as function-style casts (`date(ts)`, `numeric(x)`). */
const TYPE_CASTS = `
  bool boolean bpchar char varchar text name int2 int4 int8 float4 float8 numeric money date time timetz
  timestamp timestamptz interval json jsonb bytea oid inet cidr macaddr macaddr8 bit varbit xml uuid
`;

const JSON_FUNCTIONS = `
  to_json to_jsonb array_to_json row_to_json json_build_array jsonb_build_array json_build_object
  jsonb_build_object json_object jsonb_object json_array_length jsonb_array_length json_each jsonb_each
  json_each_text jsonb_each_text json_extract_path jsonb_extract_path json_extract_path_text
  jsonb_extract_path_text json_object_keys jsonb_object_keys json_populate_record jsonb_populate_record
  jsonb_populate_record_valid json_populate_recordset jsonb_populate_recordset json_to_record jsonb_to_record
  json_to_recordset jsonb_to_recordset json_strip_nulls jsonb_strip_nulls jsonb_set jsonb_set_lax jsonb_insert
  jsonb_pretty json_typeof jsonb_typeof json_array_elements jsonb_array_elements json_array_elements_text
  jsonb_array_elements_text jsonb_path_exists jsonb_path_match jsonb_path_query jsonb_path_query_array
  jsonb_path_query_first jsonb_path_exists_tz jsonb_path_match_tz jsonb_path_query_tz
  jsonb_path_query_array_tz jsonb_path_query_first_tz jsonb_concat jsonb_contains jsonb_contained jsonb_exists
  jsonb_exists_any jsonb_exists_all jsonb_delete jsonb_delete_path json_scalar json_serialize
`;

const ARRAY_RANGE_ENUM = `
  array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position
  array_positions array_prepend array_remove array_replace array_reverse array_sample array_shuffle array_sort
  array_to_string array_upper cardinality trim_array unnest
  isempty lower_inc upper_inc lower_inf upper_inf range_merge multirange int4range int8range numrange tsrange
  tstzrange daterange int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange
  enum_first enum_last enum_range
`;

const TEXT_SEARCH_XML_NETWORK_GEOMETRY = `
  to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd ts_headline
  setweight strip numnode querytree tsvector_to_array array_to_tsvector ts_delete ts_filter ts_lexize
  get_current_ts_config json_to_tsvector jsonb_to_tsvector
  xmlcomment xmltext xmlexists xpath xpath_exists xml_is_well_formed xml_is_well_formed_document
  xml_is_well_formed_content
  abbrev broadcast family host hostmask inet_merge inet_same_family masklen netmask network set_masklen
  area center diameter height width npoints point box circle radius line lseg path polygon isclosed isopen
`;

const UUID = 'gen_random_uuid uuidv4 uuidv7 uuid_extract_timestamp uuid_extract_version';

/** Catalog, privilege, size and monitoring reads: what a user may already see through pg_catalog views. */
const CATALOG_AND_SYSTEM = `
  version current_database current_schema current_schemas current_query current_setting pg_backend_pid
  pg_postmaster_start_time pg_conf_load_time pg_is_in_recovery pg_jit_available pg_trigger_depth
  pg_typeof pg_column_size pg_column_compression pg_collation_for format_type
  obj_description col_description shobj_description
  pg_get_viewdef pg_get_constraintdef pg_get_indexdef pg_get_expr pg_get_functiondef pg_get_function_arguments
  pg_get_function_identity_arguments pg_get_function_result pg_get_triggerdef pg_get_ruledef
  pg_get_serial_sequence pg_get_statisticsobjdef pg_get_userbyid pg_get_keywords pg_get_partkeydef
  pg_get_partition_constraintdef pg_get_replica_identity_index pg_get_catalog_foreign_keys
  pg_describe_object pg_identify_object pg_identify_object_as_address pg_get_object_address
  pg_table_is_visible pg_type_is_visible pg_function_is_visible pg_operator_is_visible pg_opclass_is_visible
  pg_collation_is_visible pg_conversion_is_visible pg_ts_config_is_visible pg_statistics_obj_is_visible
  pg_index_column_has_property pg_index_has_property pg_indexam_has_property pg_options_to_table
  pg_partition_tree pg_partition_ancestors pg_partition_root
  pg_size_pretty pg_size_bytes pg_total_relation_size pg_relation_size pg_table_size pg_indexes_size
  pg_database_size pg_tablespace_size
  has_table_privilege has_column_privilege has_any_column_privilege has_database_privilege
  has_schema_privilege has_function_privilege has_sequence_privilege has_language_privilege
  has_tablespace_privilege has_type_privilege has_server_privilege has_foreign_data_wrapper_privilege
  has_parameter_privilege has_largeobject_privilege pg_has_role row_security_active
  aclexplode acldefault makeaclitem
  to_regclass to_regtype to_regtypemod to_regproc to_regprocedure to_regoper to_regoperator to_regnamespace
  to_regrole to_regcollation pg_input_is_valid pg_input_error_info
  pg_encoding_to_char pg_char_to_encoding pg_client_encoding getdatabaseencoding
  pg_current_snapshot pg_snapshot_xmin pg_snapshot_xmax pg_snapshot_xip pg_visible_in_snapshot
  txid_current_snapshot txid_snapshot_xmin txid_snapshot_xmax txid_snapshot_xip txid_visible_in_snapshot
  txid_current_if_assigned pg_current_xact_id_if_assigned pg_xact_status txid_status age mxid_age
  pg_blocking_pids pg_safe_snapshot_blocking_pids pg_current_wal_lsn pg_last_wal_receive_lsn
  pg_last_wal_replay_lsn pg_wal_lsn_diff pg_last_xact_replay_timestamp pg_sequence_last_value
`;

/** Reasons shared by several refused names. */
const SERVER_FILES = 'reads or writes files on the database server';
const EXECUTES_SQL_TEXT = 'runs SQL text given as a string, which the gate never sees';
const LARGE_OBJECTS = 'reads or writes large objects, including server files (lo_import/lo_export)';

const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ...['pg_read_file', 'pg_read_binary_file', 'pg_stat_file', 'pg_current_logfile', 'pg_ls_dir']
    .map((n) => [n, SERVER_FILES] as const),
  ...['loread', 'lowrite'].map((n) => [n, LARGE_OBJECTS] as const),
  ...['ts_stat', 'ts_rewrite'].map((n) => [n, EXECUTES_SQL_TEXT] as const),
  ['set_config', 'changes a setting of the session, which outlives the statement on a pooled connection'],
  ['setseed', 'changes the random seed of the session, which outlives the statement on a pooled connection'],
  ['currval', 'reads sequence state of the pooled session, which belongs to whoever used it before'],
  ['lastval', 'reads sequence state of the pooled session, which belongs to whoever used it before'],
  ['pg_notify', 'sends a notification to other sessions'],
  ['pg_cancel_backend', 'cancels the query of another session'],
  ['pg_terminate_backend', 'terminates another session'],
  ['pg_reload_conf', 'makes the server reload its configuration files'],
  ['pg_rotate_logfile', 'makes the server switch its log file'],
  ['pg_switch_wal', 'forces a switch of the write-ahead log'],
  ['pg_promote', 'promotes a standby server'],
  ['pg_export_snapshot', 'exports a snapshot to a file for other sessions'],
  ['pg_import_system_collations', 'creates collations'],
  ['pg_log_backend_memory_contexts', 'writes to the server log'],
  ['pg_sync_replication_slots', 'changes replication slots'],
  ['brin_summarize_new_values', 'writes to an index'],
  ['brin_summarize_range', 'writes to an index'],
  ['brin_desummarize_range', 'writes to an index'],
  ['gin_clean_pending_list', 'writes to an index'],
];

const REFUSED_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['pg_read_', SERVER_FILES],
  ['pg_ls_', SERVER_FILES],
  ['pg_file_', SERVER_FILES],
  ['lo_', LARGE_OBJECTS],
  ['dblink', 'opens connections to other servers'],
  ['pg_sleep', 'only waits: it has no analytic use and holds a connection that other users need'],
  ['pg_advisory', 'takes advisory locks, which can outlive the statement and block other sessions'],
  ['pg_try_advisory', 'takes advisory locks, which can outlive the statement and block other sessions'],
  ['query_to_xml', EXECUTES_SQL_TEXT],
  ['cursor_to_xml', 'reads a cursor of the pooled session'],
  ['table_to_xml', EXECUTES_SQL_TEXT],
  ['schema_to_xml', EXECUTES_SQL_TEXT],
  ['database_to_xml', EXECUTES_SQL_TEXT],
  ['pg_stat_reset', 'resets server statistics'],
  ['pg_create_', 'creates replication slots or restore points (server administration)'],
  ['pg_drop_replication', 'drops replication slots (server administration)'],
  ['pg_replication_', 'changes replication state (server administration)'],
  ['pg_copy_', 'copies replication slots (server administration)'],
  ['pg_logical_', 'consumes or writes logical replication data (server administration)'],
  ['pg_backup_', 'controls backups (server administration)'],
  ['pg_wal_replay_', 'controls recovery (server administration)'],
  ['binary_upgrade_', 'is for pg_upgrade only'],
];

const WRITES: ReadonlyArray<readonly [string, string]> = [
  ['nextval', 'nextval() advances a sequence'],
  ['setval', 'setval() changes a sequence'],
  ['txid_current', 'txid_current() assigns a transaction id'],
  ['pg_current_xact_id', 'pg_current_xact_id() assigns a transaction id'],
];

export interface PostgresFunctionLists {
  readonly safe: ReadonlySet<string>;
  /** Name → why calling it writes. */
  readonly writes: ReadonlyMap<string, string>;
  /** Name → why it is refused in every environment. */
  readonly refused: ReadonlyMap<string, string>;
  readonly refusedPrefixes: ReadonlyArray<readonly [prefix: string, reason: string]>;
  /** TABLESAMPLE methods built into PostgreSQL; a method is a handler function, so others are refused. */
  readonly tablesampleMethods: ReadonlySet<string>;
}

export const postgresFunctions: PostgresFunctionLists = {
  safe: words(
    [
      AGGREGATE_AND_WINDOW, MATH, STRING_AND_BINARY, DATE_AND_TIME, TYPE_CASTS, JSON_FUNCTIONS,
      ARRAY_RANGE_ENUM, TEXT_SEARCH_XML_NETWORK_GEOMETRY, UUID, CATALOG_AND_SYSTEM,
    ].join(' '),
  ),
  writes: new Map(WRITES),
  refused: new Map(REFUSED),
  refusedPrefixes: REFUSED_PREFIXES,
  tablesampleMethods: words('bernoulli system'),
};
