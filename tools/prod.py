"""`make prod`: the production stack on the PostgreSQL of DATABASE_URL, under supervisord.

    SECRET_KEY=… PUBLIC_BASE_URL=https://… DATABASE_URL=postgresql://… .venv/bin/python tools/prod.py

Refuses to start while a setting production must have is missing (coordination/ops/settings.py),
then runs the migrations and the geography load, and hands over to supervisord (a well-kept
supervisor, pip `supervisor`): gunicorn (WEB_WORKERS, default 2 × cores + 1, on PROD_BIND, default
127.0.0.1:8000), exactly one scheduler and DISPATCHERS dispatchers (default 2). supervisord
restarts any of them that dies and, on SIGTERM or Ctrl-C, stops them all together. Why not a
Procfile runner (honcho): it stops every process when one exits — the opposite of what a dispatcher
killed by the OOM killer needs. systemd units that do the same are in deploy/systemd/.

`instance/supervisorctl status` (a wrapper written here) shows and controls the processes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coordination.ops.settings import production_problems  # noqa: E402 - after the path: run as a script

VENV = ROOT / ".venv" / "bin"

PROGRAM = """
[program:{name}]
command={command}
directory={root}
{extra}autostart=true
autorestart=true
startsecs=2
startretries=1000
stopsignal=TERM
stopwaitsecs=20
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""


def supervisor_config(instance: Path, bind: str, web_workers: int, dispatchers: int) -> str:
    flask = f"{VENV / 'flask'} --app app"
    head = f"""[supervisord]
nodaemon=true
logfile=/dev/null
logfile_maxbytes=0
pidfile={instance / 'supervisord.pid'}
childlogdir={instance}

[unix_http_server]
file={instance / 'supervisor.sock'}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{instance / 'supervisor.sock'}
"""
    web = f"{VENV / 'gunicorn'} -w {web_workers} -b {bind} --access-logfile - 'app:create_app()'"
    return head + "".join([
        PROGRAM.format(name="web", command=web, root=ROOT, extra=""),
        PROGRAM.format(name="scheduler", command=f"{flask} scheduler run", root=ROOT, extra=""),
        PROGRAM.format(name="dispatcher", command=f"{flask} dispatcher run", root=ROOT,
                       extra=f"process_name=%(program_name)s-%(process_num)s\nnumprocs={dispatchers}\n"),
    ])


def main() -> int:
    env = dict(os.environ)
    problems = production_problems(env)
    if problems:
        print("make prod: not starting; production needs:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if not env.get("TWILIO_ACCOUNT_SID"):
        print("make prod: TWILIO_ACCOUNT_SID is not set: alerts stay in the outbox, marked not sent", file=sys.stderr)
    instance = Path(env.get("PROD_INSTANCE_DIR") or ROOT / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    # Prometheus multiprocess mode: each process (gunicorn workers, scheduler, dispatchers) writes
    # its samples here and /metrics adds them up; emptied at each start (the library's rule).
    metrics_dir = instance / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    flask = [str(VENV / "flask"), "--app", "app"]
    for step in (["db", "upgrade"], ["geo", "load"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True)
    web_workers = int(env.get("WEB_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
    dispatchers = int(env.get("DISPATCHERS") or 2)
    if not 1 <= dispatchers <= 32 or not 1 <= web_workers <= 64:
        print("make prod: DISPATCHERS must be 1–32 and WEB_WORKERS 1–64", file=sys.stderr)
        return 2
    conf = instance / "supervisord.conf"
    conf.write_text(supervisor_config(instance, env.get("PROD_BIND") or "127.0.0.1:8000", web_workers, dispatchers))
    ctl = instance / "supervisorctl"
    ctl.write_text(f"#!/bin/sh\nexec {VENV / 'supervisorctl'} -c {conf} \"$@\"\n")
    ctl.chmod(0o700)
    print(f"make prod: web ({web_workers} workers on {env.get('PROD_BIND') or '127.0.0.1:8000'}), 1 scheduler, "
          f"{dispatchers} dispatchers under supervisord; `{ctl} status` shows them", flush=True)
    os.execve(str(VENV / "supervisord"), [str(VENV / "supervisord"), "-c", str(conf)], env)


if __name__ == "__main__":
    sys.exit(main())
