// The plan picker's browser side (planner/ui/plan_picker.py): no server round trip.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.planPicker = {
    // another plan chosen: open this page for it, as a menu link does (history entry, no reload)
    open: function (planId) {
        if (planId === null || planId === undefined) {
            return;
        }
        // the whole address, so a path such as "//intraday" stays on this site
        const url = new URL(window.location.href);
        if (url.searchParams.get("plan") === String(planId)) {
            return;
        }
        url.searchParams.set("plan", String(planId));
        window.history.pushState({}, "", url.href);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    },
    // the plan shown: into the address (a copied link or a reload shows it again) and the menu links
    follow: function (planId) {
        if (planId === null || planId === undefined) {
            return window.dash_clientside.no_update;
        }
        const plan = String(planId);
        const url = new URL(window.location.href);
        if (url.searchParams.get("plan") !== plan) {
            url.searchParams.set("plan", plan);
            window.history.replaceState(window.history.state, "", url.href);
        }
        document.querySelectorAll(".navbar a.nav-link[id^='nav-']").forEach(function (link) {
            if (link.id === "nav-signout") {
                return;
            }
            const path = (link.getAttribute("href") || "/").split("?")[0];
            window.dash_clientside.set_props(link.id, {href: path + "?plan=" + plan});
        });
        return "links on this page keep plan " + plan;
    },
};
