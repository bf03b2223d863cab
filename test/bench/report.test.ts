import { functionName } from '../../bench/lambdas';
import { renderMarkdown, renderText } from '../../bench/report';

const section = { title: 'Tests', headers: ['command', 'result'], rows: [['npm test', 'passed | 2']], notes: ['once each'] };

describe('bench report', () => {
  test('plain text aligns the columns under a titled rule', () => {
    expect(renderText(section)).toBe(
      ['Tests', '=====', 'command   result', '--------  ----------', 'npm test  passed | 2', '  * once each'].join('\n'),
    );
  });

  test('Markdown escapes pipes inside cells', () => {
    expect(renderMarkdown(section)).toBe(
      ['### Tests', '', '| command | result |', '| --- | --- |', '| npm test | passed \\| 2 |', '', '- once each'].join('\n'),
    );
  });

  test('Lambda bundles are named after their construct path', () => {
    expect(functionName('Endpoint/Deployer/Function/Code', 'churn-dev')).toBe('Endpoint/Deployer/Function');
    expect(functionName('churn-dev/Custom::S3AutoDeleteObjectsCustomResourceProvider Code', 'churn-dev')).toBe(
      'Custom::S3AutoDeleteObjectsCustomResourceProvider',
    );
  });
});
