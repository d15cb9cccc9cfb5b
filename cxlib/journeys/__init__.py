"""Customer journeys and touchpoints: journeys from event logs, their paths, touchpoint
scorecards and omnichannel consistency (issue 12).

- :mod:`~cxlib.journeys.build` — :func:`journeys` cuts an event log into journeys;
- :mod:`~cxlib.journeys.paths` — path variants, the directly-follows table, where failing
  journeys diverge;
- :mod:`~cxlib.journeys.touchpoints` — the touchpoint scorecard and the spread of a
  touchpoint's score across channels;
- :mod:`~cxlib.journeys.omnichannel` — survey responses matched to journeys, and the effect
  of channel switching on effort and satisfaction;
- :mod:`~cxlib.journeys.effects` — within-customer effects of negative episodes (recovery),
  the peak–end test, and which touchpoints move relationship satisfaction.
"""

from __future__ import annotations

from .build import Journeys, journey_summary, journeys
from .divergence import PathDivergence, path_divergence
from .omnichannel import ChannelSwitching, channel_switching, journey_responses
from .paths import DirectlyFollows, PathVariants, directly_follows, path_variants
from .touchpoints import (
    ChannelConsistency,
    TouchpointScorecard,
    channel_consistency,
    touchpoint_scorecard,
)
from .effects import (
    churn_panel,
    episode_effects,
    negative_episodes,
    peak_end,
    touchpoint_drivers,
    touchpoint_experiences,
    within_effects,
)
