import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { FilesystemBlobStore, S3BlobStore, type BlobStore } from '@citus/blob-store';
import type { ServiceContext } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { releaseRoutes } from './adapters/http/release.routes.js';
import { FileCodeSigner } from './adapters/signing/file.code-signer.js';
import { JwtDownloadLinkSigner } from './adapters/signing/download-link.signer.js';
import type { DeviceStanding } from './domain/release.model.js';
import { RELEASE_MIGRATIONS, SqliteReleaseRepository } from './adapters/sqlite/release.repository.js';
import { ReleaseService } from './app/release.service.js';
import type { DeviceLifecycleConfig } from './config.js';

interface ReleasesContext extends Pick<ServiceContext, 'dataDir' | 'authenticate' | 'shutdown' | 'logger'> {
  config: DeviceLifecycleConfig;
  /** Which things may download: those of the registry, in their workspace. */
  devices: DeviceStanding;
}

const MB = 1024 * 1024;

/** The artifact store CITUS_RELEASE_STORE selects (the config made sure S3's settings are there). */
function blobStore(config: DeviceLifecycleConfig, dataDir: string): BlobStore {
  if (config.CITUS_RELEASE_STORE === 'filesystem') return new FilesystemBlobStore(join(dataDir, 'blobs'));
  // Spooled in the data dir: the image's root file system is read-only, and the volume has room.
  const spoolDir = join(dataDir, 'blob-spool');
  return new S3BlobStore(new S3Client({ region: config.AWS_REGION as string }), { bucket: config.CITUS_RELEASE_BUCKET as string, prefix: config.CITUS_RELEASE_PREFIX, spoolDir });
}

/**
 * Software releases (issue 6): their records in `releases.db`, their artifacts in the blob store,
 * each workspace's code-signing key in `{dataDir}/signing`, with the key of devices' download links.
 */
export function createReleasesModule(ctx: ReleasesContext) {
  const db = openDatabase(join(ctx.dataDir, 'releases.db'), { module: 'releases', migrations: RELEASE_MIGRATIONS });
  ctx.shutdown.add('release store', () => {
    db.close();
  });
  const maxArtifactBytes = ctx.config.CITUS_RELEASE_MAX_MB * MB;
  const releases = new ReleaseService(
    {
      repository: new SqliteReleaseRepository(db),
      blobs: blobStore(ctx.config, ctx.dataDir),
      signer: new FileCodeSigner(join(ctx.dataDir, 'signing')),
      links: new JwtDownloadLinkSigner(join(ctx.dataDir, 'signing', 'download-links.key')),
      devices: ctx.devices,
    },
    { maxArtifactBytes },
  );
  return {
    releases,
    routes: releaseRoutes(releases, ctx.authenticate, maxArtifactBytes),
    /** Uploads a stopped process left under way are given back and their partial files removed (one instance per data dir). */
    async start() {
      const abandoned = await releases.recoverUploads();
      ctx.logger.info({ store: ctx.config.CITUS_RELEASE_STORE, maxArtifactBytes, abandoned }, 'software releases ready');
    },
  };
}
