# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every reseller_* module.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the reseller platform (Crayon Cloud-iQ), for example a test server. The modules add C(/api/v1) to
        it, so it is the server's address without that path.
      - Falls back to the E(RESELLER_API_URL) environment variable.
    type: str
    default: https://api.crayon.com
  client_id:
    description:
      - OAuth client id of the API client, used with O(client_secret), O(username) and O(password) to log in
        (password grant, scope C(CustomerApi)).
      - Falls back to E(RESELLER_CLIENT_ID).
    type: str
  client_secret:
    description:
      - OAuth client secret; never shown.
      - Falls back to E(RESELLER_CLIENT_SECRET).
    type: str
  username:
    description:
      - The platform user to log in as.
      - Falls back to E(RESELLER_USERNAME).
    type: str
  password:
    description:
      - That user's password; never shown.
      - Falls back to E(RESELLER_PASSWORD).
    type: str
  access_token:
    description:
      - An access token to use instead of logging in with the four options above; never shown.
      - Give either O(access_token) or all of O(client_id), O(client_secret), O(username) and O(password).
      - Falls back to E(RESELLER_ACCESS_TOKEN).
    type: str
  timeout:
    description: Seconds to wait for each HTTP request.
    type: float
    default: 30
  validate_certs:
    description: Whether to verify the TLS certificate of O(api_url). Only turn this off for test servers; a warning says so.
    type: bool
    default: true
  ca_path:
    description: A PEM file of CA certificates to verify O(api_url) with, instead of the default trust store.
    type: path
  retries:
    description:
      - How often one request is retried after a retryable failure (HTTP 429, 5xx, connection errors on reads),
        with exponential backoff and full jitter, honouring C(Retry-After); each retry adds a warning.
    type: int
    default: 8
requirements:
  - httpx >= 0.27
  - pydantic >= 2.6
notes:
  - A token from the password grant is reused for the whole module run and renewed once if the platform answers 401.
  - Run these tasks on the controller (with O(ignore:delegate_to=localhost) or in a play on localhost) so that the
    E(RESELLER_*) environment variables, as set by an AWX credential, reach them.
"""
