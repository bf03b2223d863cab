import { Handoff, plumbingHandoffs } from './handoffs';
import { handlerHandoffs } from './handler-handoffs';
import { IdentityStatementRef, PolicyEngine, RequestVerdict } from './policy-engine';
import { batchHandoffs } from './batch-handoffs';
import { pipelineHandoffs, servingHandoffs } from './sagemaker-handoffs';
import { CfnTemplate, Deployment, ResolvedTemplate } from '../resolved-template';

/** The account the check imagines the stack deployed in. */
export const CHECK_ACCOUNT = '111111111111';

export interface HandoffResult {
  readonly handoff: Handoff;
  /** Denied requests, problems and foreign requests that were allowed, in words; empty when allowed. */
  readonly failures: string[];
  readonly verdict: 'allowed' | 'denied';
}

export interface WiringReport {
  readonly stage: string;
  readonly results: HandoffResult[];
  readonly denied: number;
  /** Identity statements that no hand-off relied on: granted, but unused. */
  readonly unused: IdentityStatementRef[];
  /** Managed policies attached to roles, which the check does not read. */
  readonly managedPolicies: { role: string; arn: string }[];
}

/** Every hand-off of a synthesized stage template, each decided by the policy engine. */
export async function checkWiring(stage: string, template: CfnTemplate, region: string): Promise<WiringReport> {
  const deployment: Deployment = { account: CHECK_ACCOUNT, region, partition: 'aws' };
  const resolved = new ResolvedTemplate(template, deployment);
  const engine = new PolicyEngine(resolved);
  const handoffs = [...plumbingHandoffs(resolved), ...pipelineHandoffs(resolved), ...servingHandoffs(resolved), ...batchHandoffs(resolved), ...handlerHandoffs(resolved)];
  const results: HandoffResult[] = [];
  for (const handoff of handoffs) {
    const failures = [...(handoff.problems ?? [])];
    for (const verdict of await Promise.all(handoff.requests.map((request) => engine.evaluate(request)))) {
      if (verdict.verdict !== 'allowed') failures.push(describeVerdict(verdict));
    }
    for (const verdict of await Promise.all((handoff.foreign ?? []).map((request) => engine.evaluate(request)))) {
      if (verdict.verdict === 'allowed') {
        failures.push(`open to another account: ${verdict.request.principal} may ${verdict.request.action} on ${verdict.request.resource} for ${verdict.request.context?.['aws:SourceArn'] ?? verdict.request.context?.['kms:EncryptionContext:aws:logs:arn'] ?? 'a foreign source'} (scope it with aws:SourceAccount/aws:SourceArn)`);
      } else if (verdict.verdict === 'invalid') {
        failures.push(describeVerdict(verdict));
      }
    }
    results.push({ handoff, failures, verdict: failures.length ? 'denied' : 'allowed' });
  }
  return {
    stage,
    results,
    denied: results.filter((r) => r.verdict === 'denied').length,
    unused: engine.unusedIdentityStatements(),
    managedPolicies: engine.managedPolicies,
  };
}

function describeVerdict(verdict: RequestVerdict): string {
  const { request } = verdict;
  const context = request.context && Object.keys(request.context).length ? ` with ${JSON.stringify(request.context)}` : '';
  const what = `${request.principal} → ${request.action} on ${request.resource}${context}`;
  return verdict.verdict === 'invalid' ? `invalid request (${verdict.why}): ${what}` : `denied (${verdict.why}): ${what}`;
}

/** The per-stage table and the closing line `<stage>: N hand-offs, D denied`. */
export function formatReport(report: WiringReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [`## ${report.stage}`, '', '| from | to | actions | verdict |', '|---|---|---|---|'];
  for (const { handoff, verdict, failures } of report.results) {
    const actions = [...new Set(handoff.requests.map((r) => r.action))].join(', ') || '—';
    lines.push(`| ${cell(handoff.from)} | ${cell(handoff.to)} | ${cell(actions)} | ${verdict === 'allowed' ? 'allowed' : `**DENIED**: ${cell(failures.join('; '))}`} |`);
  }
  lines.push('');
  if (report.unused.length) {
    lines.push(`Granted but used by no hand-off (${report.unused.length} statements; review, not a failure):`);
    for (const ref of options.verbose ? report.unused : report.unused.slice(0, 20)) {
      lines.push(`  - ${ref.role.split('/').pop()} ${ref.policy}#${ref.index}: ${JSON.stringify(ref.statement.Action)}`);
    }
    if (!options.verbose && report.unused.length > 20) lines.push(`  … ${report.unused.length - 20} more (--verbose lists them)`);
    lines.push('');
  }
  for (const note of new Set(report.results.map((r) => r.handoff.note).filter((n): n is string => !!n))) lines.push(`Note: ${note}`);
  for (const managed of report.managedPolicies) lines.push(`Not modelled: managed policy ${managed.arn} on ${managed.role}`);
  lines.push(`${report.stage}: ${report.results.length} hand-offs, ${report.denied} denied`);
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
