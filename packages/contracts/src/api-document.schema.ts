import { z } from 'zod';

/** The parts of an OpenAPI 3.1 document clients rely on; the rest is the OpenAPI specification's. */
export const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;

/** The parts of an AsyncAPI 3.0 document clients rely on; the rest is the AsyncAPI specification's. */
export const AsyncApiDocument = z.looseObject({
  asyncapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  channels: z.record(z.string(), z.unknown()),
  operations: z.record(z.string(), z.unknown()),
});
export type AsyncApiDocument = z.infer<typeof AsyncApiDocument>;
