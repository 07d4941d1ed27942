"""``skmlp demo``: what the README's first command runs."""

import re

import pytest

from skmlp._demo import run_demo

# The demo trains on a real data set, with scikit-learn's MLP alongside.
pytestmark = pytest.mark.slow


def test_demo_reports_accuracy_a_named_speed_up_and_an_identical_reload():
    lines = []
    status = run_demo(n_iter=1, n_jobs=1, out=lines.append, repeats=1)
    text = "\n".join(lines)
    assert status == 0
    assert re.search(r"skmlp MLPClassifierNB\s+0\.\d{4}", text)
    assert re.search(r"sklearn MLPClassifier\s+0\.\d{4}", text)
    # The figure says what it is: a ratio of medians of alternating fits.
    speed = re.search(r"speed-up: (\d+\.\d)x \(ratio of the median fit times of 1 "
                      r"alternating fits each, both on one BLAS thread", text)
    assert speed and float(speed.group(1)) > 0
    assert "joblib round trip: predictions identical" in text
