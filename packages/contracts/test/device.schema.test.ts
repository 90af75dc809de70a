import { ActivationRequest, DeclareDeviceRequest, ThingName, UpdateDeviceRequest } from '../src/index.js';

const declaration = (overrides: Record<string, unknown> = {}) => ({
  name: 'Kitchen sensor',
  type: 'gas',
  location: 'Kitchen',
  latitude: 52.37,
  longitude: 4.89,
  ...overrides,
});

const pathsOf = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; code: string }> } }) =>
  result.error?.issues.map((issue) => `${issue.path.join('.')}:${issue.code}`) ?? [];

describe('DeclareDeviceRequest', () => {
  it('accepts a full declaration and trims the name', () => {
    expect(DeclareDeviceRequest.parse(declaration({ name: '  Kitchen sensor ' }))).toEqual(declaration());
  });

  it('needs only a name', () => {
    expect(DeclareDeviceRequest.parse({ name: 'x' })).toEqual({ name: 'x' });
  });

  it('rejects unknown keys, so no client can set status or owner', () => {
    const result = DeclareDeviceRequest.safeParse(declaration({ status: 'active', ownerId: 'usr_evil' }));
    expect(result.success).toBe(false);
    expect(pathsOf(result)).toEqual([':unrecognized_keys']);
  });

  it.each([91, -90.5, Number.NaN, '52.1'])('rejects latitude %p', (latitude) => {
    expect(pathsOf(DeclareDeviceRequest.safeParse(declaration({ latitude })))).toEqual([expect.stringMatching(/^latitude:/)]);
  });

  it.each([181, -180.01])('rejects longitude %p', (longitude) => {
    expect(pathsOf(DeclareDeviceRequest.safeParse(declaration({ longitude })))).toEqual([expect.stringMatching(/^longitude:/)]);
  });

  it.each(['', '   ', 'x'.repeat(121)])('rejects the name %p', (name) => {
    expect(DeclareDeviceRequest.safeParse(declaration({ name })).success).toBe(false);
  });
});

describe('UpdateDeviceRequest', () => {
  it('lets optional fields be cleared with null', () => {
    expect(UpdateDeviceRequest.parse({ location: null, latitude: null })).toEqual({ location: null, latitude: null });
  });

  it('rejects an empty update and unknown keys', () => {
    expect(UpdateDeviceRequest.safeParse({}).success).toBe(false);
    expect(UpdateDeviceRequest.safeParse({ thingName: 'renamed' }).success).toBe(false);
  });

  it('does not let the name be cleared', () => {
    expect(UpdateDeviceRequest.safeParse({ name: null }).success).toBe(false);
  });
});

describe('ThingName and ActivationRequest', () => {
  it.each(['kitchen-1', 'a:b_c-D9', 'x'.repeat(128)])('accepts the thing name %p', (name) => {
    expect(ThingName.safeParse(name).success).toBe(true);
  });

  it.each(['', 'has space', 'slash/topic', '+', '#', 'x'.repeat(129)])('rejects the thing name %p', (name) => {
    expect(ThingName.safeParse(name).success).toBe(false);
  });

  it('needs a PEM CSR and a code', () => {
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----';
    expect(ActivationRequest.parse({ activationCode: ' ABCD-EFGH ', csr })).toEqual({ activationCode: 'ABCD-EFGH', csr });
    expect(ActivationRequest.safeParse({ activationCode: 'ABCD', csr: 'MIIB' }).success).toBe(false);
    expect(ActivationRequest.safeParse({ activationCode: '', csr }).success).toBe(false);
  });
});
