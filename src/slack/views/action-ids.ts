/** The action ids of Rookery's buttons: the views put them on buttons, the action listeners match them. */
export const ACTION = {
  approve: "request_approve",
  reject: "request_reject",
  override: "request_override_lint",
  requestRollback: "request_rollback_after_failure",
  keepWatch: "watch_keep",
  rollBackNow: "watch_roll_back_now",
} as const;
