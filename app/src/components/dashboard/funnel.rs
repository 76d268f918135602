//! The room's funnel, card taps → page views → orders → paid, each step with
//! its count, a bar against the widest step, and its conversion from the step
//! before ("—" while the step before has nothing), and how many of them came
//! from the replay.

use leptos::prelude::*;

use crate::{i18n::*, live_center::Funnel};

/// A conversion rate as a percentage with one decimal; "—" when unknown
/// (nothing in the step before), never a misleading 0 %.
pub fn format_rate(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.1}%", r * 100.0),
        _ => "—".to_owned(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepName {
    Clicks,
    Views,
    Orders,
    Paid,
}

#[component]
pub fn FunnelView(#[prop(into)] funnel: Signal<Funnel>) -> impl IntoView {
    let i18n = use_i18n();
    let steps = move || {
        let f = funnel.get();
        let widest = [f.clicks, f.views, f.orders, f.paid].into_iter().max().unwrap_or(0).max(1);
        let r = f.replay;
        [
            (StepName::Clicks, f.clicks, None, r.clicks),
            (StepName::Views, f.views, Some(f.view_rate), r.views),
            (StepName::Orders, f.orders, Some(f.order_rate), r.orders),
            (StepName::Paid, f.paid, Some(f.paid_rate), r.paid),
        ]
        .map(|(name, count, rate, replay)| (name, count, rate, replay, (count.max(0) * 100 / widest).clamp(0, 100)))
    };
    view! {
        <section class="funnel-box" aria-labelledby="funnel-title">
            <h3 id="funnel-title" class="chart-title">{t!(i18n, funnel_title)}</h3>
            <ol class="funnel" data-testid="funnel">
                {move || steps().into_iter().map(|(name, count, rate, replay, width)| {
                    let label = match name {
                        StepName::Clicks => t_string!(i18n, funnel_clicks),
                        StepName::Views => t_string!(i18n, funnel_views),
                        StepName::Orders => t_string!(i18n, funnel_orders),
                        StepName::Paid => t_string!(i18n, funnel_paid),
                    };
                    view! {
                        <li class="funnel-step">
                            <span class="step-name">{label}</span>
                            <span class="step-count">{count}</span>
                            {rate.map(|r| view! {
                                <span class="step-rate">{t_string!(i18n, funnel_rate, rate = format_rate(r)).to_string()}</span>
                            })}
                            // Shown once the replay has brought anything in.
                            {(replay > 0).then(|| view! {
                                <span class="step-replay" data-testid="funnel-replay">
                                    {t_string!(i18n, funnel_from_replay, count = replay).to_string()}
                                </span>
                            })}
                            <span class="step-bar" aria-hidden="true"><span style=format!("width:{width}%")></span></span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::format_rate;

    #[test]
    fn rates_read_as_percentages_and_an_unknown_rate_as_a_dash() {
        assert_eq!(format_rate(Some(0.4)), "40.0%");
        assert_eq!(format_rate(Some(1.0)), "100.0%");
        assert_eq!(format_rate(Some(0.0126)), "1.3%");
        assert_eq!(format_rate(None), "—");
        assert_eq!(format_rate(Some(f64::NAN)), "—");
    }
}
