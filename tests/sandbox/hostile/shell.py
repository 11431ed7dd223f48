import os
import subprocess


def shell(x):
    os.system("echo from-os-system")
    done = subprocess.run(["echo", "from-subprocess"], capture_output=True, text=True)
    print(done.stdout.strip())
    return x
