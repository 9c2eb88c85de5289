/**
 * Test support: validates Kubernetes objects against the Kubernetes OpenAPI schemas, with the
 * models of `kubernetes-models` (precompiled validators for each kind). Field names are checked by
 * TypeScript (the typed inputs of `@pulumi/kubernetes`); these validators check what types cannot:
 * required fields, enumerations, formats and value types of the objects as the API server gets them.
 */
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** Every kind the deployment creates; an object of any other kind fails validation. */
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

/** Throws, naming the object and the failing paths, unless `object` is valid for its kind. */
export function validateKubernetesObject(object: { apiVersion?: string; kind?: string; metadata?: { name?: string } }): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[key];
  if (!Model) throw new Error(`no schema for ${key}: add its model to test/support/kubernetes-schemas.ts`);
  try {
    new Model(object as never).validate();
  } catch (err) {
    throw new Error(`${key} ${object.metadata?.name ?? '(unnamed)'} is invalid: ${(err as Error).message}`, { cause: err });
  }
}
