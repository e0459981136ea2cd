"""Registry benchmark (run on demand, not by pytest):  .venv/bin/python tests/bench/bench_registry.py [N]

N (default 100,000) cases with realistic Chinese titles, respondents and facts are bulk-loaded into an encrypted
workspace (the search triggers fire for every row, as in real use). Then, as the app does it:
1. login (Argon2 at the calibrated cost) and the first registry page: keys in the default order + 50 rows;
   also the same in the GUI: the main window built and its registry's first page painted;
2. search: median over a set of queries (two-character names, three-character words, numbers);
3. sort by next deadline, both directions;
4. peak RSS of the process with the GUI open on all N cases.
Markdown goes to stdout for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from wenze_desktop.domain.models import Case, CaseDeadline, Respondent
from wenze_desktop.rules.profiles import all_profiles
from wenze_desktop.services import Workspace
from wenze_desktop.services.registry import RegistryFilter, RegistryService

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉林文辉晓光宇浩鹏飞春梅海波东亮冬雪松涛"
UNITS = ["县住房和城乡建设局", "市生态环境局", "区教育局", "镇人民政府", "县市场监督管理局", "市自然资源局",
         "区卫生健康委员会", "县应急管理局", "街道办事处", "县农业农村局", "市交通运输局", "县水利局"]
POSTS = ["局长", "副局长", "镇长", "副镇长", "主任", "副主任", "科长", "股长", "校长", "站长"]
FAULTS = ["在棚户区改造项目中履职不力", "对群众反映强烈的问题能够解决而不及时解决", "在安全生产监管中失职失责",
          "违规审批建设项目", "对信访事项推诿扯皮", "在疫情防控工作中落实不力", "在环境保护督察整改中敷衍应付",
          "违规发放津贴补贴", "对校园安全隐患排查不到位", "在扶贫资金管理中监管缺失", "造成重大经济损失",
          "在防汛工作中擅离职守", "对下属单位违规行为失察", "违反中央八项规定精神"]
QUERIES = ["王伟", "建国", "住房", "棚户区", "安全生产", "秀英", "教育局", "失职失责", "2026-0420", "违规审批", "防汛",
           "晓光"]
PASSWORD = "Bench-password-1"


def person(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice((1, 2))))


def fill(ws: Workspace, n: int, seed: int = 7) -> None:
    """Bulk insert through the ORM tables (the search triggers fire per row, as they would in use)."""
    rnd = random.Random(seed)
    profiles = all_profiles()
    now = datetime.now(UTC)
    today = date.today()
    user_id = ws.ctx.user.id
    engine = ws.ctx.workspace.engine
    for start in range(0, n, 5000):
        cases, respondents, deadlines = [], [], []
        for i in range(start, min(start + 5000, n)):
            profile = profiles[i % len(profiles)]
            step = rnd.choice(profile.steps).id
            case_id = str(uuid.uuid4())
            names = [person(rnd) for _ in range(rnd.choice((1, 1, 1, 2, 3)))]
            unit = rnd.choice(UNITS)
            fault = rnd.choice(FAULTS)
            due = today + timedelta(days=rnd.randint(-60, 90)) if rnd.random() < 0.6 else None
            cases.append({"id": case_id, "number": f"{profile.id}-2026-{i:06d}", "regulation_id": profile.id,
                          "title": f"关于对{unit}{rnd.choice(POSTS)}{names[0]}{fault}问责的案件", "step": step,
                          "facts": f"经查，{names[0]}同志{fault}，{rnd.choice(FAULTS)}，造成不良影响。"
                                   f"{unit}于{rnd.randint(2020, 2026)}年{rnd.randint(1, 12)}月发现问题后未及时整改。",
                          "handler_id": user_id, "next_due": due, "created_at": now, "updated_at": now,
                          "version": 1})
            respondents += [{"id": str(uuid.uuid4()), "case_id": case_id, "kind": "person", "name": name,
                             "unit": unit, "updated_at": now, "version": 1} for name in names]
            if due:
                deadlines.append({"id": str(uuid.uuid4()), "case_id": case_id, "rule_id": "r", "label": "调查期限",
                                  "step": step, "action": "submit_report", "trigger_on": due - timedelta(days=30),
                                  "due": due, "provisional": False, "unknown_years": [], "met_on": None,
                                  "article": "第二十条", "extended": 0, "is_open": True, "updated_at": now,
                                  "version": 1})
        with engine.begin() as conn:
            conn.execute(Case.__table__.insert(), cases)
            conn.execute(Respondent.__table__.insert(), respondents)
            conn.execute(CaseDeadline.__table__.insert(), deadlines)
        print(f"  loaded {start + len(cases):,}", file=sys.stderr)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def timed(func, runs: int = 7) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def core_measures(data_dir: Path) -> dict:
    start = time.perf_counter()
    ws = Workspace.open(data_dir, "admin", PASSWORD)
    unlocked = time.perf_counter()
    registry = RegistryService(ws.ctx)
    keys = registry.keys()
    rows = registry.rows(keys[:50])
    first = time.perf_counter()
    assert len(rows) == 50
    out = {"unlock": (unlocked - start) * 1000, "first_page": (first - unlocked) * 1000, "keys": len(keys)}
    out["search"] = {q: timed(lambda q=q: registry.keys(RegistryFilter(text=q)))for q in QUERIES}
    out["sort_asc"] = timed(lambda: registry.keys(sort="next_due", descending=False))[0]
    out["sort_desc"] = timed(lambda: registry.keys(sort="next_due", descending=True))[0]
    out["overdue"] = timed(lambda: registry.keys(RegistryFilter(overdue=True), sort="next_due", descending=False))
    ws.close()
    return out


def gui_measures(data_dir: Path) -> dict:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from wenze_desktop.gui.app import make_application
    from wenze_desktop.gui.main_window import MainWindow
    from wenze_desktop.gui.settings import GuiSettings
    from wenze_desktop.services.auth import login

    app = make_application()
    start = time.perf_counter()
    ctx = login(data_dir, "admin", PASSWORD)
    unlocked = time.perf_counter()
    from PySide6.QtCore import QSettings

    settings = GuiSettings(QSettings(str(data_dir.parent / "gui.ini"), QSettings.Format.IniFormat))
    window = MainWindow(ctx, settings)
    window.show()
    registry = window.registry
    if registry.model.loading:  # wait as the app does, in the event loop (a busy loop would starve the worker)
        loop = QEventLoop()
        registry.model.loaded.connect(lambda _n: loop.quit())
        loop.exec()
    loaded = time.perf_counter()
    app.processEvents()  # the first page is painted
    shown = time.perf_counter()
    # scroll through some pages as a clerk would, and let the deadline board load every open deadline
    view = registry.table
    for row in range(0, min(registry.model.rowCount(), 20_000), 500):
        view.scrollTo(registry.model.index(row, 0))
        app.processEvents()
    while window.board.loading:
        app.processEvents()
        time.sleep(0.01)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.close()
    ctx.workspace.close()
    QApplication.processEvents()
    return {"unlock": (unlocked - start) * 1000, "first_page": (shown - unlocked) * 1000,
            "all_keys": (loaded - unlocked) * 1000, "rss": rss}


def main(n: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        data_dir = Path(tmp_name) / "ws"
        t = time.perf_counter()
        ws = Workspace.create(data_dir, "admin", PASSWORD, display_name="管理员", workspace_name="基准")
        fill(ws, n)
        ws.close()
        load = time.perf_counter() - t
        size = (data_dir / "wenze.db").stat().st_size / 2**20
        core = core_measures(data_dir)
        gui = gui_measures(data_dir)
        searches = [ms for ms, _ in core["search"].values()]
        print(f"\n{n:,} cases, {size:.1f} MiB encrypted, loaded in {load:.0f} s\n")
        print("| measure | value | target |\n|---|---|---|")
        print(f"| unlock (Argon2id, calibrated) | {core['unlock']:.0f} ms | (0.3–1 s, issue 2) |")
        print(f"| core: keys of all cases + first 50 rows | {core['first_page']:.0f} ms | |")
        print(f"| GUI: credentials accepted → first registry page painted | {gui['first_page']:.0f} ms | ≤ 500 ms |")
        print(f"| GUI: login incl. unlock → first page | {gui['unlock'] + gui['first_page']:.0f} ms | |")
        print(f"| GUI: all {core['keys']:,} keys loaded (off the GUI thread) | {gui['all_keys']:.0f} ms | |")
        print(f"| search, median of {len(QUERIES)} queries (each median of 7) | {statistics.median(searches):.1f} ms "
              f"| ≤ 100 ms |")
        print(f"| search, slowest query | {max(searches):.1f} ms | |")
        print(f"| sort by next deadline ascending / descending | {core['sort_asc']:.0f} / {core['sort_desc']:.0f} ms "
              f"| ≤ 300 ms |")
        print(f"| filter overdue, sorted by deadline | {core['overdue'][0]:.0f} ms ({len(core['overdue'][1]):,}) | |")
        print(f"| peak RSS, GUI open on all cases | {gui['rss']:.0f} MiB | ≤ 400 MB |")
        print("\n| query | hits | ms |\n|---|---|---|")
        for query, (ms, keys) in core["search"].items():
            print(f"| {query} | {len(keys):,} | {ms:.1f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
