import os
from os import popen


def archive(name):
    os.system("tar czf backup.tgz " + name)
    return popen("ls").read()
