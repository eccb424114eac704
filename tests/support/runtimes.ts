// Where the tests run code as production runs it (scripts/local/runtimes.mjs installs the runtimes).
import { join } from 'node:path';
import { runtimePaths } from '../../scripts/local/runtimes.mjs';
import { repoRoot } from '../../scripts/toolchains.mjs';

const paths = runtimePaths();

/** Node as the image's base image has it (container/Dockerfile's FROM). */
export const IMAGE_NODE = paths.image.node;
/** The image's CLI bundle, built once per test run by tests/global-setup.ts with the Dockerfile's own command. */
export const CLI_BUNDLE = join(repoRoot, '.local', 'test-cli', 'cli.mjs');
