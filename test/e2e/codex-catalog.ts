/**
 * A model catalog for Codex (config `model_catalog_json`) with one model, `scripted-codex`, for the
 * scripted server. Without an entry Codex uses fallback metadata that has no apply_patch tool; with
 * a current model's entry it hides MCP tools behind tool_search. This one offers apply_patch (free
 * text, like the real models) and MCP tools directly. Field names from Codex 0.169's own catalog.
 */
export const SCRIPTED_CODEX_CATALOG = {
  models: [
    {
      slug: 'scripted-codex',
      display_name: 'Scripted',
      description: 'The scripted test model on loopback.',
      default_reasoning_level: 'low',
      supported_reasoning_levels: [{ effort: 'low', description: 'scripted' }],
      shell_type: 'shell_command',
      visibility: 'list',
      supported_in_api: true,
      priority: 1,
      apply_patch_tool_type: 'freeform',
      supports_search_tool: false,
      supports_parallel_tool_calls: true,
      input_modalities: ['text'],
      truncation_policy: { mode: 'tokens', limit: 10000 },
      context_window: 200000,
      experimental_supported_tools: [],
      supports_reasoning_summaries: false,
      support_verbosity: false,
      // A catalog entry needs its own instructions; the real ones are long and beside the point here.
      base_instructions: 'You are a coding agent working in a git worktree. Use your tools to do the task you are given.',
    },
  ],
};
