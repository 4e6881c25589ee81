"""`/`: the small Japanese web page for consultants (one self-contained HTML file, no external
assets): paste, upload or fill in a profile, see the gap result as `carekb gap` prints it (the
server renders the text: /api/v1/gap?format=text, carekb/render/office_text.py), and download the
JSON.  It calls /api/v1/gap like any other client."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


def page_html() -> str:
    return resources.files("carekb.web").joinpath("static/index.html").read_text(encoding="utf-8")


@router.get("/")
async def index() -> HTMLResponse:
    return HTMLResponse(page_html(), headers={"Cache-Control": "no-cache",
                                              "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                                                         "style-src 'unsafe-inline'; img-src 'self' data:; "
                                                                         "connect-src 'self'; base-uri 'none'"})
