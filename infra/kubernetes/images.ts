/**
 * The images the cluster pulls: those built from this repository (the three services and Kong with
 * the phantom-token plugin) from the configured registry, the others at the versions pinned in
 * `infra/versions.ts`. Also how to build and push the former, for `npm run images`.
 */
import { fileURLToPath } from 'node:url';
import type { Model } from '../model.ts';

export const BUILT_IMAGES = ['kong', 'stocks-api', 'mcp-server', 'authorization-server'] as const;
export type BuiltImage = (typeof BUILT_IMAGES)[number];

export interface KubernetesImages {
  gateway: string;
  stocksApi: string;
  mcpServer: string;
  authorizationServer: string;
  curity: string;
  postgres: string;
  maildev: string;
}

export function builtImageName(registry: string, image: BuiltImage, tag: string): string {
  return `${registry}/${image}:${tag}`;
}

export function kubernetesImages(model: Model): KubernetesImages {
  const { imageRegistry, imageTag } = model.config.kubernetes;
  if (!imageRegistry || !imageTag)
    throw new Error('kubernetes.imageRegistry and kubernetes.imageTag are required for the Kubernetes target');
  const built = (image: BuiltImage) => builtImageName(imageRegistry, image, imageTag);
  return {
    gateway: built('kong'),
    stocksApi: built('stocks-api'),
    mcpServer: built('mcp-server'),
    authorizationServer: built('authorization-server'),
    curity: model.images.curity,
    postgres: model.images.postgres,
    maildev: model.images.maildev,
  };
}

/** The `version` label of an image reference: its tag. */
export function imageVersion(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : 'latest';
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `docker build` arguments for each image built from this repository, with the pinned base images. */
export function imageBuilds(model: Pick<Model, 'images'>, registry: string, tag: string): { image: string; args: string[] }[] {
  const { images } = model;
  return BUILT_IMAGES.map((name) => {
    const image = builtImageName(registry, name, tag);
    const args =
      name === 'kong'
        ? ['build', '--build-arg', `KONG_IMAGE=${images.kong}`, '--build-arg', `PHANTOM_TOKEN_VERSION=${images.kongPhantomTokenPlugin}`]
        : ['build', '-f', `${REPO_ROOT}services/Dockerfile`, '--build-arg', `NODE_IMAGE=${images.node}`, '--build-arg', `SERVICE=${name}`];
    return { image, args: [...args, '-t', image, name === 'kong' ? `${REPO_ROOT}infra/kong` : REPO_ROOT] };
  });
}
