"""Input checks the bad-input catalogue asked for: adam ids, serial numbers, record ids, option combinations, clear type errors."""
from __future__ import annotations

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.module import CollectionModule, Warned, apply_cleaners, positive_id, split_spec, warnings_of
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import clean_adam_ids, clean_serial_numbers, serial_number_list


class Failed(Exception):
    """fail_json was called; ``args[0]`` holds its keyword arguments."""


@pytest.fixture
def failures(monkeypatch):
    def record(_module, msg, **kwargs):
        raise Failed(dict(kwargs, msg=msg))
    monkeypatch.setattr(AnsibleModule, "fail_json", record)


@pytest.mark.parametrize("values", [None, [], ["361309726", "1"]])
def test_adam_ids_of_digits_pass(values):
    assert clean_adam_ids("adam_ids", values) == values


@pytest.mark.parametrize("value", ["Pages", "id361309726", "https://apps.apple.com/app/id361309726", "3613O9726", "-1", "1.5"])
def test_anything_but_digits_is_not_an_adam_id(value):
    with pytest.raises(InputError) as caught:
        clean_adam_ids("adam_ids", ["361309726", value])
    message = str(caught.value)
    assert message.startswith("adam_ids: {0!r} is not an adam id".format(value))
    assert "digits" in message and "\n" not in message


# -- serial numbers: Apple checks none, so a slip would take a license as a new device ----------------


@pytest.mark.parametrize("values", [None, [], ["DMPQ0001XYZ", " C02X1234ABCD\n"]])
def test_upper_case_serial_numbers_pass_stripped(values):
    expected = None if values is None else [value.strip() for value in values]
    assert clean_serial_numbers("serial_numbers", values) == expected


def test_a_space_inside_a_serial_number_is_refused():
    with pytest.raises(InputError) as caught:
        clean_serial_numbers("serial_numbers", ["C02X1234ABCD", " DMPQ 0001XYZ "])
    assert str(caught.value) == 'serial_numbers: "DMPQ 0001XYZ" has a space inside; a serial number has no whitespace'


def test_every_spaced_serial_number_is_named_up_to_three():
    values = ["A {0}".format(number) for number in range(5)] + ["DMPQ0001XYZ"]
    with pytest.raises(InputError) as caught:
        clean_serial_numbers("assignments[2].serial_numbers", values)
    assert str(caught.value) == ('assignments[2].serial_numbers: "A 0", "A 1", "A 2" and 2 more have a space inside; '
                                 'a serial number has no whitespace')


@pytest.mark.parametrize("value, shown", [("DMPQ\t0001XYZ", '"DMPQ\\t0001XYZ"'), ("DMPQ\u00a00001XYZ", '"DMPQ\\u00a00001XYZ"'),
                                          ("DMPQ\n0001XYZ", '"DMPQ\\n0001XYZ"')])
def test_other_whitespace_inside_is_refused_and_shown(value, shown):
    with pytest.raises(InputError) as caught:
        clean_serial_numbers("serial_numbers", [value])
    message = str(caught.value)
    assert message == "serial_numbers: {0} has whitespace inside; a serial number has no whitespace".format(shown)
    assert "\n" not in message


def test_lower_case_is_kept_with_a_warning():
    cleaned = clean_serial_numbers("serial_numbers", ["C02X1234ABCD", "dmpq0001xyz "])
    assert isinstance(cleaned, Warned)
    assert cleaned.value == ["C02X1234ABCD", "dmpq0001xyz"]  # Apple's examples use lower-case UUIDs: never changed
    assert cleaned.items == ["dmpq0001xyz"]
    assert cleaned.notice(["serial_numbers"], cleaned.items) == (
        "serial_numbers: dmpq0001xyz has lower-case letters; Apple matches serial numbers exactly and devices report them "
        "in upper case: did you mean DMPQ0001XYZ?")


def test_one_warning_for_every_serial_option_of_a_task():
    spec, cleaners = split_spec({
        "serial_numbers": serial_number_list(),
        "assignments": {"type": "list", "elements": "dict", "options": {"serial_numbers": serial_number_list()}},
    })
    assert "clean" not in spec["assignments"]["options"]["serial_numbers"]
    values = {"serial_numbers": None, "assignments": [
        {"serial_numbers": ["c02a", "C02B", "c02c"]}, {"serial_numbers": ["C02D"]}, {"serial_numbers": ["c02a", "c02e", "c02f"]}]}
    warnings = warnings_of(apply_cleaners(values, cleaners))
    assert warnings == [
        "assignments[1].serial_numbers, assignments[3].serial_numbers: c02a, c02c, c02e and 1 more have lower-case letters; "
        "Apple matches serial numbers exactly and devices report them in upper case: did you mean C02A, C02C, C02E and 1 more?"]
    assert values["assignments"][0]["serial_numbers"] == ["c02a", "C02B", "c02c"]  # the values, unchanged and unwrapped
    assert values["assignments"][2]["serial_numbers"] == ["c02a", "c02e", "c02f"]


def test_no_warning_without_lower_case():
    spec, cleaners = split_spec({"serial_numbers": serial_number_list()})
    values = {"serial_numbers": ["C02A", "C02A "]}
    assert spec == {"serial_numbers": {"type": "list", "elements": "str"}}
    assert warnings_of(apply_cleaners(values, cleaners)) == [] and values == {"serial_numbers": ["C02A"]}


def test_record_ids_must_be_positive():
    assert positive_id("id", 1) == 1
    for bad in (0, -4711):
        with pytest.raises(InputError, match="^id must be a positive number, not {0}$".format(bad)):
            positive_id("id", bad)


def module_with_errors(params):
    """A CollectionModule stand-in holding ansible-core's validation result for these parameters."""
    module = CollectionModule.__new__(CollectionModule)
    spec = {"tags": {"type": "dict", "options": {"owner": {"type": "str"}}}, "timeout": {"type": "float"}}
    module.validation_result = ArgumentSpecValidator(spec).validate(params)
    return module


def test_a_bad_dict_option_is_named(failures):  # pylint: disable=unused-argument,redefined-outer-name
    module = module_with_errors({"tags": "CC-4410"})
    with pytest.raises(Failed) as caught:
        module.fail_json(msg=module.validation_result.errors.msg)
    assert caught.value.args[0]["msg"].startswith("argument 'tags' is of type str")


def test_other_messages_are_left_alone(failures):  # pylint: disable=unused-argument,redefined-outer-name
    module = module_with_errors({"timeout": "soon"})
    with pytest.raises(Failed) as caught:
        module.fail_json(msg=module.validation_result.errors.msg, changed=False)
    assert caught.value.args[0] == {"msg": module.validation_result.errors.msg, "changed": False}
    plain = CollectionModule.__new__(CollectionModule)  # no validation result at all
    with pytest.raises(Failed) as caught:
        plain.fail_json(msg="asset 7 not found")
    assert caught.value.args[0]["msg"] == "asset 7 not found"


def test_check_input_fails_before_the_client_is_built(failures):  # pylint: disable=unused-argument,redefined-outer-name
    module = CollectionModule.__new__(CollectionModule)
    module.params = {}
    module._cleaners = {}  # pylint: disable=protected-access
    module.check_mode = False
    built = []

    def build_client(read_only):
        built.append(read_only)

    module.build_client = build_client

    def refuse(options):
        raise InputError("purge_tags needs tags")

    with pytest.raises(Failed) as caught:
        module.run(lambda client, options: {}, check_input=refuse)
    assert caught.value.args[0]["msg"] == "purge_tags needs tags"
    assert built == []


@pytest.mark.parametrize("blank", [" ", "\n", "  \t"])
def test_a_blank_no_log_value_masks_nothing(blank):
    """ansible-core adds every no_log option's value to no_log_values; a blank one would turn each space of the
    result (the error saying the value is blank, too) into ********."""
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel

    with patch_module_args({"secret": blank, "other": "s3cret"}):
        module = CollectionModule({"secret": {"type": "str", "no_log": True}, "other": {"type": "str", "no_log": True}})
    assert "s3cret" in module.no_log_values
    assert all(str(value).strip() for value in module.no_log_values)
