/**
 * The control plane: one tmux session per repository with the Daedalus agent, the Icarus swarm and
 * git; its status; and the editor hook that delegates `@NAME` prompts to persistent agents.
 */
export { CONTROL_SESSION, SWARM_SESSION, AGENTS_SESSION, controlDir, controlSocket } from './names.js';
export { buildLayout, checkSize, gitViewer, listPanes, respawnDeadPanes, PANE_TITLES, type LayoutOptions, type PaneInfo } from './layout.js';
export { attachCommand, attachControlPlane, ensureControlPlane, type ControlPlane, type ControlPlaneOptions } from './session.js';
export { chiefCommand, chiefPrompt, type ChiefHarness } from './chief.js';
export { controlStatus, type ControlStatus } from './status.js';
export { editorHook, parseDelegation, realEditor, type EditorHookOptions, type EditorHookResult } from './editor-hook.js';
export { openAgentWindow, closeAgentWindow } from './agent-window.js';
export { killSwarm, spawnWorkers, type KillSwarmResult, type SpawnInput } from './swarm.js';
export { openDialogueWindow } from './dialogue-window.js';
