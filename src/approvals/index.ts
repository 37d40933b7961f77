/**
 * Permissions: the rules plans write (`Bash(npm test:*)`, `!WebFetch`) and how a request is decided
 * against them, and the requests that go to a person when the rules do not settle them.
 */
export { decide, describeRequest, permissionSetting, ruleMatches, splitPermissions, type PermissionPolicy, type PolicyDecision } from './permissions.js';
export {
  approvalTimeoutMs,
  decideApproval,
  formatApprovals,
  listApprovals,
  planPolicies,
  policyForPackage,
  requestApproval,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalStatus,
  type RunPolicies,
  type WaitControl,
} from './requests.js';
