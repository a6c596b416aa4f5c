"""A learner as a Mesa agent: its attributes are plain Python values and each process of
the quarter is a method acting on this one person. The formulas are those of ``sim.model.rules``;
draws come from the model's keyed streams with this learner's row number as the key, so a
learner draws the same numbers here as in the fast implementation."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import rules
from sim.model.domain import (
    B40, FORMAL, INFORMAL, MOBILE_ONLY, NO_CONNECTION, ONLINE, OUTSIDE, UNEMPLOYED, employer_index,
)
from sim.model.agents.learners import POPULATION_FIELDS, STATE_FIELDS
from sim.model.outcomes import LEARNER_OUTCOME_FIELDS
from sim.model.population import sample_employer
from sim.model.processes import demography
from sim.model.processes.labour import INFORMAL_WAGE_FACTOR
from sim.model.rng import to_gumbel
from sim.model.targeting import person_targets, uses_age




class LearnerAgent(mesa.Agent):
    """One agent standing for ``weight`` persons. ``row`` is its position in the population
    (the key of its random draws); ``peers`` are the agents it hears from."""

    def __init__(self, model, row: int, attributes: dict, targets: dict) -> None:
        super().__init__(model)
        self.row = row
        for name, value in attributes.items():
            setattr(self, name, value)
        self.targets = targets                 # lever name -> bool
        self.peers: list[LearnerAgent] = []
        self.community_access = False
        self.sponsored_now = False
        self.found_job = False
        self.initial_labour = self.labour

    def draw(self, stream: str, q: int, slot: int = 0) -> float:
        return self.model.streams[stream].draw(self.row, q, slot)

    # ------------------------------------------------------------------ 1 policy
    def rollout(self, q: int, tier: int, base: tuple, boosted: tuple) -> None:
        """Connection upgrade from ``tier``; upgrades beyond the status quo claim the budget."""
        if self.connectivity != tier:
            return
        u = self.draw("rollout", q, tier)
        if u < base[self.rural]:
            self.connectivity = tier + 1
        elif self.targets["rollout_target"] and u < boosted[self.rural]:
            self.model.claims.append((self, self.model.policy.lever("connectivity").cost_rm_per_connection * self.weight, u))

    def claim_device(self, q: int) -> None:
        if self.connectivity >= MOBILE_ONLY and not self.computer and self.targets["device_target"]:
            cost = self.model.policy.lever("connectivity").device_grant_rm * self.weight
            self.model.claims.append((self, cost, self.draw("devices", q)))

    def claim_skills(self, q: int) -> None:
        if self.digital_skill < 0.5 and self.targets["skills_target"]:
            cost = self.model.policy.lever("connectivity").skills_course_rm * self.weight
            self.model.claims.append((self, cost, self.draw("skills", q)))

    def needs_access_centre(self) -> bool:
        return self.rural and (self.connectivity == NO_CONNECTION or not self.computer)

    def visit_access_centre(self, coverage: float) -> None:
        if self.needs_access_centre():
            self.community_access = self.draw("centres", 0) < coverage

    # ------------------------------------------------------------------ 2 sponsorship
    def consider_sponsorship(self, q: int, rate: np.ndarray) -> None:
        if self.labour == FORMAL and self.levy_registered and self.offer < 0:
            self.sponsored_now = self.draw("sponsorship", q) < rate[self.employer]

    # ------------------------------------------------------------------ 4 awareness
    def peer_share(self) -> np.float32:
        """Share of peers who ever enrolled (``rules.peer_share`` for one learner; float32 like it)."""
        return np.float32(sum(peer.ever_enrolled for peer in self.peers)) / np.float32(len(self.peers))

    def become_aware(self, q: int) -> None:
        m = self.model
        if not self.aware:
            campaign = m.state.campaign_intensity if self.targets["awareness_target"] else 0.0
            p = rules.awareness_probability(m.bass_p_quarter, m.bass_q_quarter, m.cfg.behaviour.campaign_effect,
                                            campaign, self.peer_share())
            self.aware = bool(self.draw("awareness", q) < p)
        if self.sponsored_now:
            self.aware = True

    # ------------------------------------------------------------------ 5 choice
    def sample_offers(self, q: int) -> list[int]:
        pool = self.model.offer_pools[self.state]
        if len(pool) == 0:
            return []
        return [int(pool[min(int(self.draw("offer_sampling", q, j) * len(pool)), len(pool) - 1)])
                for j in range(self.model.cfg.behaviour.offers_sampled)]

    def reference_wage(self) -> float:
        """Monthly wage (RM) a credential would raise (``rules.reference_wage`` for one learner)."""
        return float(rules.working_and_reference_wage(self.labour, self.wage_rm, self.potential_wage_rm)[1])

    def taste(self) -> float:
        """This learner's own part of the utility of enrolling, whatever the offer
        (``rules.learner_taste``), plus the push of an employer's sponsorship offer."""
        m, beh = self.model, self.model.cfg.behaviour
        return float(rules.learner_taste(beh, m.education_taste[self.education],
                                         beh.propensity_sd * float(self.learning_propensity), self.age,
                                         self.completions > 0, self.aware)
                     + beh.sponsor_push * self.sponsored_now)

    def choose(self, q: int, allow_subsidy: bool) -> None:
        """Compare the sampled offers with not enrolling; a choice is a claim on a seat (and
        on the subsidy budget), settled by the model. Every idle learner chooses: not knowing
        micro-credentials only lowers the taste (knowing is not intending)."""
        if not allow_subsidy:
            sampled = self.sampled
        else:
            if self.offer >= 0:
                return
            sampled = self.sampled = self.sample_offers(q)
        if not sampled:
            return
        m, beh, o = self.model, self.model.cfg.behaviour, self.model.offers
        k = np.array(sampled)
        fee = o.fee_rm[k]
        online = o.mode[k] == ONLINE
        accredited = o.accredited[k]
        subsidy = np.zeros(len(k))
        if allow_subsidy and m.policy.active("subsidy", q) and self.targets["subsidy_target"] and not self.sponsored_now:
            lever = m.policy.lever("subsidy")
            room = max(0.0, lever.cap_rm - float(self.subsidy_rm))
            eligible = accredited if lever.accredited_only else np.ones(len(k), dtype=bool)
            subsidy = np.where(eligible, rules.subsidy_rm(lever.rate, fee, room), 0.0)
        net_fee = np.zeros(len(k)) if self.sponsored_now else fee - subsidy
        working = self.labour in (FORMAL, INFORMAL)
        ref_wage = self.reference_wage()
        income = float(self.household_income_rm)
        liquidity = beh.liquidity_share_b40 if self.income_group == B40 else beh.liquidity_share_other
        pv_months = rules.learner_present_value(m.pv_table, self.age)   # a gain counts until 65
        feasible = ~online | (self.connectivity > 0 or self.community_access)
        h1 = rules.dropout_hazard(beh, o.free_self_paced[k], online, self.connectivity == MOBILE_ONLY,
                                  float(self.digital_skill), working, o.readiness[k])
        p_complete = rules.expected_completion(h1, beh.dropout_later_factor, o.duration_q[k])
        judge = self.observing_employer()
        recognition = np.where(accredited, m.state.trust_accredited[judge], m.state.trust_other[judge])
        credits = o.credits[k]
        stackable = accredited & (o.stackable_draw[k] < m.state.stackable_share)
        benefit = rules.course_benefit(beh, pv_months, o.wage_gain[k], ref_wage, p_complete, recognition,
                                       stackable, credits, m.policy.lever("recognition").credits_per_qualification)
        time_cost = rules.study_time_cost(beh, credits, ref_wage, working)
        access = rules.digital_access(self.connectivity, self.computer, self.digital_skill, self.community_access)
        travel = rules.travel_burden(self.rural, o.mode[k])
        utility = rules.offer_utility(
            beh, taste=self.taste(), net_benefit_rm=benefit - net_fee - time_cost,
            money_scale_rm=float(rules.money_scale(income, beh.money_income_elasticity)),
            credit=rules.credit_cost(beh.theta_credit, net_fee, liquidity, income), online=online, access=access,
            travel=travel, peer_share=float(self.peer_share()))
        utility = np.where(feasible, utility, -np.inf)
        gumbel = to_gumbel(np.array([m.streams["choice"].draw(self.row, q, j) for j in range(len(k) + 1)]))
        column = int(rules.logit_choice(utility[None, :], gumbel[None, :])[0])
        if column >= 0:
            m.choices.append((self, int(k[column]), float(subsidy[column])))

    def enrol(self, offer: int, subsidy: float, q: int) -> None:
        o = self.model.offers
        self.offer = offer
        self.quarters_left = int(o.duration_q[offer])
        self.enrolled_quarter = q
        if not self.ever_enrolled:
            self.first_enrolled_quarter = q
        self.ever_enrolled = True
        self.aware = True            # enrolling in one, they know micro-credentials now
        self.enrolments = min(self.enrolments + 1, 127)
        self.online_enrolments = min(self.online_enrolments + int(o.mode[offer] == ONLINE), 127)
        self.current_subsidy_rm = subsidy
        self.subsidy_rm += subsidy
        self.ever_subsidised = self.ever_subsidised or subsidy > 0
        self.sponsored = self.sponsored_now
        self.enrolled_connectivity = self.connectivity

    # ------------------------------------------------------------------ 6 study
    def study(self, q: int) -> None:
        if self.offer < 0:
            return
        m, beh, o, k = self.model, self.model.cfg.behaviour, self.model.offers, self.offer
        online = o.mode[k] == ONLINE
        h1 = rules.dropout_hazard(beh, o.free_self_paced[k], online, self.connectivity == MOBILE_ONLY,
                                  float(self.digital_skill), self.labour in (FORMAL, INFORMAL), o.readiness[k])
        hazard = h1 if self.enrolled_quarter == q else min(1.0, beh.dropout_later_factor * h1)
        if self.draw("dropout", q) < hazard:
            m.tally(self, k, completed=False)
            self.offer, self.quarters_left = -1, 0
            return
        self.quarters_left -= 1
        if self.quarters_left > 0:
            return
        m.tally(self, k, completed=True)
        self.offer = -1
        if self.completions == 0:
            self.first_completed_quarter = q
        self.completions = min(self.completions + 1, 127)
        self.credentials = min(self.credentials + 1, 127)
        self.credits += float(o.credits[k])
        accredited = bool(o.accredited[k])
        self.accredited_credentials = min(self.accredited_credentials + accredited, 127)
        if accredited and o.stackable_draw[k] < m.state.stackable_share:
            self.stackable_credits += float(o.credits[k])
        before = self.qualifications
        self.qualifications = int(self.stackable_credits // m.policy.lever("recognition").credits_per_qualification)
        if self.qualifications > before:   # new MQF awards by stacking
            m.qualification_awards.append((self, self.qualifications - before))
        m.completers.append((self, k))

    # ------------------------------------------------------------------ 7 labour market
    def observing_employer(self) -> int:
        if self.employer >= 0:
            return self.employer
        return int(employer_index(int(self.state), int(self.sector), 0, 0))

    def add_wage_gain(self, gain_rm: float) -> None:
        """Raise the wage gain this learner will earn by ``gain_rm`` (RM/month), ramping in
        linearly over ``wage_ramp_quarters`` (the ramp learners expect: rules.present_value_table)."""
        self.wage_gain_target_rm += gain_rm
        self.wage_gain_ramp_rm += gain_rm / self.model.cfg.behaviour.wage_ramp_quarters

    def receive_qualifications(self, awards: int) -> None:
        """An MQF award completed by stacking carries a qualification's wage return
        (recognised for certain: it is a qualification on the MQF)."""
        self.add_wage_gain(self.model.cfg.behaviour.qualification_wage_gain * awards * self.reference_wage())

    def show_credential(self, k: int, q: int) -> None:
        """The judging employer recognises the new credential with probability = its trust
        (the gain is paid on the reference wage the learner valued the course on), and
        observes the credential's value added plus noise against its benchmark."""
        m, o, market, beh = self.model, self.model.offers, self.model.cfg.market, self.model.cfg.behaviour
        accredited = bool(o.accredited[k])
        judge = self.observing_employer()
        trust = m.state.trust_accredited[judge] if accredited else m.state.trust_other[judge]
        if self.draw("recognition", q) < trust:
            self.recognised_credentials = min(self.recognised_credentials + 1, 127)
            self.add_wage_gain(float(o.wage_gain[k]) * beh.rent_share * self.reference_wage())
        productivity = (o.value_added[k]
                        + market.productivity_noise_sd * float(m.streams["productivity"].normal(np.array([self.row]), q)[0]))
        column = (0 if accredited else 2) + (0 if productivity > market.productivity_benchmark else 1)
        evidence = self.weight / market.evidence_persons_per_observation
        m.employers[judge].pending[column] += evidence * m.state.evidence_attention if accredited else evidence

    def seek_job(self, q: int) -> None:
        beh = self.model.cfg.behaviour
        self.found_job = False
        self.labour_at_flows = self.labour
        if self.labour != UNEMPLOYED:
            return
        p_find = beh.job_finding_quarter * (1 + beh.credential_job_finding_boost * (self.recognised_credentials > 0))
        if self.draw("labour", q, 0) < p_find:
            self.found_job = True
            self.take_job(q, formal=self.draw("labour", q, 1) < beh.formal_share_of_new_jobs)

    def formalise(self, q: int) -> None:
        beh = self.model.cfg.behaviour
        if self.labour == INFORMAL:
            p_move = beh.informal_to_formal_quarter * (1 + beh.credential_formalisation_boost
                                                       * (self.recognised_credentials > 0))
            if self.draw("labour", q, 2) < p_move:
                self.take_job(q, formal=True)

    def informalise(self, q: int) -> None:
        """Formal -> informal work (only those formal at the start of the quarter's flows)."""
        if self.labour_at_flows == FORMAL and self.labour == FORMAL:
            if self.draw("labour", q, 4) < self.model.cfg.behaviour.formal_to_informal_quarter:
                self.take_job(q, formal=False)

    def separate(self, q: int) -> None:
        if self.labour <= INFORMAL and not self.found_job:
            if self.draw("labour", q, 3) < self.model.cfg.behaviour.separation_quarter:
                self.labour, self.wage_rm, self.employer = UNEMPLOYED, 0.0, -1

    def take_job(self, q: int, formal: bool) -> None:
        if formal:
            size, levy, employer = sample_employer(np.array([self.state]), np.array([self.sector]),
                                                   np.array([self.draw("employer_assignment", q, 0)]),
                                                   np.array([self.draw("employer_assignment", q, 1)]), self.model.data)
            self.firm_size, self.levy_registered, self.employer = int(size[0]), bool(levy[0]), int(employer[0])
            self.labour, self.wage_rm = FORMAL, self.potential_wage_rm
        else:
            self.labour, self.employer = INFORMAL, -1
            self.wage_rm = self.potential_wage_rm * INFORMAL_WAGE_FACTOR

    def ramp_wage(self) -> None:
        """Recognised wage gains ramp in linearly (a constant step per quarter) while the
        learner works; the step ends when the gain is reached."""
        if self.wage_gain_target_rm > self.wage_gain_rm and self.labour <= INFORMAL:
            self.wage_gain_rm = float(rules.ramped_wage_gain(np.float32(self.wage_gain_rm),
                                                             np.float32(self.wage_gain_target_rm),
                                                             np.float32(self.wage_gain_ramp_rm)))
        if self.wage_gain_rm >= self.wage_gain_target_rm:
            self.wage_gain_ramp_rm = 0.0


    # ------------------------------------------------------------------ 8 demography
    def birthday(self, q: int) -> None:
        """At the end of the birthday quarter: a year older; a new age band may move the
        person into or out of the labour force; at 65 the row passes to an entrant."""
        if q % 4 != self.birthday_quarter:
            return
        self.age += 1
        if self.age in demography.BAND_STARTS:
            band = np.array([int(np.searchsorted(demography.BAND_STARTS, self.age, side="right"))])
            u = np.array([self.draw(demography.STREAM, q, demography.LIFE_COURSE_SLOT)])
            leave, join = demography.participation_change(self.model.data, np.array([self.female]),
                                                          np.array([self.education]), band,
                                                          np.array([self.labour != OUTSIDE]), u)
            if leave[0] or join[0]:
                self.labour = OUTSIDE if leave[0] else UNEMPLOYED
                self.wage_rm, self.employer = 0.0, -1
            if join[0]:
                status = demography.joining_status(
                    self.model.data, band, np.array([self.education]), np.array([self.rural]),
                    np.array([self.draw(demography.STREAM, q, demography.UNEMPLOYED_SLOT)]),
                    np.array([self.draw(demography.STREAM, q, demography.INFORMAL_SLOT)]))[0]
                if status != UNEMPLOYED:
                    self.take_job(q, formal=status == FORMAL)
            aged = {name: groups for name, groups in self.model.targeting.items() if uses_age(groups)}
            self.targets.update(person_targets(self, aged))     # age-band targeting follows the person
        if self.age >= demography.EXIT_AGE:
            self.enter(q)

    def enter(self, q: int) -> None:
        """This row's new person: a clone of a young donor with the initial learning state."""
        m, pool = self.model, self.model.donors
        record = {name: np.array([getattr(self, name)], dtype=STATE_FIELDS[name][0] if name in STATE_FIELDS
                                 else POPULATION_FIELDS[name]) for name in LEARNER_OUTCOME_FIELDS}
        record["initial_labour"] = np.array([self.initial_labour], dtype=np.int8)
        m.departed.append(record)       # the leaver's outcomes still count (sim.model.outcomes.person_records)
        d = int(demography.pick_donors(m.streams[demography.STREAM], np.array([self.row]), q, pool.n)[0])
        for name in demography.INHERITED:
            setattr(self, name, pool.attributes[name][d].item())
        self.age = demography.ENTRY_AGE
        for name, (_, initial) in STATE_FIELDS.items():
            setattr(self, name, initial)
        self.aware = self.draw(demography.STREAM, q, demography.AWARENESS_SLOT) < m.cfg.behaviour.initial_awareness
        self.initially_employed = self.labour <= INFORMAL
        self.initial_labour = self.labour
        self.targets = {name: bool(mask[d]) for name, mask in pool.masks.items()}
        self.community_access = self.sponsored_now = self.found_job = False
