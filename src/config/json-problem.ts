/**
 * Where a JSON text goes wrong, as a person's editor counts it (line and
 * column from 1) and in words. JSON.parse's own messages differ between Node
 * versions, some carry no position and some quote the text (which may hold
 * secrets); jsonc-parser, in strict JSON mode, gives the offset and a code.
 */
import jsonc from 'jsonc-parser';

const WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' or a closing bracket",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string (a line break inside a string must be written \\n)',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape sequence',
  InvalidCharacter: 'control character in a string',
};

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastBreak };
}

/** "is not valid JSON: line 4, column 3: ..." for a text JSON.parse refused. */
export function jsonProblem(text: string): string {
  const errors: jsonc.ParseError[] = [];
  jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return 'is not valid JSON';
  const { line, column } = lineAndColumn(text, first.offset);
  const code = jsonc.printParseErrorCode(first.error);
  // A trailing comma shows up as a missing name or value where the closing bracket is.
  const trailingComma = (code === 'PropertyNameExpected' || code === 'ValueExpected') && /,\s*$/.test(text.slice(0, first.offset)) && /^[}\]]/.test(text.slice(first.offset));
  const what = trailingComma ? 'a comma before a closing bracket is not allowed in JSON' : (WORDS[code] ?? code);
  return `is not valid JSON: line ${line}, column ${column}: ${what}`;
}
