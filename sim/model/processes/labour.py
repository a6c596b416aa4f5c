"""Step 7: labour market. Employers recognise a new credential with probability equal to
their trust; a recognised credential raises the wage (the offer's gain, which is its value
added times a return, x rent share, ramping in linearly), job finding and moves from informal
to formal work; an MQF award completed by stacking carries a qualification's return.
Employers observe new holders' productivity beyond expectation (value added + noise against a
benchmark): the evidence they learn from next quarter. Status-quo job flows run both ways
(informal <-> formal, employed <-> unemployed) and keep the labour shares stationary when no
lever acts."""

from __future__ import annotations

import numpy as np

from sim.model import rules
from sim.model.domain import FORMAL, INFORMAL, UNEMPLOYED
from sim.model.population import sample_employer

INFORMAL_WAGE_FACTOR = 0.75  # informal earnings relative to formal (assumption, 0.6-0.9)


def run(model, q: int) -> None:
    _recognise_and_observe(model, q)
    _job_flows(model, q)
    _ramp_wages(model)


def _recognise_and_observe(model, q: int) -> None:
    L, offers, market = model.learners, model.offers, model.cfg.market
    beh = model.cfg.behaviour
    _award_qualifications(model)
    who = model.state.new_completers
    if len(who) == 0:
        return
    k = model.state.new_completer_offers
    accredited = offers.accredited[k]
    trust = model.learner_trust(who, accredited)
    recognised = model.streams["recognition"].uniform(who, q) < trust
    r = who[recognised]
    L.recognised_credentials[r] = np.minimum(L.recognised_credentials[r] + 1, 127)
    # Paid on the same reference wage the learner valued the course on (rules.reference_wage).
    _add_wage_gain(model, r, offers.wage_gain[k[recognised]] * beh.rent_share * _reference_wage(L, r))

    # The employer sees what the holder does beyond what it expected of this worker: the
    # credential's value added plus noise, against its benchmark (so the judgement is about
    # the credential, not about who chose to take it).
    productivity = (offers.value_added[k]
                    + market.productivity_noise_sd * model.streams["productivity"].normal(who, q))
    success = productivity > market.productivity_benchmark
    evidence = L.weight[who].astype(np.float64) / market.evidence_persons_per_observation
    evidence = np.where(accredited, evidence * model.state.evidence_attention, evidence)
    employer = model.observing_employer(who)
    column = np.where(accredited, 0, 2) + np.where(success, 0, 1)
    pending = np.zeros((len(model.employers), 4))
    np.add.at(pending, (employer, column), evidence)
    model.employer_table.pending += pending


def _award_qualifications(model) -> None:
    """An MQF award completed by stacking carries a qualification's wage return (recognised
    for certain: it is a qualification on the MQF)."""
    who, awards = model.state.new_qualification_holders, model.state.new_qualification_counts
    if len(who):
        gain = model.cfg.behaviour.qualification_wage_gain * awards * _reference_wage(model.learners, who)
        _add_wage_gain(model, who, gain)


def _reference_wage(L, who: np.ndarray) -> np.ndarray:
    return rules.working_and_reference_wage(L.labour[who], L.wage_rm[who], L.potential_wage_rm[who])[1]


def _add_wage_gain(model, who: np.ndarray, gain_rm: np.ndarray) -> None:
    """Raise the wage gain a learner will earn by ``gain_rm`` (RM/month), ramping in linearly
    over ``wage_ramp_quarters`` (the ramp learners expect: rules.present_value_table)."""
    L = model.learners
    gain = np.asarray(gain_rm, dtype=np.float32)
    L.wage_gain_target_rm[who] += gain
    L.wage_gain_ramp_rm[who] += gain / np.float32(model.cfg.behaviour.wage_ramp_quarters)


def _job_flows(model, q: int) -> None:
    """Status-quo flows between formal work, informal work and unemployment, each a keyed
    draw (slot) per person and quarter. Persons outside the labour force have no flows
    (their share changes only through the entry and exit of cohorts, see demography).

    Stationarity: with shares F, I, U of adults (E = F + I), job finding f, formal share of
    new jobs a, informal -> formal m, formal -> informal x and separation s, unemployment
    balances when f U = s E. Informal work balances, in this function's order (new informal
    hires (1 - a) f U may formalise at once; x applies to those formal at the start; the
    just-hired do not separate), when
    I = [I (1 - m) + (1 - a) f U (1 - m) + x F] - s [I (1 - m) + x F], so
    x = [I (1 - (1 - m)(1 - s)) - (1 - a)(1 - m) s E] / (F (1 - s)).
    At the DOSM informal share of the employed I / E = 0.22 (3.45m of about 15.7m employed,
    2023), m = 0.02, s = 0.01, a = 0.72: x = (0.22 x 0.0298 - 0.00274) / (0.78 x 0.99)
    = 0.0049; the population's own 0.222 gives 0.0050, the default
    (``behaviour.formal_to_informal_quarter``; docs/ODD.md, labour submodel)."""
    L, beh = model.learners, model.cfg.behaviour
    stream = model.streams["labour"]
    holder = L.recognised_credentials > 0
    formal_before = np.flatnonzero(L.labour == FORMAL)   # before this quarter's hires and moves

    unemployed = np.flatnonzero(L.labour == UNEMPLOYED)
    p_find = beh.job_finding_quarter * (1 + beh.credential_job_finding_boost * holder[unemployed])
    found = unemployed[stream.uniform(unemployed, q, 0) < p_find]
    formal_job = stream.uniform(found, q, 1) < beh.formal_share_of_new_jobs
    take_job(model, found[formal_job], q, formal=True)
    take_job(model, found[~formal_job], q, formal=False)

    informal = np.flatnonzero(L.labour == INFORMAL)
    p_move = beh.informal_to_formal_quarter * (1 + beh.credential_formalisation_boost * holder[informal])
    take_job(model, informal[stream.uniform(informal, q, 2) < p_move], q, formal=True)

    # Formal -> informal (own-account work, gig or informal employment): credentials do not
    # change it, so the status quo is stationary and levers act only through the other flows.
    take_job(model, formal_before[stream.uniform(formal_before, q, 4) < beh.formal_to_informal_quarter],
              q, formal=False)

    employed = L.labour <= INFORMAL          # formal or informal, before this quarter's hires
    employed[found] = False
    employed = np.flatnonzero(employed)
    lose = employed[stream.uniform(employed, q, 3) < beh.separation_quarter]
    L.labour[lose] = UNEMPLOYED
    L.wage_rm[lose] = 0.0
    L.employer[lose] = -1


def take_job(model, who: np.ndarray, q: int, formal: bool) -> None:
    L = model.learners
    if len(who) == 0:
        return
    if formal:
        stream = model.streams["employer_assignment"]
        size, levy, employer = sample_employer(L.state[who], L.sector[who], stream.uniform(who, q, 0),
                                               stream.uniform(who, q, 1), model.data)
        L.firm_size[who], L.levy_registered[who], L.employer[who] = size, levy, employer
        L.labour[who] = FORMAL
        L.wage_rm[who] = L.potential_wage_rm[who]
    else:
        L.labour[who] = INFORMAL
        L.employer[who] = -1
        L.wage_rm[who] = L.potential_wage_rm[who] * INFORMAL_WAGE_FACTOR


def _ramp_wages(model) -> None:
    """Recognised wage gains ramp in linearly (a constant step per quarter) while the learner
    works; the step ends when the gain is reached."""
    L = model.learners
    idx = np.flatnonzero((L.wage_gain_target_rm > L.wage_gain_rm) & (L.labour <= INFORMAL))
    if len(idx):
        L.wage_gain_rm[idx] = rules.ramped_wage_gain(L.wage_gain_rm[idx], L.wage_gain_target_rm[idx],
                                                     L.wage_gain_ramp_rm[idx])
    reached = L.wage_gain_rm >= L.wage_gain_target_rm
    L.wage_gain_ramp_rm[reached] = 0.0
