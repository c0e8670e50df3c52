"""The HTML site of the executed course: lesson pages and a landing page, offline.

:func:`build_site` turns executed notebooks into ``<site>/NN_slug.html`` pages
and an ``index.html`` landing page (title, one-line goal and thumbnail of each
lesson, linked to its page). Pages never reach the network: MathJax 2.7 (for
the formulas), require.js and the Jupyter widget HTML manager (which draws the
saved state of the panels) are copied into ``<site>/_static/`` from npm
packages fetched once with ``npm pack`` and cached in ``build/vendor/``
(:func:`vendor`). Without npm or a cache the pages fall back to the CDNs and a
warning says so. Every picture gets an ``alt`` text: the section it sits in
and the comment that opens its code cell.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
import tarfile
import time
import warnings
from pathlib import Path

from helpers import config

#: npm packages the pages need, pinned: ``name@version``.
PACKAGES = {"mathjax": "mathjax@2.7.9", "html-manager": "@jupyter-widgets/html-manager@1.0.15",
            "requirejs": "requirejs@2.3.8"}
#: The parts of the MathJax package that TeX-AMS_CHTML-full uses (the whole package is 60 MB).
MATHJAX_PARTS = ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML", "jax/element",
                 "localization/en", "fonts/HTML-CSS/TeX/woff"]
STATIC = "_static"
URLS = {"mathjax_url": f"{STATIC}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        "require_js_url": f"{STATIC}/require.js",
        "widget_renderer_url": f"{STATIC}/html-manager/embed-amd.js"}


def vendor_dir() -> Path:
    return config.repo_root() / "build" / "vendor"


def vendor(cache: Path | None = None, timeout: int = 300) -> Path | None:
    """Fetch (once) and unpack the pinned npm packages; return the folder, or ``None`` if impossible.

    The folder holds ``mathjax/``, ``html-manager/`` (the ``dist`` of the
    package) and ``require.js``; a ``.complete`` file marks a finished copy.
    """
    cache = cache or vendor_dir()
    web = cache / "web"
    if (web / ".complete").exists():
        return web
    tarballs = cache / "npm"
    tarballs.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        warnings.warn("npm is not installed: the site's pages will load MathJax and widgets from CDNs")
        return None
    for spec in PACKAGES.values():
        stem = spec.lstrip("@").replace("/", "-").replace("@", "-")
        if not (tarballs / f"{stem}.tgz").exists():
            done = subprocess.run([npm, "pack", "--silent", spec], cwd=tarballs, capture_output=True, text=True,
                                  timeout=timeout)
            if done.returncode != 0:
                warnings.warn(f"npm pack {spec} failed ({done.stderr.strip()[-300:]}): the site's pages will load "
                              "MathJax and widgets from CDNs")
                return None
    shutil.rmtree(web, ignore_errors=True)
    web.mkdir(parents=True)
    wanted = {"mathjax": ("mathjax", MATHJAX_PARTS), "html-manager": ("html-manager", ["dist"]),
              "requirejs": ("", ["require.js"])}
    for key, spec in PACKAGES.items():
        stem = spec.lstrip("@").replace("/", "-").replace("@", "-")
        dest, parts = wanted[key]
        with tarfile.open(tarballs / f"{stem}.tgz") as tar:
            for member in tar.getmembers():
                rel = member.name.split("/", 1)[1] if "/" in member.name else ""
                if not member.isfile() or rel.endswith(".map") or not any(rel == p or rel.startswith(p + "/")
                                                                           for p in parts):
                    continue
                if key == "html-manager":
                    rel = rel[len("dist/"):]
                target = web / dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    (web / ".complete").write_text(time.strftime("%Y-%m-%d %H:%M"))
    return web


def _install_static(site: Path, web: Path | None) -> bool:
    if web is None:
        return False
    dest = site / STATIC
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(web, dest)
        # the widget manager asks for its icon fonts under the npm path, relative to the page
        fonts = site / "@jupyter-widgets" / "html-manager" / "dist"
        fonts.mkdir(parents=True, exist_ok=True)
        for font in (web / "html-manager").glob("*"):
            if font.suffix in {".woff", ".woff2", ".ttf", ".eot", ".svg"}:
                shutil.copy(font, fonts / font.name)
    return True


def _text(cell) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def lesson_heading(nb) -> tuple[str, str]:
    """``(title, goal)`` from the lesson's first Markdown cell with a ``# `` heading.

    The goal is the first paragraph after the heading, cut after the sentence
    that passes 200 characters.
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = re.search(r"^#\s+(.+)$", _text(cell), flags=re.M)
        if not m:
            continue
        rest = _text(cell)[m.end():].strip()
        para = " ".join(rest.split("\n\n")[0].split()) if rest else ""
        sentences = re.split(r"(?<=[.?!])\s+", para)
        goal = ""
        for s in sentences:
            goal = f"{goal} {s}".strip()
            if len(goal) > 200:
                break
        return m.group(1).strip(), goal
    return "", ""


def image_alts(nb) -> list[str]:
    """One alt text per picture output, in page order: its section heading and its cell's opening comment."""
    alts, section = [], ""
    title = lesson_heading(nb)[0]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heads = re.findall(r"^#{1,4}\s+(.+)$", _text(cell), flags=re.M)
            if heads:
                section = heads[-1].strip()
            continue
        if cell.cell_type != "code":
            continue
        lines = [ln.strip() for ln in _text(cell).splitlines() if ln.strip()]
        comment = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("#") else ""
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k in data for k in ("image/png", "image/jpeg", "image/svg+xml")):
                parts = [p for p in (section or title, comment) if p]
                alts.append("Figure: " + " — ".join(parts) if parts else "Figure")
    return alts


#: The alt text nbconvert gives every output picture.
NO_ALT = "No description has been provided for this image"


def add_alt_text(body: str, alts: list[str]) -> str:
    """Give every output ``<img>`` (in order) a real alt text instead of none or nbconvert's placeholder."""
    it = iter(alts)

    def repl(m):
        tag = m.group(0)
        if " alt=" in tag and NO_ALT not in tag:
            return tag  # a Markdown image with its own alt text
        tag = re.sub(r'\s*alt="[^"]*"', "", tag)
        return tag[:4] + f' alt="{html.escape(next(it, "Figure"), quote=True)}"' + tag[4:]

    return re.sub(r"<img\b[^>]*>", repl, body)


def to_html(nb, dest: Path, offline: bool = True) -> None:
    """One lesson page; with ``offline`` its scripts come from ``_static/`` next to it."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    if offline:
        for key, url in URLS.items():
            setattr(exporter, key, url)
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r'href="(\d\d_[\w-]+)\.ipynb"', r'href="\1.html"', body)  # the navigation bar, within the site
    body = body.replace('href="../README.md#lessons"', 'href="index.html"')
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(add_alt_text(body, image_alts(nb)))


def first_figure(nb) -> bytes | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                return base64.b64decode(png if isinstance(png, str) else "".join(png))
    return None


def index_page(lessons: list[dict], fast: bool, offline: bool) -> str:
    """The landing page: ``lessons`` holds name, title, goal, thumb (or None), ok, error, seconds."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    cards = []
    for les in lessons:
        stem = Path(les["name"]).stem
        thumb = (f"<img class='thumb' src='{les['thumb']}' alt='First figure of {html.escape(les['title'])}'>"
                 if les.get("thumb") else "<div class='thumb none'></div>")
        head = html.escape(les["title"] or stem)
        link = f"<a href='{stem}.html'>{head}</a>" if les["ok"] else head
        status = "" if les["ok"] else f"<p class='failed'>❌ not built: {html.escape(les['error'][:300])}</p>"
        cards.append(f"<li class='lesson'>{thumb}<div><h2>{link}</h2>{markdown2html_mistune(les['goal'])}{status}"
                     f"<p class='meta'>{les['seconds']:.0f} s</p></div></li>")
    mode = "fast mode (COURSE_FAST=1: tiny images, few steps)" if fast else "full size"
    math = (f"<script src='{URLS['mathjax_url']}'></script>" if offline else
            "<script src='https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full'>"
            "</script>")
    return f"""<!doctype html><html lang='en'><head><meta charset='utf-8'>
<meta name='viewport' content='width=device-width, initial-scale=1'><title>What CNNs See</title>
<script type='text/x-mathjax-config'>MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$','$'], ['\\\\(','\\\\)']]}},
messageStyle: 'none'}});</script>{math}
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.45}}
ol{{list-style:none;padding:0}} .lesson{{display:flex;gap:1.2em;margin:1.2em 0;align-items:flex-start}}
.thumb{{width:200px;height:120px;object-fit:contain;border:1px solid #ccc;background:#fff;flex:none}}
.none{{background:#f3f3f3}} h2{{margin:0 0 .3em;font-size:1.2em}} .meta{{color:#777;font-size:.85em}}
.failed{{color:#b00}}</style></head>
<body><h1>What CNNs See</h1>
<p>A hands-on course on what convolutional networks learn: a trained classifier <i>f</i>(<i>x</i>) is opened up
layer by layer, its units are visualised, and its decisions are explained and then tested.
Executed lessons, {mode}, built {time.strftime('%Y-%m-%d %H:%M')}.</p>
<ol>{''.join(cards)}</ol></body></html>"""


def build_site(executed: list[dict], site: Path, fast: bool, offline: bool = True) -> Path:
    """Write every lesson page, the thumbnails and ``index.html``; return the index path.

    ``executed`` holds one dict per lesson: ``name``, ``nb`` (the executed
    notebook, or ``None`` if it failed), ``ok``, ``error``, ``seconds``.
    With ``offline`` the scripts are vendored (:func:`vendor`); if that is
    impossible the pages use the CDNs.
    """
    site.mkdir(parents=True, exist_ok=True)
    offline = offline and _install_static(site, vendor())
    lessons = []
    for item in executed:
        nb, stem = item.get("nb"), Path(item["name"]).stem
        title, goal, thumb = stem, "", None
        if nb is not None:
            title, goal = lesson_heading(nb)
            png = first_figure(nb)
            if png:
                (site / "thumbs").mkdir(exist_ok=True)
                (site / "thumbs" / f"{stem}.png").write_bytes(png)
                thumb = f"thumbs/{stem}.png"
            if item["ok"]:
                to_html(nb, site / f"{stem}.html", offline=offline)
        lessons.append({"name": item["name"], "title": title or stem, "goal": goal, "thumb": thumb,
                        "ok": item["ok"], "error": item.get("error", ""), "seconds": item.get("seconds", 0.0)})
    index = site / "index.html"
    index.write_text(index_page(lessons, fast, offline))
    return index
