/** Who you are in the shell until `/as USER_ID`: kept apart so `rookery help` need not load the app. */
export const DEFAULT_SHELL_USER = "UDEVELOPER";
