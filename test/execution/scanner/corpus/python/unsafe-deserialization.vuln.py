import marshal
import pickle as pk

import torch
import yaml


def restore(path, blob, text):
    with open(path, "rb") as handle:
        state = pk.load(handle)
    code = marshal.loads(blob)
    config = yaml.load(text)
    model = torch.load(path)
    return state, code, config, model
