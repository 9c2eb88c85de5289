/**
 * The images the cluster pulls: those built from this repository (the three services and Kong with
 * the phantom-token plugin) from the configured registry, the others at the versions pinned in
 * `infra/versions.ts`.
 */
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
