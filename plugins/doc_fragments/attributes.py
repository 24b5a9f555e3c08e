# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Shared attribute blocks; modules combine them, e.g. assetops.licensing.attributes.info_module.
    DOCUMENTATION = r"""
options: {}
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return the same data as a normal run, since it changes nothing.
    support: full
  diff_mode:
    description: Changes nothing, so there is nothing to show as a diff.
    support: none
"""

    STATE_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Reads the current state and returns exactly the changes it would make, without sending any write.
    support: full
  diff_mode:
    description: Shows, per device or user named in the task, the assets held before and after.
    support: full
"""

    ACTIONGROUP_VPP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/assetops.licensing.vpp) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - assetops.licensing.vpp
"""

    ACTIONGROUP_RESELLER = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/assetops.licensing.reseller) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - assetops.licensing.reseller
"""
