import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

let cluster: Cluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  // Agents, MCP servers and the CLI run as real processes from dist/, so it must match the source;
  // agents' MCP servers run the bundled dist/mcp.js.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-mcp.mjs'], { stdio: 'inherit' });
  // The dashboard's page, which the UI tests load into a browser.
  execFileSync(process.execPath, ['scripts/build-ui.mjs'], { stdio: 'inherit' });
  let url = process.env.DAEDALUS_TEST_PG_URL;
  if (!url) {
    cluster = await startCluster();
    url = cluster.url;
  }
  project.provide('pgUrl', url);
}

export async function teardown(): Promise<void> {
  cluster?.stop();
}
