"""What the Windows scheduled tasks run (deploy/windows/), in Python rather than in cmd.

    python -m scorecard.windows env scorecard.env process.py ARGS...    # scorecard.cmd
    python -m scorecard.windows task-xml run|watch|remind FOLDER OUT.xml   # install-tasks.cmd
    python -m scorecard.windows prepare | usage | done run|watch        # install-tasks.cmd's steps

`env`: the mail settings file is read here, as UTF-8 (a byte-order mark allowed, as Notepad may
write one), not by cmd's `for /f`, which reads code page 936: a BOM became part of the first key
(`锘縎MTP_HOST`) and a Chinese sender name came out garbled. A file saved as ANSI (GBK) is still
read. Then process.py runs in this same process, so its exit status is the task's.
`task-xml`: deploy/windows/scorecard-<kind>.xml with the program folder put in place of
C:\\scorecard, written as UTF-16 with a byte-order mark (what schtasks /XML expects).
Standard library only.
"""
from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from xml.sax.saxutils import escape

DEFAULT_FOLDER = r"C:\scorecard"
APP = Path(__file__).resolve().parent.parent
TASKS = APP / "deploy" / "windows"
ENV_EXAMPLE = APP / "deploy" / "systemd" / "scorecard.env.example"
USAGE = ("用法（以管理员身份，在程序文件夹中）：deploy\\windows\\install-tasks.cmd run [账号] 或 "
         "deploy\\windows\\install-tasks.cmd watch [账号]。run：每个工作日 18:00 处理一次；watch：开机启动，"
         "input 有变化就处理。两者选一个；账号默认为 scorecard。另可加 deploy\\windows\\install-tasks.cmd remind [账号]："
         "每天 09:00 发送当天到期的提醒、催办和督办（与上面任一个并存）。")


def read_env(path: Path) -> dict[str, str]:
    """KEY=value lines (# comments, blank lines skipped), as systemd's EnvironmentFile reads them."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gbk", errors="replace")
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def task_xml(kind: str, folder: str) -> bytes:
    text = (TASKS / f"scorecard-{kind}.xml").read_bytes().decode("utf-16")
    # Only element text (Command, WorkingDirectory): the comments keep the example path.
    return text.replace(">" + DEFAULT_FOLDER, ">" + escape(folder.rstrip("\\"))).encode("utf-16")


def prepare(folder: Path) -> list[str]:
    """Before icacls protects it: scorecard.env must exist (from the example when missing), and output/."""
    said = []
    env = folder / "scorecard.env"
    if not env.exists():
        env.write_bytes(ENV_EXAMPLE.read_bytes())
        said.append(f"已创建 {env}（示例内容）：请用记事本填入真实的邮件服务器、账号和授权码；不发邮件可以不改，"
                    "并把任务参数中的 --send 删掉。")
    (folder / "output").mkdir(exist_ok=True)
    return said


def _say(lines) -> None:
    from .base.console import setup_streams

    setup_streams()
    for line in lines:
        print(line)


def main(argv: list[str]) -> int:
    if argv == ["prepare"]:
        _say(prepare(Path.cwd()))
        return 0
    if argv == ["usage"]:
        _say([USAGE])
        return 2
    if len(argv) == 2 and argv[0] == "done":
        other = "" if argv[1] == "remind" else "（另一个任务如存在已删除）"
        _say([f"已导入任务 scorecard\\{argv[1]}{other}。立即试运行：schtasks /Run /TN \"scorecard\\{argv[1]}\"；"
              f"查看结果：schtasks /Query /TN \"scorecard\\{argv[1]}\" /V /FO LIST（上次运行结果 0 表示成功）。"])
        return 0
    if len(argv) >= 3 and argv[0] == "env":
        env_file, script = Path(argv[1]), argv[2]
        if env_file.is_file():
            os.environ.update(read_env(env_file))
        sys.argv = argv[2:]
        sys.path.insert(0, str(Path(script).resolve().parent))
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return 0
    if len(argv) == 4 and argv[0] == "task-xml" and argv[1] in ("run", "watch", "remind"):
        Path(argv[3]).write_bytes(task_xml(argv[1], argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
