from inventory import Stock


def test_add_new_item():
    assert Stock().add("bolt", 3) == 3


def test_add_existing_item():
    stock = Stock()
    stock.add("nut", 2)
    assert stock.add("nut", 5) == 7
