/**
 * Private tmux servers (`tmux -L daedalus-…`), never the user's own: sessions, panes, layouts.
 * Interactive agents run in these panes; the control plane lays them out.
 */
export { AGENTS_WINDOW, INTERCEPT_OPTION, interceptBinding, logPane, openPane, paneTarget, retileHook, sessionName, socketName, stripAnsi, type Pane, type PaneRequest } from './panes.js';
export { hasSession, runTmux, withoutTmux } from './server.js';
