"""One JSON rendering of the statistics, so the CLI and the API print the same bytes."""
from __future__ import annotations

import json


def dumps(data, indent: int | None = 2) -> str:
    """UTF-8 friendly JSON (Chinese kept as is), keys in the order the service built them."""
    return json.dumps(data, ensure_ascii=False, indent=indent)


def dumps_for_script(data) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` can
    close the element or start markup, whatever a firm or town name holds."""
    return (dumps(data, indent=None).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))
