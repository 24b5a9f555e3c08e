"""Runs every integration target in a real ansible-playbook against a freshly reset simulator."""
from __future__ import annotations

import pytest

from tests.integration.conftest import TARGETS

TARGET_NAMES = sorted(path.name for path in TARGETS.iterdir() if (path / "tasks" / "main.yml").is_file() and not path.name.startswith("setup_"))


@pytest.mark.integration
@pytest.mark.parametrize("target", TARGET_NAMES)
def test_target(ansible, target):
    done = ansible.playbook(target)
    assert done.returncode == 0, "target {0} failed:\n{1}\n{2}".format(target, done.stdout[-12000:], done.stderr[-4000:])
    assert "failed=0" in done.stdout
