import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How our functions (the responder, the API) are bundled: one ESM file built locally by esbuild,
 * no Docker. The SDK is pinned to the one we test with instead of whatever the runtime ships, and
 * the banner gives CommonJS dependencies the `require` an ES module lacks.
 */
export const LAMBDA_BUNDLING: nodejs.BundlingOptions = {
  forceDockerBundling: false,
  format: nodejs.OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  bundleAwsSDK: true,
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
};
