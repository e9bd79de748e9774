"""`make run`: the web app, the scheduler, a dispatcher and — unless real Twilio credentials are set —
the local SMS sandbox (dev/sms_sandbox.py, the same server the tests use), so reminders,
escalations and acknowledgements work on a laptop with no Twilio account. Ctrl-C stops them all.

    .venv/bin/python tools/run_demo.py"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config  # noqa: E402 - after the path: run as a script
from dev.sms_sandbox import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402

WEB_PORT, SANDBOX_PORT = 5000, 5055


def main() -> None:
    config.ensure_secret_key_file()  # the children read it (config._secret_key) unless SECRET_KEY is set
    env = dict(os.environ)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{WEB_PORT}")
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    procs = []
    if not env.get("TWILIO_ACCOUNT_SID"):
        env.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_FROM="+15005550006",
                   TWILIO_API_BASE=f"http://127.0.0.1:{SANDBOX_PORT}")
        env.setdefault("ALERT_CALL_STEPS", "1")  # the backup's escalation also rings (the sandbox's calls)
        procs.append(subprocess.Popen([sys.executable, "-m", "dev.sms_sandbox", str(SANDBOX_PORT),
                                       "--deliver"], cwd=ROOT, env=env))
    procs.append(subprocess.Popen(flask + ["scheduler", "run"], cwd=ROOT, env=env))
    procs.append(subprocess.Popen(flask + ["dispatcher", "run"], cwd=ROOT, env=env))
    web = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port", str(WEB_PORT)], cwd=ROOT, env=env)
    procs.append(web)
    time.sleep(1.5)
    print(f"\n  App:          http://127.0.0.1:{WEB_PORT}  (demo logins above, password demo12345)")
    if env.get("TWILIO_API_BASE", "").startswith("http://127.0.0.1"):
        print(f"  SMS sandbox:  http://127.0.0.1:{SANDBOX_PORT}/  (every demo phone's inbox; no SMS leaves "
              "this machine)\n  Within minutes: a reminder to 0987 654 321, then an escalation with an "
              "acknowledgement link.\n", flush=True)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
