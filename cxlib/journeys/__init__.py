"""Customer journeys and touchpoints (issue 12)."""

from __future__ import annotations

from .effects import churn_panel as churn_panel
from .effects import episode_effects as episode_effects
from .effects import negative_episodes as negative_episodes
from .effects import peak_end as peak_end
from .effects import touchpoint_drivers as touchpoint_drivers
from .effects import touchpoint_experiences as touchpoint_experiences
from .effects import within_effects as within_effects
