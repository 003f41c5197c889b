from ledger import balance


def test_balance():
    assert balance([3, -1, 2]) == 4


def test_empty_balance():
    assert balance([]) == 0
