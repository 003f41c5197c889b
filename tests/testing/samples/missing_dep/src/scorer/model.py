from sklearn.metrics import accuracy_score


def score(truth, predicted):
    return accuracy_score(truth, predicted)
