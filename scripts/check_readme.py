"""Run the README's commands as written, in a fresh clone and a fresh virtualenv.

    python3 scripts/check_readme.py [--keep]

The commands are read from README.md's ``sh`` blocks, not copied here, so
the README cannot drift from what passes:

- the demo command (the block that ends in ``runserver``) runs in the
  background until http://127.0.0.1:8000/ answers; then the log-in page is
  fetched, a demo customer logs in with the README's password and sees the
  ticket list, and the server is stopped;
- the quick test command (the block that runs ``tox -e``) runs to the end.

The full test command must be ``bash .ci/run``, which is what CI runs and
what calls this script (so it is checked by name here, not run again).

The clone is of the committed HEAD (uncommitted changes are not in it); its
commands see a PATH that starts with the fresh virtualenv, so ``python3``
and ``pip`` are that virtualenv's. Exits non-zero on the first failure.
Only the standard library: it runs before anything is installed.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess  # nosec B404: runs the README's own commands
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL_TEST_COMMAND = "bash .ci/run"
HOST, PORT = "127.0.0.1", 8000
SITE = f"http://{HOST}:{PORT}"
DEMO_START_TIMEOUT = 600  # seconds: the demo command installs the package first
TEST_TIMEOUT = 1800


class Failed(Exception):
    pass


def sh_blocks(readme):
    """The commands of the README's ```sh blocks, one string per block."""
    return [block.strip() for block in re.findall(r"^```sh\n(.*?)^```", readme, re.S | re.M)]


def the_one(blocks, what, test):
    found = [block for block in blocks if test(block)]
    if len(found) != 1:
        raise Failed(f"README.md: expected one sh block with {what}, found {len(found)}")
    return found[0]


def readme_commands(readme):
    blocks = sh_blocks(readme)
    demo = the_one(blocks, "the demo command (ending in runserver)", lambda b: b.endswith("manage.py runserver"))
    quick = the_one(blocks, "the quick test command (tox -e)", lambda b: "tox -e " in b)
    the_one(blocks, f"the test command {FULL_TEST_COMMAND!r}", lambda b: b == FULL_TEST_COMMAND)
    password = re.search(r"password\s+\*\*`([^`]+)`\*\*", readme)
    if not password:
        raise Failed("README.md: the demo password (**`...`**) is not named")
    return demo, quick, password.group(1)


def port_in_use():
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, PORT)) == 0


def tail(path, lines=40):
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


def check_demo_site(password):
    """The log-in page answers, and the demo customer logs in and sees the ticket list."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{SITE}/accounts/login/"
    page = opener.open(login, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if 'name="username"' not in page or not token:
        raise Failed(f"{login}: no log-in form")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": "customer", "password": password}
    ).encode()
    request = urllib.request.Request(login, data=form, headers={"Referer": login})
    with opener.open(request, timeout=30) as answer:
        landed = urllib.parse.urlsplit(answer.geturl()).path
    if landed != "/support/":
        raise Failed(f"logging in as customer with the README's password landed on {landed}, not /support/")
    print(f"    {login} answered; customer logged in and landed on {landed}")


def run_demo(command, password, clone, env, logs):
    if port_in_use():
        raise Failed(f"port {PORT} is in use: the README's demo command serves on it; stop what listens there")
    log_path = logs / "demo.log"
    with open(log_path, "wb") as log:
        # A session of its own: runserver's autoreloader starts a child, and
        # both are stopped together through the group of the shell's PID.
        server = subprocess.Popen(  # nosec B603 B607
            ["bash", "-c", command],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + DEMO_START_TIMEOUT
        while True:
            if server.poll() is not None:
                raise Failed(f"the demo command exited ({server.returncode}) before serving:\n{tail(log_path)}")
            try:
                urllib.request.urlopen(f"{SITE}/", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # an answer (a redirect to log in or an error page) is an answer
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise Failed(f"{SITE}/ did not answer within {DEMO_START_TIMEOUT} s:\n{tail(log_path)}") from None
                time.sleep(1)
        check_demo_site(password)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    print(tail(log_path, 12))


def run_tests(command, clone, env):
    done = subprocess.run(  # nosec B603 B607
        ["bash", "-c", command], cwd=clone, env=env, stdin=subprocess.DEVNULL, timeout=TEST_TIMEOUT
    )
    if done.returncode:
        raise Failed(f"the quick test command exited with {done.returncode}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and virtualenv (their folder is printed)")
    args = parser.parse_args()

    demo, quick, password = readme_commands((ROOT / "README.md").read_text())
    head = subprocess.run(  # nosec B603 B607
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="readme-check-"))
    clone, venv = work / "clone", work / "venv"
    print(f"==> fresh clone of {head} and virtualenv in {work}")
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)  # nosec B603 B607
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # nosec B603
        env = {key: value for key, value in os.environ.items() if not key.startswith(("TOX_", "VIRTUAL_ENV"))}
        env.pop("PYTHONPATH", None)
        env.update(
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            VIRTUAL_ENV=str(venv),
        )
        for label, command, runner in (
            ("demo command", demo, lambda: run_demo(demo, password, clone, env, work)),
            ("quick test command", quick, lambda: run_tests(quick, clone, env)),
        ):
            print(f"\n==> README {label}, as written:\n    {command}", flush=True)
            started = time.monotonic()
            runner()
            print(f"==> README {label}: passed in {time.monotonic() - started:.0f} s", flush=True)
    except (Failed, subprocess.CalledProcessError) as exc:
        print(f"\nREADME check failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
