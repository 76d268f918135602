//! The dashboard's two charts, server-rendered inline SVG that hydrates and
//! follows the figures: orders per second over the last minute (60 bars) and
//! units sold and distinct buyers per SKU (horizontal bars). Positions along
//! the width are percentages and heights are pixels, so the bars stretch to
//! any width while the text keeps its size (no `viewBox` scaling it down to
//! nothing at 390 px). Each SVG is one image to assistive technology (its
//! `aria-label` says what it shows) and comes with a visually hidden table of
//! the same figures (inside a hidden box: a table will not shrink to one pixel).

use leptos::prelude::*;

use crate::{clock::time_text, i18n::*, live_center::SkuSales};

/// Height of the plot area of the per-second chart, in pixels.
const PLOT_HEIGHT: f64 = 96.0;
/// Top of the plot area (room for the peak label above it).
const PLOT_TOP: f64 = 18.0;
/// SKUs drawn (the hidden table lists them all).
const MAX_SKU_ROWS: usize = 8;
/// Height of one SKU's rows in the SKU chart.
const SKU_ROW: f64 = 58.0;
/// The widest a bar gets, in percent of the chart, leaving room for its number.
const BAR_SPAN: f64 = 82.0;
/// Labels longer than this are cut (the hidden table keeps them whole).
const LABEL_CHARS: usize = 26;

/// The per-second series scaled to bar heights in pixels (a lone order still shows).
pub fn bar_heights(series: &[i64], plot_height: f64) -> Vec<f64> {
    let peak = series.iter().copied().max().unwrap_or(0).max(1) as f64;
    series.iter().map(|&n| if n <= 0 { 0.0 } else { (n as f64 / peak * plot_height).max(2.0) }).collect()
}

/// "Title · spec", cut to `max` characters with an ellipsis.
pub fn sku_label(sale: &SkuSales, max: usize) -> String {
    let full = if sale.spec.is_empty() { sale.title.clone() } else { format!("{} · {}", sale.title, sale.spec) };
    if full.chars().count() <= max {
        full
    } else {
        let cut: String = full.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A bar's length in percent of the chart for `value` against the largest `peak`.
fn span(value: i64, peak: i64) -> f64 {
    if peak <= 0 || value <= 0 {
        0.0
    } else {
        value as f64 / peak as f64 * BAR_SPAN
    }
}

/// Orders per second over the last minute, oldest first, the newest second at the right.
#[component]
pub fn OrdersPerSecondChart(
    #[prop(into)] series: Signal<Vec<i64>>,
    /// Unix ms the series ends at (the dashboard's `as_of`), for the hidden table's times.
    #[prop(into)]
    end_ms: Signal<i64>,
    local: ReadSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let total = move || series.with(|s| s.iter().sum::<i64>());
    let peak = move || series.with(|s| s.iter().copied().max().unwrap_or(0));
    let label = move || t_string!(i18n, ops_chart_label, total = total(), peak = peak()).to_string();
    let count = move || series.with(Vec::len).max(1);
    let baseline = PLOT_TOP + PLOT_HEIGHT;
    view! {
        <figure class="chart" data-testid="orders-per-second-chart">
            <figcaption class="chart-title">{t!(i18n, ops_chart_title)}</figcaption>
            <svg class="chart-svg" width="100%" height="136" role="img" aria-label=label>
                <title>{label}</title>
                <line class="grid" x1="0" x2="100%" y1=PLOT_TOP y2=PLOT_TOP/>
                <line class="axis" x1="0" x2="100%" y1=baseline y2=baseline/>
                <text class="tick" x="0" y="12">{move || t_string!(i18n, ops_peak, n = peak().max(1)).to_string()}</text>
                {move || {
                    let n = count() as f64;
                    let width = 100.0 / n;
                    series.with(|s| bar_heights(s, PLOT_HEIGHT)).into_iter().enumerate().map(|(i, h)| view! {
                        <rect class="bar" x=format!("{:.3}%", i as f64 * width + width * 0.15) width=format!("{:.3}%", width * 0.7)
                            y=format!("{:.1}", baseline - h) height=format!("{h:.1}") rx="1"/>
                    }).collect_view()
                }}
                {move || (total() == 0).then(|| view! {
                    <text class="tick" x="50%" y="70" text-anchor="middle">{t!(i18n, ops_empty)}</text>
                })}
                <text class="tick" x="0" y="132">{t!(i18n, ops_minute_ago)}</text>
                <text class="tick" x="100%" y="132" text-anchor="end">{t!(i18n, ops_now)}</text>
            </svg>
            <div class="sr-only"><table>
                <caption>{t!(i18n, ops_table_caption)}</caption>
                <thead><tr><th scope="col">{t!(i18n, col_time)}</th><th scope="col">{t!(i18n, col_orders)}</th></tr></thead>
                <tbody>
                    {move || {
                        let end = end_ms.get();
                        let len = series.with(Vec::len) as i64;
                        series.get().into_iter().enumerate().filter(|(_, n)| *n > 0).map(|(i, n)| {
                            let at = end - (len - 1 - i as i64) * 1_000;
                            view! { <tr><td>{time_text(at, local.get())}</td><td>{n}</td></tr> }
                        }).collect_view()
                    }}
                </tbody>
            </table></div>
        </figure>
    }
}

/// Units sold and distinct buyers per SKU, best-selling first, on one scale.
#[component]
pub fn SkuSalesChart(#[prop(into)] sales: Signal<Vec<SkuSales>>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = move || sales.with(|s| s.len().min(MAX_SKU_ROWS));
    let label = move || t_string!(i18n, sku_chart_label, count = sales.with(Vec::len)).to_string();
    view! {
        <figure class="chart" data-testid="sku-sales-chart">
            <figcaption class="chart-title">{t!(i18n, sku_chart_title)}</figcaption>
            <div class="legend" aria-hidden="true">
                <span class="key sales">{t!(i18n, sku_units)}</span>
                <span class="key uv">{t!(i18n, sku_uv)}</span>
            </div>
            {move || if rows() == 0 {
                view! { <p class="empty small">{t!(i18n, sku_empty)}</p> }.into_any()
            } else {
                view! {
                    <svg class="chart-svg" width="100%" height=move || format!("{}", rows() as f64 * SKU_ROW) role="img" aria-label=label>
                        <title>{label}</title>
                        {move || {
                            let list = sales.get();
                            let peak = list.iter().map(|s| s.total_sales.max(s.uv)).max().unwrap_or(0);
                            list.into_iter().take(MAX_SKU_ROWS).enumerate().map(|(i, sale)| {
                                let top = i as f64 * SKU_ROW;
                                let (sold, uv) = (span(sale.total_sales, peak), span(sale.uv, peak));
                                view! {
                                    <g class="sku-row" data-sku-id=sale.sku_id.to_string()>
                                        <text class="bar-label" x="0" y=format!("{:.0}", top + 14.0)>{sku_label(&sale, LABEL_CHARS)}</text>
                                        <rect class="bar sales" x="0" y=format!("{:.0}", top + 20.0) width=format!("{sold:.2}%") height="12" rx="2"/>
                                        <text class="bar-value" x=format!("{:.2}%", sold + 1.5) y=format!("{:.0}", top + 30.5)>{sale.total_sales}</text>
                                        <rect class="bar uv" x="0" y=format!("{:.0}", top + 36.0) width=format!("{uv:.2}%") height="12" rx="2"/>
                                        <text class="bar-value" x=format!("{:.2}%", uv + 1.5) y=format!("{:.0}", top + 46.5)>{sale.uv}</text>
                                    </g>
                                }
                            }).collect_view()
                        }}
                    </svg>
                }.into_any()
            }}
            <div class="sr-only"><table>
                <caption>{t!(i18n, sku_chart_title)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, col_product)}</th>
                        <th scope="col">{t!(i18n, sku_units)}</th>
                        <th scope="col">{t!(i18n, sku_uv)}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || sales.get().into_iter().map(|sale| view! {
                        <tr><th scope="row">{sku_label(&sale, usize::MAX)}</th><td>{sale.total_sales}</td><td>{sale.uv}</td></tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SkuId, SpuId};

    fn sale(title: &str, spec: &str) -> SkuSales {
        SkuSales {
            sku_id: SkuId::new(1).unwrap(),
            spu_id: SpuId::new(1).unwrap(),
            title: title.into(),
            spec: spec.into(),
            total_sales: 3,
            uv: 2,
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_second_and_a_single_order_still_shows() {
        assert_eq!(bar_heights(&[0, 5, 10], 100.0), [0.0, 50.0, 100.0]);
        assert_eq!(bar_heights(&[1, 1000], 100.0), [2.0, 100.0]);
        assert_eq!(bar_heights(&[0, 0], 100.0), [0.0, 0.0], "a quiet minute draws no bars");
    }

    #[test]
    fn a_skus_label_is_its_title_and_spec_cut_to_fit() {
        assert_eq!(sku_label(&sale("保温杯", "500ml 白色"), 26), "保温杯 · 500ml 白色");
        assert_eq!(sku_label(&sale("Mug", ""), 26), "Mug");
        assert_eq!(sku_label(&sale("A very long product title indeed", "XL"), 12), "A very long…");
    }

    #[test]
    fn bar_lengths_leave_room_for_their_numbers() {
        assert_eq!(span(10, 10), BAR_SPAN);
        assert_eq!(span(0, 10), 0.0);
        assert_eq!(span(5, 0), 0.0);
    }
}
