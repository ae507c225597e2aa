//! Named signalling terms shared by the Pivonka-lineage models (Pivonka et al. 2008, Bone 43:249).
//!
//! Ligand concentrations (TGF-beta, PTH, OPG, RANKL) are quasi-steady: their binding and decay are
//! fast (minutes to hours) compared with cell turnover (days), so each is an algebraic function of
//! the cell populations. Every function here is pure. Equation forms: `docs/model.md`.

/// Activator Hill term of order 1, `x / (x + k)`.
#[inline]
pub fn act(x: f64, k: f64) -> f64 {
    x / (x + k)
}

/// Repressor Hill term of order 1, `k / (x + k)`.
#[inline]
pub fn rep(x: f64, k: f64) -> f64 {
    k / (x + k)
}

/// Parameters of the Pivonka 2008 signalling network (units in `params/models/pivonka2008.toml`).
#[derive(Debug, Clone, Copy)]
pub struct SignalParams {
    /// TGF-beta stored in bone matrix per unit resorbed, alpha (pM/%).
    pub alpha_tgfb: f64,
    /// Resorption rate per osteoclast, k_res (%/(pM day)).
    pub k_res: f64,
    /// TGF-beta degradation, D_TGFb (1/day).
    pub d_tgfb: f64,
    /// TGF-beta activation of OBu differentiation, K_D1 (pM).
    pub k_tgfb_act_obu: f64,
    /// TGF-beta repression of OBp differentiation, K_D2 (pM).
    pub k_tgfb_rep_obp: f64,
    /// TGF-beta activation of OCa apoptosis, K_D3 (pM).
    pub k_tgfb_act_oca: f64,
    /// Endogenous PTH production, beta_PTH (pM/day).
    pub beta_pth: f64,
    /// PTH degradation, D_PTH (1/day).
    pub d_pth: f64,
    /// PTH activation of RANKL expression, K_D4 (pM).
    pub k_pth_act: f64,
    /// PTH repression of OPG expression, K_D7 (pM).
    pub k_pth_rep: f64,
    /// OPG production per active osteoblast, beta_OPG (1/day).
    pub beta_opg: f64,
    /// Maximal OPG concentration, OPG_max (pM).
    pub opg_max: f64,
    /// OPG degradation, D_OPG (1/day).
    pub d_opg: f64,
    /// Maximal RANKL per osteoblast precursor, R_RANKL (pM/pM).
    pub r_rankl: f64,
    /// RANKL production, beta_RANKL (pM/day).
    pub beta_rankl: f64,
    /// RANKL degradation, D_RANKL (1/day).
    pub d_rankl: f64,
    /// RANKL-OPG association constant, K_A1 (1/pM).
    pub ka_opg: f64,
    /// RANKL-RANK association constant, K_A2 (1/pM).
    pub ka_rank: f64,
    /// RANK concentration (fixed), RANK (pM).
    pub rank: f64,
    /// RANKL-RANK activation of OC differentiation, K_D8 (pM).
    pub k_rank_act: f64,
}

/// Additive sources and production factors acting on the ligands.
#[derive(Debug, Clone, Copy)]
pub struct LigandInputs {
    /// External PTH, P_PTH,d (pM/day).
    pub pth_source: f64,
    /// External TGF-beta, P_TGFb,d (pM/day).
    pub tgfb_source: f64,
    /// External OPG, P_OPG,d (pM/day).
    pub opg_source: f64,
    /// External RANKL, P_RANKL,d (pM/day).
    pub rankl_source: f64,
    /// Factor on RANKL production by the osteoblast lineage (1 = healthy): scales both the
    /// expression capacity R_RANKL and the production rate beta_RANKL, so free RANKL scales
    /// linearly with it (a factor on beta_RANKL alone saturates near 2.9-fold).
    pub rankl_production: f64,
    /// Factor on OPG production per osteoblast beta_OPG (1 = healthy).
    pub opg_production: f64,
    /// Extra RANKL binding partner (an anti-RANKL antibody), K_A [Ab] in the binding
    /// denominator (0 = none).
    pub rankl_decoy: f64,
}

impl LigandInputs {
    /// No external sources, production at its healthy rate.
    pub const NEUTRAL: LigandInputs = LigandInputs {
        pth_source: 0.0,
        tgfb_source: 0.0,
        opg_source: 0.0,
        rankl_source: 0.0,
        rankl_production: 1.0,
        opg_production: 1.0,
        rankl_decoy: 0.0,
    };
}

/// The quasi-steady signalling state for given cell populations.
#[derive(Debug, Clone, Copy)]
pub struct Signals {
    /// Active TGF-beta (pM).
    pub tgfb: f64,
    /// PTH (pM).
    pub pth: f64,
    /// OPG (pM).
    pub opg: f64,
    /// Free RANKL (pM).
    pub rankl: f64,
    /// TGF-beta activation of OBu -> OBp.
    pub pi_tgfb_act_obu: f64,
    /// TGF-beta repression of OBp -> OBa.
    pub pi_tgfb_rep_obp: f64,
    /// TGF-beta activation of OCa apoptosis.
    pub pi_tgfb_act_oca: f64,
    /// RANKL-RANK activation of osteoclast differentiation.
    pub pi_rankl_act_ocp: f64,
}

/// Active TGF-beta (pM), released from the matrix by resorption (Pivonka 2008).
#[inline]
pub fn tgfb(p: &SignalParams, u: &LigandInputs, oca: f64) -> f64 {
    (p.alpha_tgfb * p.k_res * oca + u.tgfb_source) / p.d_tgfb
}

/// PTH (pM) with an extra source (pM/day): production over clearance.
#[inline]
pub fn pth(p: &SignalParams, source: f64) -> f64 {
    (p.beta_pth + source) / p.d_pth
}

/// Computes TGF-beta, PTH, OPG, RANKL and the receptor occupancies (Pivonka 2008, eqs. for the
/// ligands; see `docs/model.md`).
#[inline]
pub fn signals(p: &SignalParams, u: &LigandInputs, obp: f64, oba: f64, oca: f64) -> Signals {
    let tgfb = tgfb(p, u, oca);
    // PTH: endogenous secretion plus dosing, first-order decay.
    let pth = pth(p, u.pth_source);
    let pi_pth_act = act(pth, p.k_pth_act);
    let pi_pth_rep = rep(pth, p.k_pth_rep);
    // OPG from active osteoblasts, PTH-repressed, saturating at OPG_max.
    let opg_production = u.opg_production * p.beta_opg * oba * pi_pth_rep;
    let opg = (opg_production + u.opg_source) * p.opg_max / (opg_production + p.d_opg * p.opg_max);
    // RANKL on osteoblast precursors, PTH-activated; competitive binding to OPG and RANK.
    let rankl_eff = u.rankl_production * p.r_rankl * obp * pi_pth_act;
    let rankl_production = u.rankl_production * p.beta_rankl;
    let rankl = rankl_eff / (1.0 + p.ka_opg * opg + p.ka_rank * p.rank + u.rankl_decoy)
        * (rankl_production + u.rankl_source)
        / (rankl_production + p.d_rankl * rankl_eff);
    let rankl_rank = p.ka_rank * rankl * p.rank;
    Signals {
        tgfb,
        pth,
        opg,
        rankl,
        pi_tgfb_act_obu: act(tgfb, p.k_tgfb_act_obu),
        pi_tgfb_rep_obp: rep(tgfb, p.k_tgfb_rep_obp),
        pi_tgfb_act_oca: act(tgfb, p.k_tgfb_act_oca),
        pi_rankl_act_ocp: act(rankl_rank, p.k_rank_act),
    }
}

/// The Pivonka signalling parameters, read from a parameter set by their dotted names.
pub fn signal_params(p: &impl crate::params::ParamValues) -> SignalParams {
    SignalParams {
        alpha_tgfb: p.value("tgfb.alpha"),
        k_res: p.value("tgfb.k_res"),
        d_tgfb: p.value("tgfb.D_TGFb"),
        k_tgfb_act_obu: p.value("tgfb.K_D1"),
        k_tgfb_rep_obp: p.value("tgfb.K_D2"),
        k_tgfb_act_oca: p.value("tgfb.K_D3"),
        beta_pth: p.value("pth.beta_PTH"),
        d_pth: p.value("pth.D_PTH"),
        k_pth_act: p.value("pth.K_D4"),
        k_pth_rep: p.value("pth.K_D7"),
        beta_opg: p.value("opg.beta_OPG"),
        opg_max: p.value("opg.OPG_max"),
        d_opg: p.value("opg.D_OPG"),
        r_rankl: p.value("rankl.R_RANKL"),
        beta_rankl: p.value("rankl.beta_RANKL"),
        d_rankl: p.value("rankl.D_RANKL"),
        ka_opg: p.value("rankl.K_A1"),
        ka_rank: p.value("rankl.K_A2"),
        rank: p.value("rankl.RANK"),
        k_rank_act: p.value("rankl.K_D8"),
    }
}

/// The parameters [`signal_params`] reads, with their units.
pub const SIGNAL_PARAMS: [crate::model::ParamSpec; 20] = {
    use crate::model::param;
    [
        param("tgfb.alpha", "pM/%"),
        param("tgfb.k_res", "%/(pM day)"),
        param("tgfb.D_TGFb", "1/day"),
        param("tgfb.K_D1", "pM"),
        param("tgfb.K_D2", "pM"),
        param("tgfb.K_D3", "pM"),
        param("pth.beta_PTH", "pM/day"),
        param("pth.D_PTH", "1/day"),
        param("pth.K_D4", "pM"),
        param("pth.K_D7", "pM"),
        param("opg.beta_OPG", "1/day"),
        param("opg.OPG_max", "pM"),
        param("opg.D_OPG", "1/day"),
        param("rankl.R_RANKL", "pM/pM"),
        param("rankl.beta_RANKL", "pM/day"),
        param("rankl.D_RANKL", "1/day"),
        param("rankl.K_A1", "1/pM"),
        param("rankl.K_A2", "1/pM"),
        param("rankl.RANK", "pM"),
        param("rankl.K_D8", "pM"),
    ]
};
