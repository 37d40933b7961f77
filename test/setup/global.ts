import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    /** A database with the bus schema migrated, to copy with CREATE DATABASE … TEMPLATE. */
    pgTemplate: string;
  }
}

let cluster: Cluster | undefined;
let dropTemplate: (() => Promise<void>) | undefined;

/** Migrates the bus schema once into a template database that tests copy instead of migrating each their own. */
async function migratedTemplate(base: string): Promise<string> {
  const [{ default: pg }, { openStore }] = await Promise.all([import('pg'), import('../../src/bus/open.js')]);
  const name = `daedalus_template_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  const store = await openStore(url.toString());
  await store.close();
  dropTemplate = async () => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
    } finally {
      await c.end();
    }
  };
  return name;
}

export async function setup(project: TestProject): Promise<void> {
  // Agents, MCP servers and the CLI run as real processes from dist/, so it must match the source;
  // agents' MCP servers run the bundled dist/mcp.js.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-mcp.mjs'], { stdio: 'inherit' });
  // The bin's shell preamble (few malloc arenas), as `npm run build` writes it.
  execFileSync(process.execPath, ['scripts/after-build.mjs'], { stdio: 'inherit' });
  // The dashboard's page, which the UI tests load into a browser.
  execFileSync(process.execPath, ['scripts/build-ui.mjs'], { stdio: 'inherit' });
  let url = process.env.DAEDALUS_TEST_PG_URL;
  if (!url) {
    cluster = await startCluster();
    url = cluster.url;
  }
  project.provide('pgUrl', url);
  project.provide('pgTemplate', await migratedTemplate(url));
}

export async function teardown(): Promise<void> {
  // A cluster of our own goes whole; on a server we were given, the template is ours to remove.
  if (cluster) cluster.stop();
  else await dropTemplate?.().catch(() => undefined);
}
