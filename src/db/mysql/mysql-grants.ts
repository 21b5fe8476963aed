/**
 * Reads the lines of SHOW GRANTS, as MySQL and MariaDB print them, into privileges, object and grantee.
 *
 *   GRANT SELECT, INSERT (`a`, `b`) ON `shop`.`orders` TO `u`@`%` WITH GRANT OPTION
 *   GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED BY PASSWORD '*2B6…' WITH GRANT OPTION
 *   GRANT `reporting` TO `u`@`%`                      (a role granted to the account)
 *
 * Only the parts before the grantee's options are kept: the password hash MariaDB prints after IDENTIFIED BY must
 * never reach a message.
 */

/** One GRANT line. */
export type MysqlGrant =
  | {
      readonly kind: 'privileges';
      /** Upper-case names, column lists removed: `SELECT`, `ALL PRIVILEGES`, `CREATE VIEW`, `BINLOG ADMIN`. */
      readonly privileges: readonly string[];
      /** `*.*`, `shop.*`, `shop.orders`, `PROCEDURE shop.p`, as written but without backticks. */
      readonly object: string;
      readonly scope: 'global' | 'database' | 'table' | 'routine' | 'proxy';
      /** The account or role the line grants to, without backticks: `u@%`, or a role name. */
      readonly grantee: string;
      readonly isGrantable: boolean;
    }
  | { readonly kind: 'roles'; readonly roles: readonly string[]; readonly grantee: string };

/** Parses one line of SHOW GRANTS; null for other lines (SET DEFAULT ROLE …) and anything it cannot read. */
export function parseMysqlGrant(line: string): MysqlGrant | null {
  const text = line.trim();
  if (!/^GRANT\s/i.test(text)) return null;
  const parts = splitTopLevel(text.slice('GRANT'.length), /\s(ON|TO)\s/iy);
  if (parts.length < 2) return null;
  const [head, ...rest] = parts;
  if (rest[0]!.keyword === 'TO') {
    return { kind: 'roles', roles: splitList(head!.text).map(unquote), grantee: grantee(rest[0]!.text) };
  }
  const onPart = rest[0]!;
  const toPart = rest[1];
  if (onPart.keyword !== 'ON' || toPart?.keyword !== 'TO') return null;
  const privileges = splitList(head!.text).map((p) => p.replace(/\s*\(.*\)\s*$/s, '').replace(/\s+/g, ' ').toUpperCase());
  const object = unquote(onPart.text.trim());
  return {
    kind: 'privileges',
    privileges,
    object,
    scope: scopeOf(object, privileges),
    grantee: grantee(toPart.text),
    isGrantable: /\sWITH\s+(.*\s)?GRANT\s+OPTION\b/i.test(` ${toPart.text}`),
  };
}

function scopeOf(object: string, privileges: readonly string[]): 'global' | 'database' | 'table' | 'routine' | 'proxy' {
  if (privileges.includes('PROXY')) return 'proxy';
  if (/^(PROCEDURE|FUNCTION|PACKAGE|PACKAGE BODY)\s/i.test(object)) return 'routine';
  if (object === '*.*' || object === '*') return 'global';
  return object.endsWith('.*') ? 'database' : 'table';
}

/** The grantee: the first account or role after TO, before IDENTIFIED, REQUIRE, WITH … */
function grantee(text: string): string {
  const [first] = splitTopLevel(` ${text.trim()}`, /\s(IDENTIFIED|REQUIRE|WITH|PASSWORD|AS)\s/iy);
  return unquote(first!.text.trim());
}

/** `a`, b (x, y), `c,d` → three items: commas inside parentheses, backticks or quotes do not split. */
function splitList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '`' || ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth--;
    } else if (ch === ',' && depth === 0) {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(text.slice(start).trim());
  return items.filter((item) => item !== '');
}

/**
 * Splits at each match of `keyword` (a sticky regex with one capture group) found outside quotes and parentheses.
 * The first part has no keyword.
 */
function splitTopLevel(text: string, keyword: RegExp): { keyword: string | null; text: string }[] {
  const parts: { keyword: string | null; text: string }[] = [];
  let current: { keyword: string | null; start: number } = { keyword: null, start: 0 };
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '`' || ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /\s/.test(ch)) {
      keyword.lastIndex = i;
      const match = keyword.exec(text);
      if (match) {
        parts.push({ keyword: current.keyword, text: text.slice(current.start, i) });
        current = { keyword: match[1]!.toUpperCase(), start: i + match[0].length };
        i += match[0].length - 1; // the loop's i++ lands on the first character after the keyword's trailing space
      }
    }
  }
  parts.push({ keyword: current.keyword, text: text.slice(current.start) });
  return parts;
}

/** Removes identifier and string quotes: `shop`.`orders` → shop.orders, 'u'@'%' → u@%. */
function unquote(text: string): string {
  return text.replace(/`((?:[^`]|``)*)`/g, (_m, name: string) => name.replaceAll('``', '`')).replace(/'((?:[^']|'')*)'/g, (_m, name: string) => name);
}
