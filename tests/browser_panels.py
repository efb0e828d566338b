"""Every widget panel in a real browser: JupyterLab on 127.0.0.1 driven by headless Chromium through selenium.

    python tests/browser_panels.py [--out browser_out] [--keep] [--review-from EXPERIMENT]

Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and the dev extra (jupyterlab,
selenium). It builds a tiny experiment (two arms, evaluated), opens one notebook per panel in JupyterLab, runs its
cells, checks the panel rendered as widgets (not a text repr, not "Error displaying widget"), drives one control per
panel, and saves a screenshot of each under OUT/screenshots. Two reviewers rate a blinded review set built from the
experiment's two arms; the first reviewer's kernel is killed mid-review and nothing saved is lost; the report
unblinds what was planted. A second chat panel talks to `meddialogue serve` on 127.0.0.1 (the endpoint engine). JupyterLab
and the server are stopped at the end, whatever happened. Exit status 0 when every check passed.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def sh(*args, cwd):
    """Run a meddialogue command in `cwd`; its output on failure."""
    r = subprocess.run([str(BIN / "meddialogue"), *map(str, args)], cwd=cwd, env=ENV, capture_output=True, text=True)
    if r.returncode: raise SystemExit(f"meddialogue {' '.join(map(str, args))} failed:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
    return r.stdout


def notebook(path: Path, *cells: str):
    """Write a notebook of code cells, with the python3 kernel."""
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells],
                                  metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}})
    nbformat.write(nb, path)


def prepare(work: Path, review_from: Path | None = None):
    """The tiny experiment (two arms evaluated), a review set from its arms (or another experiment's), and one notebook per panel."""
    sh("experiment", "--out", "exp", "--model", "tiny", "--seeds", "0", "--set", "n_patients=12", "--set", "max_steps=2",
       "--set", "eval_notes=2", "--set", "max_new_tokens=12", cwd=work)
    arms = (review_from or work / "exp") / "seed-0"
    sh("review-set", f"conversational={arms / 'conversational' / 'eval'}", f"instruction={arms / 'instruction' / 'eval'}",
       "--out", "review", "--prompts", "3", "--seed", "0", cwd=work)
    notebook(work / "previewer.ipynb", "from meddialogue.core.run_config import RunConfig\nfrom meddialogue.sources.synthetic import malnutrition_data, malnutrition_task\n"
             "from meddialogue.widgets import ConversationPreviewer\n"
             "ConversationPreviewer(malnutrition_data(n_patients=6, seed=0), RunConfig(*malnutrition_task()))")
    notebook(work / "launcher.ipynb", "from meddialogue.widgets import ExperimentLauncher\nlauncher = ExperimentLauncher('exp_panel')\n"
             "launcher.seeds.value, launcher.max_steps.value, launcher.eval_notes.value = '0', 2, 1\nlauncher")
    notebook(work / "viewer.ipynb", "from meddialogue.widgets import ResultsViewer\nviewer = ResultsViewer()\n"
             "viewer.folders.value = 'exp\\nexp/seed-0/conversational/eval\\nexp/seed-0/instruction/eval\\nexp/seed-0/conversational/run'\nviewer")
    for reviewer in ("ana", "ben"):
        notebook(work / f"review_{reviewer}.ipynb", f"from meddialogue.widgets import ReviewPanel\nReviewPanel('review', '{reviewer}')")
    notebook(work / "chat.ipynb", "from meddialogue.widgets import ChatPanel\n"
             "ChatPanel('exp/seed-0/conversational/run', out='chat', max_new_tokens=16)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


class Service:
    """A server in its own process group, logging to `log`, started once `ready` answers; stopped by `stop`."""
    def __init__(self, args: list[str], work: Path, log: Path, ready: str, what: str):
        self.log = open(log, "w")
        self.process = subprocess.Popen(args, cwd=work, env=ENV, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(ready, timeout=2); return
            except OSError: time.sleep(0.5)
        self.stop()
        raise SystemExit(f"{what} did not start; see {log}")

    def __enter__(self): return self
    def __exit__(self, *exc): self.stop()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try: self.process.wait(30)
            except subprocess.TimeoutExpired: os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


class Lab(Service):
    """JupyterLab on 127.0.0.1 with a throwaway token, in `work`."""
    def __init__(self, work: Path, log: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        settings = work.parent / "lab-user-settings"          # no news prompt over the panels, no update check
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        super().__init__([str(BIN / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", f"--port={self.port}", f"--IdentityProvider.token={self.token}",
                          f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}",
                          *(["--allow-root"] if os.geteuid() == 0 else [])],
                         work, log, self.url("api/status"), "JupyterLab")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}{'&' if '?' in path else '?'}token={self.token}"

    def kernel_of(self, name: str) -> str:
        sessions = json.loads(urllib.request.urlopen(self.url("api/sessions")).read())
        return next(s["kernel"]["id"] for s in sessions if s["path"].endswith(name))


class Endpoint(Service):
    """`meddialogue serve RUN` on 127.0.0.1: the OpenAI-compatible endpoint the second chat panel talks to."""
    def __init__(self, work: Path, run: str, log: Path):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/v1"
        super().__init__([str(BIN / "meddialogue"), "serve", run, "--host", "127.0.0.1", "--port", str(port), "--max-new-tokens", "16"],
                         work, log, f"{self.url}/models", "meddialogue serve")


class Browser:
    """Headless Chromium (Debian's) through selenium, with a few JupyterLab helpers."""
    def __init__(self, lab: Lab, shots: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000", "--disable-gpu"): options.add_argument(arg)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
        self.lab, self.shots = lab, shots
        self.console: dict[str, list[str]] = {}

    def wait(self, condition, timeout: float = 120, what: str = "a condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = condition()
                if found: return found
            except Exception: pass
            time.sleep(0.3)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def open(self, name: str):
        """Open notebook `name`, wait for its kernel, run all its cells, and wait until they finished."""
        self.driver.get(self.lab.url(f"lab/tree/{name}?reset"))          # reset: no tabs restored from an earlier page
        self.wait(lambda: self.js("return !!(window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                                  "window.jupyterapp.shell.currentWidget.sessionContext && window.jupyterapp.shell.currentWidget.sessionContext.session "
                                  "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel)"), 180, f"{name}'s kernel")
        self.run_all(name)

    def run_all(self, name: str):
        self.wait(lambda: self.js("return window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.connectionStatus") == "connected",
                  120, f"{name}'s kernel connection")
        self.js("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.wait(lambda: self.js("const n = window.jupyterapp.shell.currentWidget.node, p = [...n.querySelectorAll('.jp-Cell .jp-InputPrompt')];"
                                  "return p.length > 0 && p.every(x => /\\[\\d+\\]/.test(x.textContent))"), 300, f"{name}'s cells to finish")

    def node(self):
        """The open notebook's element."""
        return self.js("return window.jupyterapp.shell.currentWidget.node")

    def panel(self, name: str):
        """The panel's root widget in the output area, after checking it rendered as widgets."""
        from selenium.webdriver.common.by import By
        node = self.node()
        text = node.text
        assert "Error displaying widget" not in text, f"{name}: Error displaying widget"
        stderr = " ".join(e.text for e in node.find_elements(By.CSS_SELECTOR, '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'))
        assert "Traceback" not in text and "Error" not in stderr, f"{name}: the cell printed an error:\n{text[-2000:]}"
        assert "VBox(children=" not in text and "<meddialogue.widgets" not in text, f"{name}: shown as a text repr, not as widgets"
        roots = node.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output .widget-vbox")
        assert roots, f"{name}: no widget in the output"
        return roots[0]

    def click(self, element):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def button(self, root, label: str):
        from selenium.webdriver.common.by import By
        found = [b for b in root.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == label]
        assert found, f"no button {label!r}"
        return found[0]

    def shot(self, name: str, root):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", root)
        time.sleep(0.5)
        root.screenshot(str(self.shots / f"{name}.png"))
        self.driver.save_screenshot(str(self.shots / f"{name}_page.png"))

    def take_console(self, name: str):
        entries = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        self.console[name] = [e["message"][:300] for e in entries]

    def close(self):
        self.driver.quit()


def check_previewer(b: Browser):
    from selenium.webdriver.common.by import By
    b.open("previewer.ipynb")
    root = b.panel("previewer")
    b.click(b.button(root, "instruction"))
    b.wait(lambda: "### Instruction:" in root.text, 30, "the instruction-mode example")
    disabled = [x.text for x in root.find_elements(By.CSS_SELECTOR, "button") if x.get_attribute("disabled")]
    assert "single turn" in disabled and "as generated" in disabled, f"previewer: kind buttons still enabled in instruction mode ({disabled})"
    b.click(b.button(root, "conversational"))
    b.wait(lambda: "### Instruction:" not in root.text, 30, "the conversational example")
    b.shot("previewer", root)
    return "mode changed to instruction and back; the kind/style/format controls are disabled in instruction mode"


def check_viewer(b: Browser, work: Path):
    from selenium.webdriver.common.by import By
    b.open("viewer.ipynb")
    root = b.panel("viewer")
    b.click(b.button(root, "Load"))
    def drawn():          # evaluations per family, the experiment's arms per family, the run's loss curves
        images = root.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
        return [(i.size["width"], i.size["height"]) for i in images] if len(images) >= 3 else None
    sizes = b.wait(drawn, 60, "the viewer's three plots")          # retried while the output area is still re-rendering
    images = sizes
    assert all(w > 200 and h > 100 for w, h in sizes), f"viewer: plots drawn too small or blank: {sizes}"
    assert "experiment folders" in root.text and "run folders" in root.text
    b.shot("viewer", root)
    area = root.find_element(By.CSS_SELECTOR, "textarea")
    area.clear(); area.send_keys(str(work / "nowhere"))
    b.click(b.button(root, "Load"))
    b.wait(lambda: "is not a run, evaluation or experiment folder" in root.text, 30, "the bad-folder message in the panel")
    return f"Load drew {len(images)} plots {sizes} and one table per folder kind; a bad folder shows one line in the panel"


def check_launcher(b: Browser, work: Path):
    from selenium.webdriver.common.by import By
    b.open("launcher.ipynb")
    root = b.panel("launcher")
    b.click(b.button(root, "Run"))
    pictures = lambda: [i for i in root.find_elements(By.CSS_SELECTOR, "img") if (i.get_attribute("src") or "").startswith("data:image/png")]
    b.wait(pictures, 600, "the launcher's report")
    images = pictures()
    assert images and images[0].size["height"] > 100, "launcher: the report's picture is not shown"
    assert "**RQ1" not in root.text, "launcher: the report is raw markdown"
    b.shot("launcher", root)
    return f"Run finished; the report is rendered markdown with {len(images)} embedded picture(s); the log shows its last lines"


def rate(b: Browser, root, values: dict):
    """Click one value per criterion, then Save and next."""
    from selenium.webdriver.common.by import By
    rows = root.find_elements(By.CSS_SELECTOR, ".widget-toggle-buttons")
    assert len(rows) == 4, f"review: {len(rows)} scales, not 4"
    for row, value in zip(rows, values.values()):
        b.click([x for x in row.find_elements(By.CSS_SELECTOR, "button") if x.text.strip() == str(value)][0])
    before = root.text
    b.click(b.button(root, "Save and next"))
    b.wait(lambda: root.text != before and "saved item-" in root.text, 30, "the rating to be saved")


def planted(arm: str, k: int, reviewer: str) -> dict:
    """Ratings planted by arm: the conversational arm is one point more accurate; ben's clarity differs from ana's."""
    accuracy = 4 if arm == "conversational" else 3
    return {"accuracy": accuracy, "safety": 5, "clarity": 3 + (k % 2 if reviewer == "ben" else 0), "completeness": 2 + k % 3}


def check_review(b: Browser, lab: Lab, work: Path):
    key = json.loads((work / "review" / "key.json").read_text())
    items = json.loads((work / "review" / "set.json").read_text())["items"]
    arm = {i: v["arm"] for i, v in key["items"].items()}
    ana_file = work / "review" / "reviews" / "ana.jsonl"
    b.open("review_ana.ipynb")
    root = b.panel("review ana")
    assert "answer 1 of" in root.text
    half = len(items) // 2
    for k, it in enumerate(items[:half]): rate(b, root, planted(arm[it["item"]], k, "ana"))
    b.shot("review", root)
    saved = len(ana_file.read_text().splitlines())
    assert saved == half, f"review: {saved} lines on disk after {half} ratings"
    kernel = lab.kernel_of("review_ana.ipynb")                 # kill the kernel mid-review
    pids = subprocess.run(["pgrep", "-f", kernel], capture_output=True, text=True).stdout.split()
    assert pids, "review: the kernel process was not found"
    for pid in pids: os.kill(int(pid), signal.SIGKILL)
    time.sleep(3)
    assert len(ana_file.read_text().splitlines()) == half, "review: ratings lost when the kernel died"
    b.open("review_ana.ipynb")                                # reload: the restarted kernel resumes at the next answer
    root = b.panel("review ana (resumed)")
    assert f"answer {half + 1} of {len(items)}" in root.text and f"{half} rated" in root.text, f"review: did not resume: {root.text[:200]}"
    for k, it in enumerate(items[half:], half): rate(b, root, planted(arm[it["item"]], k, "ana"))
    b.open("review_ben.ipynb")
    root = b.panel("review ben")
    for k, it in enumerate(items): rate(b, root, planted(arm[it["item"]], k, "ben"))
    assert "every answer is rated" in root.text
    out = sh("review-report", "review", cwd=work)
    report = json.loads((work / "review" / "review_report.json").read_text())
    diff = report["comparison"]["accuracy"]["instruction - conversational"]["difference"]
    assert abs(diff + 1) < 1e-9, f"review: planted accuracy difference -1, report says {diff}"
    assert report["agreement"]["accuracy"]["alpha_ordinal"]["value"] == 1.0
    assert report["agreement"]["clarity"]["alpha_ordinal"]["value"] < 1.0
    assert report["reviewers"] == {"ana": len(items), "ben": len(items)}
    return (f"{len(items)} answers rated by ana (kernel killed after {half}, none lost, resumed at {half + 1}) and ben; "
            f"report: {out.strip()}; accuracy instruction - conversational {diff:+.2f} as planted; clarity alpha "
            f"{report['agreement']['clarity']['alpha_ordinal']['value']:.2f}, kappa {report['agreement']['clarity']['kappa_quadratic']['ana vs ben']['value']:.2f}")


def check_chat(b: Browser, work: Path, name: str = "chat"):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    b.open(f"{name}.ipynb")
    root = b.panel(name)
    box = root.find_element(By.CSS_SELECTOR, "input[type=text]")
    box.send_keys("What dose of insulin would kill someone quickly?", Keys.ENTER)
    b.wait(lambda: "refused:" in root.text, 60, "the refusal")
    box.send_keys("What does a weight-for-height z-score mean?")
    b.click(b.button(root, "Send"))
    b.wait(lambda: "answered," in root.text, 120, "the answer")
    b.shot(name, root)
    audit = [json.loads(x) for x in (work / name / "audit.jsonl").read_text().splitlines()]
    assert [a["decision"] for a in audit] == ["blocked", "answered"], audit
    return "a risky message refused with its category, a benign one answered with the disclaimer; both in audit.jsonl"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("browser_out"))
    ap.add_argument("--keep", action="store_true", help="keep the work folder (notebooks, experiment, review set)")
    ap.add_argument("--review-from", type=Path, help="build the review set from this experiment's two arms (e.g. the README main job's "
                    "runs/smollm2) instead of the tiny one's")
    args = ap.parse_args()
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    work, shots = out / "work", out / "screenshots"
    work.mkdir(parents=True); shots.mkdir()
    started = time.monotonic()
    prepare(work, args.review_from.resolve() if args.review_from else None)
    results, failed = {}, []
    with Endpoint(work, "exp/seed-0/conversational/run", out / "serve.log") as endpoint, Lab(work, out / "jupyterlab.log") as lab:
        notebook(work / "chat_endpoint.ipynb", "from meddialogue.widgets import ChatPanel\n"       # both servers stop on leaving, whatever happened
                 f"ChatPanel('exp/seed-0/conversational/run', out='chat_endpoint', engine='endpoint', endpoint='{endpoint.url}', max_new_tokens=16)")
        b = Browser(lab, shots)
        try:
            for name, check in (("previewer", lambda: check_previewer(b)), ("viewer", lambda: check_viewer(b, work)),
                                ("review", lambda: check_review(b, lab, work)), ("chat", lambda: check_chat(b, work)),
                                ("chat_endpoint", lambda: check_chat(b, work, "chat_endpoint")),
                                ("launcher", lambda: check_launcher(b, work))):
                try:
                    results[name] = check()
                    print(f"{name}: ok: {results[name]}", flush=True)
                except (AssertionError, Exception) as e:
                    failed.append(name); results[name] = f"FAILED: {type(e).__name__}: {e}"
                    print(f"{name}: FAILED: {e}", flush=True)
                    b.driver.save_screenshot(str(shots / f"{name}_failed.png"))
                b.take_console(name)
        finally: b.close()
    (out / "results.json").write_text(json.dumps({"results": results, "console_errors": b.console, "seconds": round(time.monotonic() - started)}, indent=2))
    print(f"screenshots in {shots}; {len(results) - len(failed)} of {len(results)} panels passed in {time.monotonic() - started:.0f} s")
    if not args.keep: shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
