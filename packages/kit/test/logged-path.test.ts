import { loggedPath } from '../src/http.js';

describe('the path a request log line shows', () => {
  it('leaves out query strings and the credentials some paths carry', () => {
    expect(loggedPath('/api/v1/devices?token=secret')).toBe('/api/v1/devices');
    expect(loggedPath('/hooks/apps/hk_1/s3cr3t')).toBe('/hooks/apps/hk_1/[redacted]');
    expect(loggedPath('/api/v1/release-downloads/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe('/api/v1/release-downloads/[redacted]');
    expect(loggedPath('/api/v1/releases/rel_1/artifact')).toBe('/api/v1/releases/rel_1/artifact');
  });
});
