# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every vpp_* module.
    DOCUMENTATION = r"""
options:
  token:
    description:
      - The content token (sToken) of the location, that is the whole content of the C(.vpptoken) file
        downloaded from Apple Business Manager or Apple School Manager (Preferences > Payments and Billing).
      - Give exactly one of O(token) and O(token_path). When neither is given, falls back to the E(VPP_TOKEN)
        environment variable, or to E(VPP_TOKEN_PATH) as for O(token_path) (only one of the two may be set).
      - The token is checked locally before any request; an expired or malformed token fails at once,
        and a token expiring within 30 days adds a warning.
    type: str
  token_path:
    description:
      - Path of the C(.vpptoken) file on the controller; its content is used as O(token) and is never shown.
      - Falls back to the E(VPP_TOKEN_PATH) environment variable, see O(token).
    type: path
  api_url:
    description:
      - Base URL of the App and Book Management API, for example a test server. It usually ends in C(/mdm/v2); an
        HTTP 404 from it fails with a message that names the URL that answered.
      - Falls back to the E(VPP_API_URL) environment variable.
    type: str
    default: https://vpp.itunes.apple.com/mdm/v2
  timeout:
    description:
      - Seconds to wait for each HTTP request.
      - Falls back to the E(VPP_TIMEOUT) environment variable.
    type: float
    default: 30
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url). Only turn this off for test servers; a warning says so.
      - Falls back to the E(VPP_VALIDATE_CERTS) environment variable.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify O(api_url) with, instead of the default trust store.
      - Falls back to the E(VPP_CA_PATH) environment variable.
    type: path
  retries:
    description:
      - How often one request is retried after a retryable failure (HTTP 429, 5xx, and connection errors on
        reads). Waits grow exponentially with full jitter, honour C(Retry-After), and each retry adds a warning.
      - A write whose outcome is unknown is never resent blindly.
    type: int
    default: 8
  mdm_id:
    description:
      - The C(mdmInfo) id this collection acts as, or acts for, on the location.
      - Apple advises one management service per location. A module that writes refuses, before any write,
        a location whose owner (the C(mdmInfo) an MDM set in its client configuration) has another id, or that
        has an owner while this is unset; the message names the owner. A location without an owner is never
        refused, and modules that only read never refuse.
      - Find the owner's id with M(assetops.licensing.vpp_location_info), or in the refusal message.
      - Falls back to the E(VPP_MDM_ID) environment variable.
    type: str
requirements:
  - httpx >= 0.27
  - pydantic >= 2.6
notes:
  - Requests to one location are paced so they never exceed Apple's C(maxRequestPerSecond), and at most five
    are in flight at once.
  - Apple's limits from C(/service/config) are cached for five minutes in
    C($XDG_CACHE_HOME/assetops.licensing/) (default C(~/.cache)) on the controller; the file holds no secret.
  - The module runs where the task runs; the API is reached from there. Run these tasks on the controller
    (with O(ignore:delegate_to=localhost) or in a play on localhost) so that environment variables such as
    E(VPP_TOKEN) reach them.
seealso:
  - name: App and Book Management API
    description: Apple's documentation of the API these modules use.
    link: https://developer.apple.com/documentation/devicemanagement/app-and-book-management
"""

    # Waiting for Apple's asynchronous events (write modules and vpp_event_info).
    WAIT = r"""
options:
  wait_timeout:
    description:
      - Seconds to wait in all for Apple's events to finish, when waiting.
      - For the modules that write, the time counts from the first request sent, so slow reads before it do not
        use it up; for M(assetops.licensing.vpp_event_info) it counts from the start of the wait.
      - An event still C(PENDING) after that makes the task fail, with what did finish reported.
    type: float
    default: 600
  poll_interval:
    description:
      - Seconds between two status checks of the same pending event. Apple asks for at least 30 seconds
        between status queries while an event is C(PENDING).
      - The first check comes about 3 seconds after the request (small events are done by then); after
        a C(PENDING) answer the next check of that event comes no sooner than this, also at the end of
        O(wait_timeout).
      - While several events are pending, only the last one submitted is checked; the others are checked
        once it has finished.
      - Values below 30 are for test servers; with Apple's O(api_url) they draw a warning.
    type: float
    default: 30
"""

    # The write modules: what happens to a write whose answer was lost.
    WRITE = r"""
options:
  resend_after:
    description:
      - Seconds after sending a write whose answer was lost (connection broken, timeout, a proxy's error page)
        before its pairs may be sent again.
      - Apple may still be processing such a write, so it is never resent at once. Its pairs are read back
        (first after about 3 seconds, then every O(poll_interval)); those that show up count as done.
      - >-
        Pairs still missing this long after the send are sent once more, if that happens within
        O(wait_timeout). Otherwise they are reported in RV(failures) as C(outcome unknown: not resent), and a
        second run of the task finishes the job.
      - Apple asks to retry a request that is still pending after 10 minutes, hence the default.
    type: float
    default: 600
"""

    # The modules that write pairs: how the result reports them.
    REPORT = r"""
options:
  report:
    description:
      - How the result reports the pairs it changed.
      - V(pairs) lists one record per pair (device or user, and asset).
      - >-
        V(summary) is for runs of hundreds of thousands of pairs: the list of pairs is replaced by per-asset counts
        (C(adam_id), C(pricing_param), C(count)) and RV(changed_count) gives their sum; no per-pair list is built, so the
        module and ansible-core stay small and fast, and AWX stores a few records instead of one per pair.
        RV(failures) then names at most 100 failure records (each one request's or one Apple failure's devices, users and
        assets) and RV(failures_truncated) counts the rest; the one-line message still names the first three. Under
        C(--diff), C(before) and C(after) give per asset how many devices and users hold it, and the diff's first line
        sums up the change as in V(pairs) mode.
    type: str
    choices: [pairs, summary]
    default: pairs
"""

    # The snapshot of a location's assignments, shared by the modules that read assignments.
    ASSIGNMENT_CACHE = r"""
options:
  assignment_cache:
    description:
      - >-
        Path of a file on the controller that keeps a snapshot of every assignment of the location, so that an
        unchanged location is not read again: when the first page of Apple's assignments carries the C(versionId)
        the snapshot was taken at, the snapshot is exact and no other page is read (Apple changes C(versionId) with
        any change of the data). An idempotent re-run over 500,000 pairs then sends two requests (one assets page,
        one assignments page) instead of about 500.
      - >-
        The snapshot is saved whenever the module reads every assignment of the location in one walk whose pages
        all carried the same C(versionId); it is used only where reading all assignments is at least as cheap as
        reading by asset or by device (a run that reads a few devices reads them directly, as without the option).
        A module that writes drops the location's snapshot before its first write, so the next run with changes
        reads from Apple and saves a new one; the run after that is the cheap one. C(sinceVersionId) deltas are
        never used.
      - >-
        The file is gzip-compressed JSON, mode 0600, keyed by the location's C(uId) (several locations may share a
        file). It holds no secret: uIds, version ids, adam ids, serial numbers and client user ids. About 1.3 MB for
        500,000 assignments (loaded in about a second). Its folder must exist. A file that cannot be read is a miss with a warning, never a
        failure; it is written atomically (a temporary file renamed). Check mode writes no file.
      - >-
        AWX and Ansible Automation Platform run each job in a new container: without a persistent volume mounted
        at the file's folder the snapshot is lost after every job, so either mount one (and run the jobs of a
        location one at a time) or leave the option unset there.
      - Falls back to the E(VPP_ASSIGNMENT_CACHE) environment variable.
    type: path
"""
