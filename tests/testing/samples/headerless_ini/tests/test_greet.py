from greet import hello


def test_hello():
    assert hello("ada") == "hello ada"
