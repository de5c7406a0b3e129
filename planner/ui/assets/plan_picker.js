// The plan picker's browser side (planner/ui/plan_picker.py): no server round trip.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.planPicker = {
    // another plan chosen: open this page for it, as a menu link does (history entry, no reload)
    open: function (planId) {
        if (planId === null || planId === undefined) {
            return;
        }
        const params = new URLSearchParams(window.location.search);
        if (params.get("plan") === String(planId)) {
            return;
        }
        params.set("plan", String(planId));
        window.history.pushState({}, "", window.location.pathname + "?" + params.toString());
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    },
    // the plan shown: into the address (a copied link or a reload shows it again) and the menu links
    follow: function (planId) {
        if (planId === null || planId === undefined) {
            return window.dash_clientside.no_update;
        }
        const plan = String(planId);
        const params = new URLSearchParams(window.location.search);
        if (params.get("plan") !== plan) {
            params.set("plan", plan);
            window.history.replaceState(window.history.state, "", window.location.pathname + "?" + params.toString());
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
