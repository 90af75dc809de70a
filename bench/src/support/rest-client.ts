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
  putBytes<T>(path: string, bytes: Buffer, contentType = 'application/octet-stream'): Promise<T> {
    return this.request<T>('PUT', path, undefined, { bytes, contentType });
  }

  private async request<T>(method: string, path: string, body?: unknown, upload?: { bytes: Buffer; contentType: string }): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (upload) headers['content-type'] = upload.contentType;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: upload ? new Uint8Array(upload.bytes) : body === undefined ? undefined : JSON.stringify(body),
      // An upload may take longer than a request.
      signal: AbortSignal.timeout(upload ? 60_000 : 30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}
