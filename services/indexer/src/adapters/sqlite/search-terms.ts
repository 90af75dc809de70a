/**
 * User text reduced to plain search terms: runs of letters, digits and combining marks, the same
 * characters FTS5's unicode61 tokenizer keeps. Everything else (quotes, `*`, `:`, `^`, parentheses)
 * is a separator, so no FTS5 query syntax can survive; each term is then quoted, which also turns
 * the bare words AND, OR, NOT and NEAR into ordinary terms.
 */
const TERM = /[\p{L}\p{N}\p{M}]+/gu;
/** Bounds the work one query can ask of the index; longer input is almost certainly not a search. */
export const MAX_TERMS = 16;
const MAX_TERM_CHARS = 64;

export function searchTerms(text: string): string[] {
  const terms = text.match(TERM) ?? [];
  // By code points, so a cut never leaves half a surrogate pair.
  return terms.slice(0, MAX_TERMS).map((term) => Array.from(term).slice(0, MAX_TERM_CHARS).join(''));
}

/** The FTS5 MATCH expression for the terms: every term, each a quoted string (implicit AND). */
export function matchExpression(terms: string[]): string {
  return terms.map((term) => `"${term}"`).join(' ');
}
