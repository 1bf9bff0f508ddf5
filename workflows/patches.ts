/**
 * Every patch of workflow logic, in one place. A patch id is recorded in the history of each run
 * that took the new path (so runs started before a change replay the old one): never rename or
 * reuse one. `npm run workflows:accept` checks that a change to workflows/ added one here (or
 * newly recorded histories).
 */
export const PATCHES = {
  /** The `KasalStatus` search attribute follows the execution's status. */
  statusSearchAttribute: 'kasal-status-search-attribute',
  /** Agent conversations live in the platform's store; long tool results travel by reference. */
  conversationInStore: 'conversation-in-store',
  /** Crews and flows continue as new past their history limits. */
  continueAsNew: 'continue-as-new',
  /** A crew pinned to a worker version continues as new onto the current one at a task boundary. */
  continueOnNewVersion: 'continue-on-new-version',
  /** A conversation too long for its model is summarised (respect_context_window). */
  contextWindowSummary: 'context-window-summary',
  /**
   * A router condition that meets values of mismatched kinds fails the flow (it was false); a
   * router where no route matched records a `router_no_match` event and ends or fails the flow by
   * its `on_no_route`; steps that can no longer run become SKIPPED (they stayed PENDING).
   */
  routerOutcomes: 'router-outcomes',
} as const;
