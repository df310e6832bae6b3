import pickle


def receive(message):
    return pickle.loads(message)
