/** The built-in authorization server's sign-in and consent pages, under `AS_PATHS.authn`. */
export const PAGES = {
  email: '/authn/authenticate',
  code: '/authn/authenticate/code',
  consent: '/authn/consent',
} as const;
