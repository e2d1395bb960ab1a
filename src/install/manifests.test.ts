import { describe, expect, it } from 'vitest';
import type { V1Deployment } from '@kubernetes/client-node';
import { toWire } from '../kube/wire.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_IMAGE } from '../api/image.js';
import { objectRef } from '../printers/ref.js';
import { installObjects } from './manifests.js';

describe('installObjects', () => {
  it('applies CRDs first, then the namespace, RBAC, user roles, admission policy and the controller', () => {
    expect(installObjects().map(objectRef)).toMatchInlineSnapshot(`
      [
        "customresourcedefinition.apiextensions.k8s.io/worklists.teamtask.dev",
        "customresourcedefinition.apiextensions.k8s.io/blocks.teamtask.dev",
        "namespace/teamtask-system",
        "serviceaccount/teamtask-controller",
        "clusterrole.rbac.authorization.k8s.io/teamtask-controller",
        "clusterrolebinding.rbac.authorization.k8s.io/teamtask-controller",
        "role.rbac.authorization.k8s.io/teamtask-controller-leader-election",
        "rolebinding.rbac.authorization.k8s.io/teamtask-controller-leader-election",
        "clusterrole.rbac.authorization.k8s.io/teamtask-edit",
        "clusterrole.rbac.authorization.k8s.io/teamtask-view",
        "configmap/teamtask-limits",
        "validatingadmissionpolicy.admissionregistration.k8s.io/teamtask-worklist-limits",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/teamtask-worklist-limits",
        "validatingadmissionpolicy.admissionregistration.k8s.io/teamtask-worker-scope",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/teamtask-worker-scope",
        "validatingadmissionpolicy.admissionregistration.k8s.io/teamtask-secondary-scope",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/teamtask-secondary-scope",
        "deployment.apps/teamtask-controller",
      ]
    `);
  });

  it('puts --image into every container of the controller Deployment and nowhere else', () => {
    const objects = installObjects({ image: 'registry.example/teamtask:dev' });
    const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec!.template.spec!.containers.map((c) => c.image)).toEqual([
      'registry.example/teamtask:dev',
    ]);
    expect(JSON.stringify(installObjects()).includes('registry.example')).toBe(false);
  });

  it("runs the image of the package's own version by default, as the shipped YAML names it", () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect(DEFAULT_IMAGE).toBe(`ghcr.io/teamtask/teamtask:${version}`);
    const deployment = installObjects().find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec!.template.spec!.containers[0]!.image).toBe(DEFAULT_IMAGE);
    // Users who `kubectl apply -f manifests/` get the same image.
    expect(readFileSync('manifests/controller-deployment.yaml', 'utf8')).toContain(
      `image: ${DEFAULT_IMAGE}\n`,
    );
  });
});

describe('installObjects with the gateway', () => {
  it('adds its ServiceAccount, RBAC, Service and Deployment after the controller, each in the image given', () => {
    const objects = installObjects({ gateway: true, image: 'registry.example/teamtask:dev' });
    const without = installObjects().map(objectRef);
    expect(objects.map(objectRef).slice(0, without.length)).toEqual(without);
    expect(objects.map(objectRef).slice(without.length)).toEqual([
      'serviceaccount/teamtask-gateway',
      'clusterrole.rbac.authorization.k8s.io/teamtask-gateway',
      'clusterrolebinding.rbac.authorization.k8s.io/teamtask-gateway',
      'role.rbac.authorization.k8s.io/teamtask-gateway-tokens',
      'rolebinding.rbac.authorization.k8s.io/teamtask-gateway-tokens',
      'service/teamtask-gateway',
      'deployment.apps/teamtask-gateway',
    ]);
    const images = objects
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d) => (d as V1Deployment).spec!.template.spec!.containers.map((c) => c.image));
    expect(images).toEqual(['registry.example/teamtask:dev', 'registry.example/teamtask:dev']);
  });

  it('lets the gateway read no Secret but its tokens, and never write a status', () => {
    const rules = installObjects({ gateway: true })
      .filter((o) => /Role$/.test(o.kind!) && o.metadata!.name!.startsWith('teamtask-gateway'))
      .flatMap(
        (r) => (r as { rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] }).rules,
      );
    expect(rules.flatMap((r) => r.resources).filter((r) => r.endsWith('/status'))).toEqual([]);
    expect(rules.filter((r) => r.resources.includes('secrets'))).toEqual([
      expect.objectContaining({ resourceNames: ['teamtask-gateway-tokens'], verbs: ['get'] }),
    ]);
  });
});

describe('the objects install sends', () => {
  it('keep the API spelling of schema extensions through client-node models', () => {
    const blocks = installObjects().find((o) => o.metadata?.name === 'blocks.teamtask.dev')!;
    const wire = JSON.stringify(toWire(blocks));
    expect(wire).toContain('"x-kubernetes-int-or-string":true');
    expect(wire).toContain('"x-kubernetes-validations"');
    expect(wire).not.toContain('x_kubernetes');
  });
});
