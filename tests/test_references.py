"""Every row of the table has an independent reference (fastact/bench/references.py)
for every direction it supports, and the accuracy sweep reaches every
exponential row and choice: an activation added to the table without one fails
here instead of being skipped."""

import dataclasses

import pytest

import fastact
from fastact.bench import accuracy
from fastact.bench.references import EXPONENTIAL, REFERENCES, ROWWISE, reference
from fastact.bench.rows import directions, variants


def missing(rows):
    """'label direction' for each direction of each row (and choice) that has
    no reference."""
    return [f"{label} {d}" for spec in rows for label, params in variants(spec)
            for d in directions(spec, params) if reference(label, d) is None]


def test_every_row_has_a_reference_for_each_direction():
    gaps = missing(fastact.ACTIVATIONS.values())
    assert not gaps, f"add to fastact/bench/references.py: {gaps}"


def test_a_row_or_choice_without_reference_is_caught():
    new = fastact.Activation(name="softexp", family="exponential", formula="exp(x) - 1",
                             kernels=("softexp_forward", "softexp_backward",
                                      "softexp_backward_y"))
    assert missing([new]) == ["softexp forward", "softexp backward", "softexp backward_y"]
    gelu = fastact.ACTIVATIONS["gelu"]
    more = dataclasses.replace(gelu, choices={"approximate": dict(
        gelu.choices["approximate"], sigmoid="_sigmoid")})
    assert missing([more]) == ["gelu_sigmoid forward", "gelu_sigmoid backward"]


def test_every_reference_is_a_row_or_choice_of_the_table():
    labels = {label for spec in fastact.ACTIVATIONS.values() for label, _ in variants(spec)}
    for registry in (REFERENCES, EXPONENTIAL, ROWWISE):
        assert set(registry) <= labels, set(registry) - labels


@pytest.mark.parametrize("name", [n for n, s in fastact.ACTIVATIONS.items()
                                  if s.family == "exponential"])
def test_the_sweep_reaches_every_exponential_row(name):
    spec = fastact.ACTIVATIONS[name]
    labels = accuracy.sweep_labels()
    for label, params in variants(spec):
        assert labels[label] == (name, params)
