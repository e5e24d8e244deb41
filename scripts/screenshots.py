"""Screenshots of every page, as every demo account, on a desktop and a phone, into docs/images/pages/.

    .venv/bin/python scripts/screenshots.py [--config config] [--out docs/images/pages] [--viewport phone]

Makes a fresh demo database in a temporary folder, starts the app on a free port, and in Debian's
Chromium opens each page of the navigation as the public and then as each demo account, once per
page and viewport (1280x900 and 390x844). Look at them before calling a page done.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs/images/pages")
    parser.add_argument("--viewport", choices=sorted(VIEWPORTS), help="only this one (default: both)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright
    sys.path.insert(0, str(ROOT))
    from demo.schema import demo_of
    from engine.profile.loader import load_profile
    demo = demo_of(load_profile(args.config))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{work}/demo.db", MINSHENG_CONFIG=str(Path(args.config).resolve()))
        subprocess.run([str(Path(sys.executable).parent / "minsheng"), "demo", "--config", args.config], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "apps/web/main.py"),
                                   "--server.port", str(port), "--server.headless", "true",
                                   "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"],
                                  env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                made = 0
                for name, (width, height) in VIEWPORTS.items():
                    if args.viewport and name != args.viewport:
                        continue
                    tab = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
                    done: set[str] = set()
                    for account in [None, *demo.accounts]:
                        tab.goto(url)
                        tab.wait_for_timeout(2500)
                        if account is not None:
                            if name == "phone":
                                tab.locator('[data-testid="stExpandSidebarButton"]').click()
                            tab.get_by_label("用户名", exact=True).fill(account.username)
                            tab.get_by_label("密码", exact=True).fill(account.password)
                            tab.get_by_role("button", name="登录").click()
                            tab.get_by_role("heading", name="我的待办").wait_for()
                            tab.wait_for_timeout(800)  # on a phone, the sidebar closes after signing in
                        who = account.username if account else "public"
                        made += shoot_pages(tab, args.out, who, name, done)
                    tab.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"{made} screenshots in {args.out}")
    return 0


def shoot_pages(tab, out: Path, who: str, viewport: str, done: set[str]) -> int:
    """Each page of the navigation not yet shot, opened from the labelled menu on a phone."""
    links = tab.locator('[data-testid="stSidebarNav"] a')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    made = 0
    for href in hrefs:
        path = href.rstrip("/").rsplit("/", 1)[-1]
        path = "home" if ":" in path else path
        if path in done:
            continue
        done.add(path)
        if viewport == "phone":
            menu = tab.get_by_test_id("stPopoverBody")
            if not menu.is_visible():  # still open when the last choice was the page already shown
                tab.get_by_role("button", name="菜单").click()
            (menu.locator("a").first if path == "home" else menu.locator(f'a[href="{path}"]')).click()
        else:
            tab.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
        tab.wait_for_timeout(2500)
        tab.screenshot(path=str(out / f"{path}-{viewport}.png"))
        made += 1
    return made


if __name__ == "__main__":
    sys.exit(main())
