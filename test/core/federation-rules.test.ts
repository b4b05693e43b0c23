/** Trust-policy conditions on claims and subject templates (src/core/federation). */
import { conditionsMatch } from '../../src/core/federation/claim-conditions.js';
import { renderSubject, templateProblem } from '../../src/core/federation/subject-template.js';

describe('conditions', () => {
  const claims = { repository: 'acme/app', ref: 'refs/heads/release/2.4', run_attempt: 1, fork: false, groups: ['dev', 'ops'], nested: { a: 'b' } };

  test.each([
    [{ repository: ['acme/app'] }, true],
    [{ repository: ['acme/app', 'acme/lib'] }, true],
    [{ repository: ['acme/App'] }, false],
    [{ repository: ['acme/ap'] }, false],
    [{ ref: ['refs/heads/release/*'] }, true],
    [{ ref: ['refs/heads/*/2.4'] }, true],
    [{ ref: ['refs/heads/main'] }, false],
    [{ ref: ['refs/heads/release.*'] }, false],
    [{ repository: ['acme/*'], ref: ['refs/heads/main'] }, false],
    [{ run_attempt: ['1'], fork: ['false'] }, true],
    [{ groups: ['ops'] }, true],
    [{ groups: ['admin'] }, false],
    [{ nested: ['[object Object]'] }, false],
    [{ missing: ['*'] }, false],
    [{ constructor: ['*'] }, false],
  ])('%j → %s', (conditions, expected) => {
    expect(conditionsMatch(conditions, claims)).toBe(expected);
  });

  test('regex characters in a value are literal', () => {
    expect(conditionsMatch({ ref: ['refs/heads/(.*)'] }, { ref: 'refs/heads/main' })).toBe(false);
    expect(conditionsMatch({ ref: ['refs/heads/(.*)'] }, { ref: 'refs/heads/(.*)' })).toBe(true);
    expect(conditionsMatch({ sub: ['a*'] }, { sub: 'a\nb' })).toBe(true);
  });
});

describe('subject templates', () => {
  test('fill placeholders from top-level string and number claims', () => {
    expect(renderSubject('{sub}', { sub: 'repo:acme/app:ref:refs/heads/main' })).toBe('repo:acme/app:ref:refs/heads/main');
    expect(renderSubject('github:{repository}#{run_id}', { repository: 'acme/app', run_id: 42 })).toBe('github:acme/app#42');
    expect(renderSubject('fixed-subject', {})).toBe('fixed-subject');
  });

  test('a missing, empty or non-text claim, or a result over 256 characters, is no subject', () => {
    expect(renderSubject('{repository}', {})).toBeNull();
    expect(renderSubject('x:{repository}', { repository: '' })).toBeNull();
    expect(renderSubject('{groups}', { groups: ['a'] })).toBeNull();
    expect(renderSubject('{sub}', { sub: 'x'.repeat(257) })).toBeNull();
  });

  test('stray braces are a problem; placeholders are not', () => {
    expect(templateProblem('github:{repository}@{ref}')).toBeNull();
    expect(templateProblem('{a')).not.toBeNull();
    expect(templateProblem('a}')).not.toBeNull();
    expect(templateProblem('{bad name}')).not.toBeNull();
  });
});
