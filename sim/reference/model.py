"""ReferenceModel: the simulator with one ``mesa.Agent`` per learner.

The quarter runs the same steps in the same order as :class:`sim.model.MicroCredentialModel`
(see the design notes). Learners act through ``AgentSet.shuffle_do``; scarce things (policy
budgets, seats) are claimed by agents and settled by the model with the shared rule
``rules.ration_by_priority``, in the same random priority order as the fast model. Providers,
employers, the policy ledger and the outcome summary are the fast model's own code.
"""

from __future__ import annotations

import time

import numpy as np

from sim.model import rules
from sim.model.agents.employers import Employer
from sim.model.agents.learners import POPULATION_FIELDS, STATE_FIELDS, Learners
from sim.model.agents.providers import step_providers
from sim.model.base import MarketModel
from sim.model.domain import FORMAL, ONLINE
from sim.model.policy import by_state
from sim.model.processes import access, demography
from sim.model.processes.access import UPGRADE_RATE
from sim.model.targeting import target_mask
from sim.reference.learner import LearnerAgent


class ReferenceModel(MarketModel):
    """Same constructor and ``step()``/``run()`` as the fast model; ``learners`` gathers the
    agents' state into a :class:`Learners` table for the shared outcome code."""

    def __init__(self, cfg, population=None) -> None:
        super().__init__(cfg, population)
        table = self.population_table
        self.mean_weight = table.mean_weight
        targets = {name: target_mask(table, groups) for name, groups in self.targeting.items()}
        self.donors = demography.donor_pool(table, self.targeting)
        birthday = demography.birthday_quarter(table.n)
        self.people: list[LearnerAgent] = []
        for i in range(table.n):
            attributes = {name: getattr(table, name)[i].item() for name in (*POPULATION_FIELDS, *STATE_FIELDS)}
            self.people.append(LearnerAgent(self, i, attributes, {k: bool(v[i]) for k, v in targets.items()}))
            self.people[-1].birthday_quarter = int(birthday[i])
        for agent, row in zip(self.people, self.peers):
            agent.peers = [self.people[j] for j in row]
            agent.aware = self.streams["initial_awareness"].draw(agent.row, 0) < self.cfg.behaviour.initial_awareness
        self.learner_set = self.agents_by_type[LearnerAgent]
        self.claims: list = []
        self.choices: list = []
        self.completers: list = []
        self.qualification_awards: list = []       # (agent, new MQF awards) this quarter
        self.refresh_trust()

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        q = self.quarter
        self.state.stackable_share = self.policy.stackable_share(q)
        self._policy(q)                                      # 1 policy
        self.agents_by_type[Employer].do("step")             # 2 employers learn, sponsor
        self.refresh_trust()
        self._sponsor(q)
        step_providers(self)                                 # 3 providers adapt (shared batch)
        self.learner_set.shuffle_do("become_aware", q)       # 4 awareness
        self._choice(q)                                      # 5 choice and rationing
        self.completers, self.qualification_awards = [], []
        self.learner_set.shuffle_do("study", q)              # 6 study
        for agent, awards in self.qualification_awards:      # 7 labour market
            agent.receive_qualifications(awards)
        for agent, k in self.completers:
            agent.show_credential(k, q)
        self.learner_set.shuffle_do("seek_job", q)
        self.learner_set.shuffle_do("formalise", q)
        self.learner_set.shuffle_do("informalise", q)
        self.learner_set.shuffle_do("separate", q)
        self.learner_set.do("ramp_wage")
        self.learner_set.do("birthday", q)                   # 8 accounting: ageing, turnover
        self.quarter += 1

    # ------------------------------------------------------------------ 1 policy
    def _policy(self, q: int) -> None:
        lever, policy = self.policy.lever("connectivity"), self.policy
        active = policy.active("connectivity", q)
        for tier, (base_urban, base_rural) in UPGRADE_RATE.items():
            speed = (lever.rollout_speedup_urban, lever.rollout_speedup_rural) if active else (1.0, 1.0)
            boosted = tuple(1.0 - (1.0 - b) ** s for b, s in zip((base_urban, base_rural), speed))
            self.claims = []
            self.learner_set.shuffle_do("rollout", q, tier, (base_urban, base_rural), boosted)
            for agent in self._settle("connectivity.rollout", q, policy.available("connectivity.rollout", q)):
                agent.connectivity = tier + 1
        if policy.available("connectivity.devices", q) > 0 and lever.device_grant_rm > 0:
            self.claims = []
            self.learner_set.shuffle_do("claim_device", q)
            for agent in self._settle("connectivity.devices", q, policy.available("connectivity.devices", q)):
                agent.computer = True
        if policy.available("connectivity.skills", q) > 0 and lever.skills_course_rm > 0:
            self.claims = []
            self.learner_set.shuffle_do("claim_skills", q)
            for agent in self._settle("connectivity.skills", q, policy.available("connectivity.skills", q)):
                agent.digital_skill = min(1.0, agent.digital_skill + lever.skills_gain)
        for agent in self.people:
            agent.community_access = False
        if active and lever.access_centres > 0:
            need = sum(a.weight for a in self.people if a.needs_access_centre())
            if need > 0:
                coverage = min(1.0, lever.access_centres * lever.persons_per_centre / need)
                self.learner_set.do("visit_access_centre", coverage)
                cost = lever.access_centres * lever.centre_cost_rm_per_year / 4.0
                covered = [a for a in self.people if a.community_access]
                served = by_state([a.state for a in covered], [a.weight for a in covered])
                policy.book("connectivity.centres", q, cost, served * cost / served.sum() if served.sum() > 0 else None)
        self._awareness_campaign(q)
        access.employer_campaign(self, q)
        access.readiness_grants(self, q)

    def _settle(self, pot: str, q: int, budget: float) -> list[LearnerAgent]:
        """Serve this round's claims (agent, cost RM, priority) within ``budget``; book the spend."""
        if not self.claims:
            return []
        agents, cost, priority = zip(*self.claims)
        cost = np.array(cost)
        served = rules.ration_by_priority(np.zeros(len(cost), np.int64), cost, np.array(priority), [budget])
        self.policy.book(pot, q, float(cost[served].sum()),
                         by_state([a.state for a in agents], cost * served))
        return [a for a, s in zip(agents, served) if s]

    def _awareness_campaign(self, q: int) -> None:
        lever = self.policy.lever("awareness")
        self.state.campaign_intensity = 0.0
        if not self.policy.active("awareness", q) or lever.intensity <= 0:
            return
        people = [a for a in self.people if a.targets["awareness_target"] and not a.aware]
        reached = sum(a.weight for a in people)
        needed = lever.intensity * lever.cost_rm_per_person_reached * reached
        available = self.policy.available("awareness", q)
        scale = 1.0 if needed <= available else available / needed
        self.state.campaign_intensity = lever.intensity * scale
        persons = by_state([a.state for a in people], [a.weight for a in people])
        self.policy.book("awareness", q, needed * scale,
                         persons * (needed * scale / persons.sum()) if persons.sum() > 0 else None)

    # ------------------------------------------------------------------ 2 employers
    def formal_persons_by_employer(self) -> np.ndarray:
        persons = np.zeros(len(self.employers))
        for agent in self.people:
            if agent.labour == FORMAL:
                persons[agent.employer] += agent.weight
        return persons

    def _sponsor(self, q: int) -> None:
        for agent in self.people:
            agent.sponsored_now = False
        if self.policy.active("levy_sponsorship", q):
            rate = np.array([e.sponsorship_rate() for e in self.employers])
            self.learner_set.shuffle_do("consider_sponsorship", q, rate)

    # ------------------------------------------------------------------ 5 choice
    def _choice(self, q: int) -> None:
        """Choice and rationing (``_enrol_chosen``), and the quarter's hazard of a first enrolment."""
        self.state.offer_demand_persons[:] = 0.0
        self.state.offer_enrolled_persons[:] = 0.0
        # Those at risk of a first enrolment this quarter: all who never enrolled, and the aware among them.
        never = [a for a in self.people if not a.ever_enrolled]
        at_risk = {"aware": [a for a in never if a.aware], "all": never}
        self._enrol_chosen(q)
        self.state.first_enrolment_hazard = {
            key: (sum(a.weight for a in group if a.ever_enrolled) / total
                  if (total := sum(a.weight for a in group)) > 0 else float("nan"))
            for key, group in at_risk.items()}

    def _enrol_chosen(self, q: int) -> None:
        """Idle learners choose; subsidies are rationed by budget and seats by capacity; the served enrol."""
        o = self.offers
        if not o.active.any():
            self.state.seat_balance = rules.open_seat_account(self.state.seat_balance, self.effective_seats(), self.mean_weight)
            return
        online_pool = np.flatnonzero(o.active & (o.mode == ONLINE))
        self.offer_pools = {s: np.concatenate([online_pool, np.flatnonzero(o.active & (o.mode != ONLINE)
                                                                           & (o.home_state == s))])
                            for s in range(len(self.data.state_shares))}
        self.choices = []
        self.learner_set.shuffle_do("choose", q, True)
        choices = self.choices
        subsidised = [c for c in choices if c[2] > 0]
        if subsidised:   # the subsidy budget, in random priority; the unserved choose again, unsubsidised
            cost = np.array([s * a.weight for a, _, s in subsidised])
            priority = np.array([self.streams["budget_priority"].draw(a.row, q) for a, _, _ in subsidised])
            served = rules.ration_by_priority(np.zeros(len(cost), np.int64), cost, priority,
                                              [self.policy.available("subsidy", q)])
            lost = {id(a) for (a, _, _), s in zip(subsidised, served) if not s}
            self.choices = [c for c in choices if id(c[0]) not in lost]
            for agent in self.learner_set.select(lambda a: id(a) in lost):
                agent.choose(q, allow_subsidy=False)
            choices = self.choices
        capacity = rules.open_seat_account(self.state.seat_balance, self.effective_seats(), self.mean_weight)
        self.state.seat_balance = capacity.copy()
        if not choices:
            return
        agents, offers, subsidies = zip(*choices)
        offers = np.array(offers)
        weight = np.array([a.weight for a in agents])
        np.add.at(self.state.offer_demand_persons, offers, weight)
        priority = np.array([self.streams["seat_priority"].draw(a.row, q) for a in agents])
        seated = rules.ration_by_priority(offers, weight, priority, capacity, overshoot=True)
        for agent, k, subsidy, w, ok in zip(agents, offers, subsidies, weight, seated):
            if not ok:
                continue
            agent.enrol(int(k), subsidy, q)
            self.state.offer_enrolled_persons[k] += w
            self.state.seat_balance[k] -= w
            if agent.sponsored_now:
                self.state.levy_trainees_by_firm_size[agent.firm_size] += w
            fee = o.fee_rm[k]
            self.policy.book("subsidy", q, subsidy * w)
            self.policy.levy_spend[q] += fee * w if agent.sponsored_now else 0.0
            self.policy.out_of_pocket[q] += 0.0 if agent.sponsored_now else (fee - subsidy) * w

    # ------------------------------------------------------------------ 6 study
    def tally(self, agent: LearnerAgent, k: int, completed: bool) -> None:
        """Count a finished enrolment (persons) by course type, accreditation and connectivity."""
        col, w = int(completed), agent.weight
        self.state.course_outcomes[self.course_type(np.array([k]))[0], col] += w
        if not self.offers.free_self_paced[k]:
            self.state.paid_outcomes_by_accreditation[int(self.offers.accredited[k]), col] += w
        if self.offers.mode[k] == ONLINE:
            self.state.online_outcomes_by_tier[agent.enrolled_connectivity, col] += w

    # ------------------------------------------------------------------ outcomes
    @property
    def learners(self) -> Learners:
        """The agents' current state as a :class:`Learners` table (rows in population order)."""
        people = self.people
        pop = {name: np.array([getattr(a, name) for a in people], dtype=dtype) for name, dtype in POPULATION_FIELDS.items()}
        state = {name: np.array([getattr(a, name) for a in people], dtype=dtype)
                 for name, (dtype, _) in STATE_FIELDS.items()}
        initially_employed = state["initially_employed"].copy()
        table = Learners(**pop, state_arrays=state)
        table.initially_employed[:] = initially_employed   # Learners() resets it from the current labour status
        return table

    @property
    def initial_labour(self) -> np.ndarray:
        return np.array([a.initial_labour for a in self.people], dtype=np.int8)


def run_reference(cfg, population=None):
    """Run the reference model for ``cfg``; returns a :class:`sim.run.RunRecord` (no time series)."""
    import pandas as pd

    from sim.model.outcomes import summarise
    from sim.run import RunRecord

    start = time.perf_counter()
    model = ReferenceModel(cfg, population)
    model.run()
    view = summary_view(model)
    return RunRecord(scenario=cfg.scenario.name, seed=int(cfg.seed), n_agents=view.learners.n,
                     persons=view.learners.persons, quarters=cfg.horizon.quarters, outcomes=summarise(view),
                     timeseries=pd.DataFrame(), wall_time_s=time.perf_counter() - start)


def summary_view(model: ReferenceModel) -> "_Frozen":
    """The model as ``sim.model.outcomes.summarise`` reads it, with the learner table gathered once."""
    return _Frozen(model, model.learners)


class _Frozen:
    """The model with its learner table gathered once (summarise reads it many times)."""

    def __init__(self, model, learners) -> None:
        self._model, self.learners, self.initial_labour = model, learners, model.initial_labour

    def __getattr__(self, name):
        return getattr(self._model, name)
