import subprocess


def list_directory(path):
    subprocess.run(["ls", "-la", "--", path], check=True)
    return subprocess.check_output(["du", "-sh", "--", path], shell=False)
