"""The tests' independent reference for first derivatives: central differences on plain floats."""


def central_differences(f, xs, h=1e-6):
    """[(f(x + h e_i) - f(x - h e_i)) / 2h for each i]: f maps a list of floats to a float."""
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(up) - f(down)) / (2 * h))
    return grads
