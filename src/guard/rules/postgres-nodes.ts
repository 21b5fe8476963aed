/**
 * The node types the PostgreSQL gate knows, as they come out of the parser (libpg-query, PostgreSQL 18's raw parse
 * tree as JSON). The walker refuses any other node type in reads and DML: a construct the gate has not reviewed —
 * including one a future parser adds — is refused until someone adds it here.
 *
 * In the JSON, a field typed `Node` holds a wrapper `{ "FuncCall": { … } }`, but a field typed with one specific
 * struct holds that struct bare (`"relation": { "relname": "t" }`). `inlineFields` names the type of every such
 * bare field of an allowed node, so the walker checks it like any other node; a bare object in a field missing
 * here is refused.
 */

const words = (text: string): ReadonlySet<string> => new Set(text.trim().split(/\s+/));

/** Node types allowed inside SELECT and DML, each reviewed: it computes, references or shapes rows. */
const ALLOWED = words(`
  SelectStmt InsertStmt UpdateStmt DeleteStmt MergeStmt
  WithClause CommonTableExpr CTESearchClause CTECycleClause ResTarget MultiAssignRef SetToDefault
  OnConflictClause InferClause IndexElem MergeWhenClause ReturningClause ReturningOption
  IntoClause LockingClause
  RangeVar RangeSubselect RangeFunction RangeTableSample RangeTableFunc RangeTableFuncCol JoinExpr Alias ColumnDef
  SortBy WindowDef GroupingSet
  A_Expr A_Const ColumnRef ParamRef A_Star A_Indices A_Indirection A_ArrayExpr FuncCall NamedArgExpr
  TypeCast TypeName CollateClause CaseExpr CaseWhen CoalesceExpr MinMaxExpr NullTest BooleanTest BoolExpr
  SubLink RowExpr SQLValueFunction GroupingFunc MergeSupportFunc XmlExpr XmlSerialize
  JsonFuncExpr JsonIsPredicate JsonObjectConstructor JsonArrayConstructor JsonArrayQueryConstructor
  JsonObjectAgg JsonArrayAgg JsonAggConstructor JsonParseExpr JsonScalarExpr JsonSerializeExpr JsonValueExpr
  JsonOutput JsonReturning JsonFormat JsonKeyValue JsonBehavior JsonArgument JsonTable JsonTableColumn
  JsonTablePathSpec
  List String Integer Float Boolean BitString
`);

const inline = (type: string, fields: string): Array<[string, string]> =>
  fields.trim().split(/\s+/).map((field) => [field, type]);

/** `Parent.field` → type of the bare struct it holds. */
const INLINE_FIELDS: ReadonlyMap<string, string> = new Map([
  ['A_Const.ival', 'Integer'],
  ['A_Const.fval', 'Float'],
  ['A_Const.boolval', 'Boolean'],
  ['A_Const.sval', 'String'],
  ['A_Const.bsval', 'BitString'],
  ...inline('Alias', 'RangeVar.alias JoinExpr.alias JoinExpr.join_using_alias RangeSubselect.alias RangeFunction.alias RangeTableFunc.alias JsonTable.alias'),
  ...inline('RangeVar', 'IntoClause.rel ColumnDef.identitySequence InsertStmt.relation DeleteStmt.relation UpdateStmt.relation MergeStmt.relation'),
  ...inline('TypeName', 'TypeCast.typeName RangeTableFuncCol.typeName ColumnDef.typeName XmlSerialize.typeName JsonOutput.typeName JsonTableColumn.typeName'),
  ...inline('WindowDef', 'FuncCall.over JsonAggConstructor.over'),
  ...inline('CollateClause', 'ColumnDef.collClause'),
  ...inline('WithClause', 'SelectStmt.withClause InsertStmt.withClause UpdateStmt.withClause DeleteStmt.withClause MergeStmt.withClause'),
  ...inline('ReturningClause', 'InsertStmt.returningClause UpdateStmt.returningClause DeleteStmt.returningClause MergeStmt.returningClause'),
  ...inline('SelectStmt', 'SelectStmt.larg SelectStmt.rarg'),
  ...inline('IntoClause', 'SelectStmt.intoClause'),
  ...inline('OnConflictClause', 'InsertStmt.onConflictClause'),
  ...inline('InferClause', 'OnConflictClause.infer'),
  ...inline('CTESearchClause', 'CommonTableExpr.search_clause'),
  ...inline('CTECycleClause', 'CommonTableExpr.cycle_clause'),
  ...inline('JsonFormat', 'JsonReturning.format JsonValueExpr.format JsonIsPredicate.format JsonTableColumn.format JsonArrayQueryConstructor.format'),
  ...inline('JsonReturning', 'JsonOutput.returning'),
  ...inline('JsonBehavior', 'JsonFuncExpr.on_empty JsonFuncExpr.on_error JsonTableColumn.on_empty JsonTableColumn.on_error JsonTable.on_error'),
  ...inline('JsonValueExpr', 'JsonArgument.val JsonFuncExpr.context_item JsonTable.context_item JsonKeyValue.value JsonParseExpr.expr JsonSerializeExpr.expr JsonArrayAgg.arg'),
  ...inline('JsonOutput', 'JsonFuncExpr.output JsonParseExpr.output JsonScalarExpr.output JsonSerializeExpr.output JsonObjectConstructor.output JsonArrayConstructor.output JsonArrayQueryConstructor.output JsonAggConstructor.output'),
  ...inline('JsonTablePathSpec', 'JsonTable.pathspec JsonTableColumn.pathspec'),
  ...inline('JsonAggConstructor', 'JsonObjectAgg.constructor JsonArrayAgg.constructor'),
  ...inline('JsonKeyValue', 'JsonObjectAgg.arg'),
]);

/** SQL names for node types that show up in refusals, so the message speaks SQL rather than parser. */
const SQL_NAMES: ReadonlyMap<string, string> = new Map([
  ['CurrentOfExpr', 'WHERE CURRENT OF (cursors)'],
  ['RangeTableSample', 'TABLESAMPLE'],
  ['LockingClause', 'FOR UPDATE/SHARE'],
  ['IntoClause', 'SELECT … INTO'],
]);

export interface PostgresNodes {
  readonly allowed: ReadonlySet<string>;
  readonly inlineFields: ReadonlyMap<string, string>;
  /** How to name a node type in a message. */
  sqlName(type: string): string;
}

export const postgresNodes: PostgresNodes = {
  allowed: ALLOWED,
  inlineFields: INLINE_FIELDS,
  sqlName: (type) => SQL_NAMES.get(type) ?? type,
};
