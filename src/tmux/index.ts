/**
 * Private tmux servers (`tmux -L daedalus-…`), never the user's own: sessions, panes, layouts.
 * Interactive agents run in these panes; the control plane lays them out.
 */
export { logPane, openPane, sessionName, socketName, stripAnsi, type Pane, type PaneRequest } from './panes.js';
