"""Dependencies of the talent service's endpoints (async: FastAPI would run a plain function in
a worker thread on every request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.talent.pii import PiiCipher
from services.talent.settings import TalentSettings


async def get_cipher(request: Request) -> PiiCipher:
    return request.app.state.pii


async def get_settings(request: Request) -> TalentSettings:
    return request.app.state.settings


CipherDep = Annotated[PiiCipher, Depends(get_cipher)]
SettingsDep = Annotated[TalentSettings, Depends(get_settings)]
