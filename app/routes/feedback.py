"""Feedback links: ``GET|POST /p/{name}/feedback/{arxiv_id}?choice=more|less|none&sig=...``.

The signature (``app.profiles.tokens.feedback_signature``) names the profile and the paper: a
link altered in either, or without it, is a 403. GET never records (mail scanners and readers
that prefetch follow links): it answers a small page saying what the click does, with a form
posting to the same URL. POST records (``none`` undoes) and answers 303 back to the profile's
page, or 200 with JSON to a client that asks for it (``Accept: application/json``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from app.arxiv.ids import parse_arxiv_id
from app.errors import Forbidden, InvalidQuery
from app.profiles.feedback import feedback_url
from app.profiles.registry import ProfileFeed
from app.profiles.tokens import feedback_signature, matches, secret_of
from app.render.feedback_page import confirm_page
from app.serving import SECURITY_HEADERS, listed_paper
from app.wiring import Services, ServicesDep

router = APIRouter(tags=["profiles"])

ChoiceParam = Annotated[Literal["more", "less", "none"], Query(description="none: undo")]
SigParam = Annotated[str, Query(max_length=64, description="The link's signature")]
PATH = "/p/{name}/feedback/{arxiv_id:path}"
ERRORS: dict[int | str, dict[str, object]] = {
    403: {"description": "Altered or unsigned link, or no FEEDBACK_SECRET set"},
    404: {"description": "No such profile"},
}


async def _checked(services: Services, name: str, arxiv_id: str, sig: str) -> tuple[
    ProfileFeed, str
]:  # fmt: skip
    """The profile and the version-free id, once the signature holds."""
    secret = secret_of(services.settings)
    if secret is None:
        raise Forbidden("feedback is disabled: set FEEDBACK_SECRET to enable it")
    found = parse_arxiv_id(arxiv_id)
    wanted = feedback_signature(secret, name, found.id) if found else None
    if found is None or not matches(wanted, sig):
        raise Forbidden("this feedback link is not valid (altered, or for another deployment)")
    return await services.profiles.get(name), found.id


def _urls(name: str, arxiv_id: str, sig: str) -> dict[str, str]:
    return {c: feedback_url("", name, arxiv_id, c, sig) for c in ("more", "less", "none")}


async def _current(services: Services, name: str, arxiv_id: str) -> str | None:
    judged = await services.profiles.feedback.judgements(name)
    return next((j.choice for j in judged if j.arxiv_id == arxiv_id), None)


@router.get(PATH, response_class=Response, responses=ERRORS, summary="Feedback: confirm")
async def feedback_page(
    name: str, arxiv_id: str, choice: ChoiceParam, sig: SigParam, services: ServicesDep
) -> Response:
    """A page saying what the feedback will do, with a form that posts it (records nothing)."""
    profile, paper_id = await _checked(services, name, arxiv_id, sig)
    paper = await listed_paper(services, profile.query, paper_id)
    body = confirm_page(
        profile=name,
        arxiv_id=paper_id,
        paper_title=paper.title if paper else None,
        choice=choice,
        current=await _current(services, name, paper_id),
        urls=_urls(name, paper_id, sig),
    )
    headers = SECURITY_HEADERS | {"Cache-Control": "no-store"}
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


@router.post(PATH, responses=ERRORS | {303: {"description": "Back to the profile's page"}})
async def record_feedback(
    name: str,
    arxiv_id: str,
    choice: ChoiceParam,
    sig: SigParam,
    request: Request,
    services: ServicesDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Record the feedback (the same twice records once; ``none`` undoes); it shows on the
    profile's next read."""
    if len(request.query_params.getlist("choice")) > 1:
        raise InvalidQuery("choice: give one")
    _, paper_id = await _checked(services, name, arxiv_id, sig)
    changed = await services.profiles.feedback.record(
        name, paper_id, None if choice == "none" else choice
    )
    if "application/json" in (accept or ""):
        out = {"profile": name, "arxiv_id": paper_id, "choice": choice, "changed": changed}
        return JSONResponse(out, headers={"Cache-Control": "no-store"})
    return RedirectResponse(f"/p/{name}/#p-{paper_id}", status_code=303)
