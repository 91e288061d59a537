"""Run the README's commands as written, in a fresh clone and a fresh virtualenv.

    python3 scripts/check_readme.py [--keep] [--demo-only]

The commands are read from README.md's ``sh`` blocks, not copied here, so
the README cannot drift from what passes:

- the demo command (the block that starts ``db_worker`` and ``runserver``)
  runs in the background, in a session of its own, with
  ``DJANGO_EMAIL_FILE_PATH`` pointing at a temporary folder, until
  http://127.0.0.1:8000/ answers; then the log-in page is fetched, a demo
  customer logs in with the README's password, sees the ticket list and opens
  a ticket, the e-mail acknowledging it is written by the tasks worker into
  that folder, and the whole process group is stopped (the server, its
  autoreloader, the worker; nothing else);
- the quick test command (the block that runs ``tox -e``) runs to the end
  (``--demo-only`` skips it).

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
MAIL_TIMEOUT = 60  # seconds for the worker to deliver the acknowledgement of a new ticket
STOP_TIMEOUT = 20
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
    demo = the_one(
        blocks,
        "the demo command (starting db_worker and runserver)",
        lambda b: "manage.py runserver" in b and "manage.py db_worker" in b,
    )
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


def csrf_token(page, url):
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        raise Failed(f"{url}: no form with a CSRF token")
    return token.group(1)


def open_ticket(opener):
    """The demo customer sends a ticket through the web form; returns its reference."""
    form_url = f"{SITE}/support/new/technical-support/question/"
    page = opener.open(form_url, timeout=30).read().decode()
    fields = {
        "csrfmiddlewaretoken": csrf_token(page, form_url),
        "subject": f"README check {time.time():.0f}",
        "description": "Opened by scripts/check_readme.py to see the acknowledgement arrive.",
    }
    request = urllib.request.Request(
        form_url, data=urllib.parse.urlencode(fields).encode(), headers={"Referer": form_url}
    )
    with opener.open(request, timeout=30) as answer:
        landed = urllib.parse.urlsplit(answer.geturl()).path
    found = re.fullmatch(r"/support/tickets/([^/]+)/", landed)
    if not found:
        raise Failed(f"sending a ticket from {form_url} landed on {landed}, not on the new ticket")
    return found.group(1)


def wait_for_mail(mail_dir, reference, log_path):
    """Wait until the worker wrote an e-mail about ``reference`` (its thread root names the ticket)."""
    thread_root = f"ticket.{reference.lower()}@"
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        for path in sorted(Path(mail_dir).glob("*.log")):
            if thread_root in path.read_text(errors="replace"):
                return path
        time.sleep(1)
    raise Failed(
        f"no e-mail about {reference} in {mail_dir} after {MAIL_TIMEOUT} s (is the worker running?):\n{tail(log_path)}"
    )


def check_demo_site(password, mail_dir, log_path):
    """The log-in page answers; the demo customer logs in, sees the ticket list, opens a ticket and is e-mailed."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{SITE}/accounts/login/"
    page = opener.open(login, timeout=30).read().decode()
    if 'name="username"' not in page:
        raise Failed(f"{login}: no log-in form")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf_token(page, login), "username": "customer", "password": password}
    ).encode()
    request = urllib.request.Request(login, data=form, headers={"Referer": login})
    with opener.open(request, timeout=30) as answer:
        landed = urllib.parse.urlsplit(answer.geturl()).path
    if landed != "/support/":
        raise Failed(f"logging in as customer with the README's password landed on {landed}, not /support/")
    print(f"    {login} answered; customer logged in and landed on {landed}")
    reference = open_ticket(opener)
    mail = wait_for_mail(mail_dir, reference, log_path)
    print(f"    customer opened {reference}; the worker e-mailed its acknowledgement ({mail.name})")


def group_alive(group):
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(server):
    """Stop every process the demo command started: its session's group, by the group's id (the shell's PID)."""
    group = server.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not group_alive(group):
            break
        os.killpg(group, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while group_alive(group) and time.monotonic() < deadline:
            server.poll()  # reap the shell, so that it does not linger as a zombie of the group
            time.sleep(0.2)
    server.wait()


def run_demo(command, password, clone, env, logs):
    if port_in_use():
        raise Failed(f"port {PORT} is in use: the README's demo command serves on it; stop what listens there")
    log_path = logs / "demo.log"
    mail_dir = logs / "mail"
    mail_dir.mkdir()
    with open(log_path, "wb") as log:
        # A session of its own: the worker, runserver and its autoreloader's child
        # are stopped together through the group of the shell's PID.
        server = subprocess.Popen(  # nosec B603 B607
            ["bash", "-c", command],
            cwd=clone,
            env={**env, "DJANGO_EMAIL_FILE_PATH": str(mail_dir)},
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
        check_demo_site(password, mail_dir, log_path)
    finally:
        stop_group(server)
    if port_in_use():
        raise Failed(f"port {PORT} still answers after the demo command was stopped")
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
    parser.add_argument("--demo-only", action="store_true", help="run the demo command only, not the quick tests")
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
        # The README's commands as a newcomer runs them: SQLite, the worker, no mail settings of ours.
        for name in ("PYTHONPATH", "DATABASE_URL", "HELPDESK_TASKS", "DJANGO_EMAIL_BACKEND", "DJANGO_EMAIL_FILE_PATH"):
            env.pop(name, None)
        env.update(
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            VIRTUAL_ENV=str(venv),
        )
        steps = [("demo command", demo, lambda: run_demo(demo, password, clone, env, work))]
        if not args.demo_only:
            steps.append(("quick test command", quick, lambda: run_tests(quick, clone, env)))
        for label, command, runner in steps:
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
