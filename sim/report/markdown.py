"""Render report blocks (``sim.report.content``) as Markdown, figures linked as PNG files."""

from __future__ import annotations


def _cell(text) -> str:
    return str(text).replace("|", "\\|")


def render(blocks: list, titles: dict[str, str]) -> str:
    out = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out.append(f"{'#' * int(kind[1])} {block[1]}")
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "code":
            out.append(f"```\n{block[1]}\n```")
        elif kind == "figure":
            out.append(f"![{titles.get(block[1], block[1])}](figures/{block[1]}.png)")
        elif kind == "table":
            _, header, rows, caption = block
            lines = [f"*{caption}*", "", "| " + " | ".join(map(_cell, header)) + " |",
                     "|" + "|".join(["---"] * len(header)) + "|"]
            lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"
