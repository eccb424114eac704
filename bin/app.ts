#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isIssuerError } from '../lib/core/errors.js';
import { parseDeployConfig } from '../lib/core/deploy-config.js';
import { AcmeIssuerStack } from '../lib/stack.js';

// Configuration comes from the environment (`just` loads .env); the core validates it and names
// every wrong or missing variable, so synth stops here instead of deploying a half-right stack.
let config;
try {
  config = parseDeployConfig(process.env);
} catch (error) {
  if (!isIssuerError(error)) throw error;
  console.error(`synth stopped: ${error.message}${error.hint ? `\n${error.hint}` : ''}`);
  process.exit(1);
}

const app = new App();
new AcmeIssuerStack(app, config.stackName, { stackName: config.stackName, config });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
