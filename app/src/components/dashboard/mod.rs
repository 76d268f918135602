//! The live center on the console room page: what a streamer watches during a
//! sale. Figures (GMV placed, paid and closed; orders by status; orders in the
//! last 60 s; viewers and likes), the two charts, the "just sold" ticker, the
//! funnel, and the counts of sync failures and dead letters linked to their
//! sections further down the page. Rendered with its data in the first HTML,
//! then kept current by [`follow`].

mod charts;
mod follow;
mod funnel;
mod throttle;
mod ticker;

use leptos::prelude::*;

use self::{
    charts::{OrdersPerSecondChart, SkuSalesChart},
    follow::follow_dashboard,
    funnel::FunnelView,
    ticker::Ticker,
};
use crate::{
    clock::{local_times, parse_rfc3339_ms, time_text},
    components::order_status::status_text,
    i18n::*,
    ids::LiveId,
    live_center::{get_dashboard, Dashboard},
    live_updates::Connection,
    locale::price_style,
    model::OrderStatus,
    money::format_price,
};

/// Id of the sync-failures section the dashboard links to.
pub const SYNC_FAILURES_ANCHOR: &str = "sync-failures";
/// Id of the dead-letters section the dashboard links to.
pub const DEAD_LETTERS_ANCHOR: &str = "dead-letters";

/// The dashboard of one room, read on the server for the first HTML. A
/// caller who may not see it gets nothing here: the page's gate explains.
#[component]
pub fn DashboardPanel(live_id: LiveId) -> impl IntoView {
    let data = crate::codec::resource(|| (), move |_| get_dashboard(live_id));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { data.await.ok().map(|initial| view! { <LiveDashboard initial/> }) })}
        </Suspense>
    }
}

#[component]
fn LiveDashboard(initial: Dashboard) -> impl IntoView {
    let i18n = use_i18n();
    let live_id = initial.live_id;
    let dash = RwSignal::new(initial);
    let connection = RwSignal::new(Connection::Connecting);
    follow_dashboard(live_id, dash, connection);
    let local = local_times();
    let money = move |cents: i64| format_price(cents, price_style(i18n.get_locale()));
    let as_of_ms = Memo::new(move |_| dash.with(|d| parse_rfc3339_ms(&d.as_of)).unwrap_or_default());
    let series = Memo::new(move |_| dash.with(|d| d.orders_per_second.clone()));
    let sales = Memo::new(move |_| dash.with(|d| d.sales.clone()));
    let recent = Memo::new(move |_| dash.with(|d| d.recent_orders.clone()));
    let funnel = Memo::new(move |_| dash.with(|d| d.funnel.clone()));
    let counts = Memo::new(move |_| dash.with(|d| d.orders.clone()));
    let gmv = move || dash.with(|d| d.gmv_cents);
    let paid = move || dash.with(|d| d.paid_gmv_cents);
    let closed = move || dash.with(|d| d.closed_gmv_cents);
    view! {
        <section class="panel dashboard" data-testid="dashboard" data-events=move || connection.get().as_str()
            aria-labelledby="dashboard-title">
            <header class="dash-head">
                <h2 id="dashboard-title">{t!(i18n, dashboard_title)}</h2>
                <span class="live-state" class:open=move || connection.get() == Connection::Open>
                    {move || match connection.get() {
                        Connection::Open => t_string!(i18n, dash_live),
                        Connection::Connecting => t_string!(i18n, dash_connecting),
                    }}
                </span>
                <span class="muted as-of">
                    {move || t_string!(i18n, dash_as_of, time = time_text(as_of_ms.get(), local.get())).to_string()}
                </span>
            </header>
            <div class="stat-grid">
                <div class="stat primary">
                    <span class="stat-label">{t!(i18n, dash_gmv)}</span>
                    <span class="stat-value" data-testid="gmv" data-cents=move || gmv().to_string()>{move || money(gmv())}</span>
                </div>
                <div class="stat">
                    <span class="stat-label">{t!(i18n, dash_paid_gmv)}</span>
                    <span class="stat-value" data-testid="paid-gmv" data-cents=move || paid().to_string()>{move || money(paid())}</span>
                </div>
                <div class="stat">
                    <span class="stat-label">{t!(i18n, dash_closed_gmv)}</span>
                    <span class="stat-value" data-testid="closed-gmv" data-cents=move || closed().to_string()>{move || money(closed())}</span>
                </div>
                <div class="stat">
                    <span class="stat-label">{t!(i18n, dash_orders_last_60s)}</span>
                    <span class="stat-value" data-testid="orders-last-60s">{move || dash.with(|d| d.orders_last_60s)}</span>
                </div>
                <div class="stat wide">
                    <span class="stat-label">{t!(i18n, dash_orders)}</span>
                    <span class="stat-value" data-testid="orders-placed">{move || counts.with(|c| c.placed)}</span>
                    <span class="chips" data-testid="order-counts">
                        {move || {
                            let c = counts.get();
                            [
                                (OrderStatus::Created, c.unpaid),
                                (OrderStatus::Paid, c.paid),
                                (OrderStatus::Expired, c.expired),
                                (OrderStatus::Cancelled, c.cancelled),
                            ].map(|(status, n)| view! {
                                <span class=format!("chip order-{}", status.as_str()) data-status=status.as_str()>
                                    {status_text(i18n, status)} " " <b>{n}</b>
                                </span>
                            }).collect_view()
                        }}
                    </span>
                </div>
                <div class="stat">
                    <span class="stat-label">{t!(i18n, dash_viewers)}</span>
                    <span class="stat-value" data-testid="viewers">{move || dash.with(|d| d.viewers)}</span>
                </div>
                <div class="stat">
                    <span class="stat-label">{t!(i18n, dash_likes)}</span>
                    <span class="stat-value" data-testid="likes">{move || dash.with(|d| d.likes)}</span>
                </div>
                <a class="stat link-stat" href=format!("#{SYNC_FAILURES_ANCHOR}") class:alert=move || dash.with(|d| d.sync_failures > 0)>
                    <span class="stat-label">{t!(i18n, dash_sync_failures)}</span>
                    <span class="stat-value" data-testid="sync-failure-count">{move || dash.with(|d| d.sync_failures)}</span>
                </a>
                <a class="stat link-stat" href=format!("#{DEAD_LETTERS_ANCHOR}") class:alert=move || dash.with(|d| d.dead_letters > 0)>
                    <span class="stat-label">{t!(i18n, dash_dead_letters)}</span>
                    <span class="stat-value" data-testid="dead-letter-count">{move || dash.with(|d| d.dead_letters)}</span>
                </a>
            </div>
            <div class="dash-grid">
                <OrdersPerSecondChart series end_ms=as_of_ms local/>
                <Ticker orders=recent local/>
                <SkuSalesChart sales/>
                <FunnelView funnel/>
            </div>
            <p class="muted view-as-of">
                {move || match dash.with(|d| d.view_as_of.as_deref().and_then(parse_rfc3339_ms)) {
                    Some(at) => t_string!(i18n, dash_view_as_of, time = time_text(at, local.get())).to_string(),
                    None => t_string!(i18n, dash_view_never).to_string(),
                }}
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use leptos::prelude::*;

    use super::LiveDashboard;
    use crate::{
        ids::{LiveId, SkuId, SpuId, UserId},
        live_center::{Dashboard, Funnel, OrderCounts, RecentOrder, SkuSales, WINDOW_SECONDS},
        model::{OrderItem, OrderStatus},
    };

    fn dashboard() -> Dashboard {
        let mut per_second = vec![0; WINDOW_SECONDS];
        per_second[WINDOW_SECONDS - 1] = 2;
        Dashboard {
            live_id: LiveId::new(7).unwrap(),
            gmv_cents: 123_456,
            paid_gmv_cents: 5_990,
            closed_gmv_cents: 0,
            orders: OrderCounts { placed: 3, unpaid: 2, paid: 1, expired: 0, cancelled: 0 },
            orders_last_60s: 2,
            orders_per_second: per_second,
            sales: vec![SkuSales {
                sku_id: SkuId::new(4).unwrap(),
                spu_id: SpuId::new(2).unwrap(),
                title: "冻干咖啡粉 24 颗装".into(),
                spec: "经典美式 24 颗".into(),
                total_sales: 3,
                uv: 1,
            }],
            recent_orders: vec![RecentOrder {
                order_sn: "20260304000000000042".into(),
                user_id: UserId::new(9).unwrap(),
                goods_items: vec![OrderItem { sku_id: SkuId::new(4).unwrap(), quantity: 2 }],
                total_cents: 11_980,
                status: OrderStatus::Created,
                time_ms: 1_772_600_767_123,
            }],
            funnel: Funnel::new(0, 0, 3, 1),
            sync_failures: 1,
            dead_letters: 0,
            viewers: 0,
            likes: 0,
            as_of: "2026-03-04T05:06:07.123Z".into(),
            view_as_of: None,
        }
    }

    fn render(data: Dashboard) -> String {
        crate::ssr_render::render(move || view! { <LiveDashboard initial=data/> })
    }

    #[test]
    fn the_first_html_carries_every_figure_and_both_charts_with_text_alternatives() {
        let html = render(dashboard());
        for hook in [
            r#"data-testid="dashboard""#,
            r#"data-testid="gmv" data-cents="123456""#,
            r#"data-testid="paid-gmv" data-cents="5990""#,
            r#"data-testid="orders-last-60s""#,
            r#"data-testid="orders-per-second-chart""#,
            r#"data-testid="sku-sales-chart""#,
            r#"data-testid="ticker""#,
            r#"data-order-sn="20260304000000000042""#,
            r#"data-testid="funnel""#,
            r##"href="#sync-failures""##,
            r##"href="#dead-letters""##,
        ] {
            assert!(html.contains(hook), "{hook} missing");
        }
        assert_eq!(html.matches("<rect ").count(), WINDOW_SECONDS + 2, "60 seconds and two SKU bars");
        assert_eq!(html.matches(r#"role="img""#).count(), 2);
        assert_eq!(html.matches(r#"<div class="sr-only"><table>"#).count(), 2, "a hidden table per chart");
        assert!(html.contains("¥1,234.56"), "GMV in yuan from cents");
        assert!(html.contains("冻干咖啡粉 24 颗装 · 经典美式 24 颗"), "SKU label is title and spec");
    }

    #[test]
    fn a_rate_without_a_step_before_it_reads_as_a_dash() {
        let html = render(dashboard());
        assert!(html.contains("—"), "no clicks, no views: the view and order rates are unknown");
        assert!(html.contains("33.3%"), "1 of 3 orders paid");
    }
}
