def clamp(value, low=0.0, high=1.0):
    return max(low, min(high, value))
