"""Step 4: learners become aware of micro-credentials (Bass diffusion on the peer network,
campaigns, and employer sponsorship offers)."""

from __future__ import annotations

import numpy as np

from sim.model import rules


def run(model, q: int) -> None:
    L = model.learners
    beh = model.cfg.behaviour
    idx = np.flatnonzero(~L.aware)
    if len(idx) == 0:
        L.aware[model.state.sponsored_now] = True
        return
    u = model.streams["awareness"].uniform(idx, q)
    targeted = model.masks["awareness_target"][idx]
    intensity = np.array([0.0, model.state.campaign_intensity])   # campaign intensity, untargeted / targeted

    def probability(campaign, share):
        return rules.awareness_probability(model.bass_p_quarter, model.bass_q_quarter,
                                           beh.campaign_effect, campaign, share)

    # The probability rises with the peer share, so a draw below its value at share 0 means
    # aware whatever the peers do, and one at or above its value at share 1 means not aware.
    # Only the draws in between need the (costly) peer share: exactly the same decisions.
    lowest = probability(intensity, np.float32(0.0))
    highest = probability(intensity, np.float32(1.0))
    became = np.where(targeted, u < lowest[1], u < lowest[0])
    undecided = np.flatnonzero(~became & np.where(targeted, u < highest[1], u < highest[0]))
    if len(undecided):
        share = rules.peer_share(model.peers[idx[undecided]], L.ever_enrolled)
        became[undecided] = u[undecided] < probability(intensity[targeted[undecided].view(np.int8)], share)
    L.aware[idx[became]] = True
    L.aware[model.state.sponsored_now] = True
