import { spawnSync } from 'node:child_process';
import { packageFile } from '../../constructs/private/package-files';
import { CliError, EXIT_CODE } from './errors';

const PYTHON_MODULES = ['numpy', 'pandas', 'sklearn', 'xgboost'];

/** The first interpreter that imports what the ml/ scripts need, or an error naming what each lacked. */
export function findPython(env: NodeJS.ProcessEnv): string {
  const candidates = env.CDK_MLOPS_PYTHON ? [env.CDK_MLOPS_PYTHON] : ['python3', '/usr/bin/python3'];
  const problems: string[] = [];
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['-c', `import ${PYTHON_MODULES.join(', ')}`], { encoding: 'utf8', env });
    if (result.status === 0) return candidate;
    const why = result.error ? result.error.message : (result.stderr.trim().split('\n').pop() ?? `exit code ${result.status}`);
    problems.push(`${candidate}: ${why}`);
  }
  throw new CliError(
    `no Python 3 with ${PYTHON_MODULES.join(', ')} found (${problems.join('; ')}); install them ` +
      `(Debian/Ubuntu: apt-get install python3-pandas python3-sklearn python3-xgboost; elsewhere: pip install -r ${packageFile('ml', 'requirements.txt')}) ` +
      'or point CDK_MLOPS_PYTHON at an interpreter that has them',
    EXIT_CODE.AWS_ACCESS,
  );
}

