"""Feature modules: each registers its commands, buttons and forms on the core's router."""

from bot.features import (  # noqa: F401
    archive,
    compile,
    decision,
    form,
    people,
    request,
    review,
    status,
    team,
)
