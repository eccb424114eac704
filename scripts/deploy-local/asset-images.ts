// Stands in for `docker build` + `docker push` of the stack's image assets: puts an image with the
// asset's tag into the bootstrap repository, so the CLI's publishing step finds it (DescribeImages)
// and neither builds nor logs in to a registry. moto's ECS never pulls it; any valid image
// manifest (schema 2) will do.
import { createHash } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import type { AssetManifest } from './assembly.js';
import { resolvePlaceholders } from './assembly.js';

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';

/** A schema-2 manifest of an image with no layers (what `docker push` of a `FROM scratch` image sends). */
export function emptyImageManifest(): string {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } });
  const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  return JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPE, config: { mediaType: CONFIG_TYPE, size: Buffer.byteLength(config), digest }, layers: [] });
}

export interface PutImage {
  readonly repositoryName: string;
  readonly imageTag: string;
}

/** Puts one image per image-asset destination; returns where each went. */
export async function putAssetImages(ecr: ECRClient, manifest: AssetManifest, account: string, region: string): Promise<PutImage[]> {
  const put: PutImage[] = [];
  for (const asset of Object.values(manifest.dockerImages ?? {})) {
    for (const destination of Object.values(asset.destinations)) {
      const repositoryName = resolvePlaceholders(destination.repositoryName, account, region);
      await ecr.send(new PutImageCommand({ repositoryName, imageTag: destination.imageTag, imageManifest: emptyImageManifest(), imageManifestMediaType: MANIFEST_TYPE }));
      put.push({ repositoryName, imageTag: destination.imageTag });
    }
  }
  return put;
}
