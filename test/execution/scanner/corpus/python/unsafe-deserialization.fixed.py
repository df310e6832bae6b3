import json

import torch
import yaml


def restore(path, text):
    with open(path, "rb") as handle:
        state = json.load(handle)
    config = yaml.load(text, Loader=yaml.SafeLoader)
    other = yaml.safe_load(text)
    model = torch.load(path, weights_only=True)
    return state, config, other, model
