"""Staff workspace pages of the programs app (/p/<program>/...), one module per area."""

from .agreements import *  # noqa: F403
from .codes import *  # noqa: F403
from .home import *  # noqa: F403
from .members import *  # noqa: F403
from .parties import *  # noqa: F403
