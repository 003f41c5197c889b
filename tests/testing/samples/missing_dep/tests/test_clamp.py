from scorer import clamp


def test_clamp():
    assert clamp(1.5) == 1.0
