"""Dimension matrices from pint, custom registries, exponent dicts and sympy units."""

import re

import numpy as np
import pint
import pytest
import sympy.physics.units as su

from scalars.units import UnitsError, dimension_exponents, dimension_matrix


def test_pint_strings_and_dimensionless_entries():
    M, dimensions = dimension_matrix(["kg*m/s^2", "", None, "radian", "1/s"])
    assert dimensions == ("[length]", "[mass]", "[time]")
    assert M.tolist() == [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [-2, 0, 0, 0, -1]]


def test_every_form_of_unit_agrees():
    registry = pint.UnitRegistry()
    forms = [
        "J/K",
        registry.joule / registry.kelvin,
        registry.Quantity(1.380649e-23, "J/K"),
        {"mass": 1, "[length]": 2, "time": -2, "[temperature]": -1},
        su.joule / su.kelvin,
    ]
    expected = {"[length]": 2, "[mass]": 1, "[temperature]": -1, "[time]": -2}
    for form in forms:
        assert dimension_exponents(form) == expected


def test_custom_registry_keeps_water_apart_from_cubic_metres():
    registry = pint.UnitRegistry()
    registry.define("litre_of_water = [water_volume] = lw")
    M, dimensions = dimension_matrix(["lw/d/m^2", "l/d/m^2"], registry=registry)
    assert dimensions == ("[length]", "[time]", "[water_volume]")
    assert M.tolist() == [[-2, 1], [-1, -1], [1, 0]]


def test_sympy_base_dimension_names_match_pint():
    assert dimension_exponents(su.mol / su.candela) == dimension_exponents("mol/cd")


def test_all_dimensionless_gives_empty_matrix():
    M, dimensions = dimension_matrix([None, ""])
    assert M.shape == (0, 2) and dimensions == ()


@pytest.mark.parametrize(
    "unit, error, message",
    [
        ("furlongs_of_doom", UnitsError, "Cannot parse unit 'furlongs_of_doom'"),
        ("m^0.5", UnitsError, "non-integer exponent 1/2 of \\[length\\]"),
        ({"length": 1.5}, UnitsError, "non-integer exponent"),
        (3.0, TypeError, "Cannot read units from 3.0"),
    ],
)
def test_bad_units_are_named(unit, error, message):
    with pytest.raises(error, match=message):
        dimension_matrix(["m", unit])


def test_matrix_is_integer_typed():
    M, _ = dimension_matrix(["m/s"])
    assert M.dtype == np.int64


@pytest.mark.parametrize(
    "unit, spellings",
    [
        ({"length": 1, "[length]": 1}, "'length' and '\\[length\\]'"),
        ({"[mass]": 1, " mass ": -1, "time": 1}, "'\\[mass\\]' and ' mass '"),
    ],
)
def test_two_spellings_of_one_dimension_are_refused(unit, spellings):
    with pytest.raises(UnitsError, match=f"gives the exponent of .* more than once, as {spellings}"):
        dimension_exponents(unit)


@pytest.mark.parametrize("unit", ["kg*m/s^2 = N", "m = m", "m,s", "m;s", "m!", "m#s", "m/s/", "m**", "==", "[length]"])
def test_malformed_unit_strings_are_units_errors_naming_the_string(unit):
    with pytest.raises(UnitsError, match=f"Cannot parse unit {re.escape(repr(unit))}: .+"):
        dimension_exponents(unit)


@pytest.mark.parametrize(
    "unit", ["m/s", "kg*m^2/s^2", "1e-3 m", "µm", "Ω", "%", "m**-2", "(m/s)^2", "°R", "ohm * A"]
)
def test_well_formed_unit_strings_still_parse(unit):
    registry = pint.get_application_registry()
    assert dimension_exponents(unit) == {k: int(v) for k, v in registry.parse_expression(unit).dimensionality.items()}


@pytest.mark.parametrize("unit", ["degC", "degF", "°C", "reaumur", "degC/m"])
@pytest.mark.parametrize("form", [str, lambda u: pint.get_application_registry().Quantity(1, u)])
def test_offset_units_are_refused_with_advice_to_use_kelvin(unit, form):
    if unit == "degC/m" and form is not str:
        pytest.skip("pint itself refuses to make the quantity")
    with pytest.raises(UnitsError, match=r"is an offset unit .*Convert the values to kelvin") as error:
        dimension_exponents(form(unit))
    assert form is not str or repr(unit) in str(error.value)


def test_temperature_differences_and_kelvin_are_accepted():
    for unit in ["K", "delta_degC", "delta_degF", "J/K"]:
        assert dimension_exponents(unit).get("[temperature]") in (1, -1)
    assert dimension_exponents(pint.get_application_registry().kelvin) == {"[temperature]": 1}


@pytest.mark.parametrize("unit, name", [({"lenght": 1}, "lenght"), ({"[mass]": 1, "[tme]": -1}, "\\[tme\\]"),
                                        ({"dimensionless": 1}, "dimensionless"), ({"": 2}, "")])
def test_unknown_dimension_names_are_errors(unit, name):
    with pytest.raises(UnitsError, match=f"names the dimension '{name}', which the unit registry does not define"):
        dimension_exponents(unit)


def test_derived_dimension_names_expand_into_base_dimensions():
    assert dimension_exponents({"[velocity]": 1, "time": 1, "mass": 1}) == {"[length]": 1, "[mass]": 1}
    M, dimensions = dimension_matrix([{"[force]": 1}, "N"])
    assert dimensions == ("[length]", "[mass]", "[time]") and (M[:, 0] == M[:, 1]).all()


def test_a_custom_registry_defines_its_own_dimensions():
    registry = pint.UnitRegistry()
    registry.define("litre_of_water = [water_volume] = lw")
    assert dimension_exponents({"water_volume": 1, "length": -3}, registry) == {"[water_volume]": 1, "[length]": -3}
    with pytest.raises(UnitsError, match="water_volume"):
        dimension_exponents({"water_volume": 1})
