"""Starting `understudy record` for a bench script and waiting until it records."""
import os
import subprocess
import sys
import time


def start(binary, vault, extra, env, log):
    """Starts the recorder into `vault` (stderr to `log`) and returns it once `status` says it records."""
    recorder = subprocess.Popen([binary, "record", "--vault", vault, *extra], env=env,
                                stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    for _ in range(100):
        status = subprocess.run([binary, "status", "--vault", vault, "--json"], env=env, capture_output=True, text=True)
        if '"state":"recording"' in status.stdout:
            return recorder
        if recorder.poll() is not None:
            break
        time.sleep(0.2)
    recorder.kill()
    sys.exit("bench: the recorder did not start, see " + log)
