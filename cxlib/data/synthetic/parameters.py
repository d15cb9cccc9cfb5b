"""Every number the synthetic generator uses, in one place.

Changing a value changes the generated data: bump :data:`GENERATOR_VERSION`, the pinned
digest in ``tests/test_golden.py`` and the golden key figures together, and update
``data/README.md``. Days count from the first instant of the first simulated quarter;
latent quantities are in standard-deviation units unless a comment says otherwise.
"""

from __future__ import annotations

import numpy as np

from ..schema import DRIVERS

GENERATOR_VERSION = "1.1.0"  # 1.1: recovery after episodes, proactive follow-ups, channel switching, event surveys, peak-end

NPS_GROUPS = ("detractor", "passive", "promoter")  # codes 0, 1, 2

# ----------------------------------------------------------------------------- customers
FIRST_CUSTOMER_ID = 100_001  # ids are numbered in signup order from here
COUNTRIES = ("US", "GB", "DE", "JP", "BR", "MX")
COUNTRY_SHARES = (0.38, 0.14, 0.16, 0.09, 0.15, 0.08)
# Response style, in standard-deviation units of each latent answer: raw = centre +
# shift + spread * (latent - centre). Latent experience is identical across countries.
COUNTRY_SHIFT = {"US": 0.0, "GB": -0.10, "DE": -0.30, "JP": -0.45, "BR": 0.30, "MX": 0.25}
COUNTRY_SPREAD = {"US": 1.0, "GB": 1.0, "DE": 0.9, "JP": 0.75, "BR": 1.3, "MX": 1.25}

PLANS = ("basic", "standard", "premium")
PLAN_PRICE = {"basic": 29.0, "standard": 79.0, "premium": 199.0}  # median monthly revenue
REVENUE_SDLOG = 0.30
CHANNELS = ("organic", "paid_search", "partner", "referral")

# Signups: this share signed up before the window, up to PRE_WINDOW_MAX_DAYS earlier
# (age ~ Beta(1, 1.8) of that span); the rest during it, growing each quarter, Q1 peak.
PRE_WINDOW_SHARE = 0.55
PRE_WINDOW_MAX_DAYS = 1460.0
PRE_WINDOW_AGE_BETA = (1.0, 1.8)
SIGNUP_GROWTH_PER_QUARTER = 0.05
SIGNUP_Q1_MULT = 1.15

SEGMENTS = ("advocates", "value_seekers", "support_reliant", "reliability_frustrated")
# Segment share among customers who signed up before the window, and at its end
# (linear in signup time in between): value seekers grow, advocates shrink.
SEGMENT_SHARE_START = (0.32, 0.22, 0.25, 0.21)
SEGMENT_SHARE_END = (0.22, 0.36, 0.23, 0.19)
# Plan and acquisition-channel mix by segment (rows in SEGMENTS order); the plan mix
# drifts towards premium with signup time (PLAN_P_DRIFT at the window's end).
PLAN_P_BY_SEGMENT = np.array([[0.55, 0.33, 0.12], [0.70, 0.25, 0.05], [0.52, 0.35, 0.13], [0.50, 0.36, 0.14]])
PLAN_P_DRIFT = np.array([-0.05, -0.02, 0.07])
CHANNEL_P_BY_SEGMENT = np.array(
    [[0.33, 0.20, 0.12, 0.35], [0.25, 0.50, 0.15, 0.10], [0.35, 0.30, 0.20, 0.15], [0.35, 0.30, 0.17, 0.18]]
)

# ----------------------------------------------------------------------------- drivers
# Driver profiles: latent mean of each driver (columns in DRIVERS order) by segment.
DRIVER_BASE = 0.35
_PROFILE_SHIFT = {
    "advocates": dict.fromkeys(DRIVERS, 0.90),
    "value_seekers": {**dict.fromkeys(DRIVERS, 0.30), "value_for_money": -1.60, "billing_clarity": -1.10},
    "support_reliant": {
        **dict.fromkeys(DRIVERS, 0.10),
        "support": -1.50, "ease_of_use": -1.10, "onboarding": -1.20, "communication": -0.20,
    },
    "reliability_frustrated": {
        **dict.fromkeys(DRIVERS, 0.10),
        "reliability": -1.70, "product_quality": -1.20,
    },
}
SEGMENT_PROFILE = np.array([[DRIVER_BASE + _PROFILE_SHIFT[s][d] for d in DRIVERS] for s in SEGMENTS])
PERSON_SD = 0.36  # persistent customer effect on every driver (panel correlation)
HALO_SD = 0.36  # quarter-specific effect shared by all drivers of a customer
DRIVER_NOISE_SD = 0.55
DRIVER_CUTS = np.array([-1.45, -0.75, 0.05, 0.80])  # latent -> rating 1..5

# ----------------------------------------------------------------------------- satisfaction
# Satisfaction = sum_j weight_j * z_j + asymmetric term + episode effects + season + noise
DRIVER_WEIGHTS = {
    "product_quality": 0.36,
    "reliability": 0.28,
    "ease_of_use": 0.24,
    "value_for_money": 0.20,
    "support": 0.12,
    "onboarding": 0.05,
    "communication": 0.03,
    "billing_clarity": 0.01,
}
ASYM_DRIVER = "billing_clarity"
ASYM_PENALTY = -0.40  # added to satisfaction when the (true) rating is 1 or 2
ASYM_REWARD = 0.04  # added when the (true) rating is 5
SAT_NOISE_SD = 0.40
SEASON_SAT = {1: 0.05, 2: 0.05, 3: 0.0, 4: -0.10}  # by calendar quarter
SEASON_TICKETS = {1: 1.15, 2: 0.95, 3: 0.90, 4: 1.05}

# Journey episodes, on days EPISODE_DAYS of the quarter (before the survey fields).
EPISODE_DAYS = (0.0, 40.0)
NEG_EPISODE_P = 0.06
NEG_EPISODE_P_INCIDENT = 0.20
NEG_EPISODE_SAT = -0.60
NEG_EPISODE_HR = 1.6
NEG_EPISODE_TICKET_MULT = 1.5
# Kinds of negative episode: (stage, touchpoint, channel); outages are this share of
# them (OUTAGE_SHARE_INCIDENT in the incident quarter), the rest half billing, half support.
NEG_EPISODE_KINDS = (
    ("usage", "service_outage", "app"),
    ("billing", "billing_error", "email"),
    ("support", "failed_support_contact", "phone"),
)
OUTAGE_SHARE = 0.35
OUTAGE_SHARE_INCIDENT = 0.8
SUPPORT_SHARE_OF_OTHER_EPISODES = 0.5  # of the non-outage episodes: failed support contacts
POS_EPISODE_P = 0.10
POS_EPISODE_SAT = 0.15
FEATURE_ADOPTED_SHARE = 0.6  # positive episodes: feature_adopted, else proactive_help

# Recovery (generator 1.1): a negative episode keeps lowering S in later quarters; the
# share of NEG_EPISODE_SAT still felt 0, 1, 2 ... quarters after the episode (0 beyond).
# A proactive follow-up (proactive_help event a few days after the episode, share
# FOLLOWUP_P of negative episodes) shortens the recovery from the next quarter on.
RECOVERY_PROFILE = (1.0, 0.7, 0.4)  # back to the earlier level 3 quarters after the episode
RECOVERY_PROFILE_FOLLOWUP = (1.0, 0.25, 0.0)  # ... 2 quarters after, with a follow-up
FOLLOWUP_P = 0.35
FOLLOWUP_DELAY_DAYS = (1.0, 7.0)
FOLLOWUP_TOUCHPOINT = ("support", "proactive_help", "email")  # (stage, touchpoint, channel)

INCIDENT_DRIVER = "reliability"
INCIDENT_SHIFT = -0.90
INCIDENT_TICKET_MULT = 1.4
INCIDENT_REOPEN_MULT = 1.4
INCIDENT_TICKET_CATEGORY_P = (0.55, 0.18, 0.10, 0.17)  # more technical tickets
NPS_DROP_PLAN = "standard"
NPS_DROP_SHIFT = -0.24  # satisfaction shift for that plan in the latest quarter

# Standardisation of satisfaction (fixed constants: the population mean and SD of the
# default generator, so Sz is approximately standard normal).
SAT_MEAN = 0.47
SAT_SD = 1.18

# ----------------------------------------------------------------------------- answers
LTR_INTERCEPT = 8.15
LTR_SLOPE = 2.20  # ltr points per SD of satisfaction
LTR_NOISE_SD = 0.70  # quarter-specific
LTR_PERSON_SD = 0.65  # persistent per customer (recommending propensity)
LTR_ANGRY_BELOW = 4.5  # latent ltr below which a respondent may answer 0
LTR_ANGRY_P = 0.45
LTR_STYLE_SD = 1.8  # style shifts for ltr are in units of this many points
LTR_CENTRE = 7.5
OSAT_CUTS = np.array([-1.75, -1.30, -0.75, 0.40])  # styled Sz -> osat 1..5
CES_CUTS = np.array([-1.75, -1.25, -0.85, -0.45, 0.20, 0.95])  # -> ces 1..7
CSAT_CUTS = np.array([-1.6, -1.1, -0.55, 0.35])  # touchpoint csat 1..5
# Latent effort: weights of ease of use and support (centred at DRIVER_BASE), minus a
# penalty for a ticket that quarter and for a reopened one, plus noise.
CES_EASE_WEIGHT = 0.45
CES_SUPPORT_WEIGHT = 0.25
CES_TICKET_PENALTY = 0.25
CES_REOPEN_PENALTY = 0.60
CES_NOISE_SD = 0.70
# Item non-response: every item, then support (by ticket that quarter) and onboarding
# (by tenure), and osat/ces.
ITEM_MISSING_P = 0.015
SUPPORT_MISSING_P_WITH_TICKET = 0.04
SUPPORT_MISSING_P_NO_TICKET = 0.24
ONBOARDING_MISSING_TENURE_DAYS = 365
ONBOARDING_MISSING_P_TENURED = 0.16
ONBOARDING_MISSING_P_NEW = 0.02
OSAT_MISSING_P = 0.01
CES_MISSING_P = 0.01

# Peak-end (generator 1.1): the reported osat is remembered through the quarter's touchpoint
# experiences before the response: styled Sz + spread * (PE_WORST * min_k e_k + PE_LAST * e_last),
# e_k = the touchpoint's own latent csat component (latent csat - TP_INTERCEPT - TP_SLOPE * Sz).
# The mean of the experiences has no weight. Latent S, ltr and churn are not affected.
PEAK_END_WORST = 0.35
PEAK_END_LAST = 0.30

# ----------------------------------------------------------------------------- churn
CHURN_H0 = 0.0075  # monthly hazard of a promoter on the standard plan
CHURN_HR_GROUP = {"detractor": 3.0, "passive": 1.5, "promoter": 1.0}
CHURN_HR_PLAN = {"basic": 1.25, "standard": 1.0, "premium": 0.70}
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25

# ----------------------------------------------------------------------------- tickets
TICKET_RATE = 0.37  # expected tickets per customer-quarter (before multipliers)
TICKET_SEGMENT_MULT = {"advocates": 0.8, "value_seekers": 0.9, "support_reliant": 1.6, "reliability_frustrated": 1.2}
TICKET_CHANNELS = ("email", "chat", "phone")
TICKET_CHANNEL_P = (0.40, 0.35, 0.25)
TICKET_CATEGORIES = ("technical", "billing", "account", "how_to")
TICKET_CATEGORY_P = (0.35, 0.25, 0.15, 0.25)
FIRST_RESPONSE_MEDIAN_MIN = {"email": 180.0, "chat": 2.0, "phone": 4.0}
FIRST_RESPONSE_SDLOG = 1.1
FIRST_RESOLVE_MEDIAN_H = {"email": 20.0, "chat": 2.0, "phone": 1.5}
FIRST_RESOLVE_SDLOG = 1.3
REOPEN_P = 0.08
TECHNICAL_REOPEN_MULT = 1.4
REOPEN_COUNT_GEOMETRIC_P = 0.7  # reopens of a reopened ticket ~ Geometric(0.7) on 1, 2, ...
REOPEN_EXTRA_HOURS_MEDIAN = 30.0
REOPEN_EXTRA_HOURS_SDLOG = 1.0
EXTRA_CONTACT_P = 0.20
EXTRA_CONTACTS_MEAN = 0.3  # an extra contact brings 1 + Poisson(0.3) contacts

# Channel switching (generator 1.1): a ticket with more than one contact moves to another
# channel (chosen at random among the other two) with this probability; it is resolved
# there (the journeys' ticket_resolved event carries the second channel). A switched
# ticket lowers its touchpoint csat (latent) and the customer's effort that quarter.
SWITCH_P_MULTI_CONTACT = 0.5
SWITCH_CSAT_EFFECT = -0.70  # latent touchpoint csat, SD units
SWITCH_CES_PENALTY = 0.55  # latent effort (subtracted), like CES_TICKET_PENALTY

# ----------------------------------------------------------------------------- touchpoints
TP_INTERCEPT = 0.60
TP_SLOPE = 0.60
TP_NOISE_SD = 0.80
TP_REOPEN_EFFECT = -0.90  # per reopen, latent touchpoint csat (SD units)
TICKET_SURVEY_P = 0.30
TICKET_SURVEY_DELAY_DAYS = (0.05, 3.0)  # after the last solve
OTHER_TP_P = 0.10
OTHER_TOUCHPOINTS = ("billing_inquiry", "app_feedback", "renewal_call")
OTHER_TOUCHPOINT_CHANNELS = ("phone", "app", "phone")
ONBOARDING_TP_P = 0.5  # share of new customers surveyed after onboarding
ONBOARDING_WEB_P = 0.6
ONBOARDING_DAYS = (1.0, 10.0)  # onboarding call / survey, days after signup

# Event surveys (generator 1.1): a short csat survey after some journey events, dated a
# little after the event; the event's own effect on the latent csat (SD units).
EVENT_SURVEY_P = {
    "login": 0.25, "feature_use": 0.30, "invoice": 0.20, "service_outage": 0.5, "billing_error": 0.5,
    "failed_support_contact": 0.5, "feature_adopted": 0.4, "proactive_help": 0.4,
}
EVENT_SURVEY_DELAY_DAYS = (0.01, 2.0)
EVENT_CSAT_EFFECT = {"service_outage": -1.3, "billing_error": -1.2, "failed_support_contact": -1.4,
                     "feature_adopted": 0.5, "proactive_help": 0.6}

# ----------------------------------------------------------------------------- journeys
USAGE_EVENTS_PER_QUARTER = 1.5  # Poisson mean for a full quarter
LOGIN_SHARE = 0.5  # usage events: login, else feature_use
USAGE_APP_SHARE = 0.7  # usage events in the app, else on the web
INVOICE_DAYS = (0.0, 90.0)
CANCEL_WEB_P = 0.6

# ----------------------------------------------------------------------------- survey design
INVITE_BASE = 0.60
INVITE_CAP = 0.95
INVITE_MULT_PLAN = {"basic": 0.55, "standard": 1.0, "premium": 2.5}
INVITE_MULT_COUNTRY = {"US": 0.75, "GB": 1.0, "DE": 1.0, "JP": 2.3, "BR": 1.0, "MX": 2.3}
RESPONSE_BASE = 0.28
RESPONSE_MULT_COUNTRY = {"US": 1.0, "GB": 0.9, "DE": 0.8, "JP": 0.6, "BR": 1.3, "MX": 1.2}
RESPONSE_MULT_SEGMENT = {"advocates": 1.20, "value_seekers": 0.90, "support_reliant": 1.0, "reliability_frustrated": 0.90}
FIELD_DAYS = (45.0, 88.0)  # survey fielded between these days of the quarter
DUPLICATE_P = 0.012
DUPLICATE_DELAY_DAYS = (0.002, 2.0)
COMMENT_P = {"detractor": 0.55, "passive": 0.30, "promoter": 0.25}

# Comment texts: promoters praise their best-rated driver, others criticise their worst.
NEG_COMMENTS = {
    "product_quality": ("The product feels unfinished.", "Quality has gone down lately.", "Too many bugs."),
    "reliability": ("The service keeps going down.", "Outages again this quarter.", "Not reliable enough for us."),
    "ease_of_use": ("Hard to find anything in the app.", "Too complicated to use.", "The new interface is confusing."),
    "value_for_money": ("Too expensive for what it does.", "Price went up, value did not.", "Cheaper options exist."),
    "support": ("Support never solved my problem.", "Waited days for an answer.", "Had to explain my issue three times."),
    "billing_clarity": ("My invoice is impossible to understand.", "Charged twice, nobody explained why.", "Billing is a mess."),
    "onboarding": ("Getting started was painful.", "No help setting things up.", "Onboarding took far too long."),
    "communication": ("You never tell us about changes.", "Too many pointless emails.", "Nobody told us about the outage."),
}
POS_COMMENTS = {
    "product_quality": ("Great product.", "Does exactly what we need.", "Best tool we use."),
    "reliability": ("Always works.", "Rock solid.", "Never had downtime."),
    "ease_of_use": ("So easy to use.", "Intuitive and quick.", "Our whole team picked it up fast."),
    "value_for_money": ("Worth every penny.", "Good value.", "Fair price."),
    "support": ("Support was fantastic.", "Quick and friendly help.", "They fixed it in minutes."),
    "billing_clarity": ("Clear invoices.", "Billing is simple.", "No surprises on the bill."),
    "onboarding": ("Smooth onboarding.", "Setup was a breeze.", "Great start."),
    "communication": ("They keep us informed.", "Helpful updates.", "Good communication."),
}
COMMENTS_PER_DRIVER = 3  # texts per driver in NEG_COMMENTS / POS_COMMENTS
