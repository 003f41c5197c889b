from scorer.model import score


def test_score():
    assert score([1, 0], [1, 1]) == 0.5
