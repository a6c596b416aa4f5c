"""Render report blocks as one self-contained HTML file: figures embedded as base64 PNG,
inline CSS, no scripts, fonts or links to fetch, so it opens offline and can be mailed."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:1000px;margin:2em auto;padding:0 1.5em;
color:#1a1a1a;line-height:1.5;font-size:16px}
h1{font-size:1.9em;margin-bottom:.2em;border-bottom:3px solid #0072B2;padding-bottom:.2em}
h2{font-size:1.35em;margin-top:1.8em;color:#0072B2;border-bottom:1px solid #ddd}
h3{font-size:1.1em}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-family:Arial,Helvetica,sans-serif;font-size:12.5px;width:100%}
caption{caption-side:top;text-align:left;font-style:italic;padding-bottom:.3em;font-size:13px}
th{background:#f0f4f8;text-align:left;border-bottom:2px solid #888;padding:4px 6px}
td{border-bottom:1px solid #ddd;padding:4px 6px;vertical-align:top}
tr:nth-child(even) td{background:#fafafa}
figure{margin:1em 0 1.8em}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:13px;color:#444}
pre{background:#f4f4f4;padding:.8em;overflow-x:auto;font-size:13px;white-space:pre-wrap}
code{font-family:'Courier New',monospace}
ul li{margin-bottom:.45em}
"""


def _inline(text: str) -> str:
    text = html.escape(str(text))
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _figure(name: str, title: str, figures_dir: Path) -> str:
    data = base64.b64encode((figures_dir / f"{name}.png").read_bytes()).decode()
    return (f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(title)} (also figures/{name}.svg and .pdf)</figcaption></figure>")


def render(blocks: list, titles: dict[str, str], figures_dir: Path) -> str:
    body = []
    title = "mcsim report"
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            if kind == "h1":
                title = block[1]
            body.append(f"<{kind}>{_inline(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "code":
            body.append(f"<pre><code>{html.escape(block[1])}</code></pre>")
        elif kind == "figure":
            body.append(_figure(block[1], titles.get(block[1], block[1]), figures_dir))
        elif kind == "table":
            _, header, rows, caption = block
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            cells = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table><caption>{_inline(caption)}</caption><thead><tr>{head}</tr></thead>"
                        f"<tbody>{cells}</tbody></table>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f"<body>\n" + "\n".join(body) + "\n</body></html>\n")
