// Written by scripts/results/validation_record.py from a validate run; do not edit by hand.

/// The bundled outcomes the committed model reproduces within their band.
const WITHIN: [&str; 37] = [
    "men aged 74: hip BMD over 4.6 years",
    "women aged 77: total hip BMD over 1 year",
    "anastrozole: total hip, 5 years",
    "after 5 years of anastrozole: lumbar spine recovery over the 2 years off treatment",
    "after 5 years of anastrozole: total hip over the 2 years off treatment",
    "anastrozole: total hip, 2 years",
    "denosumab long-term: total hip, 5 years",
    "denosumab cross-over: lumbar spine after 2 years of denosumab",
    "denosumab cross-over: total hip after 2 years of denosumab",
    "denosumab long-term: total hip, 8 years",
    "denosumab cross-over: total hip after 5 years of denosumab",
    "denosumab long-term: total hip, 10 years",
    "denosumab cross-over: total hip after 7 years of denosumab",
    "denosumab 2 years, low bone mass: CTX over placebo at 24 months",
    "after 8 years of denosumab: lumbar spine over 1 year off",
    "after 10 years of denosumab: lumbar spine 1 year after the loss of effect",
    "WHI estrogen plus progestin: total hip over placebo, 3 years",
    "surgical menopause without hormone therapy: total hip, 24 months",
    "surgical menopause with hormone therapy: lumbar spine, 24 months",
    "natural menopause: formation marker rise, 5 years after the FMP",
    "early RA on infliximab: lumbar spine, 12 months",
    "established RA on tocilizumab: lumbar spine, 52 weeks",
    "early RA (under 6 months), untreated: hip (femoral neck), 12 months",
    "established RA: denosumab every 6 months over placebo, lumbar spine, 12 months",
    "established RA on abatacept: lumbar spine, 3 years",
    "established RA on baricitinib: lumbar spine, 12 months",
    "denosumab stopped after about 3 years: lumbar spine in the year off",
    "denosumab 4.5 years then zoledronate at 6 months: lumbar spine, 24 months after the infusion",
    "denosumab 4.5 years then zoledronate at 6 months: lumbar spine in the second year after the infusion",
    "teriparatide 40 ug/day: lumbar spine over placebo, 21 months",
    "teriparatide 20 ug/day: hip (femoral neck) over placebo, 21 months",
    "teriparatide 40 ug/day: hip (femoral neck) over placebo, 21 months",
    "teriparatide 20 ug/day: lumbar spine, 24 months",
    "teriparatide 20 ug/day: hip (femoral neck), 24 months",
    "denosumab: lumbar spine, 24 months (DATA)",
    "teriparatide 20 ug/day: lumbar spine, 18 months",
    "teriparatide 20 ug/day: hip (femoral neck), 18 months",
];

/// The bundled outcomes the committed model gets in the wrong direction (docs/validation.md).
const WRONG_DIRECTION: [&str; 3] = [
    "PEPI estrogen: lumbar spine, 36 months",
    "PEPI estrogen: hip, 36 months",
    "established RA on a TNF inhibitor: lumbar spine, 3 years",
];

