import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AppProps } from 'aws-cdk-lib';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));

/** An App with the same context (feature flags, validation) as `cdk synth` reads from cdk.json. */
export function appLikeCli(props: AppProps = {}): App {
  return new App({ ...props, context: { ...cdkJson.context, ...props.context } });
}
