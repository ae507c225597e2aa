//! Rheumatoid-arthritis disease activity as a state, and the hip's disuse that follows it.
//!
//! The scenario's `disease_activity` input is the activity of the untreated disease (1 = active
//! untreated RA, about DAS28 6.5; 0 = none). The disease activity a patient has, `D`, follows it
//! with the time constant of a clinical response, lowered by blocking each target a drug class
//! acts on (TNF-α, IL-6, JAK, IL-17, CD80/86 costimulation) by the fraction of the excess DAS28
//! that the class removes in its trials (docs/research/ra_disease_activity.md):
//!
//! ```text
//! dD/dt = (DA · Π_k (1 − r_k min(1, b_k / b_sat)) − D) / τ_D
//! ```
//!
//! `b_k` is the blockade of target `k` (1 minus its handle factor; for costimulation, the CTLA-4
//! signal a CTLA-4-Ig adds, in Treg equivalents). The clinical response is flat over the labelled
//! doses (tofacitinib 5 and 10 mg, baricitinib 2 and 4 mg), so it is taken as saturated from the
//! blockade `b_sat` on, below every labelled regimen's. A drug and a knock-out of its target
//! lower `D` alike.
//!
//! Active disease lowers habitual loading by a fraction `δ D` (fewer steps; Summers 2019). The
//! daily stress stimulus of the hip (Beaupré 1990) is proportional to load per unit of bone, so
//! bone lost to disuse restores it: the stimulus deficit is `s = 1 − (1 − δ D) / (1 − L/100)`,
//! with `L` the hip bone lost to disuse (%), and the hip's extra resorption is `1 + (g / δ) s`
//! (`g = coupling.g_hip_disuse`, the extra resorption per unit disease activity before any
//! adaptation). The loss therefore stops at `L = 100 δ D`, and when treatment lowers `D` the
//! stimulus turns negative and the hip regains what it lost. The macrophage drive of the immune
//! module keeps the untreated `DA`: drugs lower inflammation there through their own targets, so
//! `D` does not act twice on it.

use super::immune::{Drives, Handle};
use super::{ParamSpec, param};
use crate::params::ParamValues;

/// The parameters of disease activity and the hip's disuse.
#[derive(Debug, Clone, Copy)]
pub struct DiseaseParams {
    /// Time constant of the clinical response (day).
    pub tau: f64,
    /// Fraction of the excess disease activity removed by blocking TNF-α, IL-6, JAK, IL-17 and
    /// costimulation, in that order.
    pub response: [f64; 5],
    /// Blockade from which the clinical response is saturated.
    pub saturation: f64,
    /// Fraction of habitual hip loading lost at disease activity 1 (δ).
    pub load_reduction: f64,
    /// Extra hip resorption per unit disease activity before adaptation (g).
    pub g_hip: f64,
}

/// The parameters this module reads, with their units.
pub const DISEASE_PARAMS: [ParamSpec; 9] = [
    param("disease.tau", "day"),
    param("disease.r_TNF", "1"),
    param("disease.r_IL6", "1"),
    param("disease.r_JAK", "1"),
    param("disease.r_IL17", "1"),
    param("disease.r_costimulation", "1"),
    param("disease.blockade_saturation", "1"),
    param("disease.load_reduction", "1"),
    param("coupling.g_hip_disuse", "1"),
];

impl DiseaseParams {
    /// Reads the parameters by dotted name.
    pub fn from_params(p: &impl ParamValues) -> Self {
        DiseaseParams {
            tau: p.value("disease.tau"),
            response: [
                p.value("disease.r_TNF"),
                p.value("disease.r_IL6"),
                p.value("disease.r_JAK"),
                p.value("disease.r_IL17"),
                p.value("disease.r_costimulation"),
            ],
            saturation: p.value("disease.blockade_saturation"),
            load_reduction: p.value("disease.load_reduction"),
            g_hip: p.value("coupling.g_hip_disuse"),
        }
    }

    /// Where `D` is heading: the untreated disease activity times the factor of each blocked
    /// target (drives after the drugs have acted).
    pub fn target(&self, d: &Drives) -> f64 {
        let f = &d.factors;
        let blockade = [
            1.0 - f[Handle::Tnf],
            1.0 - f[Handle::Il6],
            1.0 - f[Handle::Jak],
            1.0 - f[Handle::Il17],
            d.ctla4,
        ];
        blockade
            .iter()
            .zip(self.response)
            .fold(d.disease_activity, |acc, (&b, r)| {
                acc * (1.0 - r * (b / self.saturation).clamp(0.0, 1.0))
            })
    }

    /// dD/dt (1/day) towards `target`.
    #[inline]
    pub fn activity_rate(&self, target: f64, d: f64) -> f64 {
        (target - d) / self.tau
    }

    /// Stimulus deficit of the hip (dimensionless): positive when loading per unit of bone is
    /// below its set point, negative when the hip carries more than its bone is adapted to.
    #[inline]
    pub fn stimulus_deficit(&self, d: f64, loss_pct: f64) -> f64 {
        1.0 - (1.0 - self.load_reduction * d) / (1.0 - loss_pct / 100.0)
    }

    /// Factor on the hip's resorption (1 = no disuse); never below 0.
    #[inline]
    pub fn hip_resorption_factor(&self, d: f64, loss_pct: f64) -> f64 {
        (1.0 + self.g_hip / self.load_reduction * self.stimulus_deficit(d, loss_pct)).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: DiseaseParams = DiseaseParams {
        tau: 42.0,
        response: [0.6, 0.7, 0.65, 0.2, 0.6],
        saturation: 0.35,
        load_reduction: 0.08,
        g_hip: 0.1,
    };

    #[test]
    fn before_any_loss_the_hip_resorbs_more_in_proportion_to_disease_activity() {
        for d in [0.0, 0.5, 1.0] {
            let f = P.hip_resorption_factor(d, 0.0);
            assert!((f - (1.0 + P.g_hip * d)).abs() < 1e-12, "D = {d}: {f}");
        }
    }

    #[test]
    fn the_disuse_stops_once_the_hip_has_lost_the_load_reduction() {
        let d = 1.0;
        let plateau = 100.0 * P.load_reduction * d;
        assert!((P.hip_resorption_factor(d, plateau) - 1.0).abs() < 1e-12);
        assert!(P.hip_resorption_factor(d, 0.5 * plateau) > 1.0);
        // Past the plateau (or after treatment lowers D) the hip resorbs less and regains bone.
        assert!(P.hip_resorption_factor(d, 1.5 * plateau) < 1.0);
        assert!(P.hip_resorption_factor(0.2, plateau) < 1.0);
    }

    fn drives(disease_activity: f64) -> Drives {
        Drives {
            estrogen: 1.0,
            disease_activity,
            glucocorticoid: 0.0,
            aging_years: 0.0,
            factors: crate::model::immune::Factors::NEUTRAL,
            ctla4: 0.0,
        }
    }

    #[test]
    fn each_blocked_target_removes_its_clinical_response_once_saturated() {
        let mut d = drives(1.0);
        assert_eq!(P.target(&d), 1.0);
        d.factors[Handle::Tnf] = 0.1;
        assert!((P.target(&d) - 0.4).abs() < 1e-12);
        // Half the saturating blockade gives half the response; raising TNF gives none.
        d.factors[Handle::Tnf] = 1.0 - 0.5 * P.saturation;
        assert!((P.target(&d) - 0.7).abs() < 1e-12);
        d.factors[Handle::Tnf] = 3.0;
        assert_eq!(P.target(&d), 1.0);
        // Two classes multiply (TEMPO: the combination removes more than either alone).
        d.factors[Handle::Tnf] = 0.0;
        d.ctla4 = 1.0;
        assert!((P.target(&d) - 0.4 * 0.4).abs() < 1e-12);
        // Without disease there is nothing to lower.
        let mut healthy = drives(0.0);
        healthy.factors[Handle::Jak] = 0.0;
        assert_eq!(P.target(&healthy), 0.0);
    }

    #[test]
    fn disease_activity_relaxes_towards_its_target_with_the_response_time() {
        assert!((P.activity_rate(0.4, 1.0) - (-0.6 / 42.0)).abs() < 1e-15);
        assert_eq!(P.activity_rate(1.0, 1.0), 0.0);
    }
}
