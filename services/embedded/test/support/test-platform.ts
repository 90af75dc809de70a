import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { createKeyAndCsr } from '@citus/pki';
import type { ActivationResponse, DeclaredDevice, Me, Release, User } from '@citus/contracts';
import { startPlatform, type Platform } from '../../src/index.js';

export const ADMIN_PASSWORD = 'test-Admin-Passw0rd';

export interface TestPlatform extends Platform {
  baseUrl: string;
  /** The platform's data dir, removed by `destroy`. */
  dataDir: string;
  /** Stops the platform and removes its data dir. */
  destroy(): Promise<void>;
}

/** The embedded platform on free ports in a fresh temp data dir. */
export async function bootTestPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'citus-test-'));
  const platform = await startPlatform(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      MQTT_TLS_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      CITUS_DATA_DIR: dataDir,
      CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env,
    },
    createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  );
  return {
    ...platform,
    baseUrl: `http://127.0.0.1:${platform.httpPort}`,
    dataDir,
    async destroy() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small REST client for tests: JSON in and out, an optional bearer token and workspace. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly workspace?: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string, workspace?: string): Promise<Api> {
    const response = await new Api(baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username, password });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
    return new Api(baseUrl, response.body.access_token, workspace);
  }

  inWorkspace(slug: string): Api {
    return new Api(this.baseUrl, this.token, slug);
  }

  get<T = unknown>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body);
  }

  patch<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('PATCH', path, body);
  }

  put<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('PUT', path, body);
  }

  delete<T = unknown>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path);
  }

  /** Who is asking, as headers: for requests that send or read bytes rather than JSON. */
  get credentials(): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(this.workspace ? { 'x-citus-workspace': this.workspace } : {}) };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...this.credentials };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
}

/** Who the API tests act as: `admin` of "default", the same admin acting in a second workspace "other", and `dora`, a plain user of "default". */
export interface WorkspacePeople {
  admin: Api;
  elsewhere: Api;
  dora: Api;
}

/** Signs in as admin, makes workspace "other" and user dora (a `user` of "default"). */
export async function workspacePeople(platform: TestPlatform): Promise<WorkspacePeople> {
  const admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
  const other = await admin.post('/api/v1/workspaces', { slug: 'other', name: 'Other' });
  if (other.status !== 201) throw new Error(`workspace "other" not made: ${other.status} ${JSON.stringify(other.body)}`);
  const user = await admin.post<User>('/api/v1/users', { username: 'dora', password: 'dora-Passw0rd!' });
  await admin.put('/api/v1/workspaces/default/members', { userId: user.body.id, role: 'user' });
  return { admin, elsewhere: admin.inWorkspace('other'), dora: await Api.login(platform.baseUrl, 'dora', 'dora-Passw0rd!') };
}

export interface ActivatedDevice {
  device: DeclaredDevice;
  activation: ActivationResponse;
  privateKeyPem: string;
}

/** Story 1 and 2 in one step: declare a device, make its key and CSR, activate it. */
export async function declareAndActivate(api: Api, name = 'Test sensor'): Promise<ActivatedDevice> {
  const declared = await api.post<DeclaredDevice>('/api/v1/devices', { name });
  if (declared.status !== 201) throw new Error(`declare failed: ${declared.status} ${JSON.stringify(declared.body)}`);
  const device = declared.body;
  const { privateKeyPem, csrPem } = await createKeyAndCsr(device.thingName);
  const activated = await new Api(api.baseUrl).post<ActivationResponse>(`/api/v1/devices/${device.id}/activation`, {
    activationCode: device.activationCode,
    csr: csrPem,
  });
  if (activated.status !== 200) throw new Error(`activation failed: ${activated.status} ${JSON.stringify(activated.body)}`);
  return { device, activation: activated.body, privateKeyPem };
}

/** The id of the `default` workspace, as the signed-in person's memberships name it. */
export async function defaultWorkspaceId(api: Api): Promise<string> {
  return (await api.get<Me>('/api/v1/me')).body.memberships.find((membership) => membership.workspaceSlug === 'default')?.workspaceId ?? '';
}

/** An artifact release of `version`, its bytes uploaded: ready and signed. */
export async function readyArtifactRelease(api: Api, version: string, bytes: Buffer): Promise<Release> {
  const created = await api.post<Release>('/api/v1/releases', { kind: 'artifact', version });
  const uploaded = await fetch(`${api.baseUrl}/api/v1/releases/${created.body.releaseId}/artifact`, {
    method: 'PUT',
    headers: { ...api.credentials, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  return (await uploaded.json()) as Release;
}
