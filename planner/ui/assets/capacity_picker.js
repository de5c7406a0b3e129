// The Capacity page's picker (planner/ui/pages/capacity.py): choosing a capacity plan opens
// /capacity?capacity=ID, as a menu link does (history entry, no reload, no server callback).
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.capacityPicker = {
    open: function (capacityId) {
        if (capacityId === null || capacityId === undefined) {
            return;
        }
        const url = new URL(window.location.href);
        if (url.searchParams.get("capacity") === String(capacityId)) {
            return;
        }
        url.searchParams.set("capacity", String(capacityId));
        window.history.pushState({}, "", url.href);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    },
};
