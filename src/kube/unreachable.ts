// What to tell a user whose request got no response, from the socket error's code.

/**
 * OpenSSL's verification failures as Node reports them (err.code), plus Node's own host-name
 * check. The server answered: asking whether it is running would send the user the wrong way.
 */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The hint for a request that failed before any response, given its error code. */
export function noResponseHint(code: string | undefined): string {
  if (code !== undefined && TLS_VERIFY_CODES.has(code)) {
    return "the server's TLS certificate did not verify: check the kubeconfig's certificate-authority (or -data) and tls-server-name";
  }
  return 'is the API server running and reachable?';
}
