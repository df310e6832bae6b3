def working():
    return 1 + 1
