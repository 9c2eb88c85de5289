/** The built-in authorization server's sign-in and consent pages, under `AS_PATHS.authn`. */
export const PAGES = {
  email: '/authn/authenticate',
  code: '/authn/authenticate/code',
  consent: '/authn/consent',
  /** Forgets who signed in ("not you?") and goes back to the email page. */
  restart: '/authn/authenticate/restart',
  stylesheet: '/authn/assets/sign-in.css',
} as const;
