"""Step 4: learners become aware of micro-credentials (Bass diffusion on the peer network,
campaigns, and employer sponsorship offers)."""

from __future__ import annotations

import numpy as np

from sim import rules


def run(model, q: int) -> None:
    L = model.learners
    beh = model.cfg.behaviour
    idx = np.flatnonzero(~L.aware)
    if len(idx) == 0:
        return
    share = rules.peer_share(model.peers[idx], L.ever_enrolled)
    campaign = np.where(model.masks["awareness_target"][idx], model.campaign_intensity, 0.0)
    p = rules.awareness_probability(model.bass_p_quarter, model.bass_q_quarter,
                                    beh.campaign_effect, campaign, share)
    became = model.streams["awareness"].uniform(idx, q) < p
    L.aware[idx[became]] = True
    L.aware[model.sponsored_now] = True
