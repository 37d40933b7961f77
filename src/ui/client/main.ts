import type { Overview } from '../api-types.js';
import { get, post, type ApiError } from './api.js';
import type { App, View } from './app.js';
import { clear, h } from './dom.js';
import { Live, refresher } from './live.js';
import { approvalsView } from './views/approvals.js';
import { metricsView, resourcesView } from './views/metrics.js';
import { runView } from './views/run.js';
import { runsView } from './views/runs.js';
import { annotationsView, instancesView, kvView, locksView, messagesView } from './views/swarm.js';
import { taskView } from './views/task.js';

const ROUTES: Record<string, View> = {
  '': runsView,
  runs: runsView,
  run: runView,
  task: taskView,
  instances: instancesView,
  messages: messagesView,
  locks: locksView,
  kv: kvView,
  annotations: annotationsView,
  approvals: approvalsView,
  resources: resourcesView,
  metrics: metricsView,
};

const NAV: [string, string][] = [
  ['#/runs', 'Runs'],
  ['#/instances', 'Instances'],
  ['#/approvals', 'Approvals'],
  ['#/messages', 'Messages'],
  ['#/locks', 'Locks'],
  ['#/kv', 'KV'],
  ['#/annotations', 'Annotations'],
  ['#/resources', 'Resources'],
  ['#/metrics', 'Metrics'],
];

function boot(): void {
  // The token came in the URL once; it is in the cookie and the page now, so take it off the address bar.
  if (location.search.includes('token=')) history.replaceState(null, '', `${location.pathname}${location.hash || '#/runs'}`);
  const live = new Live();
  const status = h('span', { class: 'conn', 'data-role': 'conn' }, 'connecting');
  const line = h('div', { class: 'status-line', role: 'status' });
  const badge = h('span', { class: 'count', 'data-role': 'pending-approvals' });
  const scopeEl = h('span', { class: 'scope mono' });
  const nav = h('nav', { class: 'main' }, ...NAV.map(([href, text]) => h('a', { href, 'data-nav': href.slice(2) }, text, href === '#/approvals' ? badge : null)));
  const root = h('main', { id: 'view' });
  document.body.append(h('header', {}, h('h1', {}, 'Daedalus'), scopeEl, status), nav, line, root);

  const app: App = {
    live,
    get,
    post,
    overview: null,
    say(text, error = false) {
      line.textContent = text;
      line.className = `status-line ${error ? 'error' : 'ok'}`;
    },
    async act(what, fn) {
      try {
        await fn();
        app.say(what);
        return true;
      } catch (e) {
        app.say((e as ApiError).message, true);
        return false;
      }
    },
  };
  live.onStatus = (s) => {
    status.textContent = s;
    status.className = `conn ${s}`;
  };

  const header = refresher(async () => {
    const o = await get<Overview>('/api/overview').catch(() => null);
    if (!o) return;
    app.overview = o;
    scopeEl.textContent = o.scope;
    scopeEl.title = o.bus;
    badge.textContent = o.pendingApprovals > 0 ? ` ${o.pendingApprovals}` : '';
  });
  header();
  live.on((events) => {
    if (events.some((e) => e.type.startsWith('kv.') || e.type.startsWith('approval.') || e.type.startsWith('run.'))) header();
  });

  let dispose: (() => void) | void;
  const route = () => {
    dispose?.();
    clear(root);
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const [name = '', ...params] = parts;
    const view = ROUTES[name] ?? runsView;
    for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.nav === (name || 'runs'));
    root.dataset.view = name || 'runs';
    dispose = view(root, app, params);
  };
  window.addEventListener('hashchange', route);
  live.connect();
  route();
}

boot();
