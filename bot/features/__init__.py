"""Feature modules: each registers its commands, buttons and forms on the router
(`bot/router.py`). Importing this package is what wires them in (done by `bot/app.py`)."""

from bot.features import (  # noqa: F401
    archive,
    compile,
    decision,
    form,
    people,
    rekap,
    request,
    review,
    sheet,
    status,
    team,
)
