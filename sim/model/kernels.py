"""Compiled loops (numba) for the model's hot paths, each computing exactly what the numpy
code it replaces computes (same operations in the same order, IEEE double arithmetic, no
fast-math), so outputs stay byte-identical. Transcendental functions (log, exp, pow) are
left to numpy: numpy's SIMD versions and the C library's can differ in the last bit.

Compiled on first use and cached on disk beside this module (``cache=True``), so a new
process loads the machine code instead of compiling it again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 2.0**-53


@njit(cache=True, inline="always")
def keyed_bits(agent_id, counter, key):
    """SplitMix64 of one (agent, counter) under ``key``: ``sim.model.rng.KeyedStream.bits``
    for one id (``counter`` = quarter << 32 | slot << 48, all uint64; wrapping arithmetic)."""
    z = (np.uint64(agent_id) | counter) + _ONE
    z = z * _GOLDEN + key
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def keyed_uniform(agent_id, counter, key):
    """The keyed uniform in [0, 1) of one agent (top 53 bits, as ``KeyedStream.uniform``)."""
    return np.float64(keyed_bits(agent_id, counter, key) >> _S11) * _TO_UNIT


@njit(cache=True)
def uniforms(ids, counter, key, out):
    """``out[i]`` = the keyed uniform of ``ids[i]`` (int64 ids, uint64 counter and key)."""
    for i in range(ids.shape[0]):
        out[i] = keyed_uniform(ids[i], counter, key)
    return out


@njit(cache=True)
def bits(ids, counter, key, out):
    """``out[i]`` = the 64 keyed bits of ``ids[i]``."""
    for i in range(ids.shape[0]):
        out[i] = keyed_bits(ids[i], counter, key)
    return out


# --------------------------------------------------------------------------- learner choice
# The choice of idle learners (sim.model.processes.choice) in three compiled passes around
# numpy's log and exp: keyed uniforms -> [numpy: the screen's Gumbel headroom] -> learner
# part, screen, offer sampling and dropout index z -> [numpy: hazard 1 / (1 + exp(-z)) and
# the Gumbel errors of the kept] -> utilities and the logit choice. Each pass repeats the
# numpy code's operations in its order and precision (float32 where numpy computes in
# float32), so every number is the numpy path's to the bit (tests/test_kernels.py).

# Indices into the parameter vector (choice.kernel_parameters builds it in this order).
(P_ASC, P_PROPENSITY_SD, P_AGE, P_PRIOR, P_UNAWARE, P_SPONSOR_PUSH, P_LIQ_B40, P_LIQ_OTHER,
 P_MONEY_WEIGHT, P_PRESENT_BIAS, P_RENT_SHARE, P_QUALIFICATION_GAIN, P_GAMMA_PEER, P_THETA_TIME,
 P_THETA_ONLINE, P_THETA_TRAVEL, P_THETA_CREDIT, P_DROP_BASE, P_DROP_FREE, P_DROP_ONLINE_MOBILE,
 P_DROP_LOW_SKILL, P_DROP_WORKING, P_DROP_READINESS, P_DROP_LATER, P_CREDITS_PER_QUALIFICATION,
 P_STACKABLE_SHARE, P_LEAVE_SHARE, P_SUBSIDY_ON, P_ACCREDITED_ONLY, P_SUBSIDY_RATE, P_SUBSIDY_CAP,
 P_BEST_GAIN, P_BEST_STACK, P_SCREEN, P_MARGIN, N_PARAMETERS) = range(36)

_FORMAL, _INFORMAL, _OUTSIDE = 0, 1, 3
_ONLINE, _BLENDED, _IN_PERSON = 0, 1, 2
_B40 = 0


@njit(cache=True)
def choice_uniforms(ids, quarter, key, out):
    """``out[i, j]`` = the "choice" stream's uniform of learner ``ids[i]``, slot ``j`` (0 = the
    outside option, 1..K = the sampled offers)."""
    base = np.uint64(quarter) << np.uint64(32)
    for j in range(out.shape[1]):
        c = base | (np.uint64(j) << np.uint64(48))
        for i in range(ids.shape[0]):
            out[i, j] = keyed_uniform(ids[i], c, key)
    return out


@njit(cache=True)
def choice_screen(ids, headroom, money_scale, par, quarter, sampling_key, n_sampled,
                  education, education_taste, pv_table, propensity, age, completions, aware, sponsored,
                  labour, wage, potential_wage, income_group, household_income, state, connectivity,
                  digital_skill, pool, pool_start, pool_size, free, mode, readiness,
                  keep, sampled, z, taste_out, working_out, ref_out, pv_out, liquidity_out, income_out):
    """The screen of choice._may_enrol, then for the kept: offers sampled as
    choice._sample_offers and the dropout index of rules.dropout_hazard per sampled offer
    (``z``; the hazard is 1 / (1 + exp(-z)), taken by numpy). Fills the outputs row by row;
    returns the number kept."""
    kept = 0
    base = np.uint64(quarter) << np.uint64(32)
    for i in range(ids.shape[0]):
        l = ids[i]
        # choice._learner_part: rules.learner_taste (+ the sponsor's push),
        # working_and_reference_wage, learner_present_value and the liquidity share
        lab = labour[l]
        working = lab == _FORMAL or lab == _INFORMAL
        ref = np.float64(potential_wage[l])
        if working:
            ref = np.float64(wage[l])
        elif lab == _OUTSIDE:
            ref = 0.5 * ref
        a = np.float64(age[l])
        taste = (par[P_ASC] + education_taste[education[l]]) + par[P_PROPENSITY_SD] * np.float64(propensity[l])
        taste = taste + par[P_AGE] * (a - 40.0) / 10.0
        taste = taste + par[P_PRIOR] * (1.0 if completions[l] > 0 else 0.0)
        taste = taste - par[P_UNAWARE] * (0.0 if aware[l] else 1.0)
        taste = taste + par[P_SPONSOR_PUSH] * (1.0 if sponsored[l] else 0.0)
        left = min(max(4 * (65 - np.int64(age[l])), 0), pv_table.shape[0] - 1)
        pv = pv_table[left]
        liquidity = par[P_LIQ_B40] if income_group[l] == _B40 else par[P_LIQ_OTHER]
        if par[P_SCREEN] > 0:
            credential = par[P_PRESENT_BIAS] * pv * par[P_BEST_GAIN] * ref * par[P_RENT_SHARE] * 1.0 * 1.0
            share = min(1.0, par[P_BEST_STACK] / par[P_CREDITS_PER_QUALIFICATION])
            stacking = par[P_PRESENT_BIAS] * pv * par[P_QUALIFICATION_GAIN] * ref * share * 1.0
            bound = (taste + par[P_MONEY_WEIGHT] * (credential + stacking) / money_scale[i]
                     + max(0.0, par[P_GAMMA_PEER]))
            keep[i] = headroom[i] <= bound + par[P_MARGIN]
        else:
            keep[i] = True
        if not keep[i]:
            continue
        kept += 1
        taste_out[i], working_out[i], ref_out[i], pv_out[i] = taste, working, ref, pv
        liquidity_out[i], income_out[i] = liquidity, np.float64(household_income[l])
        s = state[l]
        size = pool_size[s]
        mobile_only = connectivity[l] == 1
        skill = np.float64(digital_skill[l])
        for j in range(n_sampled):
            if size == 0:
                sampled[i, j] = -1
                continue
            u = keyed_uniform(l, base | (np.uint64(j) << np.uint64(48)), sampling_key)
            k = pool[pool_start[s] + min(np.int64(u * size), size - 1)]
            sampled[i, j] = k
            online = mode[k] == _ONLINE
            zz = par[P_DROP_BASE] + par[P_DROP_FREE] * (1.0 if free[k] else 0.0)
            zz = zz + par[P_DROP_ONLINE_MOBILE] * (1.0 if (online and mobile_only) else 0.0)
            zz = zz + par[P_DROP_LOW_SKILL] * (1.0 if online else 0.0) * (1.0 - skill)
            zz = zz + par[P_DROP_WORKING] * (1.0 if working else 0.0)
            z[i, j] = zz - par[P_DROP_READINESS] * readiness[k]
    return kept


@njit(cache=True)
def choice_utilities(rows, ids, sampled, h1, gumbel, taste, working, ref_wage, pv, liquidity, income,
                     money_scale, par, allow_subsidy, sponsored, subsidy_target, subsidy_received,
                     connectivity, computer, digital_skill, community, rural, employer, state, sector,
                     peers, ever_enrolled, trust_accredited, trust_other,
                     fee, mode, accredited, stackable_draw, duration, credits, wage_gain,
                     choice, subsidy_out, total_out):
    """Utilities of the sampled offers and the logit choice (choice._choose) for the rows
    ``r = rows[c]`` of the candidate arrays (``h1``, ``gumbel`` and ``total_out`` are indexed
    by ``c``): ``choice[r]`` the column chosen or -1, ``subsidy_out[r]`` the subsidy (RM per
    person) of the chosen offer; ``total_out[c, :]`` the utility plus Gumbel error of the
    outside option and each offer (-inf when infeasible)."""
    n_sampled = sampled.shape[1]
    f32_half = np.float32(0.5)
    theta_time32 = np.float32(par[P_THETA_TIME])
    hours32 = np.float32(40.0)
    gamma32 = np.float32(par[P_GAMMA_PEER])
    degree = peers.shape[1]
    subsidise = allow_subsidy and par[P_SUBSIDY_ON] > 0
    for c in range(rows.shape[0]):
        r = rows[c]
        l = ids[r]
        spons = sponsored[l]
        conn = connectivity[l]
        comm = community[l]
        skill32 = digital_skill[l]
        skill = np.float64(skill32)
        if conn == 2:
            access = 1.0 if computer[l] else 0.6
        elif conn == 1:
            access = 0.6 if computer[l] else 0.35
        else:
            access = 0.0
        access = max(access, 0.5 * (1.0 if comm else 0.0))
        access = access * np.float64(f32_half + f32_half * skill32)
        can_go_online = conn > 0 or comm
        e = employer[l]
        if e < 0:
            e = ((np.int64(state[l]) * 4 + np.int64(sector[l])) * 4 + 0) * 2 + 0
        count = np.float32(0.0)
        for d in range(degree):
            if ever_enrolled[peers[l, d]]:
                count += np.float32(1.0)
        peer = np.float32(np.float64(count) / np.float64(degree))
        peer_term = np.float64(gamma32 * peer)
        room = max(0.0, par[P_SUBSIDY_CAP] - np.float64(subsidy_received[l]))
        eligible_learner = subsidise and subsidy_target[l] and not spons
        wk = 1.0 if working[r] else 0.0
        vot = ref_wage[r] / 173.0 * (1.0 if working[r] else 0.3)
        leave = 1.0 - par[P_LEAVE_SHARE] * wk
        best, best_col = gumbel[c, 0], -1
        total_out[c, 0] = best
        chosen_subsidy = 0.0
        for j in range(n_sampled):
            k = sampled[r, j]
            kk = max(k, 0)
            online = mode[kk] == _ONLINE
            acc = accredited[kk]
            sub = 0.0
            if eligible_learner and (acc or par[P_ACCREDITED_ONLY] == 0):
                sub = min(par[P_SUBSIDY_RATE] * fee[kk], room)
            net_fee = 0.0 if spons else fee[kk] - sub
            hz = h1[c, j]
            later = min(1.0, par[P_DROP_LATER] * hz)
            left = duration[kk] - 1      # quarters after the first: pow(x, 0) = 1, pow(x, 1) = x exactly
            stay = 1.0 if left == 0 else ((1.0 - later) if left == 1 else (1.0 - later) ** np.float64(left))
            p_complete = (1.0 - hz) * stay
            recognition = trust_accredited[e] if acc else trust_other[e]
            stackable = acc and stackable_draw[kk] < par[P_STACKABLE_SHARE]
            benefit = (par[P_PRESENT_BIAS] * pv[r] * wage_gain[kk] * ref_wage[r] * par[P_RENT_SHARE]
                       * p_complete * recognition)
            stack = 0.0
            if stackable:
                share = min(1.0, np.float64(credits[kk]) / par[P_CREDITS_PER_QUALIFICATION])
                stack = par[P_PRESENT_BIAS] * pv[r] * par[P_QUALIFICATION_GAIN] * ref_wage[r] * share * p_complete
            benefit = benefit + stack
            time_cost = np.float64(theta_time32 * credits[kk] * hours32) * vot * leave
            if mode[kk] == _IN_PERSON:
                travel = (1.0 if rural[l] else 0.0) * 1.0
            elif mode[kk] == _BLENDED:
                travel = (1.0 if rural[l] else 0.0) * 0.5
            else:
                travel = (1.0 if rural[l] else 0.0) * 0.0
            burden = max(net_fee, 0.0) / (liquidity[r] * income[r])
            credit = par[P_THETA_CREDIT] * burden * burden
            u = (taste[r] + par[P_MONEY_WEIGHT] * ((benefit - net_fee) - time_cost) / money_scale[r]
                 - credit - par[P_THETA_ONLINE] * (1.0 if online else 0.0) * (1.0 - access)
                 - par[P_THETA_TRAVEL] * travel + peer_term)
            if not (k >= 0 and (not online or can_go_online)):
                u = -np.inf
            t = u + gumbel[c, j + 1]
            total_out[c, j + 1] = t
            if t > best:
                best, best_col, chosen_subsidy = t, j, sub
        choice[r] = best_col
        subsidy_out[r] = chosen_subsidy
