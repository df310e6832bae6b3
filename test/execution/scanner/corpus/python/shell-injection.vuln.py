import subprocess
from subprocess import Popen


def list_directory(path):
    subprocess.run(f"ls -la {path}", shell=True)
    subprocess.check_output("du -sh " + path)
    return Popen(["ls", path], shell=True)
