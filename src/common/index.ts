/**
 * What every folder may use: the error class and its codes, durations, releasers, best-effort
 * steps, output, and where Daedalus keeps its files. Nothing here knows about the bus or agents.
 */
export { DaedalusError, describeError, isDaedalusError, problemsOf, type ErrorCode, type Problem } from './errors.js';
export { ago, describeJs, durationFromEnv, formatDuration, parseDuration, parseFailure, type FormatOptions, type Parsed } from './duration.js';
export { withReleasers, type Defer, type Release } from './releasers.js';
export { bestEffort, warnToStderr, type Warn } from './best-effort.js';
export { resolveExecutable } from './find-executable.js';
export { processOutput, type Output } from './output.js';
export { daedalusHome } from './home.js';
export { packageVersion } from './version.js';
export { directSpawner, processSpawner, SpawnError, useSpawnHelper, type GroupChild, type Spawner } from './spawner.js';
export { keepHeapLean } from './heap.js';
export { processAlive } from './process-alive.js';
export { jsonWithRows } from './json-rows.js';
export { BIN_PREAMBLE, dropOwnArenaSetting, withFewArenas } from './malloc-arenas.js';
