import type { AnyTool } from '../tool.js';
import { activityTools } from './activity.js';
import { contextTools } from './context.js';
import { guestbookTools } from './guestbook.js';
import { instanceTools } from './instances.js';
import { kvTools } from './kv.js';
import { lockTools } from './locks.js';
import { messageTools } from './messages.js';
import { permissionTools } from './permissions.js';
import { plannerTools } from './planner.js';
import { taskPlanTools } from './tasks-plan.js';
import { taskWorkTools } from './tasks-work.js';

/** Every tool of the server, in the order tools/list shows them. */
export const ALL_TOOLS: readonly AnyTool[] = [
  ...instanceTools,
  ...messageTools,
  ...activityTools,
  ...plannerTools,
  ...taskPlanTools,
  ...taskWorkTools,
  ...contextTools,
  ...lockTools,
  ...kvTools,
  ...guestbookTools,
  ...permissionTools,
];
