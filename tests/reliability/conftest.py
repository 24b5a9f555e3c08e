"""Fixtures of the reliability suite: the integration harness (simulator + ansible runner)."""
from __future__ import annotations

# Re-exported so pytest registers them for tests/reliability as well.
from tests.integration.conftest import AnsibleRunner, ansible, simulator  # noqa: F401  pylint: disable=unused-import
