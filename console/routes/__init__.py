"""The console's routers, one module per area: auth, dashboard, inbox, reviews, registry, admin, simulator."""
