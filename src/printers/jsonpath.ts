import { JSONPath } from 'jsonpath-plus';
import { HintedError } from '../kube/errors.js';

type Token = { text: string } | { expr: string };

/**
 * kubectl's `-o jsonpath=TEMPLATE`, the parts people use: text, `{.path}` (several results joined
 * by a space; filters and wildcards as JSONPath has them), `{"literal"}` with \n and \t, and
 * `{range .path}…{end}` over the results.
 */
export function renderJsonPath(template: string, data: unknown): string {
  const tokens = tokenize(template);
  const [out, rest] = evaluate(tokens, data);
  if (rest.length) throw bad(template, 'an {end} has no {range}');
  return out;
}

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      tokens.push({ text: template.slice(i) });
      break;
    }
    if (open > i) tokens.push({ text: template.slice(i, open) });
    const close = closing(template, open);
    if (close < 0) throw bad(template, 'a { is not closed');
    tokens.push({ expr: template.slice(open + 1, close).trim() });
    i = close + 1;
  }
  return tokens;
}

/** The } that closes the { at `open`, skipping quoted strings. */
function closing(s: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '}') return i;
  }
  return -1;
}

/** Evaluates tokens until an unmatched {end}; returns the text and the tokens after that {end}. */
function evaluate(tokens: Token[], data: unknown): [string, Token[]] {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if ('text' in t) {
      out += t.text;
      continue;
    }
    if (t.expr === 'end') return [out, tokens.slice(i + 1)];
    const range = /^range\s+(.*)$/.exec(t.expr);
    if (range) {
      const body = tokens.slice(i + 1);
      let rest: Token[] = [];
      for (const item of query(range[1]!, data)) {
        const [text, after] = evaluate(body, item);
        out += text;
        rest = after;
      }
      if (!query(range[1]!, data).length) rest = evaluate(body, undefined)[1];
      tokens = rest;
      i = -1;
      continue;
    }
    const literal = /^"((?:[^"\\]|\\.)*)"$/.exec(t.expr);
    if (literal) {
      out += literal[1]!.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
      continue;
    }
    out += query(t.expr, data)
      .map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)))
      .join(' ');
  }
  return [out, []];
}

function query(expr: string, data: unknown): unknown[] {
  if (data === undefined) return [];
  const path = expr.startsWith('$')
    ? expr
    : `$${expr.startsWith('.') || expr.startsWith('[') ? '' : '.'}${expr}`;
  if (path === '$.' || path === '$') return [data];
  return JSONPath({ path, json: data as object, wrap: true }) as unknown[];
}

const bad = (template: string, why: string) =>
  new HintedError(
    `invalid jsonpath template "${template}": ${why}`,
    `e.g. -o jsonpath='{.items[*].metadata.name}'`,
  );
