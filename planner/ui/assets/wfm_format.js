// The grids' value formatter (planner/ui/columns.py: the vocabulary and the same formats in
// Python, which the browser tests compare with these cells). Display only: AG Grid sorts and
// filters the values, which stay numbers and ISO dates.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

(function () {
    const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const NUMERIC = ["count", "number", "money", "percent", "signed_pct", "seconds"];

    // 1234.567 with 1 digit -> "1,234.6"; never "-0.0"
    function number(value, digits) {
        const factor = Math.pow(10, digits);
        let rounded = Math.round(Math.abs(value) * factor) / factor;
        const text = rounded.toLocaleString("en-US", {minimumFractionDigits: digits, maximumFractionDigits: digits});
        return (value < 0 && rounded !== 0 ? "-" : "") + text;
    }

    function missing(value) {
        return value === null || value === undefined || value === "" || (typeof value === "number" && !isFinite(value));
    }

    dagfuncs.wfmFormat = function (value, kind, digits) {
        if (missing(value)) {
            return "";
        }
        if (NUMERIC.indexOf(kind) >= 0 && typeof value !== "number") {
            const parsed = Number(value);
            if (typeof value !== "string" || value.trim() === "" || !isFinite(parsed)) {
                return String(value);
            }
            value = parsed;
        }
        switch (kind) {
            case "count":
                return number(value, 0);
            case "number":
            case "money":
                return number(value, digits);
            case "percent":
                return number(value * 100, digits) + "%";
            case "signed_pct": {
                const text = number(value * 100, digits);
                return (text.charAt(0) === "-" ? text : "+" + text) + "%";
            }
            case "seconds":
                return number(value, digits) + " s";
            case "yes_no":
                return value === true || value === 1 || value === "true" || value === "True" ? "yes" : "no";
            case "date":
            case "datetime": {
                const text = String(value);
                const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
                if (!match) {
                    return text;
                }
                const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
                let shown = WEEKDAYS[day.getUTCDay()] + " " + text.slice(0, 10);
                if (kind === "datetime" && text.length >= 16) {
                    shown += " " + text.slice(11, 16);
                }
                return shown;
            }
            case "timestamp": {
                const text = String(value);
                if (text.length < 16 || "T ".indexOf(text.charAt(10)) < 0) {
                    return text;
                }
                const utc = text.endsWith("+00:00") || text.endsWith("Z");
                return text.slice(0, 10) + " " + text.slice(11, 16) + (utc ? " UTC" : "");
            }
            case "month": {
                const text = String(value);
                const match = /^(\d{4})-(\d{2})$/.exec(text.slice(0, 7));
                const index = match ? Number(match[2]) - 1 : -1;
                return index >= 0 && index < 12 ? MONTHS[index] + " " + match[1] : text;
            }
            default:
                return String(value);
        }
    };
})();
