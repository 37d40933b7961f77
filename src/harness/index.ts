import { DaedalusError } from '../common/index.js';
import { claudeHarness } from './claude/index.js';
import { codexHarness } from './codex/index.js';
import { genericHarness } from './generic.js';
import { scriptHarness } from './script.js';
import { shellHarness } from './shell.js';
import type { Harness } from './types.js';

export type { AgentProcess, Harness, HarnessEvent, LaunchSpec, ProcessEnd } from './types.js';
export { spawnGroup, killGroup } from './spawn.js';
export { daedalusCliCommand, daedalusCommand, builtFile } from './cli-path.js';
export { startDetachedWorker, type DetachedWorker } from './detached-worker.js';

const harnesses = new Map<string, Harness>([
  [shellHarness.name, shellHarness],
  [scriptHarness.name, scriptHarness],
  [claudeHarness.name, claudeHarness],
  [codexHarness.name, codexHarness],
  [genericHarness.name, genericHarness],
]);

/** The harnesses this build can run; plans naming others are refused before anything starts. */
export function availableHarnesses(): string[] {
  return [...harnesses.keys()];
}

export function getHarness(name: string): Harness {
  const h = harnesses.get(name);
  if (!h) {
    throw new DaedalusError(
      'PLAN_INVALID',
      `harness "${name}" is not available in this build`,
      `use one of ${availableHarnesses().join(', ')}`,
    );
  }
  return h;
}
export { agentMcpEntry, mcpServerEntry, writeMcpJson, writePrompt, shQuote, type HttpMcpEntry, type McpEntry, type McpServerEntry } from './launch.js';
export { buildPrompt, estimateTokens, FOR_NEXT_ATTEMPT, type PromptInput, type RunInfo } from './prompt.js';
export { readSeed, seedCapture, seedEdit, seedPath, seedShow, transcriptToSeed, SEED_FILE, type SeedInfo, type SeedOptions } from './seed.js';
export { launchInPane, type PaneCommand } from './interactive.js';
export { priceFor, costUsd as priceTokens, PRICES, type Price } from './codex/pricing.js';
