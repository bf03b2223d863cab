/**
 * The local loop's one emulation layer: an HTTP proxy on 127.0.0.1 in front of moto that answers
 * the SageMaker actions moto 5.2.1 does not implement and the loop needs, and passes every other
 * request through unchanged.
 *
 * Answered here: the monitoring-schedule actions (moto answers HTTP 500 NotImplementedError), which
 * the deployer calls once an instance endpoint is InService. Schedules are kept in memory for the
 * run with status Scheduled. Amended here: moto drops CreateModelPackage's ModelCard, so the layer
 * keeps each package's card and adds it to DescribeModelPackage's answer. Nothing else is
 * emulated; `answered` lists what was. Not answered here: the data- and model-quality job
 * definitions (Create, Describe, List, Delete), which moto 5.2.1 implements itself, ResourceInUse
 * for a taken name and ResourceNotFound included.
 */
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Schedule {
  readonly MonitoringScheduleArn: string;
  readonly MonitoringScheduleName: string;
  MonitoringScheduleStatus: string;
  MonitoringScheduleConfig: unknown;
  readonly CreationTime: number;
  LastModifiedTime: number;
  EndpointName?: string;
  MonitoringType?: string;
}

/** The SageMaker actions this layer answers, each with the request body parsed. */
type Handler = (body: Record<string, unknown>) => { status: number; body: unknown };

export class EmulationLayer {
  /** Each action this layer answered, in order, for the run's report. */
  public readonly answered: string[] = [];
  private server?: Server;
  private readonly schedules = new Map<string, Schedule>();
  /** The ModelCard of each package created through the layer, by ARN. */
  private readonly modelCards = new Map<string, unknown>();
  /** Actions moto answers without a field the loop needs: the layer forwards them and amends the answer. */
  private readonly amenders: Record<string, (request: Record<string, unknown>, answer: Record<string, unknown>) => Record<string, unknown>> = {
    CreateModelPackage: (request, answer) => {
      if (request.ModelCard !== undefined && typeof answer.ModelPackageArn === 'string') this.modelCards.set(answer.ModelPackageArn, request.ModelCard);
      return answer;
    },
    DescribeModelPackage: (_request, answer) => {
      const card = typeof answer.ModelPackageArn === 'string' ? this.modelCards.get(answer.ModelPackageArn) : undefined;
      return card === undefined || answer.ModelCard !== undefined ? answer : { ...answer, ModelCard: card };
    },
  };
  private readonly handlers: Record<string, Handler> = {
    CreateMonitoringSchedule: (body) => this.createSchedule(body),
    DescribeMonitoringSchedule: (body) => this.withSchedule(body, (schedule) => ({ status: 200, body: schedule })),
    UpdateMonitoringSchedule: (body) =>
      this.withSchedule(body, (schedule) => {
        schedule.MonitoringScheduleConfig = body.MonitoringScheduleConfig;
        schedule.LastModifiedTime = Date.now() / 1000;
        return { status: 200, body: { MonitoringScheduleArn: schedule.MonitoringScheduleArn } };
      }),
    DeleteMonitoringSchedule: (body) =>
      this.withSchedule(body, (schedule) => {
        this.schedules.delete(schedule.MonitoringScheduleName);
        return { status: 200, body: {} };
      }),
    ListMonitoringSchedules: (body) => ({
      status: 200,
      body: {
        MonitoringScheduleSummaries: [...this.schedules.values()]
          .filter((schedule) => body.EndpointName === undefined || schedule.EndpointName === body.EndpointName)
          .map(({ MonitoringScheduleName, MonitoringScheduleArn, CreationTime, LastModifiedTime, MonitoringScheduleStatus, EndpointName, MonitoringType }) => ({
            MonitoringScheduleName,
            MonitoringScheduleArn,
            CreationTime,
            LastModifiedTime,
            MonitoringScheduleStatus,
            EndpointName,
            MonitoringType,
          })),
      },
    }),
  };

  constructor(
    private readonly upstream: string,
    private readonly region: string,
    private readonly account: string,
  ) {}

  public get endpoint(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the emulation layer is not started: call start() first');
    return `http://127.0.0.1:${address.port}`;
  }

  public async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
  }

  public async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks);
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith('SageMaker.') ? target.slice('SageMaker.'.length) : undefined;
    const handler = action ? this.handlers[action] : undefined;
    if (action && handler) {
      this.answered.push(action);
      const answer = handler(JSON.parse(payload.toString('utf8') || '{}') as Record<string, unknown>);
      res.writeHead(answer.status, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer.body));
      return;
    }
    const amend = action ? this.amenders[action] : undefined;
    this.forward(req, payload, res, amend && ((answer) => {
      const amended = amend(JSON.parse(payload.toString('utf8') || '{}') as Record<string, unknown>, answer);
      if (amended !== answer) this.answered.push(`${action} (ModelCard)`);
      return amended;
    }));
  }

  private forward(req: IncomingMessage, payload: Buffer, res: ServerResponse, amend?: (answer: Record<string, unknown>) => Record<string, unknown>): void {
    const upstream = request(`${this.upstream}${req.url ?? '/'}`, { method: req.method, headers: req.headers, agent: false }, (answer) => {
      const status = answer.statusCode ?? 502;
      if (!amend || status !== 200) {
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = JSON.stringify(amend(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>));
        const { 'content-length': _length, ...headers } = answer.headers;
        res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    upstream.once('error', (err) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`the emulation layer cannot reach moto: ${err.message}`);
    });
    upstream.end(payload);
  }

  private createSchedule(body: Record<string, unknown>): { status: number; body: unknown } {
    const name = String(body.MonitoringScheduleName);
    if (this.schedules.has(name)) return error(400, 'ResourceInUse', `Monitoring schedule ${name} already exists`);
    const now = Date.now() / 1000;
    const config = body.MonitoringScheduleConfig as { MonitoringType?: string } | undefined;
    const schedule: Schedule = {
      MonitoringScheduleArn: `arn:aws:sagemaker:${this.region}:${this.account}:monitoring-schedule/${name.toLowerCase()}`,
      MonitoringScheduleName: name,
      MonitoringScheduleStatus: 'Scheduled',
      MonitoringScheduleConfig: body.MonitoringScheduleConfig,
      MonitoringType: config?.MonitoringType,
      CreationTime: now,
      LastModifiedTime: now,
    };
    this.schedules.set(name, schedule);
    return { status: 200, body: { MonitoringScheduleArn: schedule.MonitoringScheduleArn } };
  }

  private withSchedule(body: Record<string, unknown>, act: (schedule: Schedule) => { status: number; body: unknown }) {
    const name = String(body.MonitoringScheduleName);
    const schedule = this.schedules.get(name);
    // SageMaker's answer for a missing schedule.
    return schedule ? act(schedule) : error(400, 'ResourceNotFound', `Monitoring schedule ${name} does not exist`);
  }
}

function error(status: number, type: string, message: string) {
  return { status, body: { __type: type, message } };
}
