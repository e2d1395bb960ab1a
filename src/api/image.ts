import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR } from './v1alpha1/crds.js';

/** Where a release publishes the image (scripts/image.sh builds it, docs/image.md). */
export const IMAGE_REPOSITORY = 'ghcr.io/teamtask/teamtask';
/** This package's version: the image of the same version is the one that matches this CLI. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(CRD_DIR, '..', 'package.json'), 'utf8')) as { version: string }
).version;
/** The image `install` runs the controller from and `create` copies the worker runtime from. */
export const DEFAULT_IMAGE = `${IMAGE_REPOSITORY}:${PACKAGE_VERSION}`;
