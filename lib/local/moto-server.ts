import { ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

/** Connection settings an SDK v3 client needs to talk to the emulator instead of AWS. */
export interface EmulatorClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

/** How to install moto, for the message when `moto_server` cannot be started. */
export const MOTO_INSTALL_HINT = 'pip install "moto[server]==5.2.1"';

/** `moto_server` is not on the PATH (or cannot be executed). */
export class MotoNotInstalledError extends Error {
  constructor(cause: string) {
    super(`cannot start moto_server (${cause}); install it with: ${MOTO_INSTALL_HINT}`);
    this.name = 'MotoNotInstalledError';
  }
}

/**
 * A moto server on 127.0.0.1 and a free port: the local control plane of the local loop and of the
 * integration tests, started and stopped by whoever needs it.
 *
 * Usage: `const moto = new MotoServer(); beforeAll(() => moto.start()); afterAll(() => moto.stop());`
 */
export class MotoServer {
  public static readonly REGION = 'us-east-1';
  private process?: ChildProcess;
  private port?: number;
  private output = '';

  public get endpoint(): string {
    if (this.port === undefined) throw new Error('moto server is not started: call start() first');
    return `http://127.0.0.1:${this.port}`;
  }

  /** Client settings with dummy credentials; nothing here can reach a real account. */
  public get clientConfig(): EmulatorClientConfig {
    return {
      endpoint: this.endpoint,
      region: MotoServer.REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
  }

  /** Environment for a child process (a CLI, the AWS CLI) that should talk to the emulator. */
  public get childEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: MotoServer.REGION,
      AWS_DEFAULT_REGION: MotoServer.REGION,
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  /**
   * @param command the moto server executable
   * @param env the environment it is looked up in (PATH) and runs with
   */
  constructor(
    private readonly command = 'moto_server',
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  public async start(timeoutMs = 20_000): Promise<void> {
    this.port = await freePort();
    const child = spawn(this.command, ['-H', '127.0.0.1', '-p', String(this.port)], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    child.stdout?.on('data', (chunk) => (this.output += chunk));
    child.stderr?.on('data', (chunk) => (this.output += chunk));
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (err) => reject(new MotoNotInstalledError(err.message))),
    );
    await Promise.race([this.waitUntilReady(timeoutMs), spawnError]);
  }

  /** Clears every emulated resource, so tests in one file do not see each other's state. */
  public async reset(): Promise<void> {
    await httpStatus(`${this.endpoint}/moto-api/reset`, 'POST');
  }

  /** What the server printed, for assertion messages (moto logs NotImplementedError here). */
  public get log(): string {
    return this.output;
  }

  public async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const forceKill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(forceKill);
    this.process = undefined;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process?.exitCode !== null) {
        throw new Error(`moto_server exited with code ${this.process?.exitCode}: ${this.output}`);
      }
      try {
        if ((await httpStatus(`${this.endpoint}/moto-api/data.json`)) === 200) return;
      } catch {
        // not listening yet
      }
      await delay(100);
    }
    await this.stop();
    throw new Error(`moto_server did not answer on ${this.endpoint} within ${timeoutMs} ms: ${this.output}`);
  }
}

/** One request without keep-alive, so no socket outlives the test (fetch would keep one open). */
export function httpStatus(url: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
