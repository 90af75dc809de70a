/** A small JSON-over-HTTP client for the platform's REST API, with an optional bearer token. */
export class RestClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<RestClient> {
    const { access_token } = await new RestClient(baseUrl).post<{ access_token: string }>('/api/v1/auth/token', { username, password });
    return new RestClient(baseUrl, access_token);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** PUTs bytes (an upload) and answers the JSON reply. */
  async putBytes<T>(path: string, bytes: Buffer, contentType = 'application/octet-stream'): Promise<T> {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, { method: 'PUT', headers, body: new Uint8Array(bytes), signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}
