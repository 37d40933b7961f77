/**
 * Persistent named agents: a registry on the bus, routing by name or role with a queue per agent,
 * and the runner that answers each task in one ongoing agent session (context kept across tasks).
 */
export {
  addAgent,
  agentAssignee,
  agentQueue,
  checkAgentName,
  getAgent,
  listAgents,
  mustGetAgent,
  removeAgent,
  updateAgent,
  AGENT_HARNESSES,
  type AddAgentInput,
  type AgentRecord,
  type AgentState,
} from './registry.js';
export { routeTarget, submitPrompt, waitForAnswer, AGENT_TASK_TYPE, type Answer, type AgentPayload } from './route.js';
export { firstTurn, serveAgent, type ServeOptions } from './runner.js';
export { claudeTurn, type TurnInput, type TurnResult } from './claude-turn.js';
export { runDialogue, MAX_EXCHANGES, type DialogueOptions, type DialogueResult } from './dialogue.js';
