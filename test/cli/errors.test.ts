import { ConfigError } from '../../lib/config-loader';
import { briefReason, explainError } from '../../lib/cli/errors';
import { awsError } from './cli-fixtures';

// Mapping of the errors the commands throw; test/cli/program.test.ts covers them end to end.
describe('explainError', () => {
  test('a config problem is a usage error (exit 2)', () => {
    // WHEN / THEN
    expect(explainError(new ConfigError('bad file'))).toEqual({ message: 'bad file', exitCode: 2, unexpected: false });
  });

  test('a refused connection to an emulator names it (exit 3)', () => {
    // GIVEN
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    // WHEN / THEN
    expect(explainError(refused, { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9' })).toEqual({
      message: 'cannot reach http://127.0.0.1:9 (connect ECONNREFUSED 127.0.0.1:9): is the emulator running there? Check --endpoint-url (or AWS_ENDPOINT_URL)',
      exitCode: 3,
      unexpected: false,
    });
  });

  test("the SDK's connection timeout is a connection failure (exit 3)", () => {
    // GIVEN
    const timeout = Object.assign(new Error('Socket timed out without establishing a connection within 5000 ms'), { name: 'TimeoutError' });
    // WHEN / THEN
    expect(explainError(timeout, { region: 'eu-west-1' })).toMatchObject({ exitCode: 3, message: expect.stringMatching(/^cannot reach AWS in eu-west-1/) });
  });

  test('anything else is unexpected (exit 1)', () => {
    // WHEN / THEN
    expect(explainError(new TypeError('x is undefined'))).toEqual({ message: 'unexpected failure: x is undefined', exitCode: 1, unexpected: true });
    expect(explainError('a string')).toEqual({ message: 'unexpected failure: a string', exitCode: 1, unexpected: true });
  });
});

describe('briefReason', () => {
  test("an emulator's HTML error page reads as its HTTP status", () => {
    // GIVEN what the SDK throws when moto answers 500 with HTML
    const unparsable = Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error'), {
      $metadata: { httpStatusCode: 500 },
    });
    // WHEN / THEN
    expect(briefReason(unparsable)).toBe('HTTP 500');
    expect(briefReason(awsError('AccessDeniedException', 'no\nmore'))).toBe('AccessDeniedException: no');
  });
});
